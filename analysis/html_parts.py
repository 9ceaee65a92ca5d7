"""The pieces every section of report.html is built from: tables, charts, cells (pure).

A section module (`render_html`, `html_comparisons`, `html_follow_up`) says what a section
shows; this one says how a table, a chart, a breakdown or a mean looks in the page, once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from analysis import phrases
from analysis.released import Breakdown, ItemChange, Mean
from analysis.rounding import fmt_mean, fmt_signed, percent


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


Cell = str | tuple[str, int]  # already-escaped HTML, or (HTML, columns it spans)


def esc(text: object) -> str:
    """Text as HTML, quotes included (it goes into attributes too)."""
    return escape(str(text), quote=True)


def table(
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


def keep(*parts: str) -> str:
    """Parts a printed page must not split: a heading with what it introduces."""
    return '<div class="keep">' + "".join(parts) + "</div>"


def beside(table: str, figure: str) -> str:
    """A table and its chart: side by side on paper, one after the other on a screen."""
    return f'<div class="keep pair">{table}{figure}</div>' if figure else table


def figure(chart: EmbeddedChart | None, caption: str) -> str:
    """The chart with its caption, or nothing where there is no chart."""
    if chart is None:
        return ""
    svg = _scoped_svg(chart.svg, chart.name, chart.alt)
    if chart.paper is not None:
        paper = _scoped_svg(chart.paper, f"{chart.name}-paper", chart.alt)
        svg = f'<div class="on-screen">{svg}</div><div class="on-paper">{paper}</div>'
    return (
        f'<figure class="{esc(chart.name)}">{svg}<figcaption>{esc(caption)}</figcaption></figure>'
    )


def _scoped_svg(markup: str, name: str, alt: str) -> str:
    """The chart's SVG with ids made unique in the page and a text alternative on its root."""
    prefix = re.sub(r"[^a-z0-9-]", "-", name.lower())
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', markup)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'((?:xlink:)?href)="#([^"]+)"', rf'\1="#{prefix}-\2"', svg)
    # The size comes from the page's CSS; the viewBox keeps the proportions.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{esc(alt)}" focusable="false"', 1)
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S).strip()


def share(count: int, total: int) -> str:
    return f"{percent(count, total)}%" if total else "–"


def breakdown_table(
    caption: str, found: Breakdown, n: int, head: str = "Answer", who: str = "Respondents"
) -> str:
    """A question's answers: a row per part (an option alone, or options together), one
    row when left out, and how many answered."""
    rows: list[list[Cell]] = [
        [esc(label), *(esc(t) for t in _count_and_share(text))]
        for label, text in phrases.breakdown_items(found, n)
    ]
    return table(caption, [head, who, "%"], rows, foot=["Answered", str(found.n), ""])


def _count_and_share(text: str) -> tuple[str, str]:
    """ "18 (44%)" → ("18", "44%"); "not shown" → ("not shown", "–")."""
    match = re.fullmatch(r"(\d+) \((\d+%)\)", text)
    return (match[1], match[2]) if match else (text, "–")


def hidden_note(found: Breakdown, n: int) -> str:
    """Why groups are given together, or the breakdown left out, under its table."""
    return note(phrases.merging_note(found, n))


def breakdown_block(
    intro: str,
    found: Breakdown,
    n: int,
    caption: str,
    figure: str = "",
    *,
    head: str = "Answer",
    who: str = "Respondents",
) -> str:
    """A question's answers kept together: `intro` (already HTML), the table beside its
    chart, and why groups are given together."""
    table = breakdown_table(caption, found, n, head, who)
    return keep(intro, beside(table, figure), hidden_note(found, n))


def change_cells(item: ItemChange) -> tuple[str, str, str]:
    """Mean change (95% CI), p and r of an item as HTML cells (see phrases.change_cells)."""
    cells = phrases.change_cells(item)
    change = f"{cells.change}<br>({cells.interval})" if cells.interval else cells.change
    return change, esc(cells.p), esc(cells.effect)


def mean_cell(mean: Mean) -> str:
    """A mean with its n, or why it is not shown."""
    if mean.value is not None:
        return f"{fmt_mean(mean.value)} ({mean.n})"
    if mean.n is None:
        return phrases.NOT_SHOWN
    return f"too few (n = {mean.n})"


def short_mean(mean: Mean, change: bool = False) -> str:
    """A mean (or mean change) in a comparison table's narrow cell."""
    if mean.value is None:
        return "too few" if mean.n is not None else phrases.NOT_SHOWN
    return f"{fmt_signed(mean.value)} ({mean.n})" if change else fmt_mean(mean.value)


def note(words: str | None) -> str:
    """A note under a table, or nothing."""
    return f'<p class="note">{esc(words)}</p>' if words else ""
