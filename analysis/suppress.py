"""Protecting small counts by merging, and checking that a reader cannot undo it.

A count of 1 to m − 1 (m: the minimum cell size) is never shown on its own. Options are
merged into one part whose count is shown ("Partly or No together: 9"); zero is shown.
What a reader then knows, and what every check here assumes they know: the total, every
shown count, every merged part's count, that a merged part's options are not zero (zeros
are shown on their own) and that at least one of them is small, and whatever other
figures tell (a mean, a mean change). Ratings 1–5 merge into runs of neighbours instead
("1–3: 18"), which may hold a rating nobody gave; see choose_bands.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence

Interval = tuple[int, int]
RATING_STEP = 4  # the largest change on a 1–5 scale
# Above this many answers in one merged band, the exact check of an inner rating is
# skipped and the band counted as revealing: a safe answer, reached only in huge cohorts.
MAX_BAND_TOTAL = 4000


def is_small(count: int, min_size: int) -> bool:
    return 1 <= count < min_size


def group_safe(members: Sequence[int], min_size: int) -> bool:
    """Whether options given together keep each of their counts unknown.

    The part's count must itself not be small, and it must be more than the number of
    options in it: three options of one each, shown as "3 together", are known to be one
    each, since none of them is zero.
    """
    return len(members) >= 2 and sum(members) >= max(min_size, len(members) + 1)


def merge_small(
    counts: Sequence[int],
    min_size: int,
    *,
    keep: Collection[int] = (),
    forced: Collection[int] = (),
) -> frozenset[int] | None:
    """The options to give together as one part (empty: all shown; None: left out).

    The small options, plus those in `forced`, and then while that part would still give
    them away, the smallest other option that is not zero (the options in `keep` last:
    the headline share "Yes" stays shown wherever it can). Left out when no option is
    left to add.
    """
    if min_size <= 1:
        return frozenset()
    merged = {i for i, c in enumerate(counts) if is_small(c, min_size)} | set(forced)
    while merged and not group_safe([counts[i] for i in merged], min_size):
        more = merge_further(counts, merged, keep=keep)
        if more is None:
            return None
        merged = set(more)
    return frozenset(merged)


def merge_further(
    counts: Sequence[int], merged: Collection[int], *, keep: Collection[int] = ()
) -> frozenset[int] | None:
    """One more option in the merged part, or None when only zeros are left outside it."""
    candidates = [i for i, c in enumerate(counts) if i not in merged and c > 0]
    if not candidates:
        return None
    # Ties: the first of the smallest, so the choice is stable between runs.
    return frozenset({*merged, min(candidates, key=lambda i: (i in keep, counts[i], i))})


def direction_pinned(
    counts: Sequence[int],
    merged: Collection[int],
    min_size: int,
    *,
    pre_sum: Interval | None = None,
    post_sum: Interval | None = None,
    change_sum: Interval | None = None,
) -> bool:
    """Whether a merged improved/same/declined count has one possible value.

    `pre_sum` and `post_sum` bound the pairs' total rating before and after (from the
    phase means), `change_sum` their total change (from the mean change and the cohorts'
    or sites' mean changes). On a 1–5 scale, `i` improved, `s` same and `d` declined
    pairs can reach exactly the totals with pre in [i+s+2d, 4i+5s+5d], post in
    [2i+s+d, 5i+5s+4d] and post − pre in [i−4d, 4i−d] (checked against every set of up
    to three pairs by tests/test_analysis_disclosure.py). Two merged counts are the most
    a shown breakdown of three can have; with all three merged it is left out.
    """
    if len(merged) != 2:
        return False
    first, second = sorted(merged)
    together = counts[first] + counts[second]
    n = sum(counts)
    pre_lo, pre_hi = pre_sum or (n, 5 * n)
    post_lo, post_hi = post_sum or (n, 5 * n)
    change_lo, change_hi = change_sum or (-RATING_STEP * n, RATING_STEP * n)
    possible = 0
    for value in range(1, together):
        if not (is_small(value, min_size) or is_small(together - value, min_size)):
            continue
        values = list(counts)
        values[first], values[second] = value, together - value
        i, s, d = values
        a_lo, a_hi = max(pre_lo, i + s + 2 * d), min(pre_hi, 4 * i + 5 * s + 5 * d)
        b_lo, b_hi = max(post_lo, 2 * i + s + d), min(post_hi, 5 * i + 5 * s + 4 * d)
        if a_lo > a_hi or b_lo > b_hi:
            continue
        # Differences of two integer ranges fill the range of differences.
        lo = max(b_lo - a_hi, change_lo, i - RATING_STEP * d)
        hi = min(b_hi - a_lo, change_hi, RATING_STEP * i - d)
        if lo <= hi:
            possible += 1
            if possible == 2:
                return False
    return True


Bands = tuple[tuple[int, ...], ...]


def partitions(k: int) -> list[Bands]:
    """Every way to cut k ordered options into runs of neighbours (16 for a 1–5 scale)."""
    result = []
    for cuts in itertools.product((False, True), repeat=k - 1):
        bands, current = [], [0]
        for i, cut in enumerate(cuts, start=1):
            if cut:
                bands.append(tuple(current))
                current = []
            current.append(i)
        bands.append(tuple(current))
        result.append(tuple(bands))
    return result


_PARTITIONS = {5: partitions(5)}


def choose_bands(counts: Sequence[int], min_size: int, total: Interval) -> Bands | None:
    """The finest runs of neighbouring ratings that protect every small count (None: none do).

    A 1–5 rating distribution is ordered, so it is merged into runs ("1–2", "4–5"), each
    shown with its count. `total` bounds the sum of all ratings (from the shown mean:
    to 2 decimals over fewer than 200 answers it is exact), so the runs must also keep
    every small count unknown given that sum. Of the runs that do, the most; then the
    fewest answers merged.
    """
    singletons = tuple((i,) for i in range(len(counts)))
    if min_size <= 1 or not any(is_small(c, min_size) for c in counts):
        return singletons
    options = _PARTITIONS.get(len(counts)) or partitions(len(counts))
    best: tuple[tuple[int, int], Bands] | None = None
    for bands in options:
        if len(bands) == 1:
            continue
        sizes = [sum(counts[i] for i in band) for band in bands]
        if any(
            (is_small(size, min_size) if len(band) == 1 else size < min_size)
            for band, size in zip(bands, sizes, strict=True)
        ):
            continue
        key = (-len(bands), sum(s for b, s in zip(bands, sizes, strict=True) if len(b) > 1))
        if best is not None and key >= best[0]:
            continue
        if bands_pinned(counts, bands, min_size, total):
            continue
        best = (key, bands)
    return best[1] if best else None


def bands_pinned(counts: Sequence[int], bands: Bands, min_size: int, total: Interval) -> bool:
    """Whether a small count inside a merged run has one possible value, given the runs'
    counts and the bounds on the ratings' sum (rating k + 1 for counts[k])."""
    lo, hi = total
    fixed = sum((band[0] + 1) * counts[band[0]] for band in bands if len(band) == 1)
    merged = [(band, sum(counts[i] for i in band)) for band in bands if len(band) > 1]
    for band, size in merged:
        others = [(b, s) for b, s in merged if b != band]
        other_lo = sum((b[0] + 1) * s for b, s in others)
        other_hi = sum((b[-1] + 1) * s for b, s in others)
        for level in band:
            if not is_small(counts[level], min_size):
                continue
            rest = [i for i in band if i != level]
            reach = _reach(rest, size)
            if reach is None:
                return True
            found = 0
            for value in range(size + 1):
                low = lo - fixed - other_hi - (level + 1) * value
                high = hi - fixed - other_lo - (level + 1) * value
                if reach(size - value, low, high):
                    found += 1
                    if found == 2:
                        break
            if found < 2:
                return True
    return False


def _reach(levels: Sequence[int], most: int) -> Callable[[int, int, int], bool] | None:
    """A test: can `units` answers spread over `levels` (ratings k + 1) sum to a value in
    [low, high]? None when that is too costly to answer exactly."""
    weights = [k + 1 for k in levels]
    if all(b - a == 1 for a, b in itertools.pairwise(weights)):
        # Neighbouring ratings reach every sum between all-lowest and all-highest.
        return lambda units, low, high: (
            max(low, weights[0] * units) <= min(high, weights[-1] * units)
        )
    if most > MAX_BAND_TOTAL:
        return None
    # A run with a rating cut out of its middle leaves gaps: the sums each number of
    # answers can reach, as bits of an integer.
    masks = [1]
    for _ in range(most):
        previous = masks[-1]
        mask = 0
        for w in weights:
            mask |= previous << w
        masks.append(mask)

    def reach(units: int, low: int, high: int) -> bool:
        low = max(low, 0)
        if high < low:
            return False
        return (masks[units] >> low) & ((1 << (high - low + 1)) - 1) != 0

    return reach
