"""Property tests: the disclosure policy is safe and useful in every output, for any cohort.

Random cohorts of 1 to 300 people (skips, ties, everyone answering alike, lopsided groups,
several sites) are imported into a real database and reported. Each output is then read
as a reader would read it: the Telegram message, report.md, report.html, the XLSX
summary sheet and the charts. Two halves must hold:

(a) safety: no count of 1 to min_cell_size − 1 is shown, and none can be worked out from
    what is shown: by subtraction, from a percentage, or from a mean (or mean change)
    together with the shown counts. The interval, p and effect size are released on
    purpose from min_pairs_for_tests pairs and are not used as clues (the policy says so).
(b) utility: every figure the policy allows is present in every output, equal to a
    reference computed here from the raw answers (with scipy and the standard library,
    not with the analysis package).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from output_readers import (
    EXPECTATIONS,
    ITEMS,
    POST_ONLY,
    PROFILES,
    Parts,
    Seen,
    fmt2,
    read_charts,
    read_html,
    read_markdown,
    read_sheet,
    read_telegram,
    round_half_up,
    signed,
)
from scipy import stats

from analysis.disclosure import breakdown
from analysis.exports import csv_bytes, load_long, xlsx_bytes
from analysis.figures import Counts
from analysis.findings import headline_findings
from analysis.importer import parse_answers, write_answers
from analysis.released import ModuleSummary
from analysis.render_html import render_html
from analysis.render_markdown import render_markdown
from analysis.render_telegram import render_telegram, split_message
from analysis.rounding import percent
from analysis.scope import resolve_scope
from analysis.summary import compute_summary
from core.config import Config, load_config
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


@given(counts_strategy, st.integers(1, 5))
def test_breakdown_keeps_every_option_once(counts: list[int], min_size: int) -> None:
    labels = tuple(str(i) for i in range(len(counts)))
    result = breakdown(Counts("q", "Q", labels, tuple(counts)), min_size)
    assert result.n == sum(counts)
    if result.left_out:
        return
    assert sorted(label for p in result.parts for label in p.labels) == sorted(labels)
    assert sum(p.count for p in result.parts) == sum(counts)


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


# Three one-day cohorts (09:30–16:30 UTC) at two sites; the first alone for the round trip.
DAY = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SITES = [
    CohortSpec("RS-P", DAY, DAY + timedelta(hours=7), site="London"),
    CohortSpec("RS-Q", DAY + timedelta(days=1), DAY + timedelta(days=1, hours=7), site="Leeds"),
    CohortSpec("RS-R", DAY + timedelta(days=2), DAY + timedelta(days=2, hours=7), site="Leeds"),
]


def config_at(folder: Path, name: str, cohorts: list[CohortSpec], min_cell_size: int = 3) -> Path:
    """A config whose database is ``folder/name.db``, written by the kit's one writer."""
    path = folder / f"{name}.toml"
    toml = config_toml(
        cohorts,
        analysis={"min_cell_size": min_cell_size, "min_pairs_for_tests": 10},
        database=folder / f"{name}.db",
    )
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


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value", "answered_at"])
    writer.writerows(rows)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# Random cohorts, from a recipe Hypothesis draws and shrinks: size, style and a seed.

TESTS_FROM = 10  # min_pairs_for_tests, as config_at writes it


@dataclass(frozen=True)
class Recipe:
    size: int  # people in all (1–300), spread over the cohorts
    cohorts: int  # 1–3 (RS-P in London; RS-Q, RS-R in Leeds)
    whole_module: bool  # report the module (every cohort) rather than RS-P alone
    style: str
    skip: float  # chance of skipping an optional question
    post_rate: float  # chance of answering after the module
    min_cell_size: int
    seed: int


