"""The disclosure policy on cohorts whose right answers are known by hand, and its settings."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_analysis_compute import cohort_rows, make_config, put

from analysis import phrases
from analysis.disclosure import Policy, breakdown
from analysis.figures import Counts
from analysis.findings import headline_findings
from analysis.render_html import render_html
from analysis.render_markdown import render_markdown
from analysis.render_sheet import summary_rows
from analysis.render_telegram import render_telegram
from analysis.scope import resolve_scope
from analysis.summary import build_summary
from analysis.suppress import (
    bands_pinned,
    choose_bands,
    direction_pinned,
    group_safe,
    merge_small,
)
from cli.main import main
from core.config import load_config
from core.problems import ConfigError

DATA = Path(__file__).parent / "data"
QUESTIONNAIRES = Path(__file__).parent.parent / "core" / "data" / "questionnaires"
JARGON = ("Wilcoxon", "normal approximation", "rank-biserial", "halves away from zero")
TEST_WORDS = ("Wilcoxon", "rank-biserial", "95% CI", "r = ", "p-value")


def people(pairs: list[tuple[int, int]], **extra: str) -> dict[str, dict[str, str]]:
    """Getting Help participants rating conf_goals before and after."""
    return {
        f"p{i}": {
            "pre.sector": "NHS",
            "pre.conf_goals": str(pre),
            "post.conf_goals": str(post),
            "post.met_expectations": "Yes",
            **extra,
        }
        for i, (pre, post) in enumerate(pairs)
    }


def outputs(config, code: str = "GH-A"):  # type: ignore[no-untyped-def]
    """The summary and every output a reader gets: Telegram, Markdown, HTML, summary sheet."""
    summary, messages, _ = build_summary(config, resolve_scope(config, cohort=code), charts=False)
    sheet = "\n".join(
        " | ".join("" if v is None else str(v) for v in r) for r in summary_rows(summary)
    )
    return summary, {
        "telegram": "".join(messages),
        "markdown": render_markdown(summary),
        "html": render_html(summary, []),
        "sheet": sheet,
    }


def test_five_people_who_all_improved_get_no_test_anywhere(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", people([(1, 3), (2, 3), (2, 4), (1, 2), (3, 5)])))
    summary, texts = outputs(config)
    item = summary.changes[0]
    assert item.pairs == 5 and item.test is None
    # Five pairs is enough for the mean change and the counts (zero is shown) ...
    assert item.change is not None and phrases.change_cells(item).change == "+1.60"
    assert item.direction is not None
    assert [p.count for p in item.direction.parts] == [5, 0, 0]
    for name, text in texts.items():
        assert ("| mean change | 1.6 |" if name == "sheet" else "+1.60") in text, name
        # ... but no interval, p or effect size, in any output.
        for word in ("Wilcoxon signed-rank p", "rank-biserial r =", "95% CI +", "(+"):
            assert word not in text, (name, word)
        if name != "sheet":
            assert "Tests need at least 10 people who answered both times" in text, name
    sheet_tests = [
        r for r in summary_rows(summary) if r[4] in ("95% CI low", "Wilcoxon p", "rank-biserial r")
    ]
    assert sheet_tests and all(r[5] is None and "fewer than 10 pairs" in r[8] for r in sheet_tests)
    assert "higher 5 (100%), the same 0 (0%), lower 0 (0%)" in texts["telegram"]


def test_tests_are_shown_from_ten_pairs_whatever_the_direction_counts(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    # Eleven improved and one declined: "lower 1" is never shown, the test always is.
    pairs = [(2, 4)] * 6 + [(1, 3)] * 5 + [(4, 3)]
    put(config, cohort_rows("GH-A", people(pairs)))
    summary, texts = outputs(config)
    item = summary.changes[0]
    assert item.test is not None and item.test.rank_biserial is not None
    assert item.direction is not None and item.direction.count("declined") is None
    cells = phrases.change_cells(item)
    assert cells.interval is not None
    for name in ("telegram", "markdown", "html"):
        text = texts[name]
        assert cells.interval in text and cells.effect in text, name
        assert "lower 1" not in text and "Tests need" not in text, name
    # Nobody stayed the same (zero is shown), so the one who declined is counted together
    # with those who improved.
    assert "higher or lower together: 12 (100%), the same 0 (0%)" in texts["telegram"]


def test_a_mean_change_over_three_pairs_is_shown_with_its_counts(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", people([(1, 5)] * 3)))
    summary, texts = outputs(config)
    item = summary.changes[0]
    # +4.00 over 3 pairs says all three improved: that is 3, and 0 and 0, all showable.
    assert phrases.change_cells(item).change == "+4.00" and item.test is None
    assert "1.00 → 5.00" in texts["telegram"]
    assert "higher 3 (100%), the same 0 (0%), lower 0 (0%)" in texts["telegram"]


def test_zero_is_shown_and_small_groups_merge_with_the_smallest_other() -> None:
    found = breakdown(
        Counts("met_expectations", "Met expectations", ("Yes", "Partly", "No"), (32, 7, 2)), 3
    )
    assert [(p.labels, p.count) for p in found.parts] == [(("Yes",), 32), (("Partly", "No"), 9)]
    assert phrases.groups_sentence(found, 3) == "Yes 32 (78%), Partly or No together: 9 (22%)"
    sector = breakdown(Counts("sector", "Sector", ("A", "B", "C", "D"), (10, 0, 1, 4)), 3)
    assert [(p.labels, p.count) for p in sector.parts] == [
        (("A",), 10),
        (("B",), 0),
        (("C", "D"), 5),
    ]
    # "Yes" stays shown when another option can protect the small one.
    keep = breakdown(Counts("m", "M", ("Yes", "Partly", "No"), (5, 1, 20)), 3, keep=[0])
    assert keep.count("Yes") == 5
    # Two people in all: nothing can protect them, so only the total is said.
    alone = breakdown(Counts("sector", "Sector", ("A", "B", "C"), (2, 0, 0)), 3)
    assert alone.left_out and phrases.breakdown_items(alone, 3) == [("A, B or C", "not shown")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=2, max_size=5), st.integers(2, 5))
def test_a_merged_part_never_gives_a_small_count_away(counts: list[int], m: int) -> None:
    merged = merge_small(counts, m)
    if merged is None:
        return  # left out: only the total is shown
    shown = [c for i, c in enumerate(counts) if i not in merged]
    assert all(c == 0 or c >= m for c in shown)  # nothing small on its own
    if not merged:
        return
    members = [counts[i] for i in merged]
    assert group_safe(members, m) and all(c > 0 for c in members)
    # By brute force: what a reader can make of the part (its total; its options not zero,
    # at least one of them small). Every small option keeps two possible values.
    total, k = sum(members), len(members)
    fits = [
        combo
        for combo in _compositions(total - k, k)  # each option at least 1
        if any(1 <= c + 1 < m for c in combo)
    ]
    fits = [tuple(c + 1 for c in combo) for combo in fits]
    for j, count in enumerate(members):
        if 1 <= count < m:
            assert len({combo[j] for combo in fits}) >= 2, (counts, m, members)


def test_direction_model_matches_every_small_cohort() -> None:
    """direction_pinned agrees with brute force over every set of up to three pairs."""
    pairs = [(a, b) for a in range(1, 6) for b in range(1, 6)]
    for n in (1, 2, 3):
        seen: dict[tuple[int, int, int], set[tuple[int, int]]] = {}
        for combo in itertools.combinations_with_replacement(pairs, n):
            i = sum(b > a for a, b in combo)
            d = sum(b < a for a, b in combo)
            pre, post = sum(a for a, _ in combo), sum(b for _, b in combo)
            seen.setdefault((i, n - i - d, d), set()).add((pre, post))
        for counts, sums in seen.items():
            merged = merge_small(counts, 2)
            if not merged or len(merged) != 2:
                continue
            together = sum(counts[k] for k in merged)
            for pre, post in sums:
                # Brute force: the direction counts that fit the shown ones and both totals.
                fits = [
                    other
                    for other, other_sums in seen.items()
                    if (pre, post) in other_sums
                    and all(
                        o == c
                        for k, (o, c) in enumerate(zip(other, counts, strict=True))
                        if k not in merged
                    )
                    and all(other[k] >= 1 for k in merged)
                    and sum(other[k] for k in merged) == together
                    and any(other[k] < 2 for k in merged)
                ]
                expected = any(len({f[k] for f in fits}) < 2 for k in merged)
                got = direction_pinned(counts, merged, 2, pre_sum=(pre, pre), post_sum=(post, post))
                assert got == expected, (counts, merged, pre, post, fits)


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    if parts == 1:
        return [(total,)]
    return [
        (first, *rest)
        for first in range(total + 1)
        for rest in _compositions(total - first, parts - 1)
    ]


def test_rating_bands_keep_small_counts_unknown_beside_an_exact_mean() -> None:
    """Every 1–5 distribution of up to 7 answers: the bands chosen, read with the exact sum
    of the ratings, leave every small count two possible values (brute force)."""
    m = 3
    for n in range(1, 8):
        for counts in _compositions(n, 5):
            total = sum((k + 1) * c for k, c in enumerate(counts))
            bands = choose_bands(counts, m, (total, total))
            if bands is None:
                continue  # left out
            assert not bands_pinned(counts, bands, m, (total, total))
            fits = [
                other
                for other in _compositions(n, 5)
                if sum((k + 1) * c for k, c in enumerate(other)) == total
                and all(sum(other[i] for i in b) == sum(counts[i] for i in b) for b in bands)
            ]
            for band in bands:
                assert len(band) == 1 or sum(counts[i] for i in band) >= m
                for level in band:
                    if len(band) == 1:
                        assert not 1 <= counts[level] < m
                    elif 1 <= counts[level] < m:
                        assert len({f[level] for f in fits}) >= 2, (counts, bands)
            if not any(1 <= c < m for c in counts):
                assert len(bands) == 5  # nothing to protect: every rating on its own


def test_seed_tables_read_plainly(tmp_path: Path) -> None:
    summary = seed_summary(tmp_path)
    html = render_telegram(summary)
    running, quote = html.split("<blockquote expandable>")
    for word in JARGON:
        assert word not in running, word
    assert "Wilcoxon signed-rank p" in quote and "rank-biserial r = +0.78" in quote
    headlines = headline_findings(summary)
    assert 3 <= len(headlines) <= 6
    assert "78% said the module met their expectations." in headlines
    assert any(
        "rose from before to after on all three items" in line
        and "knowledge of the THRIVE framework (2.56 → 3.67)" in line
        for line in headlines
    )
    assert not any(re.search("|".join(JARGON) + r"|\bp [<=]", line) for line in headlines)
    statistics = phrases.statistics_lines(summary)
    assert statistics[0].startswith("Confidence supporting families in the risk support group:")
    assert "Wilcoxon" in statistics[0]


def seed_summary(tmp_path: Path, extra: str = ""):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(
        f'[bot]\ndatabase = "feedback.db"\n{extra}[[modules]]\nid = "risk-support"\n'
        f'questionnaire = "{QUESTIONNAIRES / "risk-support.toml"}"\n[[cohorts]]\n'
        'code = "RS-SEED-2017"\nmodule = "risk-support"\nsite = "London"\n'
        "start = 2017-03-14T09:30:00\nend = 2017-03-14T16:30:00\n"
    )
    assert main(["import", "--config", str(path), str(DATA / "seed-risk-support.csv")]) == 0
    config = load_config(path)
    return build_summary(config, resolve_scope(config, cohort="RS-SEED-2017"), charts=False)[0]


@pytest.mark.parametrize(
    ("size", "expectations"),
    [
        (5, "| Partly or No (together) | 9 (22%) |"),
        # 7 Partly and 2 No are both below 10, and so are they together: only n is given.
        (10, "| Yes, Partly or No | not shown |"),
    ],
)
def test_stricter_configs_keep_working(tmp_path: Path, size: int, expectations: str) -> None:
    summary = seed_summary(tmp_path, f"[analysis]\nmin_cell_size = {size}\n")
    assert summary.min_cell_size == size and summary.min_pairs_for_tests == 10
    text = render_markdown(summary)
    assert "+0.58 (+0.32 to +0.84)" in text  # 36 pairs: tests shown
    assert expectations in text
    found = summary.profiles[0]
    assert all(p.count == 0 or p.count >= size for p in found.parts)
    assert f"min_cell_size = {size} and min_pairs_for_tests = 10" in text


def test_min_pairs_for_tests_is_a_setting(tmp_path: Path) -> None:
    summary = seed_summary(tmp_path, "[analysis]\nmin_pairs_for_tests = 40\n")
    assert all(item.test is None for item in summary.changes)  # 36 pairs < 40
    assert "Tests need at least 40 people who answered both times" in render_markdown(summary)
    # An interval is centred on the mean change: never shown where the change is not.
    assert Policy(min_cell_size=12, min_pairs_for_tests=10).pairs_for_tests == 12


@pytest.mark.parametrize(
    ("value", "shown"),
    [("1", "1"), ("0", "0"), ("-3", "-3"), ("2.5", "2.5"), ("true", "True"), ('"10"', "'10'")],
)
def test_a_bad_min_pairs_for_tests_names_file_key_and_expectation(
    tmp_path: Path, value: str, shown: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\ndatabase = "f.db"\n[analysis]\nmin_pairs_for_tests = {value}\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = str(raised.value)
    assert str(path) in text and "analysis.min_pairs_for_tests" in text
    assert "expected a whole number, 2 or more" in text
    del shown
