"""Charts read on a phone and in print: no text runs into other text or off the figure.

Each chart is drawn at a phone's 400 px width and at A4 print width, and the extents of
its text artists (matplotlib's get_window_extent) are compared: no two may overlap.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from analysis.bar_charts import breakdown_chart, distribution_chart, pre_post_chart, site_chart
from analysis.chart_layout import PHONE_WIDTH, PRINT_WIDTH, text_boxes
from analysis.charts import chart_set
from analysis.released import ModuleSummary
from core.config import Config
from report_data import SEED, make, summary_of


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make(tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="session")
def summaries(config: Config) -> dict[str, ModuleSummary]:
    return {
        "seed": summary_of(config, cohort=SEED),
        "tiny": summary_of(config, cohort="RS-TINY-2017"),
        "module": summary_of(config, module="risk-support"),
    }


def overlaps(figure: Figure) -> list[tuple[str, str]]:
    boxes = text_boxes(figure)
    # A square pixel of slack: anti-aliased edges of neighbours may touch.
    return [
        (a, b)
        for (a, box_a), (b, box_b) in combinations(boxes, 2)
        if _area(Bbox.intersection(box_a, box_b)) > 1.0
    ]


def _area(box: Bbox | None) -> float:
    return 0.0 if box is None else max(box.width, 0) * max(box.height, 0)


def outside(figure: Figure) -> list[str]:
    width, height = figure.bbox.width, figure.bbox.height
    return [
        text
        for text, box in text_boxes(figure)
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5
    ]


@pytest.mark.parametrize("width", [PHONE_WIDTH, PRINT_WIDTH], ids=["400px", "print"])
@pytest.mark.parametrize("which", ["seed", "tiny", "module"])
def test_no_chart_text_overlaps_or_leaves_the_figure(
    summaries: dict[str, ModuleSummary], which: str, width: float
) -> None:
    charts = chart_set(summaries[which], width)
    names = {c.name for c in charts}
    assert {"by-sector", "by-role", "ratings"} <= names
    if which == "module":
        assert "by-site" in names  # sites side by side in a module-wide report
    for chart in charts:
        assert chart.figure.get_figwidth() == width
        if width == PHONE_WIDTH:
            assert chart.figure.bbox.width == 400  # at the 100 dpi the layout is planned for
        assert overlaps(chart.figure) == [], chart.name
        assert outside(chart.figure) == [], chart.name
        assert chart.alt  # every chart has a text alternative


def test_small_groups_are_drawn_only_within_their_merged_part(
    summaries: dict[str, ModuleSummary],
) -> None:
    seed = summaries["seed"]
    sectors = next(p for p in seed.profiles if p.question == "sector")
    merged = sectors.merged
    assert len(merged) == 1  # the seed's "Other" (fewer than 3) with the smallest sector
    figure = breakdown_chart(sectors, seed.min_cell_size, "Participants by sector")
    ax = figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    # One bar per part: each option alone, and the merged options as one bar.
    assert sorted(b.get_width() for b in bars) == sorted(p.count for p in sectors.parts)
    texts = [t for t, _ in text_boxes(figure)]
    assert f"{' or '.join(merged[0].labels)} (together)" in texts
    assert "Other" not in texts  # never a bar, nor a label, of its own


def test_a_left_out_breakdown_draws_no_bar(tmp_path: Path) -> None:
    from analysis.disclosure import breakdown
    from analysis.figures import Counts

    found = breakdown(Counts("role", "Role", ("A", "B", "C"), (2, 0, 0)), 3)
    assert found.left_out
    figure = breakdown_chart(found, 3, "Participants by role")
    assert not [p for p in figure.axes[0].patches if isinstance(p, Rectangle)]
    texts = " ".join(t for t, _ in text_boxes(figure))
    assert "not shown separately" in texts and "2" not in texts.replace("n = 2", "")


def test_before_after_bars_start_at_the_scale_minimum(summaries: dict[str, ModuleSummary]) -> None:
    figure = pre_post_chart(summaries["seed"])
    ax = figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 6
    assert all(b.get_x() == 1 for b in bars)
    assert sorted(round(b.get_x() + b.get_width(), 2) for b in bars) == [
        2.56,
        2.74,
        2.87,
        3.57,
        3.6,
        3.67,
    ]
    assert ax.get_xlim()[0] == 1
    texts = [t for t, _ in text_boxes(figure)]
    assert "before 2.87" in texts and "after 3.60" in texts


def test_segment_labels_that_do_not_fit_are_dropped(summaries: dict[str, ModuleSummary]) -> None:
    from analysis.disclosure import breakdown
    from analysis.figures import Counts
    from analysis.released import Distribution

    seed = summaries["seed"]
    # 3 of 163 answers is too narrow a segment for its label.
    narrow = Counts("q", "Q", ("1", "2", "3", "4", "5"), (3, 40, 40, 40, 40))
    extra = Distribution("q", "Narrow", "post", breakdown(narrow, 3), 0)
    figure = distribution_chart([*seed.distributions, extra], seed.min_cell_size)
    ax = figure.axes[0]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    labels = [t for t in ax.texts if t.get_text().endswith("%")]
    segments = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert labels and len(labels) < len(segments)  # the narrow segments lost theirs
    for label in labels:
        box = label.get_window_extent(renderer)
        home = [
            s
            for s in segments
            if s.get_window_extent(renderer).contains((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        ]
        assert len(home) == 1
        assert box.width <= home[0].get_window_extent(renderer).width
    # Notes about merged ratings sit inside the plot, not in a margin beside it.
    notes = [t for t in ax.texts if "drawn together" in t.get_text()]
    assert notes
    plot = ax.get_window_extent(renderer)
    assert all(n.get_window_extent(renderer).x1 <= plot.x1 for n in notes)


def test_rating_bars_draw_the_released_parts_and_nothing_else(
    summaries: dict[str, ModuleSummary],
) -> None:
    seed = summaries["seed"]
    figure = distribution_chart(seed.distributions, seed.min_cell_size)
    ax = figure.axes[0]
    segments = sorted(
        (p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: (p.get_y(), p.get_x())
    )
    expected = [
        100 * part.count / dist.counts.n
        for dist in seed.distributions
        for part in dist.counts.parts
        if part.count
    ]
    assert [round(s.get_width(), 6) for s in segments] == [round(w, 6) for w in expected]
    # A merged run is hatched and says which ratings it holds.
    assert any(s.get_hatch() for s in segments)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("1–3: ") for t in texts)


def test_site_chart_names_each_site(summaries: dict[str, ModuleSummary]) -> None:
    module = summaries["module"]
    sites = next(c for c in module.comparisons if c.by == "site")
    figure = site_chart(sites, module.min_cell_size)
    texts = " ".join(t for t, _ in text_boxes(figure))
    for row in sites.rows:
        assert row.name in texts


def test_pngs_are_phone_sized(summaries: dict[str, ModuleSummary], tmp_path: Path) -> None:
    for chart in chart_set(summaries["seed"]):
        data = chart.png()
        assert data.startswith(b"\x89PNG")
        width = int.from_bytes(data[16:20], "big")
        assert width == 1200  # the 400 px layout at 3x, sharp on a phone


def test_the_overlap_check_sees_overlapping_text() -> None:
    figure = Figure(figsize=(PHONE_WIDTH, 2), dpi=100)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.text(0.1, 0.5, "Confidence supporting families")
    figure.text(0.3, 0.5, "withheld")
    figure.text(0.9, 0.1, "runs off the edge")
    assert len(overlaps(figure)) == 1
    assert outside(figure) == ["runs off the edge"]