recipes = st.builds(
    Recipe,
    size=st.one_of(st.integers(1, 15), st.integers(16, 60), st.integers(61, 300)),
    cohorts=st.integers(1, 3),
    whole_module=st.booleans(),
    style=st.sampled_from(["random", "all-same", "ties", "lopsided", "improve", "decline"]),
    skip=st.sampled_from([0.0, 0.1, 0.5]),
    post_rate=st.sampled_from([1.0, 0.8, 0.3]),
    min_cell_size=st.sampled_from([3, 3, 5]),
    seed=st.integers(0, 2**32 - 1),
)


def _choice(rng: np.random.Generator, options: Sequence[str], lopsided: bool) -> str:
    if lopsided:
        weights = np.array([40.0] + [1.0] * (len(options) - 1))
        rng.shuffle(weights)
        return str(rng.choice(options, p=weights / weights.sum()))
    return str(rng.choice(options))


def answers_of(recipe: Recipe) -> list[list[str]]:
    """The raw answers, as rows of an import file."""
    rng = np.random.default_rng(recipe.seed)
    lopsided = recipe.style == "lopsided"
    same = {q: str(rng.integers(1, 6)) for q in (*ITEMS, *POST_ONLY)}
    codes = [c.code for c in SITES[: recipe.cohorts]]
    rows = []
    for i in range(recipe.size):
        cohort = codes[i % len(codes)] if not lopsided else codes[0] if i % 7 else codes[-1]
        person = f"{cohort}-{i}"
        answer_pre = rng.random() < 0.9
        answer_post = rng.random() < recipe.post_rate or not answer_pre
        profile_phase = "pre" if answer_pre else "post"
        for question, (_, options) in PROFILES.items():
            rows.append([person, cohort, profile_phase, question, _choice(rng, options, lopsided)])

        def rating(question: str, base: int | None = None) -> str:
            if rng.random() < recipe.skip:
                return ""
            if recipe.style == "all-same":
                return same[question]
            if base is not None and recipe.style in ("ties", "improve", "decline"):
                step = {"ties": 0, "improve": int(rng.integers(0, 3)), "decline": -1}
                return str(min(5, max(1, base + step[recipe.style])))
            return str(rng.integers(1, 6))

        before: dict[str, int] = {}
        for question in ITEMS:
            if answer_pre:
                value = rating(question)
                rows.append([person, cohort, "pre", question, value])
                before[question] = int(value) if value else int(rng.integers(1, 6))
            if answer_post:
                value = rating(question, before.get(question, int(rng.integers(1, 6))))
                rows.append([person, cohort, "post", question, value])
        if answer_post:
            rows.append(
                [person, cohort, "post", "met_expectations", _choice(rng, EXPECTATIONS, lopsided)]
            )
            for question in POST_ONLY:
                rows.append([person, cohort, "post", question, rating(question)])
            if rng.random() < 0.2:
                rows.append([person, cohort, "post", "comment", f"Comment {i}"])
    return [[*row, ""] for row in rows]


# ---------------------------------------------------------------------------------------
# The reference: every figure the policy allows, computed here from the raw answers.


def floats(value: float) -> set[str]:
    """A float's printed forms: both, if it lies within rounding noise of a half."""
    return {signed(value - 1e-9), signed(value + 1e-9)}


def share(count: int, n: int) -> int:
    return int(round_half_up(Fraction(100 * count, n), 0))


@dataclass
class Truth:
    """The scope's answers as the reference reads them."""

    m: int
    participants: int
    ratings: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (q, phase)
    pairs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question → options
    counts: dict[str, list[int]] = field(default_factory=dict)  # question → per option
    # "cohort" or "site" → row name → participants, pre, post, pairs, yes, answering
    groups: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def small(self, count: int) -> bool:
        return 1 <= count < self.m

    def direction(self, question: str) -> list[int]:
        diffs = [b - a for a, b in self.pairs[question]]
        return [sum(d > 0 for d in diffs), sum(d == 0 for d in diffs), sum(d < 0 for d in diffs)]


