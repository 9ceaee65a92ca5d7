"""The charts of a summary, each with its text alternative (what a screen reader says).

Which charts a summary gets and what each says in words; how each is drawn is in
`bar_charts` and `trend_chart`, and what they all share in `chart_layout`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from matplotlib.figure import Figure

from analysis import phrases
from analysis.bar_charts import (
    MeanBars,
    before_after_bars,
    breakdown_chart,
    distribution_chart,
    pre_post_chart,
    site_chart,
    three_point_bars,
    three_point_chart,
)
from analysis.chart_layout import PHONE_WIDTH, PRINT_WIDTH, Chart
from analysis.released import Breakdown, FollowUpSummary, ModuleSummary
from analysis.rounding import fmt_mean, fmt_signed
from analysis.trend_chart import trend_chart

# Charts that span the printed page get a layout drawn for it; the others print beside
# their table, where the phone layout is the right size.
PAPER_CHARTS = frozenset({"before-after", "ratings", "by-site", "trend", "follow-up-points"})


def chart_set(
    summary: ModuleSummary, width: float = PHONE_WIDTH, only: Collection[str] | None = None
) -> list[Chart]:
    """Every chart of a summary (or those named in `only`), with a text alternative each."""
    wanted = _wanted(only)
    charts: list[Chart] = []
    n = summary.min_cell_size
    before_after = before_after_bars(summary)
    if before_after and wanted("before-after"):
        figure = pre_post_chart(summary, width)
        charts.append(_means("before-after", "before and after the module", before_after, figure))
    for found in summary.profiles:
        if not wanted(f"by-{found.question}"):
            continue
        noun = found.label.lower()
        name, title = f"by-{found.question}", f"Participants by {noun}"
        charts.append(_breakdown(name, f"participants by {noun}", found, n, title, width))
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
    wanted = _wanted(only)
    charts: list[Chart] = []
    points = three_point_bars(summary)
    if points and wanted("follow-up-points"):
        figure = three_point_chart(summary, width)
        when = "before, after and weeks after the module"
        charts.append(_means("follow-up-points", when, points, figure))
    n = summary.min_cell_size
    for found in (summary.used, *summary.choices):
        name = f"follow-up-{found.question.replace('_', '-')}" if found is not None else ""
        if found is None or found.n == 0 or not wanted(name):
            continue
        what = f"the follow-up answers to '{found.label}'"
        charts.append(_breakdown(name, what, found, n, found.label, width))
    return charts


def _means(name: str, when: str, bars: MeanBars, figure: Figure) -> Chart:
    """A chart of means, its text alternative giving each item's mean at each point."""
    alt = f"Bar chart of mean ratings {when}: " + "; ".join(
        f"{label}: " + ", ".join(f"{fmt_mean(m.value or 0)} {word}" for word, m, _ in points)
        for label, points in bars
    )
    return Chart(name, alt, figure)


def _wanted(only: Collection[str] | None) -> Callable[[str], bool]:
    """Whether a chart of this name is to be drawn: every chart, or those in `only`."""
    return lambda name: only is None or name in only


def _breakdown(name: str, what: str, found: Breakdown, n: int, title: str, width: float) -> Chart:
    """A question's answers as bars, its text alternative giving each part's count."""
    parts = "; ".join(f"{label}: {text}" for label, text in phrases.breakdown_items(found, n))
    alt = f"Bar chart of {what} (n = {found.n}): {parts}"
    return Chart(name, alt, breakdown_chart(found, n, title, width))


def paper_charts(summary: ModuleSummary, follow_up: FollowUpSummary | None = None) -> list[Chart]:
    """The report's charts that span a printed page, laid out again for A4's width."""
    paper = chart_set(summary, PRINT_WIDTH, PAPER_CHARTS)
    if follow_up is not None:
        paper += follow_up_chart_set(follow_up, PRINT_WIDTH, PAPER_CHARTS)
    return paper


def summary_charts(summary: ModuleSummary) -> list[tuple[str, bytes]]:
    """Every chart of a summary as (file name, PNG bytes)."""
    return [(f"{chart.name}.png", chart.png()) for chart in chart_set(summary)]
