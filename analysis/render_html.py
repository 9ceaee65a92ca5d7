"""Render a summary as one self-contained HTML evaluation report (pure: summary + charts → str).

The file makes no requests: its CSS is inline and its charts are inline SVG. It reads
like a written evaluation report: headline findings in plain language first, then the
figures in real tables, then the method. Statistics stay in the tables and the method.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from analysis import over_time, phrases
from analysis.findings import follow_up_findings, headline_findings
from analysis.released import (
    Breakdown,
    Comparison,
    ComparisonRow,
    FollowUpSummary,
    ItemChange,
    Mean,
    ModuleSummary,
)
from analysis.report_style import CSS
from analysis.rounding import fmt_mean, fmt_signed, percent

if TYPE_CHECKING:
    from analysis.charts import Chart


@dataclass(frozen=True)
class EmbeddedChart:
    """A chart as the report embeds it: file stem, text alternative, SVG markup.

    `paper` is the same chart laid out for A4's width, printed instead of the phone
    layout where a chart spans the page; None: the phone layout serves both.
    """

    name: str
    alt: str
    svg: str
    paper: str | None = None


# Charts that span the printed page get a layout drawn for it; the others print beside
# their table, where the phone layout is the right size.
PAPER_CHARTS = frozenset({"before-after", "ratings", "by-site", "trend", "follow-up-points"})


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def render_html(
    summary: ModuleSummary,
    charts: Sequence[EmbeddedChart],
    generated: datetime | None = None,
    follow_up: FollowUpSummary | None = None,
) -> str:
    """The report as one HTML document; with a follow-up section when there are follow-up
    answers (`follow_up`, whose charts are among `charts`)."""
    by_name = {c.name: c for c in charts}
    n = summary.min_cell_size
    title = f"{summary.title}: module evaluation report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — {_e(summary.scope.label)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        '<p class="kicker">Module evaluation report</p>',
        f"<h1>{_e(summary.title)}</h1>",
        _facts(summary),
        "</header>",
        "<main>",
        _headline(summary, follow_up),
        _responses(summary),
        _reception(summary, n),
        _before_after(summary, n, by_name.get("before-after")),
        _who(summary, n, by_name),
        _choices(summary, n),
        _comparisons(summary, n, by_name),
        _over_time(summary, n, by_name),
        _distributions(summary, n, by_name.get("ratings")),
        _comments(summary),
        _follow_up(follow_up, by_name) if follow_up is not None else "",
        _method(summary, follow_up),
        "</main>",
        _footer(generated),
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _facts(summary: ModuleSummary) -> str:
    cohorts = summary.scope.cohorts
    first = min(c.start for c in cohorts)
    last = max(c.end for c in cohorts)
    rows = [
        ("Module", summary.title),
        ("Cohort" if len(cohorts) == 1 else "Cohorts", ", ".join(c.code for c in cohorts)),
        ("Site" if len(summary.scope.sites) == 1 else "Sites", ", ".join(summary.scope.sites)),
        ("Dates", phrases.date_range(first, last)),
    ]
    if len(cohorts) > 1:
        rows.append(("Covers", summary.scope.label))
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{body}</dl>'


def _headline(summary: ModuleSummary, follow_up: FollowUpSummary | None = None) -> str:
    items = "".join(f"<li>{_e(f)}</li>" for f in headline_findings(summary))
    later = ""
    if follow_up is not None:
        found = "".join(f"<li>{_e(f)}</li>" for f in follow_up_findings(follow_up))
        later = f'<h3>Weeks later (<a href="#follow-up">the follow-up</a>)</h3><ul>{found}</ul>'
    return (
        '<section id="headline" class="headline" aria-labelledby="headline-h">'
        f'<h2 id="headline-h">Headline findings</h2><ul>{items}</ul>{later}</section>'
    )


Cell = str | tuple[str, int]  # already-escaped HTML, or (HTML, columns it spans)


def _table(
    caption: str,
    heads: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    numeric_from: int = 1,
    foot: Sequence[str] | None = None,
) -> str:
    """A table whose first column heads its rows; cells are already-escaped HTML."""

    def cls(i: int) -> str:
        return ' class="num"' if i >= numeric_from else ""

    def cells(row: Sequence[Cell]) -> str:
        out, column = [], 1
        for cell in row:
            text, span = cell if isinstance(cell, tuple) else (cell, 1)
            wide = f' colspan="{span}"' if span > 1 else ""
            out.append(f"<td{cls(column)}{wide}>{text}</td>")
            column += span
        return "".join(out)

    head = "".join(f'<th scope="col"{cls(i)}>{h}</th>' for i, h in enumerate(heads))
    body = "".join(
        "<tr>" + f'<th scope="row">{row[0]}</th>' + cells(row[1:]) + "</tr>" for row in rows
    )
    tfoot = ""
    if foot:
        tfoot = (
            "<tfoot><tr>"
            + f'<th scope="row">{foot[0]}</th>'
            + "".join(f"<td{cls(i + 1)}>{c}</td>" for i, c in enumerate(foot[1:]))
            + "</tr></tfoot>"
        )
    return (
        f'<div class="table-wrap"><table><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>{tfoot}</table></div>"
    )


def _keep(*parts: str) -> str:
    """Parts a printed page must not split: a heading with what it introduces."""
    return '<div class="keep">' + "".join(parts) + "</div>"


def _pair(table: str, figure: str) -> str:
    """A table and its chart: side by side on paper, one after the other on a screen."""
    return f'<div class="keep pair">{table}{figure}</div>' if figure else table


def _figure(chart: EmbeddedChart | None, caption: str) -> str:
    if chart is None:
        return ""
    svg = _scoped_svg(chart.svg, chart.name, chart.alt)
    if chart.paper is not None:
        paper = _scoped_svg(chart.paper, f"{chart.name}-paper", chart.alt)
        svg = f'<div class="on-screen">{svg}</div><div class="on-paper">{paper}</div>'
    return f'<figure class="{_e(chart.name)}">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _scoped_svg(markup: str, name: str, alt: str) -> str:
    """The chart's SVG with ids made unique in the page and a text alternative on its root."""
    prefix = re.sub(r"[^a-z0-9-]", "-", name.lower())
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', markup)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'((?:xlink:)?href)="#([^"]+)"', rf'\1="#{prefix}-\2"', svg)
    # The size comes from the page's CSS; the viewBox keeps the proportions.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{_e(alt)}" focusable="false"', 1)
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S).strip()


