"""The join card: deep link, QR code and a printable A5 card (blocking: run in a thread)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno

# A5 portrait at 300 dpi, the usual print resolution: 148 × 210 mm.
A5_INCHES = (148 / 25.4, 210 / 25.4)
PRINT_DPI = 300
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
PRIVACY_LINE = (
    "Taking part is voluntary. Reports and exports show only a pseudonymous id; "
    "/mydata shows what is stored about you and /forgetme erases it."
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
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=A5_INCHES, dpi=PRINT_DPI, facecolor="white")
    page_points = A5_INCHES[1] * 72

    def lines(y: float, text: str, size: int, width: int, most: int, **style: Any) -> float:
        """Write wrapped, centred lines from y down; returns where the next block starts."""
        wrapped = textwrap.wrap(text, width) or [""]
        if len(wrapped) > most:
            wrapped = [
                *wrapped[: most - 1],
                textwrap.shorten(" ".join(wrapped[most - 1 :]), width, placeholder=" …"),
            ]
        for line in wrapped:
            # parse_math off: a site such as "Hall $2" is text, not a formula.
            figure.text(
                0.5, y, line, ha="center", va="top", fontsize=size, parse_math=False, **style
            )
            y -= size * 1.35 / page_points
        return y - 0.008

    y = lines(0.955, facts.title, 22, 30, 2, fontweight="bold")
    y = lines(y, facts.site, 16, 44, 1)
    lines(y, when_text(facts.start, facts.end, tz), 12, 60, 1)
    y = lines(0.25, "Scan to give feedback, or open:", 11, 70, 1)
    # A link is never wrapped: long bot usernames (up to 32 characters) get a smaller font.
    y = lines(y, facts.link, min(12, 660 // len(facts.link)), 200, 1, fontweight="bold")
    lines(y - 0.01, f"Code: {facts.code}", 18, 40, 1, fontweight="bold")
    lines(0.075, PRIVACY_LINE, 8, 85, 2, color="#444444")
    # The page drawn, then the QR code set into it as pixels, each module a whole number of
    # pixels: print-sharp edges, and no drawn image to resample.
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    page = np.asarray(canvas.buffer_rgba())[:, :, 0].copy()  # black, greys and white only
    modules = np.pad(np.array(_qr(facts.link).matrix, dtype=bool), QUIET_ZONE)
    height, width = page.shape
    scale = int(0.68 * width) // len(modules)
    code = np.kron(np.where(modules, 0, 255).astype(np.uint8), np.ones((scale, scale), np.uint8))
    top, left = height - round(0.29 * height) - len(code), (width - len(code)) // 2
    page[top : top + len(code), left : left + len(code)] = code
    buffer = io.BytesIO()
    # Greyscale, at a fast zlib level: a quarter of the bytes of colour to encode, the same
    # page.
    Image.fromarray(page).save(buffer, format="png", dpi=(PRINT_DPI, PRINT_DPI), compress_level=1)
    return buffer.getvalue()
