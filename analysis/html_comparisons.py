"""The report's sections that set cohorts or sites side by side (pure: summary → HTML).

The sites side by side (a module run at more than one site), and a module's cohorts one by
one in date order: their tables, the trend chart and test, and each cohort's follow-up.
"""

from __future__ import annotations

from analysis import html_parts, over_time, phrases
from analysis.html_parts import Cell, EmbeddedChart, esc
from analysis.released import Comparison, ComparisonRow, ModuleSummary
from analysis.rounding import fmt_signed


def _ordered_rows(summary: ModuleSummary, comparison: Comparison) -> list[ComparisonRow]:
    """Sites as configured; cohorts by start date, so a reader sees the runs in turn."""
    if comparison.by != "cohort":
        return list(comparison.rows)
    return over_time.cohorts_in_date_order(summary, comparison)


def _change_cell(row: ComparisonRow, index: int) -> str:
    """ "+0.58 (36)", with its 95% interval below it where the row shows one."""
    cell = html_parts.short_mean(row.changes[index], change=True)
    interval = row.intervals[index] if row.intervals else None
    if interval is None:
        return cell
    return f"{cell}<br>({fmt_signed(interval[0])} to {fmt_signed(interval[1])})"


def _comparison_tables(summary: ModuleSummary, comparison: Comparison, n: int) -> str:
    """Three tables, so that each fits a phone's or a page's width: who took part, how they
    rated the module, and the changes from before to after."""
    cohorts = comparison.by == "cohort"
    what = esc("cohort, in date order" if cohorts else "site")
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
    rating_heads += [esc(label) for _, label in comparison.means]
    change_heads = [name_head, *when_head, *(esc(label) for _, label in comparison.items)]
    who: list[list[Cell]] = []
    ratings: list[list[Cell]] = []
    changes: list[list[Cell]] = []
    for row in rows:
        name = f'<span class="code">{esc(row.name)}</span>'
        when: list[Cell] = []
        if cohorts:
            # A day never breaks across lines: "14 Mar 2017" in one piece.
            when = [esc(over_time.short_day(info[row.name].start)).replace(" ", "\u00a0")]
            facts: list[Cell] = [*when, esc(info[row.name].site)]
        else:
            facts = [str(runs.get(row.name, 0))]
        if row.participants is None:
            who.append([name, *facts, *[phrases.NOT_SHOWN] * 4])
            ratings.append(
                [name, *when, *[phrases.NOT_SHOWN] * (len(rating_heads) - 1 - len(when))]
            )
            changes.append([name, *when, *[phrases.NOT_SHOWN] * len(comparison.items)])
            continue
        who.append([name, *facts, *phrases.row_counts(row)])
        rated: list[Cell] = []
        if comparison.has_yes:
            rated.append(phrases.row_met_expectations(row))
        rated += [html_parts.short_mean(m) for m in row.means]
        ratings.append([name, *when, *rated])
        changes.append([name, *when, *(_change_cell(row, i) for i in range(len(row.changes)))])
    out = html_parts.table(
        f"By {what}: who took part", who_heads, who, numeric_from=len(who_heads) - 4
    )
    if len(rating_heads) > 1 + len(when_head):
        out += html_parts.table(
            f"By {what}: how they rated the module",
            rating_heads,
            ratings,
            numeric_from=1 + len(when_head),
        )
    if comparison.items:
        out += html_parts.table(
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


def comparisons_section(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
    """The sites side by side (a module run at more than one site)."""
    sites = next((c for c in summary.comparisons if c.by == "site"), None)
    if sites is None:
        return ""
    return (
        '<section id="comparisons" aria-labelledby="comparisons-h">'
        '<h2 id="comparisons-h">Sites side by side</h2>'
        "<p>Each row is one site, all its cohorts together. "
        + esc(HIDDEN_ROWS.format(tests=summary.pairs_for_tests, n=n))
        + "</p>"
        + _comparison_tables(summary, sites, n)
        + html_parts.figure(charts.get("by-site"), "Mean change from before to after, by site.")
        + "</section>"
    )


def over_time_section(summary: ModuleSummary, n: int, charts: dict[str, EmbeddedChart]) -> str:
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
            [
                esc(cells.label),
                str(cells.cohorts),
                esc(cells.fitted),
                esc(cells.change),
                esc(cells.p),
            ]
        )
    tested = any(t.test is not None for t in summary.trends)
    trend_table = (
        html_parts.table(
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
        + html_parts.keep(
            '<h2 id="over-time-h">Cohort by cohort, over time</h2>',
            f"<p>{esc(' '.join(sentences))}</p>" if sentences else "",
        )
        + "<p>Each row is one cohort, in the order they ran; its figures are those of the "
        "cohort's own report. "
        + esc(HIDDEN_ROWS.format(tests=summary.pairs_for_tests, n=n))
        + "</p>"
        + _comparison_tables(summary, cohorts, n)
        + html_parts.figure(
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
                f'<span class="code">{esc(row.cohort)}</span><br>{esc(row.day)}',
                str(row.asked),
                esc(row.responded),
                esc(row.used),
                *(esc(cell) for cell in row.kept),
            ]
        )
    table = html_parts.table(
        "Follow-up outcomes, cohort by cohort (weeks after each module)",
        [
            "Cohort",
            "Asked",
            "Responded",
            "Used in practice",
            *(f"{esc(label)}: after → follow-up" for label in items),
        ],
        rows,
    )
    return (
        '<h3 id="follow-ups-h">Weeks later: the follow-up, cohort by cohort</h3>'
        f"<p>{esc(phrases.FOLLOW_UPS_NOTE)}</p>{table}"
    )
