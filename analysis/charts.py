"""Charts drawn with matplotlib's object API (no pyplot, no global state), as PNG or SVG.

Designed for a phone first: every chart is laid out for a 4-inch (400 px at 100 dpi)
width, with each row's label on its own line above its bars, so labels never take width
from the bars. The same layout serves print at a wider `width`. PNGs (Telegram's album)
are the 400 px layout saved at 3x, so they stay sharp on a phone screen.

Disclosure: a chart draws only what the policy released. A small group is never drawn
on its own; it is drawn within its merged part ("Partly or No (together)"), and a
breakdown left out is said in words where its bars would be.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede any backend use

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from analysis import phrases
from analysis.released import (
    Breakdown,
    Comparison,
    Distribution,
    FollowUpSummary,
    ItemChange,
    ItemTrend,
    Mean,
    ModuleSummary,
)
from analysis.rounding import fmt_mean, fmt_signed, percent

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


class _Rows:
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
        wrapped = _wrap(label, self.chars(size))
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


def _figure(width: float, body: float, title: str, legend: float = 0.0) -> tuple[Figure, Axes]:
    """A figure whose axes are `body` inches tall, with a title above and axis below."""
    wrapped = _wrap(title, int((width - LEFT - RIGHT) * 72 / (TITLE * 0.62)))
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


def _place(ax: Axes, rows: _Rows) -> None:
    for y, text, style in rows.texts:
        ax.text(0, y, text, transform=ax.get_yaxis_transform(), va="top", ha="left", **style)  # type: ignore[arg-type]


def _wrap(label: str, width: int) -> str:
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


def _bare(ax: Axes) -> None:
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.set_ylabel("")


def left_out_text(min_cell_size: int) -> str:
    return f"not shown separately: it would reveal a group of fewer than {min_cell_size}"


def shown_items(summary: ModuleSummary) -> list[ItemChange]:
    """The paired items whose before and after means are both shown."""
    return [i for i in summary.changes if i.pre.value is not None and i.post.value is not None]


def pre_post_chart(summary: ModuleSummary, width: float = PHONE_WIDTH) -> Figure:
    """Pre and post means of each paired item, as bars from the scale's minimum (1)."""
    items = [
        (i.label, [("before", i.pre, PRE_COLOUR), ("after", i.post, POST_COLOUR)])
        for i in shown_items(summary)
    ]
    return _means_chart(items, "Ratings before and after the module", width)


POINT_BARS = {
    "pre": ("before", PRE_COLOUR),
    "post": ("after", POST_COLOUR),
    "follow_up": ("follow-up", FOLLOW_UP_COLOUR),
}


def shown_points(summary: FollowUpSummary) -> list[tuple[str, list[tuple[str, Mean, str]]]]:
    """Each tracked item with the points whose means are shown, as bars to draw."""
    items = []
    for item in summary.items:
        bars = [
            (POINT_BARS[phase][0], mean, POINT_BARS[phase][1])
            for phase, mean in item.points
            if mean.value is not None
        ]
        if bars:
            items.append((item.label, bars))
    return items


def three_point_chart(summary: FollowUpSummary, width: float = PHONE_WIDTH) -> Figure:
    """Each tracked item's means before, after and weeks after the module, from 1."""
    return _means_chart(
        shown_points(summary), "Ratings before, after and weeks after the module", width
    )


def _means_chart(
    items: Sequence[tuple[str, Sequence[tuple[str, Mean, str]]]], title: str, width: float
) -> Figure:
    """Labelled mean bars per item, from the scale's minimum (1)."""
    rows = _Rows(width)
    bars: list[tuple[float, str, Mean, str]] = []
    for label, points in items:
        rows.text(label)
        for phase, mean, colour in points:
            bars.append((rows.bar(), phase, mean, colour))
        rows.gap()
    if not items:
        rows.text("Too few responses to draw.", color=NOTE_COLOUR)
    figure, ax = _figure(width, rows.y, title)
    _place(ax, rows)
    for y, phase, mean, colour in bars:
        value = float(mean.value or 1)
        ax.barh(y, value - 1, BAR, left=1, color=colour, edgecolor=POST_COLOUR, linewidth=0.6)
        ax.text(
            value + 0.06, y, f"{phase} {fmt_mean(mean.value or 1)}", va="center", fontsize=SMALL
        )
    # Room right of a 5.00 for its label ("follow-up 5.00" is the longest).
    longest = max([len(phase) for _, phase, _, _ in bars] + [6])
    ax.set_xlim(1, 6.3 + 0.1 * (longest - 6))
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel("Mean rating, 1 (low) to 5 (high)", fontsize=SMALL, loc="left")
    _bare(ax)
    ax.spines["bottom"].set_bounds(1, 5)
    return figure


