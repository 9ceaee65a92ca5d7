"""Readers of the summary's outputs, for the property tests: each output read as a reader
would read it (the Telegram message, report.md, report.html, the XLSX summary sheet, the
charts), into one shape, `Seen`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from html import unescape

from matplotlib.patches import Rectangle

from analysis.charts import chart_set
from analysis.released import ModuleSummary

# The built-in Risk Support questionnaire, as its reports name things.
ITEMS = {
    "conf_support": "Confidence supporting families in the risk support group",
    "conf_explain": "Confidence explaining risk support to a third party",
    "thrive_knowledge": "Knowledge of the THRIVE framework",
}
POST_ONLY = {"relevance": "Relevance to current practice", "new_info": "Information that was new"}
SECTORS = (
    "NHS mental health (CAMHS)",
    "Local authority / social care",
    "Education",
    "Voluntary / community sector",
    "Commissioning",
    "Other",
)
ROLES = ("Clinician", "Commissioner", "Senior leader / manager", "Youth worker", "School nurse")
ROLES += ("Other",)
EXPECTATIONS = ("Yes", "Partly", "No")
PROFILES = {"sector": ("Sector", SECTORS), "role": ("Role", ROLES)}

# How figures print: 2 decimals, halves away from zero (as Decimal rounds them).


def round_half_up(value: Fraction | float, places: int = 2) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        exact = Fraction(value)
        number = Decimal(exact.numerator) / Decimal(exact.denominator)
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt2(value: Fraction | float) -> str:
    text = str(round_half_up(value))
    return "0.00" if text == "-0.00" else text


def signed(value: Fraction | float) -> str:
    text = fmt2(value)
    return text if text == "0.00" else ("+" + text if not text.startswith("-") else "−" + text[1:])


# What each output shows, in one shape.

Parts = list[tuple[tuple[str, ...], int]] | None  # None: left out (only n is shown)


@dataclass
class Seen:
    """What one output shows."""

    name: str
    breakdowns: dict[str, Parts] = field(default_factory=dict)  # question → parts
    ratings: dict[tuple[str, str], Parts] = field(default_factory=dict)  # (q, phase)
    means: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    changes: dict[str, str] = field(default_factory=dict)  # q → "+0.58"
    intervals: dict[str, tuple[str, str]] = field(default_factory=dict)
    effects: dict[str, str] = field(default_factory=dict)
    tested: set[str] = field(default_factory=set)  # items showing any test figure
    yes_share: int | None = None
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)  # by cohort/site
    row_changes: dict[str, list[list[tuple[str, int]]]] = field(default_factory=dict)


QUESTION_OF = {label: q for q, label in {**ITEMS, **POST_ONLY}.items()}
WORDS = {"higher": "improved", "the same": "same", "lower": "declined"}
PART = re.compile(r"(.+?)(?: together:)? (\d+)(?: \((\d+)%\))?(?:, |\.?$)")


def labels_of(name: str, options: Sequence[str]) -> tuple[str, ...]:
    """A part's name back to its options: "Partly or No" → ("Partly", "No")."""
    if name in options:
        return (name,)
    found = tuple(o for o in options if re.search(rf"(^|, | or ){re.escape(o)}($|, | or )", name))
    assert found and " or ".join(found) in name.replace(", ", " or "), (name, options)
    return found


def _prose_parts(text: str, options: Sequence[str], words: dict[str, str] | None = None) -> Parts:
    """ "Yes 32 (78%), Partly or No together: 9 (22%)" → parts."""
    if "not shown separately" in text:
        return None
    parts = []
    for match in PART.finditer(text.strip()):
        name = match[1].strip()
        for word, option in (words or {}).items():
            name = re.sub(rf"(^|, | or ){re.escape(word)}(?=$|, | or )", rf"\g<1>{option}", name)
        parts.append((labels_of(name, options), int(match[2])))
    return parts


def _ratings_text(text: str) -> Parts:
    """ "1: 0, 2–3: 5, 4: 15, 5: 10" → parts."""
    if text.startswith("not shown"):
        return None
    parts = []
    for piece in text.split(", "):
        band, count = piece.split(": ")
        first, _, last = band.partition("–")
        levels = tuple(str(k) for k in range(int(first), int(last or first) + 1))
        parts.append((levels, int(count)))
    return parts


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split(" | ")]


