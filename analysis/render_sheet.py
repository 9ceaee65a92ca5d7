"""Render a summary as spreadsheet rows: the XLSX export's `summary` sheet.

One figure a row, as a number a statistician can compute with; a figure the report
does not show (a small group, or one that would reveal it) has an empty value and a
note saying why, exactly as in the report.
"""

from __future__ import annotations

from fractions import Fraction

from analysis import over_time, phrases
from analysis.released import (
    Breakdown,
    FollowUpSummary,
    ItemChange,
    ItemTrend,
    Mean,
    ModuleSummary,
)
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


def _count_rows(
    section: str, found: Breakdown, min_cell_size: int, phase: str = "", ratings: bool = False
) -> list[Row]:
    """A row per option (empty where it is not shown alone) and per merged part."""
    n = found.n
    if found.left_out:
        note = f"not shown: a group of fewer than {min_cell_size} could be worked out"
        return [
            [section, found.label, label, phase, "count", None, None, n, note]
            for label in found.labels
        ]
    rows: list[Row] = []
    for label in found.labels:
        part = found.part_of(label)
        assert part is not None
        if not part.merged:
            share = percent(part.count, n) if n else None
            rows.append([section, found.label, label, phase, "count", part.count, share, n, ""])
            continue
        name = phrases.band_name(part) if ratings else phrases.part_name(part)
        if label == part.labels[0]:
            share = percent(part.count, n) if n else None
            note = f"together: groups of fewer than {min_cell_size} are not shown alone"
            rows.append([section, found.label, name, phase, "count", part.count, share, n, note])
        rows.append([section, found.label, label, phase, "count", None, None, n, f"in {name}"])
    return rows


def _response_rows(
    section: str, phase: str, respondents: int, partial: int, asked: int
) -> list[Row]:
    """How many responded (and their share of those `asked`), and how many of them never
    submitted."""
    share = percent(respondents, asked) if asked else None
    return [
        [section, "responded", "", phase, "count", respondents, share, asked, ""],
        [section, "partial (never submitted)", "", phase, "count", partial, None, respondents, ""],
    ]


def _mean_row(section: str, item: str, phase: str, mean: Mean, statistic: str = "mean") -> Row:
    if mean.value is not None:
        return [section, item, "", phase, statistic, _number(mean.value), None, mean.n, ""]
    note = phrases.TOO_FEW if mean.n is not None else phrases.NOT_SHOWN
    return [section, item, "", phase, statistic, None, None, mean.n, note]


def _change_rows(
    item: ItemChange,
    summary: ModuleSummary | FollowUpSummary,
    section: str = "before and after",
    phases: tuple[str, str] = ("pre", "post"),
) -> list[Row]:
    label = item.label
    rows = [
        _mean_row(section, label, phase, mean)
        for phase, mean in zip(phases, (item.pre, item.post), strict=True)
    ]
    rows.append([section, label, "", "", "matched pairs", item.pairs, None, None, ""])
    if item.change is None:
        note = f"fewer than {summary.min_cell_size} pairs"
        rows.append([section, label, "", "", "mean change", None, None, item.pairs, note])
    else:
        rows.append(
            [section, label, "", "", "mean change", _number(item.change), None, item.pairs, ""]
        )
    test = item.test
    figures: list[tuple[str, float | None]] = [
        ("95% CI low", None if test is None or test.ci_low is None else _number(test.ci_low)),
        ("95% CI high", None if test is None or test.ci_high is None else _number(test.ci_high)),
        ("Wilcoxon p", None if test is None or test.p_value is None else _number(test.p_value, 3)),
        (
            "rank-biserial r",
            None if test is None or test.rank_biserial is None else _number(test.rank_biserial),
        ),
    ]
    for name, value in figures:
        note = "" if value is not None else "not defined"
        if test is None:
            note = f"fewer than {summary.pairs_for_tests} pairs: tests not shown"
        rows.append([section, label, "", "", name, value, None, item.pairs, note])
    if item.direction is not None:
        rows += _count_rows(section, item.direction, summary.min_cell_size)
    return rows


