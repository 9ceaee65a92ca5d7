"""Render a summary as spreadsheet rows: the XLSX export's `summary` sheet.

One figure a row, as a number a statistician can compute with; a figure the report
does not show (a small group, or one that would reveal it) has an empty value and a
note saying why, exactly as in the report.
"""

from __future__ import annotations

from fractions import Fraction

from analysis import phrases
from analysis.compute import Breakdown, Cell, ItemChange, Mean, ModuleSummary
from analysis.rounding import percent, round_half_away

SUMMARY_COLUMNS = (
    "section",
    "item",
    "group",
    "phase",
    "statistic",
    "value",
    "percent",
    "n",
    "note",
)

Row = list[object]


def _number(value: Fraction | float, places: int = 2) -> float:
    """A figure rounded as the report rounds it (halves away from zero)."""
    return float(round_half_away(value, places))


def _count_rows(section: str, found: Breakdown, min_cell_size: int, phase: str = "") -> list[Row]:
    rows: list[Row] = []
    for cell in found.cells:
        rows.append(_cell_row(section, found.label, cell, found.n, min_cell_size, phase))
    return rows


def _cell_row(
    section: str, item: str, cell: Cell, n: int, min_cell_size: int, phase: str = ""
) -> Row:
    if cell.hidden:
        note = phrases.count_text(cell, min_cell_size)
        if note.startswith("<"):
            note = f"fewer than {min_cell_size}"
        return [section, item, cell.label, phase, "count", None, None, n, note]
    share = percent(cell.count, n) if n else None
    return [section, item, cell.label, phase, "count", cell.count, share, n, ""]


def _mean_row(section: str, item: str, phase: str, mean: Mean, statistic: str = "mean") -> Row:
    value = mean.value
    if mean.withheld:
        return [section, item, "", phase, statistic, None, None, mean.n, phrases.PROTECTING]
    if mean.too_few or value is None:
        return [section, item, "", phase, statistic, None, None, mean.n, phrases.TOO_FEW]
    return [section, item, "", phase, statistic, _number(value), None, mean.n, ""]


def _change_rows(item: ItemChange, min_cell_size: int) -> list[Row]:
    section, label = "before and after", item.label
    rows = [_mean_row(section, label, phase, getattr(item, phase)) for phase in ("pre", "post")]
    rows.append([section, label, "", "", "matched pairs", item.pairs, None, None, ""])
    stats = item.stats
    figures: list[tuple[str, float | None]] = []
    if stats is not None:
        figures = [
            ("mean change", _number(stats.mean_change)),
            ("95% CI low", None if stats.ci_low is None else _number(stats.ci_low)),
            ("95% CI high", None if stats.ci_high is None else _number(stats.ci_high)),
            ("Wilcoxon p", None if stats.p_value is None else _number(stats.p_value, 3)),
            (
                "rank-biserial r",
                None if stats.rank_biserial is None else _number(stats.rank_biserial),
            ),
        ]
    for name, value in figures:
        shown = item.change_shown if name == "mean change" else item.test_shown
        note = "" if shown else phrases.PROTECTING
        if shown and value is None:
            note = "not defined"
        rows.append(
            [section, label, "", "", name, value if shown else None, None, stats and stats.n, note]
        )
    if stats is None:
        rows.append(
            [section, label, "", "", "mean change", None, None, item.pairs, phrases.TOO_FEW]
        )
        return rows
    for cell in item.direction.cells:
        rows.append(_cell_row(section, label, cell, item.direction.n, min_cell_size))
    return rows


def summary_rows(summary: ModuleSummary) -> list[Row]:
    """Every figure of the report, one per row, suppressed as the report suppresses it."""
    n = summary.min_cell_size
    rows: list[Row] = [
        ["responses", "participants", "", "", "count", summary.participants, None, None, ""]
    ]
    for count in summary.phases:
        rows.append(
            [
                "responses",
                "responded",
                "",
                count.phase,
                "count",
                count.respondents,
                percent(count.respondents, summary.participants) if summary.participants else None,
                summary.participants,
                "",
            ]
        )
        rows.append(
            [
                "responses",
                "partial (never submitted)",
                "",
                count.phase,
                "count",
                count.partial,
                None,
                count.respondents,
                "",
            ]
        )
    rows.append(
        [
            "responses",
            "matched pairs",
            "",
            "",
            "count",
            summary.pairs,
            None,
            summary.participants,
            "",
        ]
    )
    if summary.expectations is not None:
        rows += _count_rows("expectations", summary.expectations, n, "post")
    rows += [_mean_row("means", m.label, m.phase, m.mean) for m in summary.means]
    for item in summary.changes:
        rows += _change_rows(item, n)
    for found in summary.profiles:
        rows += _count_rows("participants", found, n)
    for found in summary.choices:
        rows += _count_rows("answers", found, n)
    for dist in summary.distributions:
        rows += _count_rows("rating distribution", dist.counts, n, dist.phase)
    for comparison in summary.comparisons:
        section = f"by {comparison.by}"
        for row in comparison.rows:
            for label, cell in (
                ("participants", row.participants),
                ("pre", row.pre),
                ("post", row.post),
                ("pairs", row.pairs),
            ):
                rows.append(
                    _cell_row(section, row.name, Cell(label, cell.count, cell.hidden), 0, n)
                )
            if row.hidden:
                continue
            yes = row.expectations_yes
            if yes is not None:
                shown = not yes.hidden and row.expectations_n > 0
                rows.append(
                    [
                        section,
                        row.name,
                        "met expectations",
                        "post",
                        "percent",
                        None,
                        percent(yes.count, row.expectations_n) if shown else None,
                        row.expectations_n,
                        "" if shown else phrases.TOO_FEW,
                    ]
                )
            for (_, label), mean in zip(comparison.means, row.means, strict=True):
                rows.append(_mean_row(section, row.name, "post", mean, f"mean {label}"))
            for (_, label), change in zip(comparison.items, row.changes, strict=True):
                rows.append(_mean_row(section, row.name, "", change, f"mean change {label}"))
    return rows