def _pct(count: int, total: int) -> str:
    return f"{percent(count, total)}%" if total else "–"


def _responses(summary: ModuleSummary) -> str:
    total = summary.participants
    rows = []
    for count in summary.phases:
        label = "Before the module (pre)" if count.phase == "pre" else "After the module (post)"
        partial = f"{count.partial}" if count.partial else "0"
        rows.append([_e(label), str(count.respondents), _pct(count.respondents, total), partial])
    rows.append(
        ["Answered both (matched pairs)", str(summary.pairs), _pct(summary.pairs, total), "–"]
    )
    table = _table(
        "Responses",
        ["Questionnaire", "Responded", "% of all", "Partial"],
        rows,
        foot=["Participants", str(total), "", ""],
    )
    return (
        '<section id="responses" aria-labelledby="responses-h">'
        + _keep(
            '<h2 id="responses-h">Responses and matched pairs</h2>',
            f"<p>{total} people joined the evaluation. A response counts when at least one "
            "question was answered; a partial response was never submitted. A matched pair is "
            "someone who answered both before and after the module.</p>",
            table,
        )
        + "</section>"
    )


def _breakdown_rows(found: Breakdown, n: int) -> list[list[Cell]]:
    """A row per part: an option alone, or options together; one row when left out."""
    return [
        [_e(label), *(_e(t) for t in _count_and_share(text))]
        for label, text in phrases.breakdown_items(found, n)
    ]