def summary_rows(summary: ModuleSummary) -> list[Row]:
    """Every figure of the report, one per row, suppressed as the report suppresses it."""
    n = summary.min_cell_size
    rows: list[Row] = [
        ["responses", "participants", "", "", "count", summary.participants, None, None, ""]
    ]
    for count in summary.phases:
        rows += _response_rows(
            "responses", count.phase, count.respondents, count.partial, summary.participants
        )
    pairs = ["responses", "matched pairs", "", "", "count", summary.pairs, None]
    rows.append([*pairs, summary.participants, ""])
    if summary.expectations is not None:
        rows += _count_rows("expectations", summary.expectations, n, "post")
    rows += [_mean_row("means", m.label, m.phase, m.mean) for m in summary.means]
    for item in summary.changes:
        rows += _change_rows(item, summary)
    for found in summary.profiles:
        rows += _count_rows("participants", found, n)
    for found in summary.choices:
        rows += _count_rows("answers", found, n)
    for dist in summary.distributions:
        rows += _count_rows("rating distribution", dist.counts, n, dist.phase, ratings=True)
    for comparison in summary.comparisons:
        section = f"by {comparison.by}"
        for row in comparison.rows:
            for label, shown in (
                ("participants", row.participants),
                ("pre", row.pre),
                ("post", row.post),
                ("pairs", row.pairs),
            ):
                note = "" if shown is not None else phrases.NOT_SHOWN
                rows.append([section, row.name, label, "", "count", shown, None, None, note])
            if row.participants is None:
                continue
            if comparison.has_yes:
                shown = row.yes is not None and bool(row.yes_n)
                rows.append(
                    [
                        section,
                        row.name,
                        "met expectations",
                        "post",
                        "percent",
                        None,
                        percent(row.yes, row.yes_n)
                        if shown and row.yes is not None and row.yes_n
                        else None,
                        row.yes_n,
                        "" if shown else phrases.NOT_SHOWN,
                    ]
                )
            for (_, label), mean in zip(comparison.means, row.means, strict=True):
                rows.append(_mean_row(section, row.name, "post", mean, f"mean {label}"))
            intervals = row.intervals or tuple(None for _ in row.changes)
            for (_, label), change, interval in zip(
                comparison.items, row.changes, intervals, strict=True
            ):
                rows.append(_mean_row(section, row.name, "", change, f"mean change {label}"))
                if change.value is None:
                    continue
                for end, name in enumerate(("95% CI low", "95% CI high")):
                    value = None if interval is None else _number(interval[end])
                    note = (
                        f"fewer than {summary.pairs_for_tests} pairs: not shown"
                        if interval is None
                        else ""
                    )
                    rows.append(
                        [section, row.name, "", "", f"{name} {label}", value, None, change.n, note]
                    )
    for trend in summary.trends:
        rows += _trend_rows(trend)
    for later in summary.follow_ups:
        rows += _cohort_follow_up_rows(later)
    return rows


def _cohort_follow_up_rows(found: FollowUpSummary) -> list[Row]:
    """A cohort's follow-up outcomes in a module-wide report: its own summary's figures."""
    section, cohort = "follow-up by cohort", found.scope.cohorts[0].code
    share = found.used_share()
    rows: list[Row] = [
        [section, cohort, "asked", "follow_up", "count", found.asked, None, None, ""],
        [
            section,
            cohort,
            "responded",
            "follow_up",
            "count",
            found.respondents,
            percent(found.respondents, found.asked) if found.asked else None,
            found.asked,
            "",
        ],
    ]
    if found.used is not None:
        note = "" if share is not None else phrases.NOT_SHOWN
        rows.append(
            [
                section,
                cohort,
                "used in practice",
                "follow_up",
                "count",
                found.used_count,
                share,
                found.used.n,
                note,
            ]
        )
    for item in found.items:
        if item.kept is not None:
            rows.append(
                _mean_row(
                    section,
                    cohort,
                    "",
                    Mean(item.kept.pairs, item.kept.change),
                    f"mean change after → follow-up {item.label}",
                )
            )
    return rows


def _trend_rows(trend: ItemTrend) -> list[Row]:
    """The trend test of one item over the cohorts, or why there is none."""
    section, label = "trend over time", trend.label
    cohorts = len(trend.shown)
    test = trend.test
    if test is None:
        note = over_time.trend_cells(trend).fitted
        return [[section, label, "", "", "cohorts", cohorts, None, None, note]]
    figures: list[tuple[str, float]] = [
        ("fitted change at the first cohort", _number(test.first)),
        ("fitted change at the latest cohort", _number(test.last)),
        ("change over the period", _number(test.change)),
        ("change over the period: 95% CI low", _number(test.ci_low)),
        ("change over the period: 95% CI high", _number(test.ci_high)),
        ("p (slope)", _number(test.p_value, 3)),
        ("p (slope), Holm-adjusted over the items", _number(test.p_adjusted, 3)),
    ]
    rows: list[Row] = [[section, label, "", "", "cohorts", cohorts, None, None, ""]]
    rows += [[section, label, "", "", name, value, None, cohorts, ""] for name, value in figures]
    return rows


def follow_up_rows(summary: FollowUpSummary) -> list[Row]:
    """Every figure of the follow-up section, one per row, suppressed as the report does."""
    n = summary.min_cell_size
    section = "follow-up"
    rows: list[Row] = [
        [section, "asked", "", "follow_up", "count", summary.asked, None, None, ""],
        *_response_rows(section, "follow_up", summary.respondents, summary.partial, summary.asked),
    ]
    if summary.used is not None:
        rows += _count_rows("follow-up: used in practice", summary.used, n, "follow_up")
        share = summary.used_share()
        rows.append(
            [
                "follow-up: used in practice",
                summary.used.label,
                " or ".join(summary.used_labels),
                "follow_up",
                "count",
                summary.used_count,
                share,
                summary.used.n,
                "" if share is not None else phrases.NOT_SHOWN,
            ]
        )
    for found in summary.choices:
        rows += _count_rows("follow-up: answers", found, n, "follow_up")
    for item in summary.items:
        rows += [
            _mean_row("follow-up: three points", item.label, phase, mean)
            for phase, mean in item.points
        ]
        if item.kept is not None:
            rows += _change_rows(
                item.kept, summary, "follow-up: after → follow-up", ("post", "follow_up")
            )
        if item.since_before is not None:
            rows += _change_rows(
                item.since_before, summary, "follow-up: before → follow-up", ("pre", "follow_up")
            )
    return rows
