"""Property tests: shares add up, suppression never reveals a count, exports round-trip."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from analysis.compute import ModuleSummary, breakdown
from analysis.exports import csv_bytes, load_long, xlsx_bytes
from analysis.importer import parse_answers, write_answers
from analysis.render_markdown import render_markdown
from analysis.render_telegram import render_telegram, split_message
from analysis.rounding import fmt_p, fmt_signed, percent, round_half_away
from analysis.scope import resolve_scope
from analysis.summary import compute_summary
from analysis.suppress import hidden_cells
from core.config import load_config
from sim.config import CohortSpec, config_toml

counts_strategy = st.lists(st.integers(0, 60), min_size=1, max_size=7)


@given(counts_strategy)
def test_percentages_add_up(counts: list[int]) -> None:
    total = sum(counts)
    if total == 0:
        return
    shares = [percent(c, total) for c in counts]
    # Each share is within half a point of the exact one, so their sum is within
    # half a point per group of 100.
    for count, share in zip(counts, shares, strict=True):
        assert abs(Fraction(100 * count, total) - share) <= Fraction(1, 2)
    assert abs(sum(shares) - 100) <= len(counts) / 2


@given(counts_strategy, st.integers(2, 10))
def test_suppression_never_reveals_a_hidden_count(counts: list[int], min_size: int) -> None:
    hidden = hidden_cells(counts, min_size)
    assert all(h for c, h in zip(counts, hidden, strict=True) if c < min_size)
    # An attacker knows the total, the shown cells, and that a cell shown as "<N" is
    # below N. Every hidden cell must have at least two possible values.
    if not any(hidden) or all(hidden):
        return  # all hidden: only the total is known, which the summary shows anyway
    total = sum(counts)
    hidden_total = total - sum(c for c, h in zip(counts, hidden, strict=True) if not h)
    hidden_idx = [i for i, h in enumerate(hidden) if h]
    ranges = [
        (0, min_size - 1) if counts[i] < min_size else (min_size, hidden_total) for i in hidden_idx
    ]
    for k, (lo, hi) in enumerate(ranges):
        others = [r for j, r in enumerate(ranges) if j != k]
        # Sums of whole numbers drawn from intervals fill the interval of their sums.
        low, high = sum(r[0] for r in others), sum(r[1] for r in others)
        possible = [v for v in range(lo, hi + 1) if low <= hidden_total - v <= high]
        assert len(possible) >= 2, (counts, hidden, k, possible)


@given(counts_strategy, st.integers(1, 5))
def test_breakdown_keeps_totals(counts: list[int], min_size: int) -> None:
    result = breakdown("q", "Q", [str(i) for i in range(len(counts))], counts, min_size)
    assert result.n == sum(counts)
    assert [c.count for c in result.cells] == counts


@given(
    st.lists(
        st.sampled_from(
            [
                "plain text ",
                "<b>bold</b> ",
                "a &amp; b ",
                "\n",
                "<i>long italic " + "x" * 50 + "</i>",
                "&lt;3 ",
            ]
        ),
        max_size=300,
    ),
    st.integers(60, 500),
)
def test_split_message_never_cuts_a_tag(parts: list[str], limit: int) -> None:
    html = "".join(parts)
    messages = split_message(html, limit)
    for message in messages:
        assert len(message) <= limit
        # No cut tag or entity: every '<' starts a whole tag, every '&' a whole entity.
        assert not re.search(r"<(?![/a-z][^<>]*>)", message)
        assert not re.search(r"&(?!(amp|lt|gt);)", message)
        # Balanced: each opened tag is closed within the same message.
        assert message.count("<b>") == message.count("</b>")
        assert message.count("<i>") == message.count("</i>")
    text = re.sub(r"<[^>]+>|\s", "", html)
    assert re.sub(r"<[^>]+>|\s", "", "".join(messages)) == text


# Two one-day cohorts (09:30–16:30 UTC) at two sites; the first alone for the round trip.
DAY = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SITES = [
    CohortSpec("RS-P", DAY, DAY + timedelta(hours=7), site="London"),
    CohortSpec("RS-Q", DAY + timedelta(days=1), DAY + timedelta(days=1, hours=7), site="Leeds"),
]


def config_at(folder: Path, name: str, cohorts: list[CohortSpec]) -> Path:
    """A config whose database is ``folder/name.db``, written by the kit's one writer."""
    path = folder / f"{name}.toml"
    toml = config_toml(cohorts, analysis={"min_cell_size": 3}, database=folder / f"{name}.db")
    path.write_text(toml, encoding="utf-8")
    return path


