"""Exact rounding and formatting of figures: half away from zero, on exact values."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

Number = Fraction | float | int


def round_half_away(value: Number, places: int) -> Decimal:
    """Round an exact value to `places` decimals, halves away from zero (2.875 → 2.88)."""
    # Fraction keeps means of whole-number ratings exact, so a true half is never
    # mistaken for 0.4999… as binary floats would.
    exact = Fraction(value)
    scaled = abs(exact) * 10**places
    rounded = math.floor(scaled + Fraction(1, 2))
    if exact < 0:
        rounded = -rounded
    return Decimal(rounded).scaleb(-places)


def fmt_mean(value: Number) -> str:
    """A mean or a difference of means, to 2 decimals."""
    text = str(round_half_away(value, 2))
    return "0.00" if text == "-0.00" else text


def fmt_signed(value: Number) -> str:
    """A change, with an explicit sign (+0.73, −0.20)."""
    text = fmt_mean(value)
    if text.startswith("-"):
        return "−" + text[1:]
    return text if text == "0.00" else "+" + text


def percent(count: int, total: int) -> int:
    """A share as a whole percentage, rounded half away from zero."""
    if total <= 0:
        raise ValueError("percentage of an empty group")
    return int(round_half_away(Fraction(100 * count, total), 0))


def fmt_p(p: float) -> str:
    """A p-value to 3 decimals, or '< 0.001'."""
    if p < 0.001:
        return "< 0.001"
    return "= " + str(round_half_away(p, 3))


def totals_rounding_to(value: Number, n: int, places: int = 2) -> tuple[int, int]:
    """The whole-number totals T whose mean T / n rounds to the same figure as `value`.

    What a reader can work out from a rounded mean and its n; a range, as rounding is
    monotonic.
    """
    shown = round_half_away(value, places)
    half = Fraction(1, 2 * 10**places)
    exact = Fraction(shown)
    lo = math.floor((exact - half) * n)
    hi = math.ceil((exact + half) * n)
    while round_half_away(Fraction(lo, n), places) != shown:
        lo += 1
    while round_half_away(Fraction(hi, n), places) != shown:
        hi -= 1
    return lo, hi
