"""Figures computed on small hand-made cohorts whose right answers are known by hand."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.compute import summarise
from analysis.disclosure import Policy, release
from analysis.figures import Figures
from analysis.importer import parse_answers, write_answers
from analysis.load import load_frames
from analysis.rounding import fmt_mean, percent, round_half_away
from analysis.scope import ScopeError, resolve_scope
from analysis.stats import PERMUTATION, paired_stats, wilcoxon
from analysis.summary import build_summary
from core.config import Config, load_config
from sim.config import CohortSpec, shipped, write_config


def make_config(tmp_path: Path, min_cell_size: int = 3, comments: bool = True) -> Config:
    """Two Getting Help cohorts (10 and 11 May 2026, 09:00–16:00 London time)."""
    day = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)  # 09:00 BST
    cohorts = [
        CohortSpec("GH-A", day, day + timedelta(hours=7), module="getting-help", site="Leeds"),
        CohortSpec(
            "GH-B",
            day + timedelta(days=1),
            day + timedelta(days=1, hours=7),
            module="getting-help",
            site="York",
        ),
    ]
    path = write_config(
        tmp_path,
        cohorts,
        modules=shipped("getting-help"),
        analysis={"min_cell_size": min_cell_size, "show_comments": comments},
        database="t.db",
    )
    return load_config(path)


def put(config: Config, rows: list[str]) -> None:
    """Store these answers, replacing any stored for the same question (a test's setup)."""
    text = "participant,cohort,phase,question,value\n" + "\n".join(rows) + "\n"
    plan = parse_answers(text, config)
    assert not plan.problems, plan.problems
    asyncio.run(write_answers(config, plan.answers, replace=True))


def cohort_rows(cohort: str, people: dict[str, dict[str, str]]) -> list[str]:
    """people: participant → {"phase.question": value}."""
    return [
        f"{p},{cohort},{key.split('.')[0]},{key.split('.')[1]},{value}"
        for p, answers in people.items()
        for key, value in answers.items()
    ]


# Six participants in GH-A; hand-computed figures in the test below.
GH_A = {
    "a1": {"pre.sector": "NHS", "pre.conf_goals": "2", "post.conf_goals": "4",
           "post.met_expectations": "Yes", "post.relevance": "5", "post.comment": "Good"},
    "a2": {"pre.sector": "NHS", "pre.conf_goals": "3", "post.conf_goals": "3",
           "post.met_expectations": "Yes", "post.relevance": "4"},
    "a3": {"pre.sector": "NHS", "pre.conf_goals": "1", "post.conf_goals": "4",
           "post.met_expectations": "Partly", "post.relevance": "4"},
    "a4": {"pre.sector": "Education", "pre.conf_goals": "4", "post.conf_goals": "3",
           "post.met_expectations": "Yes", "post.relevance": ""},
    "a5": {"pre.sector": "Education", "pre.conf_goals": "2"},
    "a6": {"post.sector": "Other", "post.conf_goals": "5", "post.met_expectations": "No",
           "post.relevance": "3"},
}  # fmt: skip


@pytest.fixture
def figures_a(tmp_path: Path) -> Figures:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", GH_A))
    _, messages, charts = build_summary(config, resolve_scope(config, cohort="GH-A"))
    assert messages and all(len(m) <= 4096 for m in messages)
    assert {name for name, _ in charts} >= {"before-after.png", "by-sector.png", "ratings.png"}
    module = config.modules["getting-help"]
    frames = load_frames(config.bot.database, module, ["GH-A"])
    return summarise(frames, module, resolve_scope(config, cohort="GH-A"))


def test_counts_and_means_by_hand(figures_a: Figures) -> None:
    s = figures_a
    assert s.participants == 6
    assert (s.phase("pre").respondents, s.phase("post").respondents, s.pairs) == (5, 5, 4)
    assert s.phase("pre").partial == 0  # imported forms are submitted
    expectations = s.expectations
    assert expectations is not None and expectations.n == 5
    assert expectations.counts == (3, 1, 1)
    relevance = next(m for m in s.means if m.question == "relevance")
    assert relevance.ratings.n == 4  # a4 skipped
    assert relevance.ratings.value == Fraction(16, 4)
    item = s.changes[0]
    assert item.question == "conf_goals"
    assert (item.pre.n, item.pre.total) == (5, 12)  # 2+3+1+4+2
    assert (item.post.n, item.post.total) == (5, 19)  # 4+3+4+3+5
    assert item.pairs == 4
    assert item.stats is not None
    assert item.stats.mean_change == Fraction(4, 4)  # +2, 0, +3, −1
    assert item.direction.counts == (2, 1, 1)
    assert (item.stats.improved, item.stats.same, item.stats.declined) == (2, 1, 1)
    # Sector once per participant, whichever phase held it (a6 answered in post).
    sector = s.profiles[0]
    assert sector.n == 6
    assert list(zip(sector.labels, sector.counts, strict=True))[:2] == [
        ("NHS", 3),
        ("Local authority", 0),
    ]
    # One person commented.
    assert s.comments is not None and len(s.comments) == 1 and s.commenters == 1


def test_paired_statistics_match_scipy() -> None:
    pre = np.array([2, 3, 1, 4, 2, 3, 1, 2, 5, 3, 2, 2, 3, 4, 1, 2])
    post = np.array([4, 3, 4, 3, 3, 4, 3, 2, 5, 4, 4, 3, 3, 5, 3, 4])
    result = paired_stats(pre, post)
    diff = post - pre
    assert result.mean_change == Fraction(int(diff.sum()), len(diff))
    t = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert result.ci_low == pytest.approx(diff.mean() - t)
    assert result.ci_high == pytest.approx(diff.mean() + t)
    expected = stats.wilcoxon(pre, post)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.method == "normal approximation"  # 16 pairs with ties
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    assert result.rank_biserial == pytest.approx((plus - minus) / (plus + minus))
    # By hand: changes +1, +2, +3 (no ties, no zeros) → exact test, r = 1.
    small = paired_stats(np.array([1, 1, 1]), np.array([2, 3, 4]))
    assert small.method == "exact" and small.rank_biserial == 1.0
    assert small.p_value == pytest.approx(0.25)  # 2 × (1/8)


def signed_rank_by_hand(diff: np.ndarray) -> tuple[float, float | None, float]:
    """R+, the exact permutation p (every sign pattern enumerated; None past 20 changes) and
    the normal-approximation p, from the textbook definitions: zero changes dropped, tied
    |changes| share their mean rank, two-sided, no continuity correction."""
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    r_plus = float(ranks[nonzero > 0].sum())
    permutation_p = None
    if len(ranks) <= 20:
        signs = np.array(list(itertools.product((0, 1), repeat=len(ranks))))
        every = signs @ ranks  # R+ under each sign pattern, all equally likely under H0
        low, high = np.mean(every <= r_plus + 1e-9), np.mean(every >= r_plus - 1e-9)
        permutation_p = min(1.0, 2 * float(min(low, high)))
    n = len(ranks)
    _, tie_counts = np.unique(np.abs(nonzero), return_counts=True)
    variance = (n * (n + 1) * (2 * n + 1) - (tie_counts**3 - tie_counts).sum() / 2) / 24
    z = (r_plus - n * (n + 1) / 4) / np.sqrt(variance)
    return r_plus, permutation_p, float(2 * stats.norm.sf(abs(z)))


@pytest.mark.parametrize(
    ("diff", "method"),
    [
        ([1, 2, 3, 4, -5, 6, 7], "exact"),  # no ties, no zeros
        ([1, 1, 2, -1, 3, 0], "exact permutation"),  # ties and a zero, 6 pairs
        ([1, 1, -1, 2, 0, 2, 1, 1, 1, 1, -1, 1, 1], "exact permutation"),  # 13 pairs
        ([1, 1, -1, 2, 0, 2, 1, 1, 1, 1, -1, 1, 1, 2], "normal approximation"),  # 14 pairs
        ([*range(1, 48), -48, -49, 50, 51], "normal approximation"),  # 51 pairs, no ties
    ],
)
def test_wilcoxon_label_names_the_method_that_computed_p(diff: list[int], method: str) -> None:
    """The label beside p is the method that computed it, whatever an installed scipy's own
    'auto' rule would pick (that rule changed in scipy 1.15; .ci/lowest-deps runs this test
    under the oldest scipy pyproject.toml allows)."""
    changes = np.array(diff)
    result = paired_stats(np.zeros(len(changes), dtype=np.int64), changes)
    assert result.method == method
    r_plus, permutation_p, normal_p = signed_rank_by_hand(changes)
    if method == "normal approximation":
        assert result.p_value == pytest.approx(normal_p)
    else:
        # Without ties the permutation distribution is the exact signed-rank distribution.
        assert permutation_p is not None and result.p_value == pytest.approx(permutation_p)
        if method == "exact permutation":
            assert result.p_value != pytest.approx(normal_p)  # the two really differ here
    r_minus = float(stats.rankdata(np.abs(changes[changes != 0])).sum()) - r_plus
    assert result.wilcoxon_statistic == pytest.approx(min(r_plus, r_minus))


@pytest.mark.parametrize(
    "diff",
    [
        [1, 1, 2, -1, 3, 0],
        [1, 1, -1, 2, 0, 2, 1, 1, 1, 1, -1, 1, 1],
        [2, 0, 0, -2, 1, 1, -3, 2, -1],
        [-1, -1, 1],
        [0, 0, 3, 3],
        [4, -4, 2, -2, 1, 1, 0, 3, -3, 2, 2, -1],
    ],
)
def test_the_permutation_p_is_scipys_to_the_last_bit(diff: list[int]) -> None:
    """Our permutation test hands scipy every sign pattern at once; scipy's wilcoxon takes
    them one at a time. The statistic and the p value must not differ in any bit."""
    changes = np.array(diff)
    expected = stats.wilcoxon(changes, method=stats.PermutationMethod())
    assert wilcoxon(changes, PERMUTATION) == (float(expected.statistic), float(expected.pvalue))


def test_rounding_is_half_away_from_zero() -> None:
    assert fmt_mean(Fraction(2875, 1000)) == "2.88"
    assert fmt_mean(Fraction(-2875, 1000)) == "-2.88"
    assert fmt_mean(Fraction(143, 40)) == "3.58"  # 3.575 exactly
    assert percent(1, 8) == 13  # 12.5
    assert percent(7, 8) == 88  # 87.5
    assert str(round_half_away(0.125, 2)) == "0.13"


def test_too_few_and_comparisons(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", GH_A))
    put(config, cohort_rows("GH-B", {
        "b1": {"pre.sector": "NHS", "pre.conf_goals": "2", "post.conf_goals": "3",
               "post.met_expectations": "Yes", "post.relevance": "5"},
        "b2": {"pre.sector": "NHS", "pre.conf_goals": "2", "post.conf_goals": "5",
               "post.met_expectations": "Yes", "post.relevance": "5"},
    }))  # fmt: skip
    only_b = build_summary(config, resolve_scope(config, cohort="GH-B"), charts=False)[0]
    assert only_b.changes[0].change is None  # 2 pairs < 3
    assert only_b.changes[0].pre.too_few and only_b.changes[0].direction is None
    module = build_summary(config, resolve_scope(config, module="getting-help"), charts=False)[0]
    assert module.participants == 8
    by_cohort, by_site = module.comparisons
    assert [r.name for r in by_cohort.rows] == ["GH-A", "GH-B"]
    # GH-B has 2 participants: hidden, and GH-A with it, or 8 − 6 would give it away.
    assert [r.participants for r in by_cohort.rows] == [None, None]
    assert by_site.by == "site" and [r.name for r in by_site.rows] == ["Leeds", "York"]
    with pytest.raises(ScopeError):
        resolve_scope(config, module="getting-help", site="Paris")


def test_comments_are_quoted_only_when_enough_people_commented(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    people = {key: dict(answers) for key, answers in GH_A.items()}
    people["a2"]["post.comment"] = "Too short & too fast"
    put(config, cohort_rows("GH-A", people))
    scope = resolve_scope(config, cohort="GH-A")
    summary, messages, _ = build_summary(config, scope, charts=False)
    text = "".join(messages)
    assert summary.comments == () and "Good" not in text and "Too short" not in text
    assert "Fewer than 3 people wrote a comment, so none are shown" in text

    put(config, cohort_rows("GH-A", {"a3": {"post.comment": "More cases <please>"}}))
    summary, messages, _ = build_summary(config, scope, charts=False)
    text = "".join(messages)
    assert summary.comments is not None and len(summary.comments) == 3
    assert "Too short &amp; too fast" in text and "More cases &lt;please&gt;" in text
    assert "as written" in text


def test_comments_can_be_turned_off(tmp_path: Path) -> None:
    config = make_config(tmp_path, comments=False)
    put(config, cohort_rows("GH-A", GH_A))
    summary, messages, _ = build_summary(config, resolve_scope(config, cohort="GH-A"), charts=False)
    assert summary.comments is None
    assert "Good" not in "".join(messages)


def test_load_reads_a_database_being_written(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", GH_A))
    module = config.modules["getting-help"]
    frames = load_frames(config.bot.database, module, ["GH-A"])
    assert len(frames.participants) == 6
    assert set(frames.answers["question"].cat.categories) >= {"sector", "conf_goals"}
    assert str(frames.answers["phase"].dtype) == "category"
    assert int((frames.answers["code"] == 0).sum()) == 1  # a4 skipped relevance
    figures = summarise(frames, module, resolve_scope(config, cohort="GH-A"))
    summary = release(figures, Policy(min_cell_size=1))
    # Suppression off: every option on its own, the small ones too.
    assert [p.count for p in summary.profiles[0].parts] == list(figures.profiles[0].counts)