def truth_of(rows: list[list[str]], codes: Sequence[str], m: int) -> Truth:
    kept = [r for r in rows if r[1] in codes]
    people = sorted({r[0] for r in kept})
    truth = Truth(m, len(people))
    answers = {(r[0], r[2], r[3]): r[4] for r in kept}
    for question in (*ITEMS, *POST_ONLY):
        for phase in ("pre", "post"):
            values = [
                int(v) for (p, ph, q), v in answers.items() if q == question and ph == phase and v
            ]
            truth.ratings[(question, phase)] = values
    for question in ITEMS:
        truth.pairs[question] = [
            (int(answers[(p, "pre", question)]), int(answers[(p, "post", question)]))
            for p in people
            if answers.get((p, "pre", question)) and answers.get((p, "post", question))
        ]
    for question, (_, options) in PROFILES.items():
        values = [v for (p, ph, q), v in answers.items() if q == question and v]
        truth.choices[question] = options
        truth.counts[question] = [values.count(o) for o in options]
    values = [v for (p, ph, q), v in answers.items() if q == "met_expectations" and v]
    truth.choices["met_expectations"] = EXPECTATIONS
    truth.counts["met_expectations"] = [values.count(o) for o in EXPECTATIONS]
    site_of = {c.code: c.site for c in SITES}
    cohort_of = {r[0]: r[1] for r in kept}
    responded = {
        phase: {p for (p, ph, q), v in answers.items() if ph == phase and v}
        for phase in ("pre", "post")
    }
    for by, name_of in (("cohort", lambda c: c), ("site", site_of.__getitem__)):
        names = list(dict.fromkeys(name_of(c) for c in codes))
        table = {name: [0] * 6 for name in names}
        for person in people:
            row = table[name_of(cohort_of[person])]
            row[0] += 1
            row[1] += person in responded["pre"]
            row[2] += person in responded["post"]
            row[3] += person in responded["pre"] and person in responded["post"]
            answer = answers.get((person, "post", "met_expectations"))
            row[4] += answer == "Yes"
            row[5] += bool(answer)
        truth.groups[by] = table
    return truth


def paired_reference(pairs: list[tuple[int, int]]) -> dict[str, set[str] | str | None]:
    """Mean change, interval, p and r of matched pairs, from scipy and the definitions."""
    diff = np.array([b - a for a, b in pairs], dtype=float)
    n = len(diff)
    mean = Fraction(int(diff.sum()), n)
    if np.all(diff == diff[0]):
        low = high = float(mean)
    else:
        half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n)
        low, high = float(diff.mean() - half), float(diff.mean() + half)
    nonzero = diff[diff != 0]
    r = None
    if len(nonzero):
        ranks = stats.rankdata(np.abs(nonzero))
        plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
        r = floats(float((plus - minus) / (plus + minus)))
    return {"change": signed(mean), "low": floats(low), "high": floats(high), "r": r}


# ---------------------------------------------------------------------------------------
# The checks.


def _merged_values(total: int, k: int) -> int:
    """How many values one option of a merged part can take: options of at least 1, at
    least one of them small; so from 1 to total − (k − 1)."""
    return max(0, total - (k - 1))


def check_breakdown(
    seen: Seen,
    key: str,
    parts: Parts,
    true: list[int],
    options: Sequence[str],
    m: int,
    *,
    bands: bool = False,
) -> None:
    """Shown counts are right, none is small, nor is the rest of one; a merged part (of
    options, not of neighbouring ratings, which check_ratings reads with the mean) keeps
    its small options unknown."""
    where = (seen.name, key)
    n = sum(true)
    if parts is None:
        return  # left out: only n is shown
    assert sorted(x for labels, _ in parts for x in labels) == sorted(options), where
    for labels, count in parts:
        real = sum(true[options.index(x)] for x in labels)
        if count >= 0:  # -1: a share whose count the reader works out below
            assert count == real, (where, labels, count, real)
        assert not 1 <= real < m, (where, labels, real)  # never a small count
        assert not 1 <= n - real < m, (where, labels, "its rest is small")
        if len(labels) > 1 and not bands:
            assert all(true[options.index(x)] > 0 for x in labels), where  # zero alone
            assert _merged_values(real, len(labels)) >= 2, (where, labels, real)


