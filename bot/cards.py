"""The join card: deep link, QR code and a printable A5 card (blocking: run in a thread)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import segno

# A5 portrait at 300 dpi, the usual print resolution: 148 × 210 mm.
A5_INCHES = (148 / 25.4, 210 / 25.4)
PRINT_DPI = 300
PRIVACY_LINE = (
    "Your answers are stored under a pseudonym and reported only in groups; "
    "/mydata shows them and /forgetme erases them."
)


def join_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot and sends /start CODE."""
    return f"https://t.me/{bot_username}?start={code}"


def _qr(link: str) -> segno.QRCode:
    # Level M survives a smudged print or a projector's glare; boost_error raises it when
    # the size allows, never lowers it.
    return segno.make_qr(link, error="m", boost_error=True)


def qr_png(link: str) -> bytes:
    """The QR code alone, large enough to scan from a slide."""
    buffer = io.BytesIO()
    _qr(link).save(buffer, kind="png", scale=16, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class CardFacts:
    title: str
    site: str
    start: datetime
    end: datetime
    code: str
    link: str


def when_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    start, end = start.astimezone(tz), end.astimezone(tz)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} – {end:%A} {end.day} {end:%B %Y} {end:%H:%M}"


def card_png(facts: CardFacts, tz: ZoneInfo) -> bytes:
    """An A5 card at print resolution: module, site, date and time, QR, link, code, privacy."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=A5_INCHES, dpi=PRINT_DPI, facecolor="white")
    texts = [
        (0.93, facts.title, 22, "bold"),
        (0.885, facts.site, 16, "normal"),
        (0.85, when_text(facts.start, facts.end, tz), 12, "normal"),
        (0.24, "Scan to give feedback, or open:", 11, "normal"),
        (0.205, facts.link, 12, "bold"),
        (0.15, f"Code: {facts.code}", 18, "bold"),
    ]
    for y, text, size, weight in texts:
        figure.text(0.5, y, text, ha="center", va="center", fontsize=size, fontweight=weight,
                    wrap=True)  # fmt: skip
    figure.text(0.5, 0.06, PRIVACY_LINE, ha="center", va="center", fontsize=8, wrap=True,
                color="#444444")  # fmt: skip
    matrix = [[0] * 4 + list(row) + [0] * 4 for row in _qr(facts.link).matrix]
    quiet = [[0] * len(matrix[0])] * 4
    modules = quiet + matrix + quiet
    # A square area in the middle of the page; nearest-neighbour keeps the modules sharp.
    width = 0.68
    ax = figure.add_axes((0.5 - width / 2, 0.29, width, width * A5_INCHES[0] / A5_INCHES[1]))
    ax.imshow(modules, cmap="binary", interpolation="nearest", vmin=0, vmax=1)
    ax.set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PRINT_DPI)
    return buffer.getvalue()
