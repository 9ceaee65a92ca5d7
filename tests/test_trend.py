"""Over time: the trend test against numpy, and the paragraph that claims only what it finds."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from module_data import Run, config_for, random_rows, write_answers_csv

from analysis.importer import parse_answers, write_answers
from analysis.over_time import over_time_sentences
from analysis.released import ModuleSummary
from analysis.render_html import render_html
from analysis.render_telegram import render_telegram
from analysis.scope import resolve_scope
from analysis.summary import compute_summary
from analysis.trend import weighted_slope
from core.config import load_config


@pytest.mark.parametrize("seed", range(5))
def test_weighted_slope_agrees_with_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(5, 12))
    x = np.sort(rng.uniform(0, 3, k))
    y = rng.normal(0.5, 0.3, k)
    w = rng.integers(5, 60, k).astype(float)
    slope, intercept, se, df = weighted_slope(x, y, w)
    # numpy weights the residuals before squaring: √w; its covariance is scaled by the
    # residuals' chi-square over the degrees of freedom, the scale estimated from the data.
    coef, cov = np.polyfit(x, y, 1, w=np.sqrt(w), cov=True)
    assert slope == pytest.approx(coef[0]) and intercept == pytest.approx(coef[1])
    assert se == pytest.approx(np.sqrt(cov[0, 0]))
    assert df == k - 2


def module_summary(folder: Path, gains: list[float], *, sizes: int = 40) -> ModuleSummary:
    """A module of one cohort per gain, a month apart at two sites, imported and reported."""
    runs = [
        Run(f"RS-{i:02d}", ("Leeds", "York")[i % 2], date(2026, 1, 5) + timedelta(days=30 * i),
            sizes, gain)
        for i, gain in enumerate(gains)
    ]  # fmt: skip
    config = load_config(config_for(folder, runs))
    rng = np.random.default_rng(len(gains))
    rows = [row for run in runs for row in random_rows(run, rng)]
    text = write_answers_csv(folder / "answers.csv", rows).read_text(encoding="utf-8")
    plan = parse_answers(text, config)
    assert not plan.problems, plan.problems[:3]
    asyncio.run(write_answers(config, plan.answers))
    return compute_summary(config, resolve_scope(config, module="risk-support"))


def test_a_steady_rise_is_found_and_said(tmp_path: Path) -> None:
    summary = module_summary(tmp_path, [-0.4, 0.0, 0.4, 0.8, 1.2, 1.6])
    assert [len(t.points) for t in summary.trends] == [6, 6, 6]
    for trend in summary.trends:
        assert trend.test is not None and trend.test.clear and trend.test.change > 0
        assert trend.test.p_adjusted >= trend.test.p_value
    text = " ".join(over_time_sentences(summary))
    assert "The module ran 6 times at 2 sites" in text
    assert text.count(" rose over the period, from about ") == 3
    assert "not a test" not in text
    html = render_html(summary, [])
    assert "Trend over time: the fitted straight line" in html
    assert "weighted least-squares regression" in html  # named in the method section
    assert "Over time" in render_telegram(summary)


def test_no_trend_is_claimed_where_the_cohorts_only_scatter(tmp_path: Path) -> None:
    summary = module_summary(tmp_path, [0.6] * 6)  # the same gain each time, drawn anew
    for trend in summary.trends:
        assert trend.test is not None and not trend.test.clear
    text = " ".join(over_time_sentences(summary))
    assert text.count("showed no clear trend") == 3
    assert "over the period, from about" not in text


def test_fewer_than_five_cohorts_are_described_not_tested(tmp_path: Path) -> None:
    summary = module_summary(tmp_path, [0.0, 0.8, 1.6])
    assert all(t.test is None for t in summary.trends)
    text = " ".join(over_time_sentences(summary))
    assert "they are not a test of a trend" in text
    assert "rose" not in text and "fell" not in text and "no clear trend" not in text
    assert "in the first cohort shown (RS-00)" in text and "in the latest (RS-02)" in text
    html = render_html(summary, [])
    assert "Trend over time: the fitted straight line" not in html  # no test, no table
