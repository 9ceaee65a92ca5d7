"""Charts as PNG bytes, drawn with matplotlib's object API (no pyplot, no global state).

Sized for a phone: 1200 px wide, large type, one message per chart. Suppressed groups
are drawn as an empty outline labelled "<N", never with their size.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede any backend use

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.compute import Breakdown, Distribution, ItemChange, ModuleSummary
from analysis.rounding import fmt_mean, percent

PRE_COLOUR = "#9bb7d4"
POST_COLOUR = "#1f4e79"
BAR_COLOUR = "#2a7f62"
# Diverging scale: 1–2 warm (low), 3 neutral grey, 4–5 cool (high).
LEVEL_COLOURS = ("#c0392b", "#e59866", "#bfbfbf", "#7fb3d5", "#1f618d")
DPI = 150
WIDTH = 8.0  # inches: 1200 px at 150 dpi
FONT = 13


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fast zlib level: the charts are small and bound for a chat; encoding time matters more.
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _wrap(label: str, width: int = 28) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def pre_post_chart(summary: ModuleSummary, ax: Axes | None = None) -> Axes:
    """Pre and post means of each paired item, side by side (items with too few omitted)."""
    items: list[ItemChange] = [
        i for i in summary.changes if not i.pre.too_few and not i.post.too_few
    ]
    if ax is None:
        ax = _figure(1.6 + 1.1 * max(len(items), 1)).add_subplot()
    labels = [_wrap(i.label) for i in items]
    positions = range(len(items))
    height = 0.38
    for offset, phase, colour in (
        (-height / 2, "pre", PRE_COLOUR),
        (height / 2, "post", POST_COLOUR),
    ):
        values = [float(getattr(i, phase).value or 0) for i in items]
        bars = ax.barh(
            [p + offset for p in positions],
            values,
            height,
            color=colour,
            label=f"{phase.capitalize()}-module",
        )
        for bar, item in zip(bars, items, strict=True):
            mean = getattr(item, phase)
            ax.text(
                bar.get_width() + 0.05,
                bar.get_y() + bar.get_height() / 2,
                f"{fmt_mean(mean.value)} (n={mean.n})",
                va="center",
                fontsize=FONT - 2,
            )
    ax.set_yticks(list(positions), labels, fontsize=FONT - 1)
    ax.invert_yaxis()
    ax.set_xlim(0, 5.9)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel("Mean rating (1–5)", fontsize=FONT)
    ax.set_title(f"{summary.title}: before and after", fontsize=FONT + 2, loc="left")
    # Below the axes, where no bar or value label can be hidden behind it.
    ax.legend(
        fontsize=FONT - 2, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False
    )
    ax.spines[["top", "right"]].set_visible(False)
    if not items:
        ax.text(0.5, 0.5, "too few responses", transform=ax.transAxes, ha="center")
    return ax


def breakdown_chart(
    found: Breakdown, min_cell_size: int, title: str, ax: Axes | None = None
) -> Axes:
    """Participants per group as horizontal bars; suppressed groups as labelled outlines."""
    cells = list(found.cells)
    if ax is None:
        ax = _figure(1.4 + 0.55 * len(cells)).add_subplot()
    top = max([c.count for c in cells if not c.hidden] + [1])
    for y, cell in enumerate(cells):
        if cell.hidden:
            label = f"<{min_cell_size}" if cell.count < min_cell_size else "withheld"
            # An outline of fixed width: the bar says "a small group", not how small.
            ax.barh(y, top * 0.12, 0.6, fill=False, hatch="//", edgecolor="#7f7f7f")
            ax.text(top * 0.14, y, label, va="center", fontsize=FONT - 1, color="#555555")
        else:
            ax.barh(y, cell.count, 0.6, color=BAR_COLOUR)
            ax.text(
                cell.count + top * 0.02,
                y,
                f"{cell.count} ({percent(cell.count, found.n)}%)",
                va="center",
                fontsize=FONT - 1,
            )
    ax.set_yticks(range(len(cells)), [_wrap(c.label, 30) for c in cells], fontsize=FONT - 1)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35)
    ax.set_xlabel("Participants", fontsize=FONT)
    ax.set_title(f"{title} (n = {found.n})", fontsize=FONT + 2, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def distribution_chart(
    distributions: list[Distribution], min_cell_size: int, ax: Axes | None = None
) -> Axes:
    """Each rating item's answers as a diverging stacked bar centred on the neutral 3."""
    if ax is None:
        ax = _figure(1.8 + 0.75 * max(len(distributions), 1)).add_subplot()
    for y, dist in enumerate(distributions):
        n = dist.counts.n
        shares = [0.0 if (c.hidden or n == 0) else 100 * c.count / n for c in dist.counts.cells]
        # Centre: half of "3" on each side of zero; lows to the left, highs to the right.
        left = -(shares[0] + shares[1] + shares[2] / 2)
        for level, share in enumerate(shares):
            ax.barh(
                y,
                share,
                0.6,
                left=left,
                color=LEVEL_COLOURS[level],
                label=str(level + 1) if y == 0 else None,
            )
            if share >= 8:
                ax.text(
                    left + share / 2,
                    y,
                    f"{share:.0f}",
                    ha="center",
                    va="center",
                    fontsize=FONT - 3,
                    color="white" if level != 2 else "black",
                )
            left += share
        hidden = [c.label for c in dist.counts.cells if c.hidden]
        if hidden:
            ax.text(
                102,
                y,
                f"not drawn: {', '.join(hidden)} (small groups)",
                va="center",
                fontsize=FONT - 4,
                color="#555555",
            )
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(
        range(len(distributions)),
        [_wrap(f"{d.label} ({d.phase}, n={d.counts.n})", 34) for d in distributions],
        fontsize=FONT - 3,
    )
    ax.invert_yaxis()
    ax.set_xlim(-100, 100)
    ax.set_xlabel("% of answers (1–2 left of centre, 4–5 right)", fontsize=FONT - 1)
    ax.set_title("How participants rated each item", fontsize=FONT + 2, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.figure.legend(
            handles, labels, ncols=5, fontsize=FONT - 3, title="Rating", loc="outside lower center"
        )
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def summary_charts(summary: ModuleSummary) -> list[tuple[str, bytes]]:
    """Every chart of a summary as (file name, PNG bytes)."""
    charts: list[tuple[str, bytes]] = []
    n = summary.min_cell_size
    if summary.changes:
        ax = pre_post_chart(summary)
        charts.append(("before-after.png", _png(ax.figure)))  # type: ignore[arg-type]
    for found in summary.profiles:
        ax = breakdown_chart(found, n, f"Participants by {found.label.lower()}")
        charts.append((f"by-{found.question}.png", _png(ax.figure)))  # type: ignore[arg-type]
    if summary.distributions:
        ax = distribution_chart(list(summary.distributions), n)
        charts.append(("ratings.png", _png(ax.figure)))  # type: ignore[arg-type]
    return charts