def _count_and_share(text: str) -> tuple[str, str]:
    """ "18 (44%)" → ("18", "44%"); "not shown" → ("not shown", "–")."""
    match = re.fullmatch(r"(\d+) \((\d+%)\)", text)
    return (match[1], match[2]) if match else (text, "–")


def _hidden_note(found: Breakdown, n: int) -> str:
    """Why groups are given together, or the breakdown left out, under its table."""
    words = phrases.merging_note(found, n)
    return f'<p class="note">{_e(words)}</p>' if words else ""


def _reception(summary: ModuleSummary, n: int) -> str:
    out = []
    sentence = phrases.expectations_sentence(summary)
    if summary.expectations is not None and sentence is not None:
        found = summary.expectations
        out.append(
            _keep(
                f"<h3>Did the module meet expectations?</h3><p>{_e(sentence)}</p>",
                _table(
                    "Met expectations (after the module)",
                    ["Answer", "Respondents", "%"],
                    _breakdown_rows(found, n),
                    foot=["Answered", str(found.n), ""],
                ),
                _hidden_note(found, n),
            )
        )
    if summary.means:
        rows = [
            [
                _e(m.label),
                "before" if m.phase == "pre" else "after",
                _e(phrases.bare_mean(m.mean)),
                str(m.mean.n),
            ]
            for m in summary.means
        ]
        out.append(
            _keep(
                "<h3>Relevance and new information</h3>",
                _table(
                    "Mean ratings, 1 (low) to 5 (high)",
                    ["Item", "Asked", "Mean (1–5)", "n"],
                    rows,
                    numeric_from=2,
                ),
            )
        )
    if not out:
        return ""
    return (
        '<section id="reception" aria-labelledby="reception-h">'
        '<h2 id="reception-h">Expectations, relevance and new information</h2>'
        + "".join(out)
        + "</section>"
    )


def change_cells(item: ItemChange) -> tuple[str, str, str]:
    """Mean change (95% CI), p and r of an item as HTML cells (see phrases.change_cells)."""
    cells = phrases.change_cells(item)
    change = f"{cells.change}<br>({cells.interval})" if cells.interval else cells.change
    return change, _e(cells.p), _e(cells.effect)


def _before_after(summary: ModuleSummary, n: int, chart: EmbeddedChart | None) -> str:
    if not summary.changes:
        return ""
    means, tests = [], []
    for item in summary.changes:
        label = _e(item.label)
        change, p, r = change_cells(item)
        direction = (
            "–"
            if item.direction is None
            else _e(phrases.groups_sentence(item.direction, n, words=phrases.DIRECTION_WORDS))
        )
        tests.append([label, str(item.pairs), direction, p, r])
        means.append([label, _mean_cell(item.pre), _mean_cell(item.post), change])
    note = phrases.tests_note(summary)
    untested = f'<p class="note">{_e(note)}</p>' if note else ""
    table = _table(
        "Mean ratings before and after the module (1 = low, 5 = high)",
        ["Item", "Before: mean (n)", "After: mean (n)", "Mean change (95% CI)"],
        means,
    )
    paired = _table(
        "Matched pairs: how many rated higher, the same or lower after, and the tests",
        ["Item", "Pairs", "After compared with before", "p (Wilcoxon)", "Effect size r"],
        tests,
    )
    intro = (
        "<p>Participants rated their confidence and knowledge before the module began and "
        "again at its end. Before and after means are over everyone who answered the item "
        "then; the change is over the matched pairs, the participants who answered it both "
        "times. The method section explains each figure.</p>"
    )
    chart_html = _figure(
        chart, "Mean ratings before and after; the bars start at 1, the lowest point of the scale."
    )
    return (
        '<section id="before-after" aria-labelledby="before-after-h">'
        + _keep('<h2 id="before-after-h">Before and after</h2>', intro, table, untested)
        + f"{chart_html}{paired}</section>"
    )


