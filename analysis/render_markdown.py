"""Render a summary as a Markdown report, with the charts as PNG files beside it."""

from __future__ import annotations

from analysis import phrases
from analysis.compute import Comparison, ItemChange, ModuleSummary
from analysis.findings import headline_findings
from analysis.rounding import percent


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: ModuleSummary, charts: list[str] | None = None) -> str:
    """The report as Markdown; `charts` are the chart file names to link."""
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
        out += ["| Answer | Respondents (%) |", "|---|---|"]
        out += [
            f"| {_cell(label)} | {text} |"
            for label, text in phrases.breakdown_items(summary.expectations, n)
        ]

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
            "| Wilcoxon p | r | Improved / same / declined |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for item in summary.changes:
            change, p, r = change_cells(item)
            direction = (
                "–"
                if item.stats is None
                else " / ".join(t for _, t in phrases.breakdown_items(item.direction, n))
            )
            out.append(
                f"| {_cell(item.label)} | {phrases.mean_text(item.pre)} | "
                f"{phrases.mean_text(item.post)} | {item.pairs} | {change} | {p} | {r} | "
                f"{direction} |"
            )
        if any(not item.test_shown for item in summary.changes):
            out += [
                "",
                "Where an improved, same or declined count is hidden, the figures that would "
                "reveal it are not shown.",
            ]
        if "before-after.png" in charts:
            out += ["", "![Before and after](before-after.png)"]

    for found in summary.profiles:
        out += ["", f"## Participants by {found.label.lower()}", ""]
        sentence = phrases.largest_group_sentence(found, found.label.lower())
        if sentence:
            out += [sentence, ""]
        out += [f"| {_cell(found.label)} | Participants (%) |", "|---|---|"]
        out += [f"| {_cell(label)} | {text} |" for label, text in phrases.breakdown_items(found, n)]
        out.append(f"| **Total answering** | {found.n} |")
        chart = f"by-{found.question}.png"
        if chart in charts:
            out += ["", f"![Participants by {found.label.lower()}]({chart})"]

    for found in summary.choices:
        out += ["", f"## {found.label}", ""]
        out += ["| Answer | Respondents (%) |", "|---|---|"]
        out += [f"| {_cell(label)} | {text} |" for label, text in phrases.breakdown_items(found, n)]
        out.append(f"| **Total answering** | {found.n} |")

    if summary.distributions:
        out += ["", "## Rating distributions", ""]
        out += [
            "| Item | Phase | 1 | 2 | 3 | 4 | 5 | Answered | Skipped |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for dist in summary.distributions:
            cells = " | ".join(phrases.count_text(c, n) for c in dist.counts.cells)
            out.append(
                f"| {_cell(dist.label)} | {dist.phase} | {cells} | {dist.counts.n} "
                f"| {dist.skipped} |"
            )
        if "ratings.png" in charts:
            out += ["", "![Rating distributions](ratings.png)"]

    if summary.comments:
        out += ["", f"## Comments ({len(summary.comments)}, as written)", ""]
        out += [f"> {c.text.replace(chr(10), ' ')}\n" for c in summary.comments]
    note = phrases.comments_note(summary)
    if note:
        out += ["", "## Comments", "", note]

    for comparison in summary.comparisons:
        out += ["", *comparison_table(comparison, n)]

    out += ["", "## Method", ""]
    out += [f"- {line}" for line in phrases.method_note(summary)]
    return "\n".join(out) + "\n"


def change_cells(item: ItemChange) -> tuple[str, str, str]:
    """Mean change (95% CI), Wilcoxon p and r of an item, as table cells."""
    cells = phrases.change_cells(item)
    change = f"{cells.change} ({cells.interval})" if cells.interval else cells.change
    p = f"{cells.p} ({cells.method})" if cells.method else cells.p
    return change, p, cells.effect


def comparison_table(comparison: Comparison, min_cell_size: int) -> list[str]:
    """One table row per cohort or site."""
    heads = ["Participants", "Pre", "Post", "Pairs"]
    has_yes = any(r.expectations_yes is not None for r in comparison.rows)
    if has_yes:
        heads.append("Met expectations")
    heads += [label for _, label in comparison.means]
    heads += [f"Change: {label}" for _, label in comparison.items]
    out = [
        f"## By {comparison.by}",
        "",
        f"| {comparison.by.capitalize()} | " + " | ".join(_cell(h) for h in heads) + " |",
        "|---" * (len(heads) + 1) + "|",
    ]
    for row in comparison.rows:
        if row.hidden:
            cells = [phrases.count_text(row.participants, min_cell_size)] + [phrases.NOT_SHOWN] * (
                len(heads) - 1
            )
        else:
            cells = [
                str(row.participants.count),
                phrases.count_text(row.pre, min_cell_size),
                phrases.count_text(row.post, min_cell_size),
                phrases.count_text(row.pairs, min_cell_size),
            ]
            if has_yes:
                yes = row.expectations_yes
                cells.append(
                    phrases.TOO_FEW
                    if yes is None or yes.hidden
                    else f"{percent(yes.count, row.expectations_n)}% (n = {row.expectations_n})"
                )
            cells += [phrases.mean_text(m) for m in row.means]
            cells += [phrases.change_text(change, "") for change in row.changes]
        out.append(f"| {_cell(row.name)} | " + " | ".join(cells) + " |")
    return out
