"""The headline's before/after sentence for 0 to 3 items, each way ratings can go."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from analysis.findings import change_finding, headline_findings
from analysis.released import ItemChange, Mean, ModuleSummary
from core.config import Config
from report_data import SEED, make, summary_of

NAMES = ("Confidence A", "Confidence B", "Knowledge C")


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> ModuleSummary:
    config: Config = make(tmp_path_factory.mktemp("findings"))
    return summary_of(config, cohort=SEED)


def item(name: str, pre: str, post: str, change: str | None = None) -> ItemChange:
    """An item with means over 20 answers (the means as the tables print them)."""
    before, after = Fraction(pre), Fraction(post)
    return ItemChange(
        name.lower().replace(" ", "_"),
        name,
        name,
        Mean(20, before),
        Mean(20, after),
        20,
        Fraction(change) if change is not None else after - before,
        None,
        None,
    )


def sentence(seed: ModuleSummary, *items: ItemChange) -> str | None:
    return change_finding(replace(seed, changes=items))


@pytest.mark.parametrize(
    ("means", "expected"),
    [
        (
            [("2.00", "3.00")],
            "The average rating of confidence A (2.00 → 3.00) rose from before to after.",
        ),
        (
            [("3.50", "3.25")],
            "The average rating of confidence A (3.50 → 3.25) fell from before to after.",
        ),
        (
            [("3.00", "3.00")],
            "The average rating of confidence A (3.00 → 3.00) was the same before and after.",
        ),
        (
            [("2.00", "3.00"), ("2.00", "2.50")],
            "Average ratings rose from before to after on both items, most in confidence A "
            "(2.00 → 3.00).",
        ),
        (
            [("3.00", "2.00"), ("3.00", "2.50"), ("4.00", "3.00")],
            "Average ratings fell from before to after on all three items, most in confidence A "
            "(3.00 → 2.00) and knowledge C (4.00 → 3.00).",
        ),
        (
            [("3.00", "3.00"), ("2.00", "2.00")],
            "Average ratings were the same before and after on both items.",
        ),
        (
            [("2.00", "3.00"), ("3.00", "2.83")],
            "Of the two items, average ratings rose on one (confidence A (2.00 → 3.00)) and fell "
            "on one (confidence B (3.00 → 2.83)).",
        ),
        (
            [("2.00", "3.00"), ("3.00", "2.83"), ("3.00", "3.00")],
            "Of the three items, average ratings rose on one (confidence A (2.00 → 3.00)), fell "
            "on one (confidence B (3.00 → 2.83)) and stayed the same on one (knowledge C "
            "(3.00 → 3.00)).",
        ),
        (
            [("2.00", "3.00"), ("2.10", "2.60"), ("3.25", "3.00")],
            "Of the three items, average ratings rose on two (confidence A (2.00 → 3.00); "
            "confidence B (2.10 → 2.60)) and fell on one (knowledge C (3.25 → 3.00)).",
        ),
    ],
)
def test_the_sentence_says_what_the_table_shows(
    seed: ModuleSummary, means: list[tuple[str, str]], expected: str
) -> None:
    items = [item(NAMES[i], pre, post) for i, (pre, post) in enumerate(means)]
    assert sentence(seed, *items) == expected


def test_no_items_no_sentence(seed: ModuleSummary) -> None:
    assert sentence(seed) is None
    found = headline_findings(replace(seed, changes=()))
    assert not any("average rating" in f.lower() for f in found)


def test_averages_and_pairs_going_different_ways_claim_no_direction(seed: ModuleSummary) -> None:
    # Everyone's average rose (late joiners rated high), but those who answered both
    # times rated it lower on average: neither "rose" nor "fell" would be true.
    split = item("Confidence A", "2.00", "2.40", change="-0.10")
    assert sentence(seed, split) == (
        "The average rating of confidence A (2.00 → 2.40) went one way for everyone and "
        "another for those who answered both times."
    )
    both = sentence(seed, split, item("Confidence B", "2.00", "3.00"))
    assert both is not None and both.startswith("Of the two items, average ratings rose on one")
    assert "another for those who answered both times on one (confidence A (2.00 → 2.40))" in both
    # A change of 0.00 as printed, beside a rise, is no rise either.
    level = item("Confidence A", "2.00", "2.40", change="0.004")
    assert "went one way for everyone" in (sentence(seed, level) or "")


def test_items_without_both_means_are_left_out_of_the_sentence(seed: ModuleSummary) -> None:
    thin = replace(item("Knowledge C", "2.00", "3.00"), post=Mean(2, None))
    found = sentence(seed, item("Confidence A", "2.00", "3.00"), thin)
    assert found == "The average rating of confidence A (2.00 → 3.00) rose from before to after."
    lines = headline_findings(replace(seed, changes=(thin,)))
    assert "Too few people rated the items after the module" in " ".join(lines)


def test_seed_headline(seed: ModuleSummary, tmp_path: Path) -> None:
    assert sentence(seed, *seed.changes) == (
        "Average ratings rose from before to after on all three items, most in knowledge of "
        "the THRIVE framework (2.56 → 3.67)."
    )