def read_markdown(text: str) -> Seen:
    seen = Seen("report.md")
    sections = {s.split("\n", 1)[0]: s for s in text.split("\n## ")[1:]}
    if (found := re.search(r"(\d+)% of respondents stated", text)) is not None:
        seen.yes_share = int(found[1])
    for title, question in (
        ("Expectations", "met_expectations"),
        ("Participants by sector", "sector"),
        ("Participants by role", "role"),
    ):
        if title not in sections:
            continue
        options = {"met_expectations": EXPECTATIONS, **{q: o for q, (_, o) in PROFILES.items()}}[
            question
        ]
        rows = [_cells(line) for line in sections[title].splitlines() if line.startswith("| ")]
        rows = [r for r in rows[1:] if not r[0].startswith("**")]
        if rows and rows[0][1] == "not shown":
            seen.breakdowns[question] = None
            continue
        seen.breakdowns[question] = [
            (labels_of(label.removesuffix(" (together)"), options), int(value.split()[0]))
            for label, value in rows
        ]
    for line in sections.get("Relevance and new information", "").splitlines()[4:]:
        label, phase, mean = _cells(line)
        if m := re.fullmatch(r"(\d\.\d\d) \(n = (\d+)\)", mean):
            seen.means[(QUESTION_OF[label], phase)] = (m[1], int(m[2]))
    for line in sections.get("Before and after", "").splitlines():
        cells = _cells(line)
        if len(cells) != 8 or cells[0] not in QUESTION_OF:
            continue
        question = QUESTION_OF[cells[0]]
        _, pre, post, _pairs, change, p, r, direction = cells
        for phase, value in (("pre", pre), ("post", post)):
            if m := re.fullmatch(r"(\d\.\d\d) \(n = (\d+)\)", value):
                seen.means[(question, phase)] = (m[1], int(m[2]))
        if m := re.match(r"([+−]\d+\.\d\d|0\.00)( \((\S+) to (\S+)\))?", change):
            seen.changes[question] = m[1]
            if m[2]:
                seen.intervals[question] = (m[3], m[4])
        if r not in ("–", "too few responses"):
            seen.effects[question] = r
        if (
            (m and m[2])
            or p not in ("–", "too few responses")
            or r not in ("–", "too few responses")
        ):
            seen.tested.add(question)
        if direction != "–":
            seen.breakdowns[question] = _prose_parts(
                direction, ("improved", "same", "declined"), WORDS
            )
    for line in sections.get("Rating distributions", "").splitlines()[4:]:
        if line.startswith("| "):
            label, phase, text, _answered, _skipped = _cells(line)
            seen.ratings[(QUESTION_OF[label], phase)] = _ratings_text(text)
    for title, body in sections.items():
        if not title.startswith("By "):
            continue
        lines = [_cells(line) for line in body.splitlines() if line.startswith("| ")]
        heads = lines[0]
        seen.tables.append((heads, lines[1:]))
        for question, label in ITEMS.items():
            column = heads.index(f"Change: {label}")
            values = [
                (m[1], int(m[2]))
                for row in lines[1:]
                if (
                    m := re.fullmatch(
                        r"([+−]\d+\.\d\d|0\.00) \(n = (\d+)(?:; 95% CI \S+ to \S+)?\)",
                        row[column],
                    )
                )
            ]
            seen.row_changes.setdefault(question, []).append(values)
    return seen


def read_telegram(html: str) -> Seen:
    seen = Seen("telegram")
    text = unescape(re.sub(r"<[^>]+>", "", html))
    if (found := re.search(r"(\d+)% of respondents stated", text)) is not None:
        seen.yes_share = int(found[1])
    expectations = re.search(r"met their expectations \(n = \d+\)\.\n(.+)\n", text)
    if expectations and not expectations[1].startswith(("Relevance", "Before")):
        others = _prose_parts(expectations[1], EXPECTATIONS)
        shown = [(("Yes",), -1)] if seen.yes_share is not None else []
        seen.breakdowns["met_expectations"] = None if others is None else shown + others
    for label, question in QUESTION_OF.items():
        if m := re.search(rf"\n{re.escape(label)}: (\d\.\d\d) \(n = (\d+)\)\n", text):
            seen.means[(question, "post")] = (m[1], int(m[2]))
        bullet = re.search(
            rf"• {re.escape(label)}: (\S+|not shown|too few responses) → "
            rf"(\S+|not shown|too few responses) \(n = (\d+) pre, (\d+) post\)\n  (.*)\n",
            text,
        )
        if bullet:
            for phase, value, n in (("pre", bullet[1], bullet[3]), ("post", bullet[2], bullet[4])):
                if re.fullmatch(r"\d\.\d\d", value):
                    seen.means[(question, phase)] = (value, int(n))
            if both := re.search(r"over the \d+ who answered both times: (.*)\.$", bullet[5]):
                seen.breakdowns[question] = _prose_parts(
                    both[1], ("improved", "same", "declined"), WORDS
                )
        line = re.search(rf"\n{re.escape(label)}: \d+ matched pairs(.*)", text)
        if line:
            if m := re.match(r", mean change ([+−]\d+\.\d\d|0\.00)", line[1]):
                seen.changes[question] = m[1]
            if m := re.search(r"\(95% CI (\S+) to (\S+)\)", line[1]):
                seen.intervals[question] = (m[1], m[2])
            if m := re.search(r"r = (\S+)\.$", line[1]):
                seen.effects[question] = m[1]
            if re.search(r"95% CI|Wilcoxon|r = ", line[1]):
                seen.tested.add(question)
    for question, (title, options) in PROFILES.items():
        if m := re.search(rf"\nParticipants by {title.lower()} \(n = \d+\)\n(.+)\n", text):
            seen.breakdowns[question] = _prose_parts(m[1], options)
    for block in text.split("\nBy ")[1:]:
        for question, label in ITEMS.items():
            word = label[:1].lower() + label[1:]
            seen.row_changes.setdefault(question, []).append(
                [
                    (m[1], int(m[2]))
                    for m in re.finditer(
                        rf"change in {re.escape(word)} ([+−]\d+\.\d\d|0\.00) \(n = (\d+) pairs\)",
                        block.split("\n\n")[0],
                    )
                ]
            )
    return seen


