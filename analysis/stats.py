"""Paired before/after statistics for one rating item, from scipy."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

WILCOXON_METHOD_NOTE = (
    "Wilcoxon signed-rank test (two-sided, scipy.stats.wilcoxon; pairs with no change are "
    "dropped (zero_method='wilcox'), no continuity correction; the method is chosen by this "
    "report and passed to scipy: the exact distribution for up to 50 pairs without ties or "
    "zero changes, otherwise the exact permutation distribution for up to 13 pairs, "
    "otherwise the normal approximation with tie correction)"
)

# Labels of the methods, as printed beside each p value.
EXACT = "exact"
PERMUTATION = "exact permutation"
NORMAL = "normal approximation"


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
    """The method used for these differences. The report chooses it and passes it to scipy,
    so the label never depends on how an installed scipy's 'auto' happens to choose."""
    nonzero = np.abs(diff[diff != 0])
    has_ties = len(np.unique(nonzero)) < len(nonzero)
    if len(diff) <= 50 and not has_ties and len(nonzero) == len(diff):
        # The exact null distribution assumes no ties and no zeros.
        return EXACT
    if len(diff) <= 13:
        # 2**13 sign patterns fit in scipy's default 9999 resamples: the permutation
        # distribution is enumerated in full, so the p value is exact, not a random draw.
        return PERMUTATION
    return NORMAL


def wilcoxon(diff: np.ndarray, method: str) -> tuple[float, float]:
    """The two-sided signed-rank statistic and p value by the named method."""
    if method == PERMUTATION:
        return _wilcoxon_permutation(np.asarray(diff))
    result = stats.wilcoxon(diff, method={EXACT: "exact", NORMAL: "asymptotic"}[method])
    return float(result.statistic), float(result.pvalue)


def _wilcoxon_permutation(diff: np.ndarray) -> tuple[float, float]:
    """What `stats.wilcoxon(diff, method=stats.PermutationMethod())` returns, to the last
    bit: scipy's own permutation test on the same statistic (R+, zeros dropped), but
    evaluated for all 2**n sign patterns in one array operation. scipy's wilcoxon passes
    its statistic unvectorised, one Python call per pattern: up to 8,192 for an item,
    about a tenth of a second each time a summary is computed."""
    result = stats.permutation_test(
        (diff.astype(float),),
        _positive_rank_sum,
        permutation_type="samples",  # one sample: every sign pattern of the differences
        vectorized=True,
        alternative="two-sided",
        axis=-1,
    )
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    statistic = min(float(ranks[nonzero > 0].sum()), float(ranks[nonzero < 0].sum()))
    return statistic, float(result.pvalue)


def _positive_rank_sum(d: np.ndarray, axis: int = -1) -> np.ndarray:
    """R+ along `axis`: the sum of the ranks of the positive differences among the non-zero
    ones. Zeros rank lowest (tied with each other), so a non-zero's rank among the
    non-zero ones is its rank among all less the number of zeros."""
    d = np.moveaxis(d, axis, -1)
    absolute = np.abs(d)
    ranks = stats.rankdata(absolute, axis=-1) - (absolute == 0).sum(axis=-1, keepdims=True)
    result: np.ndarray = (ranks * (d > 0)).sum(axis=-1)
    return result


def mean_change_interval(diff: np.ndarray) -> tuple[float, float] | None:
    """The t-based 95% confidence interval of a mean change; None for fewer than two pairs."""
    diff = np.asarray(diff, dtype=np.int64)
    return interval_from_sums(len(diff), int(diff.sum()), int((diff * diff).sum()))


def interval_from_sums(n: int, total: int, squares: int) -> tuple[float, float] | None:
    """The same interval from the changes' count, sum and sum of squares.

    The one computation of it: a cohort's row in a module-wide report (which adds up each
    cohort's changes at once) and the cohort's own report get the same interval to the
    last digit, as mean and variance are exact fractions of whole numbers until the
    square root.
    """
    if n < 2:
        return None
    mean = Fraction(total, n)
    variance = Fraction(n * squares - total * total, n * (n - 1))
    if variance == 0:
        # No spread: the interval collapses to the mean (the t formula would divide 0 by 0).
        return float(mean), float(mean)
    half = _t_975(n - 1) * math.sqrt(variance / n)
    return float(mean) - half, float(mean) + half


@functools.lru_cache(maxsize=1024)
def _t_975(df: int) -> float:
    """The t distribution's 97.5th percentile: a 95% two-sided interval's multiplier."""
    return float(stats.t.ppf(0.975, df))


def paired_stats(pre: np.ndarray, post: np.ndarray) -> PairedStats:
    """Mean change with a t-based 95% CI, Wilcoxon p and matched-pairs rank-biserial r."""
    diff = np.asarray(post, dtype=np.int64) - np.asarray(pre, dtype=np.int64)
    n = len(diff)
    if n == 0:
        raise ValueError("no pairs")
    mean = Fraction(int(diff.sum()), n)
    ci_low, ci_high = mean_change_interval(diff) or (None, None)
    nonzero = diff[diff != 0]
    statistic: float | None = None
    p_value: float | None = None
    r: float | None = None
    method = "not tested: no participant changed"
    if len(nonzero):
        method = wilcoxon_method(diff)
        statistic, p_value = wilcoxon(diff, method)
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
