"""Render a summary as a Markdown report, with the charts as PNG files beside it."""

from __future__ import annotations

from analysis import over_time, phrases
from analysis.findings import follow_up_findings, headline_findings
from analysis.released import Breakdown, Comparison, FollowUpSummary, ItemChange, ModuleSummary
from analysis.rounding import fmt_signed


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    summary: ModuleSummary,
    charts: list[str] | None = None,
    follow_up: FollowUpSummary | None = None,
) -> str:
    """The report as Markdown; `charts` are the chart file names to link; `follow_up`
    adds its section."""
    n = summary.min_cell_size
    charts = charts or []
    out = [f"# {summary.title}: module summary", ""]
    out += [f"- {line}" for line in phrases.scope_lines(summary)]
    out += [f"- {line}" for line in phrases.response_lines(summary)]
    out += ["", "## Headline findings", ""]
    out += [f"- {line}" for line in headline_findings(summary)]

    sentence = phrases.expectations_sentence(summary)
    if sentence is not None and summary.expectations is not None:
        out += ["", "## Expectations", "", sentence, ""]
        out += breakdown_table("Answer", "Respondents (%)", summary.expectations, n)

    if summary.means:
        out += ["", "## Relevance and new information", ""]
        out += ["| Item (1–5) | Phase | Mean (n) |", "|---|---|---|"]
        out += [
            f"| {_cell(m.label)} | {m.phase} | {phrases.mean_text(m.mean)} |" for m in summary.means
        ]

    if summary.changes:
        out += ["", "## Before and after", ""]
        out += [
            "Pre and post means over everyone who answered the item in that phase; the change "
            "over participants who answered it in both (matched pairs).",
            "",
            "| Item (1–5) | Pre-module | Post-module | Pairs | Mean change (95% CI) "
            "| Wilcoxon p | r | After vs before: higher, the same, lower |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for item in summary.changes:
            change, p, r = change_cells(item)
            direction = phrases.direction_cell(item, n)
            out.append(
                f"| {_cell(item.label)} | {phrases.mean_text(item.pre)} | "
                f"{phrases.mean_text(item.post)} | {item.pairs} | {change} | {p} | {r} | "
                f"{_cell(direction)} |"
            )
        note = phrases.tests_note(summary)
        if note:
            out += ["", note]
        if "before-after.png" in charts:
            out += ["", "![Before and after](before-after.png)"]

    for found in summary.profiles:
        out += ["", f"## Participants by {found.label.lower()}", ""]
        sentence = phrases.largest_group_sentence(found, found.label.lower())
        if sentence:
            out += [sentence, ""]
        out += breakdown_table(found.label, "Participants (%)", found, n)
        chart = f"by-{found.question}.png"
        if chart in charts:
            out += ["", f"![Participants by {found.label.lower()}]({chart})"]

    for found in summary.choices:
        out += ["", f"## {found.label}", ""]
        out += breakdown_table("Answer", "Respondents (%)", found, n)

    if summary.distributions:
        out += ["", "## Rating distributions", ""]
        out += [
            "| Item | Phase | Answers per rating (1 low, 5 high) | Answered | Skipped |",
            "|---|---|---|---|---|",
        ]
        for dist in summary.distributions:
            out.append(
                f"| {_cell(dist.label)} | {dist.phase} | {phrases.ratings_text(dist.counts)} "
                f"| {dist.counts.n} | {dist.skipped} |"
            )
        if any(d.counts.merged or d.counts.left_out for d in summary.distributions):
            out += ["", phrases.RATINGS_NOTE.format(n=n)]
        if "ratings.png" in charts:
            out += ["", "![Rating distributions](ratings.png)"]

    if summary.comments:
        out += ["", f"## Comments ({len(summary.comments)}, as written)", ""]
        out += [f"> {c.text.replace(chr(10), ' ')}\n" for c in summary.comments]
    note = phrases.comments_note(summary)
    if note:
        out += ["", "## Comments", "", note]

    for comparison in sorted(summary.comparisons, key=lambda c: c.by != "site"):
        out += ["", *comparison_table(summary, comparison, n)]
    out += over_time_lines(summary, "trend.png" in charts)
    out += follow_ups_lines(summary)

    if follow_up is not None:
        out += ["", *follow_up_section(follow_up, charts)]

    out += ["", "## Method", ""]
    out += [f"- {line}" for line in phrases.method_note(summary)]
    out += [f"- {line}" for line in over_time.method_lines(summary)]
    if follow_up is not None:
        out.append(f"- {phrases.FOLLOW_UP_METHOD}")
    return "\n".join(out) + "\n"


def follow_up_section(summary: FollowUpSummary, charts: list[str]) -> list[str]:
    """Weeks later: the follow-up's findings, responses, answers, three points and changes."""
    n = summary.min_cell_size
    out = ["## Weeks later: the follow-up", ""]
    out += [f"- {line}" for line in follow_up_findings(summary)]
    out += ["", *[f"- {line}" for line in phrases.follow_up_response_lines(summary)]]
    sentence = phrases.used_sentence(summary)
    if summary.used is not None and sentence is not None:
        out += ["", "### Used in practice", "", sentence, ""]
        out += breakdown_table("Answer", "Respondents (%)", summary.used, n)
    for found in summary.choices:
        out += ["", f"### {found.label}", ""]
        out += breakdown_table("Answer", "Respondents (%)", found, n)
    if summary.items:
        out += [
            "",
            "### Before, after and weeks after",
            "",
            "| Item (1–5) | Before | After | Follow-up |",
            "|---|---|---|---|",
        ]
        for item in summary.items:
            cells = [
                phrases.mean_text(mean) if (mean := item.point(phase)) is not None else "not asked"
                for phase in ("pre", "post", "follow_up")
            ]
            out.append(f"| {_cell(item.label)} | {' | '.join(cells)} |")
        if "follow-up-points.png" in charts:
            out += ["", "![Before, after and weeks after](follow-up-points.png)"]
        out += [
            "",
            "| Item (points compared) | Pairs | Mean change (95% CI) | Wilcoxon p | r "
            "| Higher, the same, lower |",
            "|---|---|---|---|---|---|",
        ]
        for span, change in phrases.follow_up_changes(summary):
            cell, p, r = change_cells(change)
            direction = phrases.direction_cell(change, n)
            out.append(
                f"| {_cell(change.label)} ({span}) | {change.pairs} | {cell} | {p} | {r} "
                f"| {_cell(direction)} |"
            )
        note = phrases.follow_up_tests_note(summary)
        if note:
            out += ["", note]
    if summary.comments:
        out += ["", f"### Comments at the follow-up ({len(summary.comments)}, as written)", ""]
        out += [f"> {c.text.replace(chr(10), ' ')}\n" for c in summary.comments]
    return out


def change_cells(item: ItemChange) -> tuple[str, str, str]:
    """Mean change (95% CI), Wilcoxon p and r of an item, as table cells."""
    cells = phrases.change_cells(item)
    change = f"{cells.change} ({cells.interval})" if cells.interval else cells.change
    p = f"{cells.p} ({cells.method})" if cells.method else cells.p
    return change, p, cells.effect


def breakdown_table(head: str, column: str, found: Breakdown, min_cell_size: int) -> list[str]:
    """A breakdown's parts as table rows, its total, and why groups are merged."""
    out = [f"| {_cell(head)} | {column} |", "|---|---|"]
    out += [
        f"| {_cell(label)} | {text} |"
        for label, text in phrases.breakdown_items(found, min_cell_size)
    ]
    out.append(f"| **Total answering** | {found.n} |")
    note = phrases.merging_note(found, min_cell_size)
    if note:
        out += ["", note]
    return out


def comparison_table(
    summary: ModuleSummary, comparison: Comparison, min_cell_size: int
) -> list[str]:
    """One table row per site, or per cohort in date order."""
    cohorts = comparison.by == "cohort"
    info = {c.code: c for c in summary.scope.cohorts}
    heads = ["Date", "Site"] if cohorts else ["Cohorts"]
    heads += ["Participants", "Pre", "Post", "Pairs"]
    if comparison.has_yes:
        heads.append("Met expectations")
    heads += [label for _, label in comparison.means]
    heads += [f"Change: {label}" for _, label in comparison.items]
    title = "By cohort, in date order" if cohorts else "By site"
    out = [
        f"## {title}",
        "",
        f"| {comparison.by.capitalize()} | " + " | ".join(_cell(h) for h in heads) + " |",
        "|---" * (len(heads) + 1) + "|",
    ]

    rows = over_time.cohorts_in_date_order(summary, comparison) if cohorts else comparison.rows
    for row in rows:
        if cohorts:
            facts = [over_time.short_day(info[row.name].start), _cell(info[row.name].site)]
        else:
            facts = [str(sum(c.site == row.name for c in summary.scope.cohorts))]
        if row.participants is None:
            cells = [*facts, *[phrases.NOT_SHOWN] * (len(heads) - len(facts))]
        else:
            cells = [*facts, *phrases.row_counts(row)]
            if comparison.has_yes:
                cells.append(phrases.row_met_expectations(row, with_n=True))
            cells += [phrases.mean_text(m) for m in row.means]
            for index, change in enumerate(row.changes):
                text = phrases.change_text(change, "")
                interval = row.intervals[index] if row.intervals else None
                if interval is not None:
                    text = text.removesuffix(")") + (
                        f"; 95% CI {fmt_signed(interval[0])} to {fmt_signed(interval[1])})"
                    )
                cells.append(text)
        out.append(f"| {_cell(row.name)} | " + " | ".join(cells) + " |")
    if any(row.participants is None for row in comparison.rows):
        out += [
            "",
            f"A row with fewer than {min_cell_size} participants is not shown, nor one it "
            "could be worked out from.",
        ]
    return out


def over_time_lines(summary: ModuleSummary, chart: bool) -> list[str]:
    """What changed over the period, the trend chart and the trend table."""
    sentences = over_time.over_time_sentences(summary)
    if not sentences:
        return []
    out = ["", "## Over time", "", " ".join(sentences)]
    if chart:
        out += ["", "![Mean change per cohort, in date order](trend.png)"]
    if any(t.test is not None for t in summary.trends):
        out += [
            "",
            "| Item | Cohorts | Fitted: first → latest | Change over the period (95% CI) "
            "| p (Holm) |",
            "|---|---|---|---|---|",
        ]
        for trend in summary.trends:
            cells = over_time.trend_cells(trend)
            out.append(
                f"| {_cell(cells.label)} | {cells.cohorts} | {cells.fitted} | {cells.change} "
                f"| {cells.p} |"
            )
    return out


def follow_ups_lines(summary: ModuleSummary) -> list[str]:
    """Follow-up outcomes cohort by cohort, where cohorts of a module-wide report have them."""
    if not summary.follow_ups:
        return []
    items = [item.label for item in summary.follow_ups[0].items]
    out = ["", "## Weeks later: the follow-up, cohort by cohort", "", phrases.FOLLOW_UPS_NOTE, ""]
    out.append(
        "| Cohort | Asked | Responded | Used in practice | "
        + " | ".join(f"{_cell(label)}: after → follow-up" for label in items)
        + " |"
    )
    out.append("|---" * (4 + len(items)) + "|")
    for found in summary.follow_ups:
        row = phrases.follow_up_row(found)
        cells = [f"{row.cohort} ({row.day})", str(row.asked), row.responded, row.used, *row.kept]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out