def _rows(fragment: str) -> list[list[tuple[str, int]]]:
    """Table rows as (text, columns spanned) per cell."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", fragment, re.S):
        cells = re.findall(r"<t[hd]([^>]*)>(.*?)</t[hd]>", row, re.S)
        rows.append(
            [
                (
                    unescape(re.sub(r"<br>", " ", re.sub(r"<(?!br)[^>]+>", "", body))).strip(),
                    int(m[1]) if (m := re.search(r'colspan="(\d+)"', attrs)) else 1,
                )
                for attrs, body in cells
            ]
        )
    return rows


def read_html(html: str) -> Seen:
    seen = Seen("report.html")
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    if (found := re.search(r"(\d+)% of respondents stated", text)) is not None:
        seen.yes_share = int(found[1])
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    for table in tables:
        caption = re.search(r"<caption>(.*?)</caption>", table)[1]  # type: ignore[index]
        rows = _rows(table.split("</thead>")[1].split("<tfoot>")[0])
        question = {
            "Met expectations (after the module)": "met_expectations",
            "Participants by sector": "sector",
            "Participants by role": "role",
        }.get(caption)
        if question:
            options = EXPECTATIONS if question == "met_expectations" else PROFILES[question][1]
            if rows[0][1][0] == "not shown":
                seen.breakdowns[question] = None
            else:
                seen.breakdowns[question] = [
                    (labels_of(r[0][0].removesuffix(" (together)"), options), int(r[1][0]))
                    for r in rows
                ]
        elif caption.startswith("Mean ratings, 1 (low)"):
            for (label, _), (phase, _), (mean, _), (n, _) in rows:
                if re.fullmatch(r"\d\.\d\d", mean):
                    key = (QUESTION_OF[label], "pre" if phase == "before" else "post")
                    seen.means[key] = (mean, int(n))
        elif caption.startswith("Mean ratings before and after"):
            for (label, _), (pre, _), (post, _), (change, _) in rows:
                question = QUESTION_OF[label]
                for phase, value in (("pre", pre), ("post", post)):
                    if m := re.fullmatch(r"(\d\.\d\d) \((\d+)\)", value):
                        seen.means[(question, phase)] = (m[1], int(m[2]))
                if m := re.match(r"([+−]\d+\.\d\d|0\.00)(?: \((\S+) to (\S+)\))?", change):
                    seen.changes[question] = m[1]
                    if m[2]:
                        seen.intervals[question] = (m[2], m[3])
                        seen.tested.add(question)
        elif caption.startswith("Matched pairs: how many"):
            for (label, _), _pairs, (direction, _), (p, _), (r, _) in rows:
                question = QUESTION_OF[label]
                if r not in ("–", "too few responses"):
                    seen.effects[question] = r
                if p not in ("–", "too few responses") or r not in ("–", "too few responses"):
                    seen.tested.add(question)
                if direction != "–":
                    seen.breakdowns[question] = _prose_parts(
                        direction, ("improved", "same", "declined"), WORDS
                    )
        elif caption.startswith("Answers per rating"):
            for row in rows:
                label, phase = row[0][0], "pre" if row[1][0] == "before" else "post"
                if row[2][0] == "not shown":
                    seen.ratings[(QUESTION_OF[label], phase)] = None
                    continue
                parts, level = [], 1
                for value, span in row[2:-2]:
                    levels = tuple(str(k) for k in range(level, level + span))
                    parts.append((levels, int(value.split()[0])))
                    level += span
                seen.ratings[(QUESTION_OF[label], phase)] = parts
        elif "mean change from before to after" in caption:
            heads = [unescape(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)]
            for question, label in ITEMS.items():
                column = heads.index(label)
                seen.row_changes.setdefault(question, []).append(
                    [
                        (m[1], int(m[2]))
                        for row in rows
                        if (
                            m := re.fullmatch(
                                r"([+−]\d+\.\d\d|0\.00) \((\d+)\)(?: \(\S+ to \S+\))?",
                                row[column][0],
                            )
                        )
                    ]
                )
    return seen


def read_sheet(rows: list[tuple]) -> Seen:
    seen = Seen("summary sheet")
    parts: dict[str, dict[str, tuple[tuple[str, ...], int] | None]] = {}
    for section, item, group, phase, statistic, value, percent_, n, note in rows:
        question = QUESTION_OF.get(item, {"Met expectations": "met_expectations"}.get(item))
        question = question or {"Sector": "sector", "Role": "role"}.get(item)
        if section == "expectations" and group == "Yes" and value is not None:
            seen.yes_share = percent_
        if statistic == "count" and section in (
            "expectations",
            "participants",
            "before and after",
            "rating distribution",
        ):
            key = question if section != "rating distribution" else f"{question}|{phase}"
            found = parts.setdefault(key, {})
            if note and note.startswith("not shown"):
                found[group] = None
            elif value is not None and not note:
                found[group] = ((group,), value)
            elif value is not None:  # a merged part, its name in "group"
                found[group] = (tuple(re.split(r", | or |–", group)), value)
        if section in ("means", "before and after") and statistic == "mean" and value is not None:
            seen.means[(question, phase)] = (f"{value:.2f}", n)
        if section == "before and after" and value is not None:
            if statistic == "mean change":
                seen.changes[question] = signed(Fraction(str(value)))
            elif statistic in ("95% CI low", "95% CI high", "Wilcoxon p", "rank-biserial r"):
                seen.tested.add(question)
                if statistic.startswith("95% CI"):
                    low, high = seen.intervals.get(question, ("", ""))
                    value_text = signed(Fraction(str(value)))
                    seen.intervals[question] = (
                        (value_text, high) if statistic.endswith("low") else (low, value_text)
                    )
                if statistic == "rank-biserial r":
                    seen.effects[question] = signed(Fraction(str(value)))
        if section.startswith("by ") and statistic.startswith("mean change "):
            question = QUESTION_OF[statistic.removeprefix("mean change ")]
            tables = seen.row_changes.setdefault(question, [])
            if not tables or tables[-1][0] != section:  # type: ignore[comparison-overlap]
                tables.append([section])  # type: ignore[list-item]
            if value is not None:
                tables[-1].append((signed(Fraction(str(value))), n))
    for question, tables in seen.row_changes.items():
        seen.row_changes[question] = [t[1:] for t in tables]
    for key, found in parts.items():
        shown = list(found.values())
        value = None if any(v is None for v in shown) else [v for v in shown if v is not None]
        if "|" in key:
            question, phase = key.split("|")
            if value is not None:
                value = [(tuple(str(k) for k in _band(labels)), c) for labels, c in value]
            seen.ratings[(question, phase)] = value
        else:
            seen.breakdowns[key] = value
    return seen


def _band(labels: tuple[str, ...]) -> range:
    return range(int(labels[0]), int(labels[-1]) + 1)


def read_charts(summary: ModuleSummary) -> Seen:
    """What the charts draw of each breakdown: a bar per part, named by its label."""
    seen = Seen("charts")
    for chart in chart_set(summary):
        question = chart.name.removeprefix("by-")
        if question not in PROFILES:
            continue
        options = PROFILES[question][1]
        ax = chart.figure.axes[0]
        texts = [t.get_text().replace("\n", " ") for t in ax.texts]
        if any("not shown separately" in t for t in texts):
            assert not [p for p in ax.patches if isinstance(p, Rectangle)]
            seen.breakdowns[question] = None
            continue
        bars = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: p.get_y())
        names = [t for t in texts if not re.fullmatch(r"\d+( \(\d+%\))?", t)]
        seen.breakdowns[question] = [
            (labels_of(name.removesuffix(" (together)"), options), round(bar.get_width()))
            for name, bar in zip(names, bars, strict=True)
        ]
    return seen