answer_strategy = st.fixed_dictionaries(
    {},
    optional={
        "pre.sector": st.sampled_from(["Education", "Other", ""]),
        "pre.conf_support": st.sampled_from(["1", "2", "3", "4", "5", ""]),
        "post.conf_support": st.sampled_from(["1", "5", ""]),
        "post.met_expectations": st.sampled_from(["Yes", "No", "Partly"]),
        "post.comment": st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
            min_size=1,
            max_size=30,
        ).filter(lambda t: t.strip() == t and t),
        "post.relevance": st.sampled_from(["3", "4"]),
    },
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text("abcXYZ-_ 09", min_size=1, max_size=6).map(str.strip).filter(bool),
        answer_strategy,
        max_size=6,
    )
)
def test_export_import_export_is_identical(people: dict[str, dict[str, str]]) -> None:
    if not any(people.values()):
        return
    with tempfile.TemporaryDirectory() as folder:
        exports = []
        for name in ("one", "two"):
            config_path = config_at(Path(folder), name, SITES[:1])
            config = load_config(config_path)
            if name == "one":
                rows = [
                    [p, "RS-P", key.split(".")[0], key.split(".")[1], value, ""]
                    for p, answers in people.items()
                    for key, value in answers.items()
                ]
                text = _csv(rows)
            else:
                text = exports[0].decode("utf-8-sig")
            plan = parse_answers(text, config)
            assert not plan.problems, plan.problems
            asyncio.run(write_answers(config, plan.answers))
            module = config.modules["risk-support"]
            exports.append(csv_bytes(load_long(config.bot.database, module, ["RS-P"])))
        assert exports[0] == exports[1]


