"""Render a summary as one self-contained HTML evaluation report (pure: summary + charts → str).

The file makes no requests: its CSS is inline and its charts are inline SVG. It reads
like a written evaluation report: headline findings in plain language first, then the
figures in real tables, then the method. Statistics stay in the tables and the method.
This module holds the document and the sections of one report; the sites and cohorts
side by side are in `html_comparisons`, the follow-up in `html_follow_up`, and the
tables, charts and cells they are all built from in `html_parts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from analysis import html_parts, over_time, phrases
from analysis.findings import follow_up_findings, headline_findings
from analysis.html_comparisons import comparisons_section, over_time_section
from analysis.html_follow_up import follow_up_section
from analysis.html_parts import Cell, EmbeddedChart, esc
from analysis.released import FollowUpSummary, ModuleSummary
from analysis.report_style import CSS

if TYPE_CHECKING:
    from analysis.charts import Chart


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
        f"<title>{esc(title)} — {esc(summary.scope.label)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        '<p class="kicker">Module evaluation report</p>',
        f"<h1>{esc(summary.title)}</h1>",
        _facts(summary),
        "</header>",
        "<main>",
        _headline(summary, follow_up),
        _responses(summary),
        _reception(summary, n),
        _before_after(summary, n, by_name.get("before-after")),
        _who(summary, n, by_name),
        _choices(summary, n),
        comparisons_section(summary, n, by_name),
        over_time_section(summary, n, by_name),
        _distributions(summary, n, by_name.get("ratings")),
        _comments(summary),
        follow_up_section(follow_up, by_name) if follow_up is not None else "",
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
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{body}</dl>'


def _headline(summary: ModuleSummary, follow_up: FollowUpSummary | None = None) -> str:
    items = "".join(f"<li>{esc(f)}</li>" for f in headline_findings(summary))
    later = ""
    if follow_up is not None:
        found = "".join(f"<li>{esc(f)}</li>" for f in follow_up_findings(follow_up))
        later = f'<h3>Weeks later (<a href="#follow-up">the follow-up</a>)</h3><ul>{found}</ul>'
    return (
        '<section id="headline" class="headline" aria-labelledby="headline-h">'
        f'<h2 id="headline-h">Headline findings</h2><ul>{items}</ul>{later}</section>'
    )


def _responses(summary: ModuleSummary) -> str:
    total = summary.participants
    rows = []
    for count in summary.phases:
        label = "Before the module (pre)" if count.phase == "pre" else "After the module (post)"
        partial = f"{count.partial}" if count.partial else "0"
        rows.append(
            [
                esc(label),
                str(count.respondents),
                html_parts.share(count.respondents, total),
                partial,
            ]
        )
    rows.append(
        [
            "Answered both (matched pairs)",
            str(summary.pairs),
            html_parts.share(summary.pairs, total),
            "–",
        ]
    )
    table = html_parts.table(
        "Responses",
        ["Questionnaire", "Responded", "% of all", "Partial"],
        rows,
        foot=["Participants", str(total), "", ""],
    )
    return (
        '<section id="responses" aria-labelledby="responses-h">'
        + html_parts.keep(
            '<h2 id="responses-h">Responses and matched pairs</h2>',
            f"<p>{total} people joined the evaluation. A response counts when at least one "
            "question was answered; a partial response was never submitted. A matched pair is "
            "someone who answered both before and after the module.</p>",
            table,
        )
        + "</section>"
    )


def _reception(summary: ModuleSummary, n: int) -> str:
    out = []
    sentence = phrases.expectations_sentence(summary)
    if summary.expectations is not None and sentence is not None:
        intro = f"<h3>Did the module meet expectations?</h3><p>{esc(sentence)}</p>"
        caption = "Met expectations (after the module)"
        out.append(html_parts.breakdown_block(intro, summary.expectations, n, caption))
    if summary.means:
        rows = [
            [
                esc(m.label),
                "before" if m.phase == "pre" else "after",
                esc(phrases.bare_mean(m.mean)),
                str(m.mean.n),
            ]
            for m in summary.means
        ]
        out.append(
            html_parts.keep(
                "<h3>Relevance and new information</h3>",
                html_parts.table(
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


def _before_after(summary: ModuleSummary, n: int, chart: EmbeddedChart | None) -> str:
    if not summary.changes:
        return ""
    means, tests = [], []
    for item in summary.changes:
        label = esc(item.label)
        change, p, r = html_parts.change_cells(item)
        direction = esc(phrases.direction_cell(item, n))
        tests.append([label, str(item.pairs), direction, p, r])
        means.append(
            [label, html_parts.mean_cell(item.pre), html_parts.mean_cell(item.post), change]
        )
    untested = html_parts.note(phrases.tests_note(summary))
    table = html_parts.table(
        "Mean ratings before and after the module (1 = low, 5 = high)",
        ["Item", "Before: mean (n)", "After: mean (n)", "Mean change (95% CI)"],
        means,
    )
    paired = html_parts.table(
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
    chart_html = html_parts.figure(
        chart, "Mean ratings before and after; the bars start at 1, the lowest point of the scale."
    )
    return (
        '<section id="before-after" aria-labelledby="before-after-h">'
        + html_parts.keep('<h2 id="before-after-h">Before and after</h2>', intro, table, untested)
        + f"{chart_html}{paired}</section>"
    )


def _who(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
    if not summary.profiles:
        return ""
    out = ['<section id="who" aria-labelledby="who-h">']
    for index, found in enumerate(summary.profiles):
        noun = found.label.lower()
        sentence = phrases.largest_group_sentence(found, noun)
        figure = html_parts.figure(charts.get(f"by-{found.question}"), f"Participants by {noun}.")
        intro = (
            '<h2 id="who-h">Who took part</h2>'
            "<p>Sector and role are asked once of each participant.</p>"
            if index == 0
            else ""
        )
        intro += f"<h3>By {esc(noun)}</h3>" + (f"<p>{esc(sentence)}</p>" if sentence else "")
        caption = f"Participants by {esc(noun)}"
        out.append(
            html_parts.breakdown_block(
                intro, found, n, caption, figure, head=esc(found.label), who="Participants"
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
        out.append(html_parts.breakdown_table(esc(found.label), found, n))
    out.append("</section>")
    return "".join(out)


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
                (f"{p.count} ({esc(phrases.band_name(p))})", len(p.labels))
                if p.merged
                else str(p.count)
                for p in found.parts
            ]
        rows.append([esc(dist.label), phase, *counts, str(found.n), str(dist.skipped)])
    table = html_parts.table(
        "Answers per rating, 1 (low) to 5 (high)",
        ["Item", "Asked", "1", "2", "3", "4", "5", "Answered", "Skipped"],
        rows,
        numeric_from=2,
    )
    note = ""
    if any(d.counts.merged or d.counts.left_out for d in summary.distributions):
        note = html_parts.note(phrases.RATINGS_NOTE.format(n=n))
    return (
        '<section id="distributions" aria-labelledby="distributions-h">'
        + html_parts.keep('<h2 id="distributions-h">Rating distributions</h2>', table, note)
        + html_parts.figure(chart, "How participants rated each item, as shares of the answers.")
        + "</section>"
    )


def _comments(summary: ModuleSummary) -> str:
    note = phrases.comments_note(summary)
    if note:
        return (
            '<section id="comments" aria-labelledby="comments-h">'
            f'<h2 id="comments-h">Comments</h2><p class="note">{esc(note)}</p></section>'
        )
    if not summary.comments:
        return ""
    quotes = [f"<blockquote><p>{esc(c.text)}</p></blockquote>" for c in summary.comments]
    return (
        '<section id="comments" aria-labelledby="comments-h">'
        + html_parts.keep(
            f'<h2 id="comments-h">Comments ({len(summary.comments)})</h2>'
            '<p class="note">As participants typed them.</p>',
            *quotes[:3],
        )
        + "".join(quotes[3:])
        + "</section>"
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
        *(esc(line) for line in phrases.policy_lines(summary)),
        *(esc(line) for line in over_time.method_lines(summary)),
    ]
    if summary.comments is not None:
        lines.append(
            "<strong>Comments</strong> are shown as typed, and only when at least "
            f"{n} people in the report commented: in a smaller group a comment could "
            "identify its writer."
        )
    if follow_up is not None:
        lines.append(f"<strong>The follow-up</strong>: {esc(phrases.FOLLOW_UP_METHOD)}")
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        '<section id="method" aria-labelledby="method-h">'
        + html_parts.keep(f'<h2 id="method-h">Method</h2><ul>{items}</ul>')
        + "</section>"
    )


def _footer(generated: datetime | None) -> str:
    when = f" on {generated:%d %B %Y}" if generated else ""
    return f"<footer><p>Written by Module Feedback Bot{esc(when)}.</p></footer>"


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