def check_direction(seen: Seen, question: str, truth: Truth) -> None:
    parts = seen.breakdowns.get(question)
    if parts is None:
        return
    true = truth.direction(question)
    directions = ("improved", "same", "declined")
    check_breakdown(seen, question, parts, true, directions, truth.m)
    merged = [labels for labels, _ in parts if len(labels) > 1]
    if not merged:
        return
    n = sum(true)
    known = {labels[0]: count for labels, count in parts if len(labels) == 1}
    together = next(count for labels, count in parts if len(labels) > 1)
    # The pairs' totals before and after, from each phase's shown mean and n.
    bounds = {"pre": (n, 5 * n), "post": (n, 5 * n)}
    for phase in bounds:
        if (question, phase) in seen.means:
            text, count = seen.means[(question, phase)]
            fits = [t for t in range(count, 5 * count + 1) if fmt2(Fraction(t, count)) == text]
            bounds[phase] = (max(n, fits[0] - 5 * (count - n)), min(5 * n, fits[-1] - (count - n)))
    change = (-4 * n, 4 * n)
    if question in seen.changes:
        fits = [
            t for t in range(-4 * n, 4 * n + 1) if signed(Fraction(t, n)) == seen.changes[question]
        ]
        change = (fits[0], fits[-1])
    for table in seen.row_changes.get(question, []):
        rest = n - sum(k for _, k in table)
        lo = hi = 0
        for text, k in table:
            fits = [t for t in range(-4 * k, 4 * k + 1) if signed(Fraction(t, k)) == text]
            lo, hi = lo + fits[0], hi + fits[-1]
        change = (max(change[0], lo - 4 * rest), min(change[1], hi + 4 * rest))
    possible: dict[str, set[int]] = {d: set() for d in merged[0]}
    for a in range(1, together):
        values = dict(known)
        values[merged[0][0]], values[merged[0][1]] = a, together - a
        if not any(1 <= values[d] < truth.m for d in merged[0]):
            continue
        i, s, d = (values[x] for x in directions)
        pre = (max(bounds["pre"][0], i + s + 2 * d), min(bounds["pre"][1], 4 * i + 5 * s + 5 * d))
        post = (
            max(bounds["post"][0], 2 * i + s + d),
            min(bounds["post"][1], 5 * i + 5 * s + 4 * d),
        )
        if pre[0] > pre[1] or post[0] > post[1]:
            continue
        if max(post[0] - pre[1], change[0], i - 4 * d) <= min(
            post[1] - pre[0], change[1], 4 * i - d
        ):
            for x in merged[0]:
                possible[x].add(values[x])
    for x in merged[0]:
        if truth.small(true[directions.index(x)]):
            assert len(possible[x]) >= 2, (seen.name, question, parts, possible)


