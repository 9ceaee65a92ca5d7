"""The bar charts of a summary: means before and after (and weeks after), a question's
answers, each item's ratings as shares, and the change by site.

Disclosure: a chart draws only what the policy released. A small group is never drawn
on its own; it is drawn within its merged part ("Partly or No (together)"), and a
breakdown left out is said in words where its bars would be.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from analysis import phrases
from analysis.chart_layout import (
    BAR,
    BAR_COLOUR,
    FOLLOW_UP_COLOUR,
    LEFT,
    LEVEL_COLOURS,
    LEVEL_TEXT,
    NOTE_COLOUR,
    PHONE_WIDTH,
    POST_COLOUR,
    PRE_COLOUR,
    SMALL,
    Rows,
    bare_axes,
    new_figure,
    place_texts,
)
from analysis.released import (
    Breakdown,
    Comparison,
    Distribution,
    FollowUpSummary,
    Mean,
    ModuleSummary,
)
from analysis.rounding import fmt_mean, fmt_signed, percent


def left_out_text(min_cell_size: int) -> str:
    return f"not shown separately: it would reveal a group of fewer than {min_cell_size}"


# Each item's bars, in the order drawn: (label, [(point's word, mean, colour), …]).
MeanBars = list[tuple[str, list[tuple[str, Mean, str]]]]


def before_after_bars(summary: ModuleSummary) -> MeanBars:
    """The paired items whose before and after means are both shown, as bars to draw."""
    return [
        (i.label, [("before", i.pre, PRE_COLOUR), ("after", i.post, POST_COLOUR)])
        for i in summary.changes
        if i.pre.value is not None and i.post.value is not None
    ]


def pre_post_chart(summary: ModuleSummary, width: float = PHONE_WIDTH) -> Figure:
    """Pre and post means of each paired item, as bars from the scale's minimum (1)."""
    return _means_chart(before_after_bars(summary), "Ratings before and after the module", width)


POINT_BARS = {
    "pre": ("before", PRE_COLOUR),
    "post": ("after", POST_COLOUR),
    "follow_up": ("follow-up", FOLLOW_UP_COLOUR),
}


def three_point_bars(summary: FollowUpSummary) -> MeanBars:
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
        three_point_bars(summary), "Ratings before, after and weeks after the module", width
    )


def _means_chart(items: MeanBars, title: str, width: float) -> Figure:
    """Labelled mean bars per item, from the scale's minimum (1)."""
    rows = Rows(width)
    bars: list[tuple[float, str, Mean, str]] = []
    for label, points in items:
        rows.text(label)
        for phase, mean, colour in points:
            bars.append((rows.bar(), phase, mean, colour))
        rows.gap()
    if not items:
        rows.text("Too few responses to draw.", color=NOTE_COLOUR)
    figure, ax = new_figure(width, rows.y, title)
    place_texts(ax, rows)
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
    bare_axes(ax)
    ax.spines["bottom"].set_bounds(1, 5)
    return figure


def breakdown_chart(
    found: Breakdown, min_cell_size: int, title: str, width: float = PHONE_WIDTH
) -> Figure:
    """Participants per part as bars: an option alone, or options merged together."""
    rows = Rows(width)
    placed = []
    for label, _ in phrases.breakdown_items(found, min_cell_size):
        rows.text(label)
        placed.append(rows.bar())
        rows.gap(0.06)
    figure, ax = new_figure(width, rows.y, f"{title} (n = {found.n})")
    place_texts(ax, rows)
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
    bare_axes(ax)
    return figure


def distribution_chart(
    distributions: Sequence[Distribution], min_cell_size: int, width: float = PHONE_WIDTH
) -> Figure:
    """Each rating item's answers as one bar of shares, 1 on the left to 5 on the right;
    neighbouring ratings merged to protect a small group share one segment."""
    rows = Rows(width)
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
    figure, ax = new_figure(width, rows.y, "How participants rated each item", legend=0.3)
    place_texts(ax, rows)
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
    bare_axes(ax)
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
    rows = Rows(width)
    placed = []
    for index, (_, label) in enumerate(comparison.items):
        rows.text(label)
        for row in comparison.rows:
            placed.append((rows.bar(), row, row.changes[index]))
        rows.gap()
    figure, ax = new_figure(width, rows.y, f"Change from before to after, by {comparison.by}")
    place_texts(ax, rows)
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
    bare_axes(ax)
    return figure