def breakdown_chart(
    found: Breakdown, min_cell_size: int, title: str, width: float = PHONE_WIDTH
) -> Figure:
    """Participants per part as bars: an option alone, or options merged together."""
    rows = _Rows(width)
    placed = []
    for label, _ in phrases.breakdown_items(found, min_cell_size):
        rows.text(label)
        placed.append(rows.bar())
        rows.gap(0.06)
    figure, ax = _figure(width, rows.y, f"{title} (n = {found.n})")
    _place(ax, rows)
    top = max([p.count for p in found.parts] + [1])
    if found.left_out:
        ax.text(
            0,
            placed[0],
            left_out_text(min_cell_size),
            va="center",
            fontsize=SMALL - 1,
            color=NOTE_COLOUR,
            style="italic",
        )
    for y, part in zip(placed, found.parts, strict=False):
        ax.barh(y, part.count, BAR, color=BAR_COLOUR)
        share = f" ({percent(part.count, found.n)}%)" if found.n else ""
        ax.text(part.count + top * 0.02, y, f"{part.count}{share}", va="center", fontsize=SMALL)
    ax.set_xlim(0, top * 1.32)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.set_xlabel("Participants", fontsize=SMALL, loc="left")
    _bare(ax)
    return figure


def distribution_chart(
    distributions: Sequence[Distribution], min_cell_size: int, width: float = PHONE_WIDTH
) -> Figure:
    """Each rating item's answers as one bar of shares, 1 on the left to 5 on the right;
    neighbouring ratings merged to protect a small group share one segment."""
    rows = _Rows(width)
    placed = []
    for dist in distributions:
        rows.text(
            f"{dist.label} ({'before' if dist.phase == 'pre' else 'after'}, "
            f"n\u00a0=\u00a0{dist.counts.n})"
        )
        y = rows.bar()
        merged = [phrases.band_name(p) for p in dist.counts.parts if p.merged]
        if dist.counts.left_out:
            rows.text(
                "Not drawn: a small group could be worked out from the mean",
                SMALL - 1,
                color=NOTE_COLOUR,
                style="italic",
            )
        elif merged:
            rows.text(
                f"Ratings {', '.join(merged)} drawn together: small groups",
                SMALL - 1,
                color=NOTE_COLOUR,
                style="italic",
            )
        placed.append((y, dist))
        rows.gap()
    figure, ax = _figure(width, rows.y, "How participants rated each item", legend=0.3)
    _place(ax, rows)
    segments: list[tuple[Text, float, float, float]] = []
    for y, dist in placed:
        n = dist.counts.n
        left = 0.0
        for part in dist.counts.parts if n else ():
            share = 100 * part.count / n
            if share <= 0:
                continue
            levels = [int(label) - 1 for label in part.labels]
            # A merged run takes the colour of its middle rating, hatched: not one level's.
            colour = LEVEL_COLOURS[levels[len(levels) // 2]]
            ax.barh(
                y,
                share,
                BAR,
                left=left,
                color=colour,
                zorder=2,
                edgecolor="white",
                linewidth=0.5,
                hatch="///" if part.merged else None,
            )
            label = ax.text(
                left + share / 2,
                y,
                (f"{phrases.band_name(part)}: " if part.merged else "")
                + f"{percent(part.count, n)}%",
                ha="center",
                va="center",
                fontsize=SMALL - 1,
                color=LEVEL_TEXT[levels[len(levels) // 2]],
                zorder=3,
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.5}
                if part.merged
                else None,
            )
            segments.append((label, left, left + share, y))
            left += share
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("Share of answers, from 1 (left) to 5 (right)", fontsize=SMALL, loc="left")
    _bare(ax)
    height = figure.get_figheight()
    figure.legend(
        handles=[
            Patch(color=c, label=label)
            for c, label in zip(LEVEL_COLOURS, ("1 low", "2", "3", "4", "5 high"), strict=True)
        ],
        ncols=5,
        fontsize=SMALL - 0.5,
        loc="lower left",
        frameon=False,
        handlelength=1.2,
        columnspacing=0.9,
        handletextpad=0.4,
        borderaxespad=0,
        bbox_to_anchor=(LEFT / width, 0.06 / height),
        title=None,
    )
    _drop_crowded(figure, segments)
    return figure


def _drop_crowded(figure: Figure, segments: list[tuple[Text, float, float, float]]) -> None:
    """Remove segment labels wider than their segment, so none spills over a neighbour."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for text, left, right, y in segments:
        ax = text.axes
        assert ax is not None
        x0, _ = ax.transData.transform((left, y))
        x1, _ = ax.transData.transform((right, y))
        box = text.get_window_extent(renderer)
        if box.width + 3 > x1 - x0:
            text.remove()


def site_chart(comparison: Comparison, min_cell_size: int, width: float = PHONE_WIDTH) -> Figure:
    """Mean change (after − before) of each paired item, one labelled bar per site."""
    rows = _Rows(width)
    placed = []
    for index, (_, label) in enumerate(comparison.items):
        rows.text(label)
        for row in comparison.rows:
            placed.append((rows.bar(), row, row.changes[index]))
        rows.gap()
    figure, ax = _figure(width, rows.y, f"Change from before to after, by {comparison.by}")
    _place(ax, rows)
    values = [float(c.value) for _, _, c in placed if c.value is not None]
    reach = max([abs(v) for v in values] + [0.5])
    for y, row, change in placed:
        ax.plot(
            [0, 0],
            [y - BAR / 2 - 0.03, y + BAR / 2 + 0.03],
            color="#333333",
            linewidth=0.9,
            zorder=1,
        )
        if change.value is None:
            # Worded as the tables word the same figure (phrases.change_text).
            text = (
                "figures not shown"
                if row.hidden
                else "too few pairs"
                if change.too_few
                else phrases.NOT_SHOWN
            )
            ax.text(
                0.04 * reach,
                y,
                f"{row.name}: {text}",
                va="center",
                fontsize=SMALL - 0.5,
                color=NOTE_COLOUR,
                style="italic",
            )
            continue
        value = float(change.value)
        ax.barh(y, value, BAR, color=BAR_COLOUR if value >= 0 else LEVEL_COLOURS[0], zorder=2)
        ax.text(
            max(value, 0) + 0.04 * reach,
            y,
            f"{row.name} {fmt_signed(change.value)} (n = {change.n})",
            va="center",
            fontsize=SMALL - 0.5,
        )
    low = min([*values, 0.0])
    ax.set_xlim(min(-0.15 * reach, low * 1.15), reach * 2.6)
    ax.set_xlabel("Mean change in rating (matched pairs)", fontsize=SMALL, loc="left")
    _bare(ax)
    return figure


TREND_LEFT = 0.62  # inches: room for the y axis's signed tick labels
TREND_PANEL = 1.3  # inches: the height of one item's plot
TREND_TICKS = 0.32  # inches below a plot for its date labels


def trend_chart(trends: Sequence[ItemTrend], min_pairs: int, width: float = PHONE_WIDTH) -> Figure:
    """Each item's mean change per cohort over time: a dot per cohort at its start date,
    its 95% interval where released, a dotted line through the cohorts in date order, and
    the fitted trend (dashed) where it was tested. Cohorts whose change is not shown are
    named under the plot, never drawn."""
    usable = width - TREND_LEFT - RIGHT
    per_line = int(usable * 72 / (FONT * 0.62))
    small_line = int((width - LEFT - RIGHT) * 72 / ((SMALL - 1) * 0.62))
    title = _wrap("Mean change per cohort, in date order", int(usable * 72 / (TITLE * 0.62)))
    heads = [_wrap(t.label, per_line) for t in trends]
    missing = [
        _wrap(
            "Not drawn (too few pairs, or protected): "
            + ", ".join(p.cohort for p in t.points if p.change.value is None),
            small_line,
        )
        if len(t.shown) < len(t.points)
        else ""
        for t in trends
    ]
    fitted = any(t.test is not None for t in trends)
    key = _wrap(
        f"Dots: a cohort's mean change over its matched pairs; lines through them: its 95% "
        f"interval (cohorts with at least {min_pairs} pairs). Dotted: the cohorts in date "
        "order" + ("; dashed: the fitted trend." if fitted else "."),
        small_line,
    )

    def lines(text: str, size: float) -> float:
        return size * 1.22 / 72 * (text.count("\n") + 1) if text else 0.0

    top = TOP + TITLE * 1.25 / 72 * (title.count("\n") + 1) + 0.12
    blocks = [
        lines(h, FONT) + 0.05 + TREND_PANEL + TREND_TICKS + lines(m, SMALL - 1) + 0.14
        for h, m in zip(heads, missing, strict=True)
    ]
    height = top + sum(blocks) + lines(key, SMALL - 1) + 0.12
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    figure.text(LEFT / width, 1 - TOP / height, title, fontsize=TITLE, va="top", ha="left")
    y = top
    every = [p.start for t in trends for p in t.points]
    first, last = mdates.date2num(min(every)), mdates.date2num(max(every))
    span = max(last - first, 1.0)
    for trend, head, note in zip(trends, heads, missing, strict=True):
        figure.text(LEFT / width, 1 - y / height, head, fontsize=FONT, va="top", ha="left")
        y += lines(head, FONT) + 0.05
        ax = figure.add_axes(
            (
                TREND_LEFT / width,
                1 - (y + TREND_PANEL) / height,
                usable / width,
                TREND_PANEL / height,
            )
        )
        _trend_panel(ax, trend, first, span, width)
        y += TREND_PANEL + TREND_TICKS
        if note:
            figure.text(
                LEFT / width,
                1 - y / height,
                note,
                fontsize=SMALL - 1,
                color=NOTE_COLOUR,
                style="italic",
                va="top",
                ha="left",
            )
        y += lines(note, SMALL - 1) + 0.14
    figure.text(
        LEFT / width,
        1 - y / height,
        key,
        fontsize=SMALL - 1,
        color=NOTE_COLOUR,
        va="top",
        ha="left",
    )
    return figure


def _trend_panel(ax: Axes, trend: ItemTrend, first: float, span: float, width: float) -> None:
    shown = trend.shown
    # Cohorts starting on one day stand side by side rather than on top of each other.
    xs: list[float] = []
    seen: dict[float, int] = {}
    for point in shown:
        day = float(mdates.date2num(point.start))
        xs.append(day + 0.012 * span * seen.get(day, 0))
        seen[day] = seen.get(day, 0) + 1
    values = [float(p.change.value) for p in shown if p.change.value is not None]
    ax.axhline(0, color="#999999", linewidth=0.8, zorder=1)
    if len(xs) > 1:
        ax.plot(xs, values, color="#888888", linestyle=":", linewidth=1.0, zorder=2)
    reach = [0.0, *values]
    bars = [(x, p.interval) for x, p in zip(xs, shown, strict=True) if p.interval is not None]
    if bars:
        reach += [end for _, interval in bars for end in interval]
        ax.vlines(
            [x for x, _ in bars],
            [low for _, (low, _) in bars],
            [high for _, (_, high) in bars],
            color=PRE_COLOUR,
            linewidth=2.2,
            zorder=3,
        )
    # One marker per cohort shown, in date order, as one artist: the SVG names it
    # (trend-<item>), and each cohort is one <use> of the marker inside it.
    ax.plot(
        xs,
        values,
        marker="o",
        markersize=5.5,
        linestyle="none",
        color=POST_COLOUR,
        zorder=4,
        gid=f"trend-{trend.question}",
    )
    test = trend.test
    if test is not None:
        ends = [float(mdates.date2num(shown[0].start)), float(mdates.date2num(shown[-1].start))]
        ax.plot(
            ends, [test.first, test.last], color=BAR_COLOUR, linestyle="--", linewidth=1.4, zorder=3
        )
    low, high = min(reach), max(reach)
    pad = max(high - low, 0.5) * 0.12
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(first - 0.06 * span, first + 1.06 * span)
    _date_ticks(ax, first - 0.06 * span, first + 1.06 * span, 4 if width <= PHONE_WIDTH else 6)
    # Only ticks inside the plot: a locator's ticks beyond it keep invisible labels.
    ticks = MaxNLocator(4).tick_values(low - pad, high + pad)
    ax.set_yticks([t for t in ticks if low - pad <= t <= high + pad])
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: "0" if abs(v) < 1e-9 else f"{v:+.1f}".replace("-", "−"))
    )
    ax.tick_params(labelsize=SMALL - 0.5)
    ax.spines[["top", "right"]].set_visible(False)


def _date_ticks(ax: Axes, low: float, high: float, most: int) -> None:
    """At most `most` date ticks, each saying its year: whole years, months or days,
    whichever the period's length suits (matplotlib's AutoDateLocator warns on some)."""
    days = high - low
    locators: list[tuple[mdates.DateLocator, str]] = [
        *((mdates.DayLocator(interval=k), "%d %b %Y") for k in (1, 2, 7, 14) if days / k <= 40),
        *((mdates.MonthLocator(interval=k), "%b %Y") for k in (1, 2, 3, 4, 6)),
        *((mdates.YearLocator(k), "%Y") for k in (1, 2, 5, 10, 20, 50)),
    ]
    for locator, fmt in locators:
        ticks = [
            t
            for t in locator.tick_values(mdates.num2date(low), mdates.num2date(high))
            if low <= t <= high
        ]
        if 1 <= len(ticks) <= most:
            ax.set_xticks(ticks)
            ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
            return
    ax.set_xticks([])


def chart_set(
    summary: ModuleSummary, width: float = PHONE_WIDTH, only: Collection[str] | None = None
) -> list[Chart]:
    """Every chart of a summary (or those named in `only`), with a text alternative each."""

    def wanted(name: str) -> bool:
        return only is None or name in only

    charts: list[Chart] = []
    n = summary.min_cell_size
    shown = shown_items(summary)
    if shown and wanted("before-after"):
        alt = "Bar chart of mean ratings before and after the module: " + "; ".join(
            f"{i.label}: {fmt_mean(i.pre.value or 0)} before, {fmt_mean(i.post.value or 0)} after"
            for i in shown
        )
        charts.append(Chart("before-after", alt, pre_post_chart(summary, width)))
    for found in summary.profiles:
        if not wanted(f"by-{found.question}"):
            continue
        noun = found.label.lower()
        parts = [f"{label}: {text}" for label, text in phrases.breakdown_items(found, n)]
        alt = f"Bar chart of participants by {noun} (n = {found.n}): " + "; ".join(parts)
        figure = breakdown_chart(found, n, f"Participants by {noun}", width)
        charts.append(Chart(f"by-{found.question}", alt, figure))
    for comparison in summary.comparisons:
        if comparison.by == "site" and comparison.items and wanted("by-site"):
            alt = (
                "Bar chart of the mean change in each before/after item at each site; the "
                "figures are in the table 'By site: mean change from before to after'."
            )
            charts.append(Chart("by-site", alt, site_chart(comparison, n, width)))
    drawn = [t for t in summary.trends if t.shown]
    if drawn and wanted("trend"):
        alt = (
            "Chart of each before/after item's mean change per cohort in date order, with "
            "95% intervals where shown: "
            + "; ".join(
                f"{t.label}: "
                + ", ".join(
                    f"{p.cohort} ({p.start.day} {p.start:%b %Y}) "
                    + (
                        phrases.NOT_SHOWN
                        if p.change.value is None
                        else fmt_signed(p.change.value)
                        + (
                            f" ({fmt_signed(p.interval[0])} to {fmt_signed(p.interval[1])})"
                            if p.interval
                            else ""
                        )
                    )
                    for p in t.points
                )
                for t in drawn
            )
        )
        figure = trend_chart(drawn, summary.pairs_for_tests, width)
        charts.append(Chart("trend", alt, figure))
    if summary.distributions and wanted("ratings"):
        alt = (
            "Stacked bar chart of how participants rated each item, 1 to 5, as shares of "
            "the answers: "
            + "; ".join(
                f"{d.label} ({'before' if d.phase == 'pre' else 'after'}): "
                f"{phrases.ratings_text(d.counts)}"
                for d in summary.distributions
            )
        )
        charts.append(Chart("ratings", alt, distribution_chart(summary.distributions, n, width)))
    return charts


def follow_up_chart_set(
    summary: FollowUpSummary, width: float = PHONE_WIDTH, only: Collection[str] | None = None
) -> list[Chart]:
    """Every chart of a follow-up summary (or those named in `only`): the three points,
    then who used it in practice, what helped and what got in the way."""

    def wanted(name: str) -> bool:
        return only is None or name in only

    charts: list[Chart] = []
    n = summary.min_cell_size
    points = shown_points(summary)
    if points and wanted("follow-up-points"):
        alt = "Bar chart of mean ratings before, after and weeks after the module: " + "; ".join(
            f"{label}: " + ", ".join(f"{fmt_mean(m.value or 0)} {word}" for word, m, _ in bars)
            for label, bars in points
        )
        charts.append(Chart("follow-up-points", alt, three_point_chart(summary, width)))
    for found in (summary.used, *summary.choices):
        name = f"follow-up-{found.question.replace('_', '-')}" if found is not None else ""
        if found is None or found.n == 0 or not wanted(name):
            continue
        parts = [f"{label}: {text}" for label, text in phrases.breakdown_items(found, n)]
        alt = f"Bar chart of the follow-up answers to '{found.label}' (n = {found.n}): " + (
            "; ".join(parts)
        )
        charts.append(Chart(name, alt, breakdown_chart(found, n, found.label, width)))
    return charts


def summary_charts(summary: ModuleSummary) -> list[tuple[str, bytes]]:
    """Every chart of a summary as (file name, PNG bytes)."""
    return [(f"{chart.name}.png", chart.png()) for chart in chart_set(summary)]


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
