"""The trend chart: each item's mean change per cohort over time, one small plot per item."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.chart_layout import (
    BAR_COLOUR,
    FONT,
    LEFT,
    NOTE_COLOUR,
    PHONE_WIDTH,
    POST_COLOUR,
    PRE_COLOUR,
    RIGHT,
    SMALL,
    TITLE,
    TOP,
    wrap,
)
from analysis.released import ItemTrend

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
    title = wrap("Mean change per cohort, in date order", int(usable * 72 / (TITLE * 0.62)))
    heads = [wrap(t.label, per_line) for t in trends]
    missing = [
        wrap(
            "Not drawn (too few pairs, or protected): "
            + ", ".join(p.cohort for p in t.points if p.change.value is None),
            small_line,
        )
        if len(t.shown) < len(t.points)
        else ""
        for t in trends
    ]
    fitted = any(t.test is not None for t in trends)
    key = wrap(
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

    def write(
        at: float, text: str, size: float, colour: str | None = None, style: str = "normal"
    ) -> None:
        """Text `at` inches from the top, at the left margin (colour None: the default)."""
        figure.text(
            LEFT / width,
            1 - at / height,
            text,
            fontsize=size,
            color=colour,
            style=style,
            va="top",
            ha="left",
        )

    write(TOP, title, TITLE)
    y = top
    every = [p.start for t in trends for p in t.points]
    first, last = mdates.date2num(min(every)), mdates.date2num(max(every))
    span = max(last - first, 1.0)
    for trend, head, note in zip(trends, heads, missing, strict=True):
        write(y, head, FONT)
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
            write(y, note, SMALL - 1, NOTE_COLOUR, "italic")
        y += lines(note, SMALL - 1) + 0.14
    write(y, key, SMALL - 1, NOTE_COLOUR)
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
