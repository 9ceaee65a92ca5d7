"""What every chart shares: its size and colours, the row layout, saving as PNG or SVG.

Designed for a phone first: every chart is laid out for a 4-inch (400 px at 100 dpi)
width, with each row's label on its own line above its bars, so labels never take width
from the bars. The same layout serves print at a wider `width`. PNGs (Telegram's album)
are the 400 px layout saved at 3x, so they stay sharp on a phone screen. matplotlib's
object API only: no pyplot, no global state.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede any backend use

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

PRE_COLOUR = "#9bb7d4"
POST_COLOUR = "#1f4e79"
FOLLOW_UP_COLOUR = "#d4a017"  # the third point, weeks later; each bar is labelled too
BAR_COLOUR = "#2a7f62"
NOTE_COLOUR = "#555555"
# Diverging scale: 1–2 warm (low), 3 neutral grey, 4–5 cool (high). Every segment is
# also labelled, and the legend spells the levels out: colour is never the only cue.
LEVEL_COLOURS = ("#b03a2e", "#e59866", "#c8c8c8", "#7fb3d5", "#1f618d")
LEVEL_TEXT = ("white", "black", "black", "black", "white")
PHONE_WIDTH = 4.0  # inches: 400 px at 100 dpi, a phone's width
PRINT_WIDTH = 6.5  # inches: A4's text width with 2 cm margins
PNG_DPI = 300  # 1200 px wide for the phone layout
FONT = 10.5  # points: about 14 px on a phone, for the label of a row
SMALL = 9.5
TITLE = 12.0
BAR = 0.28  # inches: a bar's thickness


@dataclass(frozen=True)
class Chart:
    """A chart ready to save: its file stem, its text alternative and its figure."""

    name: str
    alt: str
    figure: Figure

    def png(self) -> bytes:
        return png_bytes(self.figure)

    def svg(self) -> str:
        return svg_text(self.figure)


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fast zlib level: the charts are small and bound for a chat; encoding time matters more.
    figure.savefig(buffer, format="png", dpi=PNG_DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def svg_text(figure: Figure) -> str:
    buffer = io.StringIO()
    # Text stays text (selectable, searchable in the PDF); a fixed hash salt and no date
    # keep the output the same from run to run.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "report"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


LEFT, RIGHT = 0.3, 0.3  # inches of margin; tick labels at the ends need some room
TOP = 0.2  # above the title
BOTTOM = 0.7  # x axis, its tick labels and its label


class Rows:
    """Lays out rows top to bottom in inches: labels above bars, notes below them.

    The axes' y unit is one inch (fixed margins, no automatic layout), so text heights and
    bar positions are planned together and a long label can never run into the next row.
    """

    def __init__(self, width: float) -> None:
        self.width = width
        self.y = 0.08
        self.texts: list[tuple[float, str, dict[str, object]]] = []
        self.bars: list[float] = []

    def chars(self, size: float) -> int:
        usable = (self.width - LEFT - RIGHT) * 72
        return max(16, int(usable / (size * 0.62)))

    def text(self, label: str, size: float = FONT, **style: object) -> None:
        wrapped = wrap(label, self.chars(size))
        self.texts.append((self.y, wrapped, {"fontsize": size, **style}))
        line = size * 1.22 / 72  # inches per line of text at this size
        self.y += line * (wrapped.count("\n") + 1) + 0.03

    def bar(self) -> float:
        """Room for one bar; returns its centre."""
        centre = self.y + BAR / 2 + 0.02
        self.y += BAR + 0.06
        return centre

    def gap(self, inches: float = 0.12) -> None:
        self.y += inches


def new_figure(width: float, body: float, title: str, legend: float = 0.0) -> tuple[Figure, Axes]:
    """A figure whose axes are `body` inches tall, with a title above and axis below."""
    wrapped = wrap(title, int((width - LEFT - RIGHT) * 72 / (TITLE * 0.62)))
    head = TOP + TITLE * 1.25 / 72 * (wrapped.count("\n") + 1) + 0.1
    height = head + body + BOTTOM + legend
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)  # a canvas that can measure text, for the layout checks
    figure.text(LEFT / width, 1 - TOP / height, wrapped, fontsize=TITLE, va="top", ha="left")
    ax = figure.add_axes(
        (LEFT / width, (BOTTOM + legend) / height, 1 - (LEFT + RIGHT) / width, body / height)
    )
    ax.set_ylim(body, 0)
    return figure, ax


def place_texts(ax: Axes, rows: Rows) -> None:
    for y, text, style in rows.texts:
        ax.text(0, y, text, transform=ax.get_yaxis_transform(), va="top", ha="left", **style)  # type: ignore[arg-type]


def wrap(label: str, width: int) -> str:
    # Split at plain spaces only: a no-break space keeps "n = 39" on one line.
    words, lines, line = [w for w in label.split(" ") if w], [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def bare_axes(ax: Axes) -> None:
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.set_ylabel("")


def text_boxes(figure: Figure) -> list[tuple[str, Bbox]]:
    """Every drawn, non-empty text of a figure with its extent in display pixels."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    # A locator offers ticks beyond the axis limits; their labels exist but are not drawn.
    undrawn: set[int] = set()
    for ax in figure.axes:
        low, high = sorted(ax.get_xlim())
        for label in ax.xaxis.get_majorticklabels():
            if not low - 1e-9 <= label.get_position()[0] <= high + 1e-9:
                undrawn.add(id(label))
    found = []
    for text in figure.findobj(lambda a: isinstance(a, Text)):
        assert isinstance(text, Text)
        if id(text) in undrawn or not text.get_visible() or not text.get_text().strip():
            continue
        found.append((text.get_text(), text.get_window_extent(renderer)))
    return found
