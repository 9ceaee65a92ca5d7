"""The module over time in words: the paragraph, the trend table's cells and the method.

Shared by the HTML, Markdown and Telegram renderers and the summary sheet. The paragraph
claims a rise or a fall only where the trend test supports it (analysis.trend), and with
fewer than MIN_COHORTS_FOR_TEST cohorts it describes the runs and claims nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analysis.phrases import join_words
from analysis.released import Comparison, ComparisonRow, ItemTrend, ModuleSummary
from analysis.rounding import fmt_p, fmt_signed, percent
from analysis.trend import MIN_COHORTS_FOR_TEST, TREND_METHOD


def cohort_table(summary: ModuleSummary) -> Comparison | None:
    """The table of cohorts of a module-wide summary, if it has one."""
    return next((c for c in summary.comparisons if c.by == "cohort"), None)


def short_day(moment: datetime) -> str:
    """ "14 Mar 2017": a cohort's day in a narrow table cell."""
    return f"{moment.day} {moment:%b %Y}"


def long_day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def cohorts_in_date_order(summary: ModuleSummary, table: Comparison) -> list[ComparisonRow]:
    starts = {c.code: c.start for c in summary.scope.cohorts}
    return sorted(table.rows, key=lambda r: (starts[r.name], r.name))


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _cohort(summary: ModuleSummary, code: str) -> str:
    start = next(c.start for c in summary.scope.cohorts if c.code == code)
    return f"{code}, {long_day(start)}"


def _share_sentence(summary: ModuleSummary, table: Comparison) -> str | None:
    rows = [
        r
        for r in cohorts_in_date_order(summary, table)
        if r.yes is not None and r.yes_n is not None and r.yes_n > 0
    ]
    if len(rows) < 2:
        return None
    first, last = rows[0], rows[-1]
    assert first.yes is not None and first.yes_n and last.yes is not None and last.yes_n
    return (
        f"{percent(first.yes, first.yes_n)}% of the first cohort ({_cohort(summary, first.name)}) "
        "said the module met their expectations, and "
        f"{percent(last.yes, last.yes_n)}% of the latest ({_cohort(summary, last.name)})."
    )


def _item_sentence(trend: ItemTrend) -> str | None:
    shown = trend.shown
    if len(shown) < 2:
        return None
    label = _lower(trend.label)
    values = [p.change.value for p in shown if p.change.value is not None]
    low, high = fmt_signed(min(values)), fmt_signed(max(values))
    test = trend.test
    if test is None:
        spread = (
            f", ranging from {low} to {high} across the {len(shown)} cohorts"
            if len(shown) > 2
            else ""
        )
        return (
            f"The mean change in {label} was {fmt_signed(values[0])} in the first cohort "
            f"shown ({shown[0].cohort}) and {fmt_signed(values[-1])} in the latest "
            f"({shown[-1].cohort}){spread}."
        )
    if test.clear:
        verb = "rose" if test.change > 0 else "fell"
        return (
            f"The mean change in {label} {verb} over the period, from about "
            f"{fmt_signed(test.first)} for the first cohort to about {fmt_signed(test.last)} "
            "for the latest: a trend unlikely to be chance alone (see the trend table)."
        )
    return (
        f"The mean change in {label} showed no clear trend: it ranged from {low} to {high} "
        "across the cohorts, with no steady rise or fall that can be told apart from chance."
    )


def over_time_sentences(summary: ModuleSummary) -> list[str]:
    """What changed over the period, in plain words; empty for a single cohort."""
    table = cohort_table(summary)
    if table is None or len(table.rows) < 2:
        return []
    cohorts = summary.scope.cohorts
    sites = summary.scope.sites
    where = f" at {len(sites)} sites" if len(sites) > 1 else f" at {sites[0]}"
    first, last = min(c.start for c in cohorts), max(c.start for c in cohorts)
    sentences = [
        f"The module ran {len(table.rows)} times{where} between {long_day(first)} and "
        f"{long_day(last)}."
    ]
    share = _share_sentence(summary, table)
    if share:
        sentences.append(share)
    items = [s for s in (_item_sentence(t) for t in summary.trends) if s]
    sentences += items
    compared = [t for t in summary.trends if len(t.shown) >= 2]
    if summary.trends and not compared:
        sentences.append(
            "Too few cohorts had enough people who answered both before and after to compare "
            "their changes."
        )
    untested = [t for t in compared if t.test is None]
    if untested:
        one_day = all(len({p.start.date() for p in t.shown}) == 1 for t in untested)
        if one_day and all(len(t.shown) >= MIN_COHORTS_FOR_TEST for t in untested):
            sentences.append("The cohorts all ran on one day, so there is no trend over time.")
        else:
            sentences.append(
                f"With fewer than {MIN_COHORTS_FOR_TEST} cohorts to compare, these figures "
                "describe the runs; they are not a test of a trend."
            )
    return sentences


@dataclass(frozen=True)
class TrendCells:
    """One item's row of the trend table, as every output words it."""

    label: str
    cohorts: int  # cohorts whose mean change is shown
    fitted: str  # "+0.31 → +0.72", or why there is none
    change: str  # "+0.41 (95% CI +0.05 to +0.77)", or "–"
    p: str  # Holm-adjusted: "0.031", "< 0.001", or "–"


def trend_cells(trend: ItemTrend) -> TrendCells:
    k = len(trend.shown)
    test = trend.test
    if test is None:
        if k < MIN_COHORTS_FOR_TEST:
            why = f"not tested: fewer than {MIN_COHORTS_FOR_TEST} cohorts"
        else:
            why = "not tested: all on one day"
        return TrendCells(trend.label, k, why, "–", "–")
    return TrendCells(
        trend.label,
        k,
        f"{fmt_signed(test.first)} → {fmt_signed(test.last)}",
        f"{fmt_signed(test.change)} (95% CI {fmt_signed(test.ci_low)} to "
        f"{fmt_signed(test.ci_high)})",
        fmt_p(test.p_adjusted).removeprefix("= "),
    )


def method_lines(summary: ModuleSummary) -> list[str]:
    """How the cohort-by-cohort figures and the trend were made."""
    if not summary.trends:
        return []
    names = join_words([_lower(t.label) for t in summary.trends])
    return [
        "Cohort by cohort: each cohort's figures are those its own report gives (the same "
        "counts, means, mean changes and intervals), unless showing them here would let a "
        "small group be worked out from the module's totals, the sites' or other cohorts'; "
        "a cohort's 95% interval is shown when it has at least "
        f"{summary.pairs_for_tests} matched pairs, as in its own report.",
        "Trend over time: tested only when at least "
        f"{MIN_COHORTS_FOR_TEST} cohorts' mean changes are shown, and only over those "
        f"cohorts: a {TREND_METHOD}. The fitted change over the period is the slope times "
        "the time from the first cohort to the latest, with its 95% interval. Each item "
        f"({names}) is tested on its own; their p values are adjusted together by Holm's "
        "method (so that a trend in one of several items by chance alone is not claimed), "
        "and the report says a mean change rose or fell only where the adjusted p is below "
        "0.05. With fewer cohorts it describes the first, the latest and the range, and "
        "tests nothing.",
    ]
