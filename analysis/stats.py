"""Paired before/after statistics for one rating item, from scipy."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

WILCOXON_METHOD_NOTE = (
    "Wilcoxon signed-rank test (two-sided; scipy.stats.wilcoxon with its defaults: "
    "pairs with no change are dropped (zero_method='wilcox'), no continuity correction, "
    "method 'auto': exact distribution for up to 50 pairs without ties or zero changes, "
    "exact permutation distribution for up to 13 pairs, otherwise the normal "
    "approximation with tie correction)"
)


@dataclass(frozen=True)
class PairedStats:
    """The change from pre to post over participants who answered both."""

    n: int
    mean_change: Fraction
    ci_low: float | None  # None: fewer than two pairs
    ci_high: float | None
    wilcoxon_statistic: float | None  # None: no pair changed, the test is undefined
    p_value: float | None
    method: str
    rank_biserial: float | None
    improved: int
    same: int
    declined: int


def wilcoxon_method(diff: np.ndarray) -> str:
    """Which method scipy's 'auto' picks for these differences (mirrors its documented rule)."""
    nonzero = np.abs(diff[diff != 0])
    has_ties = len(np.unique(nonzero)) < len(nonzero)
    if len(diff) <= 50 and not has_ties and len(nonzero) == len(diff):
        return "exact"
    if len(diff) <= 13:
        return "exact permutation"
    return "normal approximation"


def paired_stats(pre: np.ndarray, post: np.ndarray) -> PairedStats:
    """Mean change with a t-based 95% CI, Wilcoxon p and matched-pairs rank-biserial r."""
    diff = np.asarray(post, dtype=np.int64) - np.asarray(pre, dtype=np.int64)
    n = len(diff)
    if n == 0:
        raise ValueError("no pairs")
    mean = Fraction(int(diff.sum()), n)
    ci_low: float | None = None
    ci_high: float | None = None
    if n >= 2:
        if np.all(diff == diff[0]):
            # No spread: the interval collapses to the mean (the t formula would divide 0 by 0).
            ci_low = ci_high = float(mean)
        else:
            interval = stats.ttest_1samp(diff, 0.0).confidence_interval(0.95)
            ci_low, ci_high = float(interval.low), float(interval.high)
    nonzero = diff[diff != 0]
    statistic: float | None = None
    p_value: float | None = None
    r: float | None = None
    method = "not tested: no participant changed"
    if len(nonzero):
        result = stats.wilcoxon(diff)
        statistic, p_value = float(result.statistic), float(result.pvalue)
        method = wilcoxon_method(diff)
        # Matched-pairs rank-biserial correlation (Kerby 2014), over the same non-zero
        # changes the test ranks: (R+ − R−) / (R+ + R−).
        ranks = stats.rankdata(np.abs(nonzero))
        r_plus = float(ranks[nonzero > 0].sum())
        r_minus = float(ranks[nonzero < 0].sum())
        r = (r_plus - r_minus) / (r_plus + r_minus)
    return PairedStats(
        n=n,
        mean_change=mean,
        ci_low=ci_low,
        ci_high=ci_high,
        wilcoxon_statistic=statistic,
        p_value=p_value,
        method=method,
        rank_biserial=r,
        improved=int((diff > 0).sum()),
        same=int((diff == 0).sum()),
        declined=int((diff < 0).sum()),
    )