def _mean_cell(mean: Mean) -> str:
    if mean.value is not None:
        return f"{fmt_mean(mean.value)} ({mean.n})"
    if mean.n is None:
        return phrases.NOT_SHOWN
    return f"too few (n = {mean.n})"


def _short_mean(mean: Mean, change: bool = False) -> str:
    """A mean (or mean change) in a comparison table's narrow cell."""
    if mean.value is None:
        return "too few" if mean.n is not None else phrases.NOT_SHOWN
    return f"{fmt_signed(mean.value)} ({mean.n})" if change else fmt_mean(mean.value)


def _who(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
    if not summary.profiles:
        return ""
    out = ['<section id="who" aria-labelledby="who-h">']
    for index, found in enumerate(summary.profiles):
        noun = found.label.lower()
        sentence = phrases.largest_group_sentence(found, noun)
        table = _table(
            f"Participants by {_e(noun)}",
            [_e(found.label), "Participants", "%"],
            _breakdown_rows(found, n),
            foot=["Answered", str(found.n), ""],
        )
        figure = _figure(charts.get(f"by-{found.question}"), f"Participants by {noun}.")
        out.append(
            _keep(
                '<h2 id="who-h">Who took part</h2>'
                "<p>Sector and role are asked once of each participant.</p>"
                if index == 0
                else "",
                f"<h3>By {_e(noun)}</h3>",
                f"<p>{_e(sentence)}</p>" if sentence else "",
                _pair(table, figure),
                _hidden_note(found, n),
            )
        )
    out.append("</section>")
    return "".join(out)


def _choices(summary: ModuleSummary, n: int) -> str:
    if not summary.choices:
        return ""
    out = [
        '<section id="choices" aria-labelledby="choices-h">',
        '<h2 id="choices-h">Other questions</h2>',
    ]
    for found in summary.choices:
        out.append(
            _table(
                _e(found.label),
                ["Answer", "Respondents", "%"],
                _breakdown_rows(found, n),
                foot=["Answered", str(found.n), ""],
            )
        )
    out.append("</section>")
    return "".join(out)


def _ordered_rows(summary: ModuleSummary, comparison: Comparison) -> list[ComparisonRow]:
    """Sites as configured; cohorts by start date, so a reader sees the runs in turn."""
    if comparison.by != "cohort":
        return list(comparison.rows)
    return over_time.cohorts_in_date_order(summary, comparison)


def _count(value: int | None) -> str:
    return phrases.NOT_SHOWN if value is None else str(value)


def _change_cell(row: ComparisonRow, index: int) -> str:
    """ "+0.58 (36)", with its 95% interval below it where the row shows one."""
    cell = _short_mean(row.changes[index], change=True)
    interval = row.intervals[index] if row.intervals else None
    if interval is None:
        return cell
    return f"{cell}<br>({fmt_signed(interval[0])} to {fmt_signed(interval[1])})"


def _comparison_tables(summary: ModuleSummary, comparison: Comparison, n: int) -> str:
    """Three tables, so that each fits a phone's or a page's width: who took part, how they
    rated the module, and the changes from before to after."""
    cohorts = comparison.by == "cohort"
    what = _e("cohort, in date order" if cohorts else "site")
    rows = _ordered_rows(summary, comparison)
    info = {c.code: c for c in summary.scope.cohorts}
    runs: dict[str, int] = {}
    for c in summary.scope.cohorts:
        runs[c.site] = runs.get(c.site, 0) + 1
    name_head = comparison.by.capitalize()
    when_head = ["Date"] if cohorts else []
    who_heads = [name_head, *(["Date", "Site"] if cohorts else ["Cohorts"])]
    who_heads += ["Participants", "Before", "After", "Pairs"]
    rating_heads = [name_head, *when_head]
    rating_heads += ["Met expectations"] if comparison.has_yes else []
    rating_heads += [_e(label) for _, label in comparison.means]
    change_heads = [name_head, *when_head, *(_e(label) for _, label in comparison.items)]
    who: list[list[Cell]] = []
    ratings: list[list[Cell]] = []
    changes: list[list[Cell]] = []
    for row in rows:
        name = f'<span class="code">{_e(row.name)}</span>'
        when: list[Cell] = []
        if cohorts:
            # A day never breaks across lines: "14 Mar 2017" in one piece.
            when = [_e(over_time.short_day(info[row.name].start)).replace(" ", "\u00a0")]
            facts: list[Cell] = [*when, _e(info[row.name].site)]
        else:
            facts = [str(runs.get(row.name, 0))]
        if row.participants is None:
            who.append([name, *facts, *[phrases.NOT_SHOWN] * 4])
            ratings.append(
                [name, *when, *[phrases.NOT_SHOWN] * (len(rating_heads) - 1 - len(when))]
            )
            changes.append([name, *when, *[phrases.NOT_SHOWN] * len(comparison.items)])
            continue
        who.append(
            [name, *facts, *(_count(v) for v in (row.participants, row.pre, row.post, row.pairs))]
        )
        rated: list[Cell] = []
        if comparison.has_yes:
            rated.append(
                f"{percent(row.yes, row.yes_n)}%"
                if row.yes is not None and row.yes_n
                else phrases.NOT_SHOWN
            )
        rated += [_short_mean(m) for m in row.means]
        ratings.append([name, *when, *rated])
        changes.append([name, *when, *(_change_cell(row, i) for i in range(len(row.changes)))])
    out = _table(f"By {what}: who took part", who_heads, who, numeric_from=len(who_heads) - 4)
    if len(rating_heads) > 1 + len(when_head):
        out += _table(
            f"By {what}: how they rated the module",
            rating_heads,
            ratings,
            numeric_from=1 + len(when_head),
        )
    if comparison.items:
        out += _table(
            f"By {what}: mean change from before to after (matched pairs)",
            change_heads,
            changes,
            numeric_from=1 + len(when_head),
        )
    return out


HIDDEN_ROWS = (
    "Changes are mean changes over matched pairs, with the number of pairs in brackets"
    " and, from {tests} pairs, the 95% interval below. The figures of a row with fewer"
    " than {n} participants are not shown, nor those of a row from which such a row could"
    " be worked out."
)


def _comparisons(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
    """The sites side by side (a module run at more than one site)."""
    sites = next((c for c in summary.comparisons if c.by == "site"), None)
    if sites is None:
        return ""
    return (
        '<section id="comparisons" aria-labelledby="comparisons-h">'
        '<h2 id="comparisons-h">Sites side by side</h2>'
        "<p>Each row is one site, all its cohorts together. "
        + _e(HIDDEN_ROWS.format(tests=summary.pairs_for_tests, n=n))
        + "</p>"
        + _comparison_tables(summary, sites, n)
        + _figure(charts.get("by-site"), "Mean change from before to after, by site.")
        + "</section>"
    )


def _over_time(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
    """Cohort by cohort in date order: what changed over the period, the cohorts' table,
    the trend chart and the trend test (a module-wide report of two or more cohorts)."""
    cohorts = over_time.cohort_table(summary)
    if cohorts is None:
        return ""
    sentences = over_time.over_time_sentences(summary)
    trend_rows: list[list[Cell]] = []
    for trend in summary.trends:
        cells = over_time.trend_cells(trend)
        trend_rows.append(
            [_e(cells.label), str(cells.cohorts), _e(cells.fitted), _e(cells.change), _e(cells.p)]
        )
    tested = any(t.test is not None for t in summary.trends)
    trend_table = (
        _table(
            "Trend over time: the fitted straight line through the cohorts' mean changes",
            [
                "Item",
                "Cohorts",
                "Fitted: first → latest",
                "Change over the period (95% CI)",
                "p (Holm)",
            ],
            trend_rows,
        )
        if tested
        else ""
    )
    return (
        '<section id="over-time" aria-labelledby="over-time-h">'
        + _keep(
            '<h2 id="over-time-h">Cohort by cohort, over time</h2>',
            f"<p>{_e(' '.join(sentences))}</p>" if sentences else "",
        )
        + "<p>Each row is one cohort, in the order they ran; its figures are those of the "
        "cohort's own report. "
        + _e(HIDDEN_ROWS.format(tests=summary.pairs_for_tests, n=n))
        + "</p>"
        + _comparison_tables(summary, cohorts, n)
        + _figure(
            charts.get("trend"),
            "Mean change per cohort in date order, with 95% intervals where shown.",
        )
        + trend_table
        + _follow_up_over_time(summary)
        + "</section>"
    )


def _follow_up_over_time(summary: ModuleSummary) -> str:
    """Follow-up outcomes cohort by cohort, in date order, where cohorts have them: each
    one's share using it in practice and its change after the module → follow-up, the
    figures of that cohort's own follow-up summary."""
    if not summary.follow_ups:
        return ""
    items = [item.label for item in summary.follow_ups[0].items]
    rows: list[list[Cell]] = []
    for found in summary.follow_ups:
        row = phrases.follow_up_row(found)
        rows.append(
            [
                f'<span class="code">{_e(row.cohort)}</span><br>{_e(row.day)}',
                str(row.asked),
                _e(row.responded),
                _e(row.used),
                *(_e(cell) for cell in row.kept),
            ]
        )
    table = _table(
        "Follow-up outcomes, cohort by cohort (weeks after each module)",
        [
            "Cohort",
            "Asked",
            "Responded",
            "Used in practice",
            *(f"{_e(label)}: after → follow-up" for label in items),
        ],
        rows,
    )
    return (
        '<h3 id="follow-ups-h">Weeks later: the follow-up, cohort by cohort</h3>'
        f"<p>{_e(phrases.FOLLOW_UPS_NOTE)}</p>{table}"
    )


def _distributions(summary: ModuleSummary, n: int, chart: EmbeddedChart | None) -> str:
    if not summary.distributions:
        return ""
    rows: list[list[Cell]] = []
    for dist in summary.distributions:
        phase = "before" if dist.phase == "pre" else "after"
        found = dist.counts
        if found.left_out:
            counts: list[Cell] = [(phrases.NOT_SHOWN, len(found.labels))]
        else:
            counts = [
                (f"{p.count} ({_e(phrases.band_name(p))})", len(p.labels))
                if p.merged
                else str(p.count)
                for p in found.parts
            ]
        rows.append([_e(dist.label), phase, *counts, str(found.n), str(dist.skipped)])
    table = _table(
        "Answers per rating, 1 (low) to 5 (high)",
        ["Item", "Asked", "1", "2", "3", "4", "5", "Answered", "Skipped"],
        rows,
        numeric_from=2,
    )
    note = ""
    if any(d.counts.merged or d.counts.left_out for d in summary.distributions):
        note = f'<p class="note">{_e(phrases.RATINGS_NOTE.format(n=n))}</p>'
    return (
        '<section id="distributions" aria-labelledby="distributions-h">'
        + _keep('<h2 id="distributions-h">Rating distributions</h2>', table, note)
        + _figure(chart, "How participants rated each item, as shares of the answers.")
        + "</section>"
    )


def _comments(summary: ModuleSummary) -> str:
    note = phrases.comments_note(summary)
    if note:
        return (
            '<section id="comments" aria-labelledby="comments-h">'
            f'<h2 id="comments-h">Comments</h2><p class="note">{_e(note)}</p></section>'
        )
    if not summary.comments:
        return ""
    quotes = [f"<blockquote><p>{_e(c.text)}</p></blockquote>" for c in summary.comments]
    return (
        '<section id="comments" aria-labelledby="comments-h">'
        + _keep(
            f'<h2 id="comments-h">Comments ({len(summary.comments)})</h2>'
            '<p class="note">As participants typed them.</p>',
            *quotes[:3],
        )
        + "".join(quotes[3:])
        + "</section>"
    )


def _follow_up(summary: FollowUpSummary, charts: dict[str, EmbeddedChart]) -> str:
    """Weeks later: who answered, who used it in practice, what helped and what got in the
    way, each item at three points and the changes to the follow-up."""
    n = summary.min_cell_size
    total = summary.asked
    rows = [
        ["Asked", str(total), "–", "–"],
        [
            "Responded",
            str(summary.respondents),
            _pct(summary.respondents, total),
            str(summary.partial),
        ],
    ]
    out = [
        '<section id="follow-up" aria-labelledby="follow-up-h">',
        _keep(
            '<h2 id="follow-up-h">Weeks later: the follow-up</h2>',
            "<p>Some weeks after the module, everyone who had submitted the post-module "
            "questionnaire and had not opted out was asked once more: whether they have used "
            "it in practice, what helped and what got in the way, and the same ratings "
            "again.</p>",
            _table(
                "Follow-up responses",
                ["", "People", "% of those asked", "Partial"],
                rows,
            ),
            f'<p class="note">{_e(phrases.ASKED_NOTE)}</p>',
        ),
    ]
    sentence = phrases.used_sentence(summary)
    if summary.used is not None and sentence is not None:
        found = summary.used
        out.append(
            _keep(
                f"<h3>Used in practice</h3><p>{_e(sentence)}</p>",
                _pair(
                    _table(
                        _e(found.label),
                        ["Answer", "Respondents", "%"],
                        _breakdown_rows(found, n),
                        foot=["Answered", str(found.n), ""],
                    ),
                    _figure(charts.get("follow-up-used-in-practice"), found.label + "."),
                ),
                _hidden_note(found, n),
            )
        )
    for found in summary.choices:
        top = phrases.largest(found)
        said = (
            f"<p>Named most often: {_e(top[0].labels[0])} ({top[0].count} of {found.n}).</p>"
            if len(top) == 1
            else ""
        )
        name = f"follow-up-{found.question.replace('_', '-')}"
        out.append(
            _keep(
                f"<h3>{_e(found.label)}</h3>{said}",
                _pair(
                    _table(
                        _e(found.label),
                        ["Answer", "Respondents", "%"],
                        _breakdown_rows(found, n),
                        foot=["Answered", str(found.n), ""],
                    ),
                    _figure(charts.get(name), found.label + "."),
                ),
                _hidden_note(found, n),
            )
        )
    if summary.items:
        out.append(_three_points(summary, charts.get("follow-up-points")))
    if summary.comments_hidden:
        out.append(
            f'<p class="note">Fewer than {n} people wrote a comment at the follow-up, so '
            "none are shown: in so small a group a comment could identify its writer.</p>"
        )
    elif summary.comments:
        quotes = "".join(f"<blockquote><p>{_e(c.text)}</p></blockquote>" for c in summary.comments)
        out.append(
            f"<h3>Comments at the follow-up ({len(summary.comments)})</h3>"
            f'<p class="note">As participants typed them.</p>{quotes}'
        )
    out.append("</section>")
    return "".join(out)


def _three_points(summary: FollowUpSummary, chart: EmbeddedChart | None) -> str:
    """Each item's means at the points it was asked, and its changes to the follow-up."""
    means = []
    for item in summary.items:
        cells = [
            _mean_cell(mean) if (mean := item.point(phase)) is not None else "not asked"
            for phase in ("pre", "post", "follow_up")
        ]
        means.append([_e(item.label), *cells])
    table = _table(
        "Mean ratings before, after and weeks after the module (1 = low, 5 = high)",
        ["Item", "Before: mean (n)", "After: mean (n)", "Follow-up: mean (n)"],
        means,
    )
    changes = []
    for span, change in phrases.follow_up_changes(summary):
        cell, p, r = change_cells(change)
        direction = (
            "–"
            if change.direction is None
            else _e(
                phrases.groups_sentence(
                    change.direction, summary.min_cell_size, words=phrases.DIRECTION_WORDS
                )
            )
        )
        changes.append(
            [f"{_e(change.label)}<br>({_e(span)})", str(change.pairs), cell, direction, p, r]
        )
    paired = _table(
        "Changes to the follow-up, over the people who answered at both points (matched pairs)",
        [
            "Item (points compared)",
            "Pairs",
            "Mean change (95% CI)",
            "Higher / same / lower",
            "p (Wilcoxon)",
            "Effect size r",
        ],
        changes,
    )
    words = phrases.follow_up_tests_note(summary)
    note = f'<p class="note">{_e(words)}</p>' if words else ""
    figure = _figure(
        chart, "Mean ratings before, after and weeks after the module; the bars start at 1."
    )
    return (
        _keep(
            "<h3>Before, after and weeks after</h3>",
            "<p>Each item's mean at each point is over everyone who answered it then. The "
            "changes are over the people who answered at both points compared: after the "
            "module → follow-up shows whether the gain was kept, before the module → "
            "follow-up how far people have come since they started.</p>",
            table,
        )
        + figure
        + paired
        + note
    )


def _method(summary: ModuleSummary, follow_up: FollowUpSummary | None = None) -> str:
    n = summary.min_cell_size
    lines = [
        "<strong>n</strong> is the number of answers a figure is based on: people who "
        "answered that question, leaving out those who skipped it or were not asked.",
        "A <strong>response</strong> counts when at least one question was answered; "
        "partial (never submitted) responses are included.",
        "A <strong>mean</strong> is the average rating on the 1–5 scale, to 2 decimals; "
        "percentages are whole numbers and may not add up to 100.",
        "The <strong>mean change</strong> is the average of each matched participant's "
        "after rating minus their before rating; its 95% confidence interval is the range "
        "that would contain the true change in 95 of 100 such studies (t distribution).",
        "The <strong>p-value</strong> (Wilcoxon signed-rank test, two-sided) is the chance "
        "of a change at least this large if the module made no difference; below 0.05 is "
        "conventionally called significant.",
        "The <strong>effect size r</strong> (matched-pairs rank-biserial correlation) runs "
        "from −1 (everyone's rating fell) to +1 (everyone's rose).",
        "<strong>Improved / same / declined</strong> counts matched participants whose "
        "rating went up, stayed the same or went down.",
        *(_e(line) for line in phrases.policy_lines(summary)),
        *(_e(line) for line in over_time.method_lines(summary)),
    ]
    if summary.comments is not None:
        lines.append(
            "<strong>Comments</strong> are shown as typed, and only when at least "
            f"{n} people in the report commented: in a smaller group a comment could "
            "identify its writer."
        )
    if follow_up is not None:
        lines.append(f"<strong>The follow-up</strong>: {_e(phrases.FOLLOW_UP_METHOD)}")
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        '<section id="method" aria-labelledby="method-h">'
        + _keep(f'<h2 id="method-h">Method</h2><ul>{items}</ul>')
        + "</section>"
    )


def _footer(generated: datetime | None) -> str:
    when = f" on {generated:%d %B %Y}" if generated else ""
    return f"<footer><p>Written by Module Feedback Bot{_e(when)}.</p></footer>"


def render_report(
    summary: ModuleSummary,
    charts: Sequence[Chart],
    paper: Sequence[Chart] = (),
    follow_up: FollowUpSummary | None = None,
) -> str:
    """The report with the charts drawn for it, dated today; `paper`: print layouts;
    `follow_up`: its section (its charts among `charts` and `paper`)."""
    printed = {c.name: c.svg() for c in paper}
    embedded = [EmbeddedChart(c.name, c.alt, c.svg(), printed.get(c.name)) for c in charts]
    return render_html(summary, embedded, datetime.now().astimezone(), follow_up)