def check_ratings(seen: Seen, key: tuple[str, str], truth: Truth) -> None:
    parts = seen.ratings[key]
    true_values = truth.ratings[key]
    true = [true_values.count(k) for k in range(1, 6)]
    levels = tuple(str(k) for k in range(1, 6))
    check_breakdown(seen, f"ratings {key}", parts, true, levels, truth.m, bands=True)
    if parts is None:
        return
    n = len(true_values)
    # What the shown mean says of the ratings' sum, by brute force over each merged band.
    lo, hi = n, 5 * n
    if key in seen.means:
        text, count = seen.means[key]
        fits = [t for t in range(n, 5 * n + 1) if fmt2(Fraction(t, n)) == text]
        lo, hi = fits[0], fits[-1]
    size = 5 * n + 1
    bands = [tuple(int(x) for x in labels) for labels, _ in parts]
    counts = [c for _, c in parts]

    def spread(levels: Sequence[int], units: int) -> list[np.ndarray]:
        """For 0…units answers over `levels`: which sums of ratings they can reach."""
        sums = np.zeros(size, dtype=bool)
        sums[0] = True
        found = [sums]
        for _ in range(units):
            step = np.zeros(size, dtype=bool)
            for w in levels:
                step[w:] |= sums[: size - w]
            sums = step
            found.append(sums)
        return found

    reach = [spread(band, count)[-1] for band, count in zip(bands, counts, strict=True)]
    for j, (band, count) in enumerate(zip(bands, counts, strict=True)):
        if len(band) == 1:
            continue
        others = np.zeros(size, dtype=np.int64)
        others[0] = 1
        for k, sums in enumerate(reach):
            if k != j:
                others = (np.convolve(others, sums.astype(np.int64))[:size] > 0).astype(np.int64)
        prefix = np.concatenate([[0], np.cumsum(others)])  # sums of the other bands, counted
        for level in band:
            if not truth.small(true[level - 1]):
                continue
            rest = spread([w for w in band if w != level], count)
            values = set()
            for v in range(count + 1):
                for s in np.flatnonzero(rest[count - v]):
                    a = max(0, lo - level * v - s)
                    b = min(size - 1, hi - level * v - s)
                    if a <= b and prefix[b + 1] - prefix[a] > 0:
                        values.add(v)
                        break
                if len(values) >= 2:
                    break
            assert len(values) >= 2, (seen.name, key, parts, level)


def check_utility(seen: Seen, truth: Truth) -> None:
    """Every figure the policy allows is present, equal to the reference."""
    m = truth.m
    where = seen.name
    for (question, phase), values in truth.ratings.items():
        if len(values) >= m and (question in ITEMS or phase == "post"):
            expected = fmt2(Fraction(sum(values), len(values)))
            assert seen.means.get((question, phase)) == (expected, len(values)), (
                where,
                question,
                phase,
                expected,
            )
        else:
            assert (question, phase) not in seen.means, (where, question, phase)
    for question, pairs in truth.pairs.items():
        if len(pairs) < m:
            assert question not in seen.changes, (where, question)
            continue
        reference = paired_reference(pairs)
        assert seen.changes.get(question) == reference["change"], (where, question)
        if len(pairs) < max(TESTS_FROM, m):
            assert question not in seen.tested, (where, question, len(pairs))
            continue
        if seen.name != "charts":
            low, high = seen.intervals[question]
            assert low in reference["low"] and high in reference["high"], (where, question)
        if reference["r"] is not None:
            assert seen.effects.get(question) in reference["r"], (where, question)
    yes, *rest = truth.counts["met_expectations"]
    n = yes + sum(rest)
    if n >= m and not truth.small(yes) and not truth.small(n - yes):
        assert seen.yes_share == share(yes, n), (where, "met expectations")


def check_groups(seen: Seen, truth: Truth) -> None:
    """Cohorts and sites side by side: no small count, by subtraction neither."""
    for heads, rows in seen.tables:
        table = truth.groups[heads[0].lower()]
        names = [row[0] for row in rows]
        assert names == list(table), (seen.name, names)
        for column, index in (("Participants", 0), ("Pre", 1), ("Post", 2), ("Pairs", 3)):
            cells = [row[heads.index(column)] for row in rows]
            hidden = [
                table[n][index] for n, c in zip(names, cells, strict=True) if c == "not shown"
            ]
            for name, cell in zip(names, cells, strict=True):
                if cell != "not shown":
                    assert int(cell) == table[name][index] and not truth.small(int(cell))
            if len(hidden) < len(cells):  # all hidden: their sum is the total, shown anyway
                assert len(hidden) != 1 and not truth.small(sum(hidden)), (seen.name, column)
        if "Met expectations" not in heads:
            continue
        cells = [row[heads.index("Met expectations")] for row in rows]
        hidden = [n for n, c in zip(names, cells, strict=True) if c == "not shown"]
        for name, cell in zip(names, cells, strict=True):
            _, _, _, _, yes, answering = table[name]
            if cell != "not shown":
                assert cell == f"{share(yes, answering)}% (n = {answering})", (seen.name, cell)
                assert not truth.small(yes) and not truth.small(answering - yes)
        if hidden and len(hidden) < len(names):
            yes = sum(table[n][4] for n in hidden)
            rest = sum(table[n][5] - table[n][4] for n in hidden)
            assert not truth.small(yes) and not truth.small(rest), (seen.name, cells)


