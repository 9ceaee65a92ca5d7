"""Small-cell suppression: which counts of a breakdown must be hidden."""

from __future__ import annotations

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
