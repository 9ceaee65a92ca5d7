"""Over time: each paired item's mean change cohort by cohort, and whether it has a trend.

Built from what the disclosure policy released for the cohorts' rows, never from the
exact figures: a trend drawn or tested over cohorts whose change is not shown could
give that change away. So the trend says nothing the cohorts' table does not.

The test (with at least MIN_COHORTS_FOR_TEST cohorts whose change is shown): a weighted
least-squares regression of the cohorts' mean changes on their start dates, each cohort
weighted by its matched pairs (a mean of more pairs is more precise), its scale estimated
from the scatter of the cohorts about the line, and the slope tested with a t test on
k − 2 degrees of freedom. Estimating the scale from the cohorts, not from the people in
them, lets cohorts differ for reasons of their own (a site, a facilitator) without that
passing for a trend. With fewer cohorts the report describes the runs and tests nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy import stats

from analysis.released import Comparison, ItemTrend, TrendPoint, TrendTest
from analysis.scope import Scope

MIN_COHORTS_FOR_TEST = 5
DAYS_PER_YEAR = 365.25
TREND_METHOD = (
    "weighted least-squares regression of each cohort's mean change on its start date "
    "(weights: the cohort's matched pairs; scale estimated from the cohorts' scatter about "
    "the line), slope tested with a two-sided t test on k − 2 degrees of freedom; the "
    "items' p values adjusted together by Holm's method"
)


def item_trends(comparison: Comparison, scope: Scope) -> tuple[ItemTrend, ...]:
    """Each paired item's trend over a cohorts' table (empty for a table of sites)."""
    if comparison.by != "cohort":
        return ()
    info = {c.code: c for c in scope.cohorts}
    rows = sorted(comparison.rows, key=lambda r: (info[r.name].start, r.name))
    trends = []
    for index, (question, label) in enumerate(comparison.items):
        points = tuple(
            TrendPoint(
                row.name,
                info[row.name].site,
                info[row.name].start,
                row.changes[index],
                row.intervals[index] if row.intervals else None,
            )
            for row in rows
        )
        trends.append(ItemTrend(question, label, points, _test(points)))
    return _holm(trends)


def _holm(trends: list[ItemTrend]) -> tuple[ItemTrend, ...]:
    """Holm's adjustment of the items' p values: with three items tested, a trend in one
    of them by chance alone would otherwise be claimed about one time in seven."""
    tested = sorted(
        (i for i, t in enumerate(trends) if t.test is not None),
        key=lambda i: trends[i].test.p_value,  # type: ignore[union-attr]
    )
    adjusted: dict[int, float] = {}
    running = 0.0
    for rank, i in enumerate(tested):
        test = trends[i].test
        assert test is not None
        running = max(running, min(1.0, (len(tested) - rank) * test.p_value))
        adjusted[i] = running
    return tuple(
        replace(t, test=replace(t.test, p_adjusted=adjusted[i])) if t.test is not None else t
        for i, t in enumerate(trends)
    )


def _test(points: Sequence[TrendPoint]) -> TrendTest | None:
    shown = [p for p in points if p.change.value is not None and p.change.n]
    if len(shown) < MIN_COHORTS_FOR_TEST:
        return None
    # Time in days (the day each cohort starts, in the bot's time zone): two cohorts on
    # one day are at one time, and a trend needs at least two days.
    first = shown[0].start.date()
    years = np.array([(p.start.date() - first).days / DAYS_PER_YEAR for p in shown])
    if np.ptp(years) == 0:
        return None  # every cohort on one day: there is no time to have a trend over
    values = [p.change.value for p in shown if p.change.value is not None]
    change = np.array([float(v) for v in values])
    weights = np.array([float(p.change.n or 0) for p in shown])
    span = float(years[-1] - years[0])
    if len(set(values)) == 1:
        # Every cohort's change the same (exactly: they are fractions): a flat line, which
        # floating-point residuals of 1e-17 must not turn into a "significant" slope.
        slope, intercept, se, df = 0.0, float(change[0]), 0.0, len(values) - 2
    else:
        slope, intercept, se, df = weighted_slope(years, change, weights)
    if se == 0:
        # The cohorts lie exactly on the line: no scatter to test against.
        p_value = 1.0 if slope == 0 else 0.0
    else:
        p_value = float(2 * stats.t.sf(abs(slope / se), df))
    half = float(stats.t.ppf(0.975, df) * se)
    return TrendTest(
        cohorts=len(shown),
        first=float(intercept + slope * years[0]),
        last=float(intercept + slope * years[-1]),
        change=float(slope * span),
        ci_low=float((slope - half) * span),
        ci_high=float((slope + half) * span),
        p_value=p_value,
        p_adjusted=p_value,
        slope_per_year=float(slope),
    )


def weighted_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float, int]:
    """Weighted least squares of y on x: slope, intercept, the slope's standard error with
    the scale estimated from the weighted residuals, and the residual degrees of freedom."""
    x, y, w = (np.asarray(a, dtype=float) for a in (x, y, w))
    mean_x = np.average(x, weights=w)
    mean_y = np.average(y, weights=w)
    sxx = float(np.sum(w * (x - mean_x) ** 2))
    slope = float(np.sum(w * (x - mean_x) * (y - mean_y)) / sxx)
    intercept = float(mean_y - slope * mean_x)
    df = len(x) - 2
    residuals = y - (intercept + slope * x)
    scale = float(np.sum(w * residuals**2)) / df
    return slope, intercept, float(np.sqrt(scale / sxx)), df