def check_across_tables(seen: Seen, truth: Truth) -> None:
    """A site's shown count less its shown cohorts' is what its hidden cohorts add up to:
    never a small count (nor is the module's total less the shown sites' and cohorts')."""
    found = {heads[0].lower(): (heads, rows) for heads, rows in seen.tables}
    if "site" not in found or "cohort" not in found:
        return
    site_of = {c.code: c.site for c in SITES}
    (site_heads, site_rows), (heads, rows) = found["site"], found["cohort"]
    for column, index in (("Participants", 0), ("Pre", 1), ("Post", 2), ("Pairs", 3)):
        shown_sites = {r[0] for r in site_rows if r[site_heads.index(column)] != "not shown"}
        hidden = {r[0] for r in rows if r[heads.index(column)] == "not shown"}
        codes = [r[0] for r in rows]
        groups = [[c for c in codes if site_of[c] == s] for s in shown_sites]
        groups.append([c for c in codes if site_of[c] not in shown_sites])
        for group in groups:
            inside = [c for c in group if c in hidden]
            if len(inside) == len(group):
                continue  # their sum is the group's own total, which its table protects
            total = sum(truth.groups["cohort"][c][index] for c in inside)
            assert not truth.small(total), (seen.name, column, inside, total)


def check_nothing_recoverable(seen: Seen, truth: Truth) -> None:
    m = truth.m
    check_groups(seen, truth)
    check_across_tables(seen, truth)
    for question, parts in seen.breakdowns.items():
        if question in ITEMS:
            check_direction(seen, question, truth)
        else:
            if parts is not None and question == "met_expectations":
                parts = [(labels, truth.counts[question][0] if c < 0 else c) for labels, c in parts]
            check_breakdown(
                seen, question, parts, truth.counts[question], truth.choices[question], m
            )
    for key in seen.ratings:
        check_ratings(seen, key, truth)
    if seen.yes_share is not None:
        yes, *rest = truth.counts["met_expectations"]
        assert not truth.small(yes) and not truth.small(sum(rest)), (seen.name, "share")
    for question in seen.tested:
        assert len(truth.pairs[question]) >= max(TESTS_FROM, m), (seen.name, question)


NUMBER = {1: "one", 2: "two", 3: "three"}
ALL = {2: "both items", 3: "all three items"}


