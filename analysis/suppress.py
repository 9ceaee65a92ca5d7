"""Small-cell suppression: which counts of a breakdown must be hidden."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def hidden_cells(
    counts: Sequence[int], min_size: int, already_hidden: Sequence[bool] | None = None
) -> tuple[bool, ...]:
    """Mark cells below `min_size` (or already hidden), plus shown cells as complements.

    A reader knows the total, every shown count, and that a cell shown as "<N" is below
    N (a withheld complement is at least N). While any hidden cell could be worked out
    from that — one hidden cell alone, two "<3" cells adding up to 4, hidden cells that
    must all be empty — the smallest shown cell is hidden too (complementary
    suppression). Empty cells count as small: "0" is also fewer than `min_size` people.
    """
    # min_size 1 turns suppression off: no group of people is smaller than one.
    hidden = [
        (count < min_size and min_size > 1) or bool(already_hidden and already_hidden[i])
        for i, count in enumerate(counts)
    ]
    while any(hidden) and not all(hidden) and _recoverable(counts, hidden, min_size):
        shown = [i for i, is_hidden in enumerate(hidden) if not is_hidden]
        # Ties: the first of the smallest, so the choice is stable between runs.
        hidden[min(shown, key=lambda i: (counts[i], i))] = True
    return tuple(hidden)


def blurred(counts: Sequence[int], hidden: Sequence[bool], min_size: int) -> bool:
    """Whether even "<N" would say too much: every cell is hidden, yet marking the small
    ones would pin one down (three groups of two shown as "<3" each, out of six; or "<3",
    "<3" and a withheld one out of three). Then no hidden cell is marked small."""
    return len(counts) > 1 and all(hidden) and _recoverable(counts, hidden, min_size)


def _recoverable(counts: Sequence[int], hidden: Sequence[bool], min_size: int) -> bool:
    """Whether some hidden cell has only one value consistent with what is shown."""
    cells = [i for i, h in enumerate(hidden) if h]
    total = sum(counts[i] for i in cells)
    # What a reader knows of each hidden cell: below min_size, or at least min_size.
    ranges = [
        (0, min_size - 1) if counts[i] < min_size else (min(min_size, counts[i]), total)
        for i in cells
    ]
    low_sum = sum(lo for lo, _ in ranges)
    high_sum = sum(hi for _, hi in ranges)
    for lo, hi in ranges:
        least = max(lo, total - (high_sum - hi))
        most = min(hi, total - (low_sum - lo))
        if least >= most:
            return True
    return False


Interval = tuple[int, int]
RATING_STEP = 4  # the largest change on a 1–5 scale
MAX_COMBINATIONS = 200_000  # hidden-group combinations mean_pinned looks through


def direction_pinned(
    counts: Sequence[int],
    hidden: Sequence[bool],
    min_size: int,
    *,
    pre_sum: Interval | None = None,
    post_sum: Interval | None = None,
    change_sum: Interval | None = None,
    blur: bool = False,
) -> bool:
    """Whether a hidden improved/same/declined count has one possible value.

    A reader knows the number of pairs, the shown counts, what "<N" means, and whatever
    other shown figures tell about the pairs' rating totals: `pre_sum` and `post_sum`
    bound the pairs' total rating before and after, `change_sum` the total change. On a
    1–5 scale, `i` improved, `s` same and `d` declined pairs can reach exactly the totals
    with pre in [i+s+2d, 4i+5s+5d], post in [2i+s+d, 5i+5s+4d] and post − pre in
    [i−4d, 4i−d] (checked against every combination of up to four pairs). `blur`: the
    hidden counts are not marked "<N" (see `blurred`).
    """
    improved, same, declined = counts
    n = improved + same + declined
    if n == 0 or not any(hidden):
        return False
    known = [
        (c, c)
        if not h
        else (0, n)
        if blur
        else ((0, min_size - 1) if c < min_size else (min_size, n))
        for c, h in zip(counts, hidden, strict=True)
    ]
    pre_lo, pre_hi = pre_sum or (n, 5 * n)
    post_lo, post_hi = post_sum or (n, 5 * n)
    change_lo, change_hi = change_sum or (-RATING_STEP * n, RATING_STEP * n)
    possible: list[set[int]] = [set(), set(), set()]
    spans = [range(lo, min(hi, n) + 1) for lo, hi in known]
    # Loop over the two narrowest counts; the widest is what they leave of n.
    widest = max(range(3), key=lambda k: len(spans[k]))
    first, second = (k for k in range(3) if k != widest)
    if len(spans[first]) * len(spans[second]) > MAX_COMBINATIONS:
        return True  # two wide hidden counts: only in huge cohorts; answer safely
    for x in spans[first]:
        for y in spans[second]:
            values = [0, 0, 0]
            values[first], values[second], values[widest] = x, y, n - x - y
            if values[widest] not in spans[widest]:
                continue
            i, s, d = values
            a_lo, a_hi = max(pre_lo, i + s + 2 * d), min(pre_hi, 4 * i + 5 * s + 5 * d)
            b_lo, b_hi = max(post_lo, 2 * i + s + d), min(post_hi, 5 * i + 5 * s + 4 * d)
            if a_lo > a_hi or b_lo > b_hi:
                continue
            # Differences of two integer ranges fill the range of differences.
            lo = max(b_lo - a_hi, change_lo, i - RATING_STEP * d)
            hi = min(b_hi - a_lo, change_hi, RATING_STEP * i - d)
            if lo <= hi:
                for k, value in enumerate(values):
                    possible[k].add(value)
    return any(h and len(values) < 2 for h, values in zip(hidden, possible, strict=True))


def mean_pinned(
    counts: Sequence[int],
    hidden: Sequence[bool],
    min_size: int,
    total: Interval,
    *,
    blur: bool = False,
) -> bool:
    """Whether a hidden count of a 1–5 rating distribution follows from its mean.

    `counts[k]` is how many rated k + 1; a reader knows the shown counts, what "<N" means
    and that the ratings add up to somewhere in `total` (from a rounded mean and its n).
    A mean of 1.00 over five answers, beside "not shown" and four "<3", says all five
    rated 1.
    """
    n = sum(counts)
    cells = [k for k, h in enumerate(hidden) if h]
    if not cells or n == 0:
        return False
    rest = n - sum(c for c, h in zip(counts, hidden, strict=True) if not h)
    shown_total = sum(
        (k + 1) * c for k, (c, h) in enumerate(zip(counts, hidden, strict=True)) if not h
    )
    ranges = [
        range(0, rest + 1)
        if blur
        else range(0, min(min_size - 1, rest) + 1)
        if counts[k] < min_size
        else range(min_size, rest + 1)
        for k in cells
    ]
    # The widest range goes last: that cell is whatever the others leave of `rest`.
    order = sorted(range(len(cells)), key=lambda j: len(ranges[j]))
    cells, ranges = [cells[j] for j in order], [ranges[j] for j in order]
    if math.prod(len(r) for r in ranges[:-1]) > MAX_COMBINATIONS:
        # Only reached with several wide hidden groups and a mean that already pinned
        # fewer of them: rare, so answer safely rather than slowly.
        return True
    possible: list[set[int]] = [set() for _ in cells]
    for values in itertools.product(*ranges[:-1]):
        last = rest - sum(values)
        if last not in ranges[-1]:
            continue
        every = (*values, last)
        weighted = shown_total + sum((k + 1) * v for k, v in zip(cells, every, strict=True))
        if total[0] <= weighted <= total[1]:
            for j, v in enumerate(every):
                possible[j].add(v)
    return any(len(values) < 2 for values in possible)