def _csv(rows: list[list[str]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value", "answered_at"])
    writer.writerows(rows)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# No rendered output lets a reader work out a suppressed count.
#
# A reader of each output (Telegram text, Markdown report, the XLSX summary sheet, and
# the HTML report where it exists) is modelled from what that output shows, parsed from
# the output itself: every shown count, "<N" (below N), "not shown" (a complement, at
# least N, unless no group is marked "<N"), totals, rounded means with their n, mean
# changes, and each cohort's or site's mean change. For each paired item, every hidden
# improved/same/declined count must keep two possible values; and with any of them
# hidden, no test or effect size may be shown at all.

ITEMS = ("conf_support", "conf_explain", "thrive_knowledge")
# Mostly ratings, so that items have enough pairs to be reported; sometimes a skip ("")
# or no answer at all (None).
answer = st.one_of(*[st.just(str(v)) for v in range(1, 6)] * 3, st.just(""), st.none())


def _person(sector: str, answers: list[str | None], extra: dict[str, str]) -> dict[str, str]:
    keys = [f"{phase}.{item}" for phase in ("pre", "post") for item in ITEMS]
    person = {"pre.sector": sector, **extra}
    person.update({k: v for k, v in zip(keys, answers, strict=True) if v is not None})
    return person


person_strategy = st.builds(
    _person,
    st.sampled_from(["Education", "Other", "Commissioning"]),
    st.lists(answer, min_size=6, max_size=6),
    st.fixed_dictionaries(
        {},
        optional={
            "post.met_expectations": st.sampled_from(["Yes", "No", "Partly"]),
            "post.comment": st.sampled_from(["Useful", "Too long"]),
        },
    ),
)
SIGNED = r"([+−]\d+\.\d\d|0\.00)"


@dataclass
class Seen:
    """What one output shows about one paired item."""

    pairs: int = 0
    direction: list[str] = field(default_factory=list)  # a count, "<", "hidden" or "?"
    means: dict[str, tuple[Fraction, int]] = field(default_factory=dict)  # phase → (mean, n)
    change: Fraction | None = None
    test_shown: bool = False
    rows: list[list[tuple[Fraction, int]]] = field(default_factory=list)  # per comparison


def _fraction(text: str) -> Fraction:
    return Fraction(text.replace("−", "-").replace("+", ""))


def _direction_word(text: str, word: str, small_words: set[str]) -> str:
    found = re.search(rf"(?<![a-z]){word} (\d+) \(", text)
    if found:
        return found.group(1)
    return "<" if word in small_words else "hidden"


def seen_in_telegram(text: str, summary: ModuleSummary) -> list[Seen]:
    result = []
    for item in summary.changes:
        seen = Seen()
        bullet = re.search(
            rf"• <b>{re.escape(item.label)}</b>: (\S+|not shown|too few responses) → "
            rf"(\S+|not shown|too few responses) \(n = (\d+) pre, (\d+) post\)\n  (.*)\n",
            text,
        )
        assert bullet, item.label
        for phase, value, n in (("pre", bullet[1], bullet[3]), ("post", bullet[2], bullet[4])):
            if re.fullmatch(r"\d\.\d\d", value):
                seen.means[phase] = (_fraction(value), int(n))
        sentence = bullet[5]
        both = re.search(r"over the (\d+) who answered both times: (.*)\.$", sentence)
        if both:
            seen.pairs = int(both[1])
            groups = both[2]
            small = set()
            each = re.search(r"([a-z ,]+): fewer than \d+ each", groups)
            alone = re.search(r"([a-z ]+): fewer than \d+$", groups)
            for match in (each, alone):
                if match:
                    small |= {w for w in ("higher", "the same", "lower") if w in match[1]}
            seen.direction = [
                _direction_word(groups, w, small) for w in ("higher", "the same", "lower")
            ]
        line = re.search(rf"{re.escape(item.label)}: (\d+) matched pairs(.*)", text)
        if line:
            seen.pairs = int(line[1])
            change = re.match(rf", mean change {SIGNED}", line[2])
            seen.change = _fraction(change[1]) if change else None
            seen.test_shown = "Wilcoxon" in line[2] or "r = " in line[2]
        label = item.label[:1].lower() + item.label[1:]
        for block in text.split("<b>By ")[1:]:
            seen.rows.append(
                [
                    (_fraction(m[1]), int(m[2]))
                    for m in re.finditer(
                        rf"change in {re.escape(label)} {SIGNED} \(n = (\d+) pairs\)", block
                    )
                ]
            )
        result.append(seen)
    return result


def seen_in_markdown(text: str, summary: ModuleSummary) -> list[Seen]:
    result = []
    for index, item in enumerate(summary.changes):
        seen = Seen()
        # The before/after table's row of the item: its label and seven more cells.
        cells = next(
            cells
            for cells in (
                [c.strip() for c in line.strip("|").split(" | ")] for line in text.splitlines()
            )
            if len(cells) == 8 and cells[0] == item.label
        )
        _, pre, post, pairs, change, p, r, direction = cells
        seen.pairs = int(pairs)
        for phase, value in (("pre", pre), ("post", post)):
            mean = re.fullmatch(r"(\d\.\d\d) \(n = (\d+)\)", value)
            if mean:
                seen.means[phase] = (_fraction(mean[1]), int(mean[2]))
        found = re.match(SIGNED, change)
        seen.change = _fraction(found[1]) if found else None
        seen.test_shown = p not in ("not shown", "too few responses") or r not in (
            "not shown",
            "too few responses",
        )
        if direction != "–":
            parts = direction.split(" / ")
            seen.direction = [
                m[1]
                if (m := re.match(r"(\d+) \(", part))
                else ("<" if part.startswith("<") else "hidden")
                for part in parts
            ]
        for table in text.split("\n## By ")[1:]:
            lines = [line for line in table.splitlines() if line.startswith("|")]
            heads = [h.strip() for h in lines[0].strip("|").split("|")]
            column = heads.index(f"Change: {item.label}")
            seen.rows.append([])
            for line in lines[2:]:
                value = line.strip("|").split(" | ")[column].strip()
                found = re.fullmatch(rf"{SIGNED} \(n = (\d+)\)", value)
                if found:
                    seen.rows[-1].append((_fraction(found[1]), int(found[2])))
        del index
        result.append(seen)
    return result


def seen_in_sheet(rows: list[tuple], summary: ModuleSummary) -> list[Seen]:
    result = []
    for index, item in enumerate(summary.changes):
        seen = Seen(direction=["?", "?", "?"])
        for section, name, group, phase, statistic, value, _share, n, note in rows:
            if section == "before and after" and name == item.label:
                if statistic == "mean" and value is not None:
                    seen.means[phase] = (Fraction(str(value)), n)
                elif statistic == "matched pairs":
                    seen.pairs = value
                elif statistic == "mean change" and value is not None:
                    seen.change = Fraction(str(value))
                elif statistic in ("Wilcoxon p", "rank-biserial r", "95% CI low"):
                    seen.test_shown |= value is not None
                elif statistic == "count":
                    k = ("improved", "same", "declined").index(group)
                    seen.direction[k] = (
                        str(value)
                        if value is not None
                        else "<"
                        if note.startswith("fewer")
                        else "hidden"
                    )
            if section.startswith("by ") and statistic == f"mean change {item.label}":
                if not seen.rows or seen.rows[-1][0] != section:
                    seen.rows.append((section, []))  # type: ignore[arg-type]
                if value is not None:
                    seen.rows[-1][1].append((Fraction(str(value)), n))  # type: ignore[index]
        seen.rows = [r for _, r in seen.rows]  # type: ignore[misc]
        if seen.direction == ["?", "?", "?"]:
            seen.direction = []
        del index
        result.append(seen)
    return result


def html_output(summary: ModuleSummary) -> str | None:
    """HOOK for the HTML report (analysis/render_html.py, written by helper `report`).

    None while that module does not exist; then the report rendered without charts.
    `assert_html_keeps_tests_hidden` is a first check of it; the lead may add a reader
    of its tables like `seen_in_markdown`.
    """
    import importlib.util

    if importlib.util.find_spec("analysis.render_html") is None:
        return None
    module = importlib.import_module("analysis.render_html")  # pragma: no cover
    return str(module.render_html(summary, []))  # pragma: no cover


def assert_html_keeps_tests_hidden(html: str, summary: ModuleSummary) -> None:
    """No table row of an item whose test is not shown carries its p, r or interval."""
    rows = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr\b.*?</tr>", html, re.S)]
    for item in summary.changes:
        stats = item.stats
        if item.test_shown or stats is None:
            continue
        secret = [
            fmt_signed(v)
            for v in (stats.rank_biserial, stats.ci_low, stats.ci_high)
            if v is not None
        ]
        if stats.p_value is not None:
            secret.append(fmt_p(stats.p_value).removeprefix("= "))
        if item.change_shown:  # a collapsed interval reads like the mean change itself
            secret = [f for f in secret if f != fmt_signed(stats.mean_change)]
        for row in rows:
            if item.label in row or item.text in row:
                for figure in secret:
                    assert not re.search(rf"(?<![\d.]){re.escape(figure)}(?!\d)", row), (
                        item.label,
                        figure,
                        row,
                    )
    assert "≥" not in html


def _totals(mean: Fraction, n: int, low: int, high: int) -> tuple[int, int]:
    """The whole totals in [low, high] whose mean rounds (2 places) to `mean`."""
    fits = [t for t in range(low, high + 1) if round_half_away(Fraction(t, n), 2) == mean]
    assert fits, (mean, n)
    return fits[0], fits[-1]


def assert_nothing_recoverable(seen: Seen, min_size: int) -> None:
    if not seen.direction or seen.pairs == 0:
        return
    n = seen.pairs
    hidden = [d in ("<", "hidden") for d in seen.direction]
    if any(hidden):
        assert not seen.test_shown, "a test or effect size beside a hidden count"
    else:
        return
    marked = "<" in seen.direction
    ranges = [
        (int(d), int(d))
        if d.isdigit()
        else (0, min_size - 1)
        if d == "<"
        else (min_size, n)
        if marked
        else (0, n)
        for d in seen.direction
    ]
    bounds = {"pre": (n, 5 * n), "post": (n, 5 * n)}
    for phase, (mean, count) in seen.means.items():
        lo, hi = _totals(mean, count, count, 5 * count)
        unpaired = count - n
        bounds[phase] = (max(n, lo - 5 * unpaired), min(5 * n, hi - unpaired))
    change = (-4 * n, 4 * n)
    if seen.change is not None:
        change = _totals(seen.change, n, -4 * n, 4 * n)
    for rows in seen.rows:
        rest = n - sum(k for _, k in rows)
        lo = sum(_totals(v, k, -4 * k, 4 * k)[0] for v, k in rows) - 4 * rest
        hi = sum(_totals(v, k, -4 * k, 4 * k)[1] for v, k in rows) + 4 * rest
        change = (max(change[0], lo), min(change[1], hi))
    possible: list[set[int]] = [set(), set(), set()]
    for i in range(n + 1):
        for d in range(n + 1 - i):
            s = n - i - d
            if not all(lo <= v <= hi for v, (lo, hi) in zip((i, s, d), ranges, strict=True)):
                continue
            # Every pair's before and after rating on 1–5: improved, same or declined.
            pre = (
                max(bounds["pre"][0], i + s + 2 * d),
                min(bounds["pre"][1], 4 * i + 5 * s + 5 * d),
            )
            post = (
                max(bounds["post"][0], 2 * i + s + d),
                min(bounds["post"][1], 5 * i + 5 * s + 4 * d),
            )
            if pre[0] > pre[1] or post[0] > post[1]:
                continue
            low = max(post[0] - pre[1], change[0], i - 4 * d)
            high = min(post[1] - pre[0], change[1], 4 * i - d)
            if low <= high:
                for k, v in enumerate((i, s, d)):
                    possible[k].add(v)
    for k, is_hidden in enumerate(hidden):
        if is_hidden:
            assert len(possible[k]) >= 2, (seen, k, possible)


def assert_means_keep_hidden_counts(markdown: str, summary: ModuleSummary, min_size: int) -> None:
    """A rating distribution's hidden counts do not follow from the item's shown mean."""
    shown_means: dict[tuple[str, str], tuple[Fraction, int]] = {}
    mean_cell = re.compile(r"(\d\.\d\d) \(n = (\d+)\)")
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        for item in summary.changes:
            if len(cells) == 8 and cells[0] == item.label:
                for phase, text in (("pre", cells[1]), ("post", cells[2])):
                    if m := mean_cell.fullmatch(text):
                        shown_means[(item.label, phase)] = (_fraction(m[1]), int(m[2]))
        if len(cells) == 3 and (m := mean_cell.fullmatch(cells[2])):
            shown_means[(cells[0], cells[1])] = (_fraction(m[1]), int(m[2]))
    table = markdown.split("## Rating distributions")[1].split("\n## ")[0]
    for line in table.splitlines()[4:]:
        if not line.startswith("| "):
            continue
        label, phase, *levels, answered, _skipped = (
            c.strip() for c in line.strip("|").split(" | ")
        )
        if (label, phase) not in shown_means:
            continue
        mean, n = shown_means[(label, phase)]
        assert n == int(answered)
        marked = any(t.startswith("<") for t in levels)
        hidden = [k for k, t in enumerate(levels) if not t.isdigit()]
        if not hidden:
            continue
        rest = n - sum(int(t) for t in levels if t.isdigit())
        known = sum((k + 1) * int(t) for k, t in enumerate(levels) if t.isdigit())
        lo, hi = _totals(mean, n, n, 5 * n)
        ranges = [
            range(0, min_size)
            if levels[k].startswith("<")
            else range(min_size, rest + 1)
            if marked
            else range(0, rest + 1)
            for k in hidden
        ]
        possible: list[set[int]] = [set() for _ in hidden]
        for values in itertools.product(*ranges):
            total = known + sum((k + 1) * v for k, v in zip(hidden, values, strict=True))
            if sum(values) == rest and lo <= total <= hi:
                for j, v in enumerate(values):
                    possible[j].add(v)
        assert all(len(p) >= 2 for p in possible), (line, mean, possible)


def assert_tables_keep_hidden_counts(markdown: str, min_size: int) -> None:
    """Breakdown tables with a total: no hidden count follows from the others."""
    for table in markdown.split("\n## ")[1:]:
        lines = [line for line in table.splitlines() if line.startswith("| ")]
        total = next((line for line in lines if line.startswith("| **Total answering** |")), None)
        if total is None:
            continue
        n = int(total.strip("|").split("|")[1])
        if n == 0:
            continue  # nobody answered: no group to protect
        texts = [line.strip("|").split(" | ")[1].strip() for line in lines[1:] if line != total]
        texts = [t for t in texts if t != "---|---"]
        marked = any(t.startswith("<") for t in texts)
        known = [int(t.split()[0]) for t in texts if t[0].isdigit()]
        ranges = [
            (0, min_size - 1) if t.startswith("<") else (min_size, n) if marked else (0, n)
            for t in texts
            if not t[0].isdigit()
        ]
        rest = n - sum(known)
        for k, (lo, hi) in enumerate(ranges):
            others = [r for j, r in enumerate(ranges) if j != k]
            fits = [
                v
                for v in range(lo, hi + 1)
                if sum(r[0] for r in others) <= rest - v <= sum(r[1] for r in others)
            ]
            assert len(fits) >= 2 or not ranges, (table, k, fits)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(person_strategy, max_size=7),
    st.lists(person_strategy, max_size=7),
    st.booleans(),
)
def test_no_output_reveals_a_suppressed_count(
    first: list[dict[str, str]], second: list[dict[str, str]], whole_module: bool
) -> None:
    if not first and not second:
        return
    with tempfile.TemporaryDirectory() as folder:
        config_path = config_at(Path(folder), "t", SITES)
        config = load_config(config_path)
        rows = [
            [f"{cohort}{i}", cohort, key.split(".")[0], key.split(".")[1], value, ""]
            for cohort, people in (("RS-P", first), ("RS-Q", second))
            for i, answers in enumerate(people)
            for key, value in answers.items()
        ]
        plan = parse_answers(_csv(rows), config)
        assert not plan.problems, plan.problems
        asyncio.run(write_answers(config, plan.answers))
        scope = resolve_scope(
            config,
            module="risk-support" if whole_module else None,
            cohort=None if whole_module else "RS-P",
        )
        if not whole_module and not first:
            return
        summary = compute_summary(config, scope)
        module = config.modules["risk-support"]
        telegram = "\n".join(split_message(render_telegram(summary)))
        markdown = render_markdown(summary)
        book = load_workbook(
            io.BytesIO(
                xlsx_bytes(load_long(config.bot.database, module, scope.codes), module, summary)
            ),
            read_only=True,
        )
        sheet = [tuple(r) for r in book["summary"].iter_rows(min_row=2, values_only=True)]
        views = [
            seen_in_telegram(telegram, summary),
            seen_in_markdown(markdown, summary),
            seen_in_sheet(sheet, summary),
        ]
        html = html_output(summary)
        if html is not None:  # pragma: no cover
            assert_html_keeps_tests_hidden(html, summary)
        for view in views:
            for seen in view:
                assert_nothing_recoverable(seen, summary.min_cell_size)
        assert_tables_keep_hidden_counts(markdown, summary.min_cell_size)
        assert_means_keep_hidden_counts(markdown, summary, summary.min_cell_size)
        for text in (telegram, markdown):
            assert "≥" not in text and "withheld" not in text
            if summary.comments_hidden:
                assert "Useful" not in text and "Too long" not in text