def check_headline(summary: ModuleSummary, truth: Truth) -> None:
    """The headline's before/after sentence is grammatical, quotes the tables' means, and
    claims only the direction the tables show (for 0, 1, 2 or 3 items, any mix of ways)."""
    lines = headline_findings(summary)
    text = " ".join(lines)
    assert not re.search(r"\b(1|one) items\b|\ball (1|one|two|no) items?\b|\b0 items\b", text)
    shown = [
        q
        for q in ITEMS
        if len(truth.ratings[(q, "pre")]) >= truth.m and len(truth.ratings[(q, "post")]) >= truth.m
    ]
    sentence = next((line for line in lines if "average rating" in line.lower()), None)
    if not shown:
        assert sentence is None, sentence
        return
    assert sentence is not None, lines
    named, ways, gaps = {}, {}, {}
    for question in shown:
        pre_values, post_values = (
            truth.ratings[(question, "pre")],
            truth.ratings[(question, "post")],
        )
        pre = fmt2(Fraction(sum(pre_values), len(pre_values)))
        post = fmt2(Fraction(sum(post_values), len(post_values)))
        label = ITEMS[question]
        named[question] = f"{label[:1].lower() + label[1:]} ({pre} → {post})"
        way = (Decimal(post) > Decimal(pre)) - (Decimal(post) < Decimal(pre))
        gaps[question] = abs(Decimal(post) - Decimal(pre))
        pairs = truth.pairs[question]
        if len(pairs) >= truth.m:
            change = Fraction(sum(b - a for a, b in pairs), len(pairs))
            rounded = round_half_up(change)
            if ((rounded > 0) - (rounded < 0)) != way:
                ways[question] = "split"
                continue
        ways[question] = {1: "rose", -1: "fell", 0: "same"}[way]
    every = set(ways.values())
    if len(shown) == 1:
        (question,) = shown
        ending = {
            "rose": "rose from before to after.",
            "fell": "fell from before to after.",
            "same": "was the same before and after.",
            "split": "went one way for everyone and another for those who answered both times.",
        }[ways[question]]
        assert sentence == f"The average rating of {named[question]} {ending}", sentence
    elif every in ({"rose"}, {"fell"}):
        verb = every.pop()
        opening = f"Average ratings {verb} from before to after on {ALL[len(shown)]}"
        top = max(gaps.values())
        tops = [named[q] for q in shown if gaps[q] == top]  # every item tied for the most
        most = tops[0] if len(tops) == 1 else ", ".join(tops[:-1]) + " and " + tops[-1]
        assert sentence == f"{opening}, most in {most}.", sentence
    elif every == {"same"}:
        assert sentence == f"Average ratings were the same before and after on {ALL[len(shown)]}."
    else:
        assert sentence.startswith(f"Of the {NUMBER[len(shown)]} items, average ratings ")
        for way, words in (
            ("rose", "rose on"),
            ("fell", "fell on"),
            ("same", "stayed the same on"),
            ("split", "another for those who answered both times on"),
        ):
            group = [q for q in shown if ways[q] == way]
            if group:
                listed = "; ".join(named[q] for q in group)
                assert f"{words} {NUMBER[len(group)]} ({listed})" in sentence, (sentence, way)
            else:
                assert f"{words} " not in sentence, (sentence, way)


def _reports(summary: ModuleSummary, config: Config, scope_codes: Sequence[str]) -> list[Seen]:
    module = config.modules["risk-support"]
    long = load_long(config.bot.database, module, scope_codes)
    book = load_workbook(io.BytesIO(xlsx_bytes(long.iloc[:0], module, summary)), read_only=True)
    sheet = [tuple(r) for r in book["summary"].iter_rows(min_row=2, values_only=True)]
    return [
        read_telegram(render_telegram(summary)),
        read_markdown(render_markdown(summary)),
        read_html(render_html(summary, [])),
        read_sheet(sheet),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes)
def test_every_output_is_safe_and_shows_every_figure_the_policy_allows(recipe: Recipe) -> None:
    rows = answers_of(recipe)
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(config_at(Path(folder), "t", SITES, recipe.min_cell_size))
        plan = parse_answers(_csv(rows), config)
        assert not plan.problems, plan.problems[:3]
        asyncio.run(write_answers(config, plan.answers))
        whole = recipe.whole_module and recipe.cohorts > 1
        scope = resolve_scope(
            config, module="risk-support" if whole else None, cohort=None if whole else "RS-P"
        )
        summary = compute_summary(config, scope)
        truth = truth_of(rows, scope.codes, recipe.min_cell_size)
        assert summary.participants == truth.participants
        seen = _reports(summary, config, scope.codes)
        for view in seen:
            check_nothing_recoverable(view, truth)
            check_utility(view, truth)
        charts = read_charts(summary)
        check_nothing_recoverable(charts, truth)
        check_headline(summary, truth)
