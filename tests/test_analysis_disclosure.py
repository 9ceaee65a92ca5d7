"""Disclosure control a reader cannot undo, and plain words for facilitators."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from test_analysis_compute import cohort_rows, make_config, put

from analysis import phrases
from analysis.findings import headline_findings
from analysis.render_markdown import render_markdown
from analysis.render_telegram import render_telegram
from analysis.scope import resolve_scope
from analysis.summary import build_summary
from analysis.suppress import direction_pinned, hidden_cells
from cli.main import main
from conftest import Harness

DATA = Path(__file__).parent / "data"
QUESTIONNAIRES = Path(__file__).parent.parent / "core" / "data" / "questionnaires"
JARGON = ("Wilcoxon", "normal approximation", "rank-biserial", "halves away from zero")

# The example: five people, every pair improved ("r ≥ +0.99" next to
# "improved <3 … declined <3" told the reader that nobody declined).
FIVE = {
    f"p{i}": {
        "pre.sector": "NHS",
        "pre.conf_goals": str(pre),
        "post.conf_goals": str(post),
        "pre.conf_ending": "2",
        "post.conf_ending": "3",
        "post.met_expectations": "Yes",
    }
    for i, (pre, post) in enumerate([(1, 3), (2, 3), (2, 4), (1, 2), (3, 5)])
}


def test_five_people_all_improved_reveals_nobody_declined_nowhere(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", FIVE))
    summary, messages, _ = build_summary(config, resolve_scope(config, cohort="GH-A"))
    item = summary.changes[0]
    assert [c.count for c in item.direction.cells] == [5, 0, 0]
    assert item.stats is not None and item.stats.rank_biserial == 1.0
    # 5 improved with the others hidden as "<3" would be all of them: all three hidden.
    assert all(c.hidden for c in item.direction.cells)
    assert not item.test_shown
    telegram, markdown = "".join(messages), render_markdown(summary)
    for text in (telegram, markdown):
        assert "≥" not in text and "0.99" not in text
        assert "r = " not in text and "Wilcoxon signed-rank p" not in text
    assert "| 5 | +1.60 | not shown | not shown | not shown / <3 / <3 |" in markdown
    # The mean change (+1.60) and the means fit other mixes of higher, same and lower.
    assert item.change_shown and "+1.60" in telegram


def test_a_mean_change_that_gives_the_counts_away_is_not_shown(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    people = {p: {**FIVE[p], "pre.conf_goals": "1", "post.conf_goals": "5"} for p in FIVE}
    put(config, cohort_rows("GH-A", dict(list(people.items())[:3])))
    summary, messages, _ = build_summary(config, resolve_scope(config, cohort="GH-A"))
    item = summary.changes[0]
    # +4.00 over 3 pairs, or 1.00 before and 5.00 after: only if all three improved.
    assert not item.change_shown and item.pre.withheld and item.post.withheld
    telegram, markdown = "".join(messages), render_markdown(summary)
    for text in (telegram, markdown):
        assert "+4.00" not in text and "1.00 (n = 3)" not in text and "5.00" not in text
    assert "1.00 → 5.00" not in telegram and "not shown → not shown" in telegram
    assert "the change figures are not shown, to protect a small group" in telegram


def test_suppression_reads_naturally(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    put(config, cohort_rows("GH-A", FIVE))
    put(
        config,
        cohort_rows(
            "GH-A",
            {
                "p0": {"post.met_expectations": "Partly"},
                "p1": {"post.met_expectations": "No"},
            },
        ),
    )
    _, messages, _ = build_summary(config, resolve_scope(config, cohort="GH-A"))
    telegram = "".join(messages)
    assert "Partly and No: fewer than 3 each." in telegram
    assert "withheld" not in telegram and "Other answers" not in telegram


def test_hidden_complement_is_given_together_with_the_small_group() -> None:
    from analysis.compute import breakdown

    found = breakdown(
        "met_expectations", "Met expectations", ["Yes", "Partly", "No"], [32, 7, 2], 3
    )
    assert [c.hidden for c in found.cells] == [False, True, True]
    assert phrases.groups_sentence(found, 3) == (
        "Yes 32 (78%); Partly and No: 9 (22%) together, not shown separately to protect a "
        "group of fewer than 3"
    )


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
            hidden = hidden_cells(counts, 2)
            for pre, post in sums:
                # Brute force: the direction counts that fit the shown cells and both totals.
                fits = [
                    other
                    for other, other_sums in seen.items()
                    if (pre, post) in other_sums
                    and all(h or o == c for o, c, h in zip(other, counts, hidden, strict=True))
                    and all(
                        not h or (o < 2) == (c < 2)
                        for o, c, h in zip(other, counts, hidden, strict=True)
                    )
                ]
                expected = any(h and len({f[k] for f in fits}) < 2 for k, h in enumerate(hidden))
                got = direction_pinned(counts, hidden, 2, pre_sum=(pre, pre), post_sum=(post, post))
                assert got == expected, (counts, hidden, pre, post, fits)


def seed_summary(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(
        f'[bot]\ndatabase = "feedback.db"\n[[modules]]\nid = "risk-support"\n'
        f'questionnaire = "{QUESTIONNAIRES / "risk-support.toml"}"\n[[cohorts]]\n'
        'code = "RS-SEED-2017"\nmodule = "risk-support"\nsite = "London"\n'
        "start = 2017-03-14T09:30:00\nend = 2017-03-14T16:30:00\n"
    )
    assert main(["import", "--config", str(path), str(DATA / "seed-risk-support.csv")]) == 0
    from core.config import load_config

    config = load_config(path)
    return build_summary(config, resolve_scope(config, cohort="RS-SEED-2017"), charts=False)[0]


def test_running_text_is_plain_and_statistics_sit_in_an_expandable_quote(
    tmp_path: Path,
) -> None:
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


@pytest.mark.parametrize("words", [("shown to facilitators as you wrote them",)])
async def test_privacy_notice_says_comments_are_shown_as_written(
    bot: Harness, words: tuple[str, ...]
) -> None:
    await bot.send(1001, "/start RS-LDN-0314")
    text = bot.text(1001)
    assert "what happens to your answers" in text
    for phrase in words:
        assert phrase in text
