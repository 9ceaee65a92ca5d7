"""`feedback-bot demo`: the whole product offline, its figures matching its own exports."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bot.cli import main

ITEMS = {
    "conf_support": "Confidence supporting families in the risk support group",
    "conf_explain": "Confidence explaining risk support to a third party",
    "thrive_knowledge": "Knowledge of the THRIVE framework",
}


def mean_text(values: list[int]) -> str:
    exact = Decimal(sum(values)) / Decimal(len(values))
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def signed(value: float) -> str:
    text = str(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return (
        "0.00"
        if text in ("0.00", "-0.00")
        else text.replace("-", "−")
        if text[0] == "-"
        else "+" + text
    )


def interval_and_effect(pre: list[int], post: list[int]) -> tuple[str, str]:
    """The 95% interval and rank-biserial r of matched pairs, as the channel prints them."""
    diff = np.array(post) - np.array(pre)
    if np.all(diff == diff[0]):
        low = high = float(diff.mean())
    else:
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        low, high = diff.mean() - half, diff.mean() + half
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    return (
        f"(95% CI {signed(low)} to {signed(high)})",
        f"r = {signed((plus - minus) / (plus + minus))}",
    )


def test_demo_runs_offline_and_its_summary_matches_the_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--participants", "12", "--seed", "7", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "The facilitators' channel received" in printed
    assert "Evaluation summary" in printed
    channel = (out / "channel.md").read_text(encoding="utf-8")
    assert channel.count("📊 Evaluation summary") == 1
    assert (out / "report-RS-DEMO-0314.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert len(list((out / "charts").glob("*.png"))) >= 3
    assert len(list((out / "transcripts").glob("*.txt"))) == 4
    assert (out / "feedback.db").exists()

    # An independent computation from the exported answers gives the channel's figures.
    rows = list(
        csv.DictReader(io.StringIO((out / "RS-DEMO-0314-answers.csv").read_text("utf-8-sig")))
    )
    assert rows and all(r["participant"].startswith("p-") for r in rows)
    relevance = [int(r["value"]) for r in rows if r["question"] == "relevance" and r["value"]]
    if len(relevance) >= 3:
        assert (
            f"Relevance to current practice: {mean_text(relevance)} (n = {len(relevance)})"
            in channel
        )
    participants = {r["participant"] for r in rows}
    assert f"Participants: {len(participants)}" in channel
    # Every item with 10 or more matched pairs carries its interval and effect size in the
    # channel's message; below that, the message says why there are none.
    tested = 0
    for question, label in ITEMS.items():
        ratings = {
            (r["participant"], r["phase"]): int(r["value"])
            for r in rows
            if r["question"] == question and r["value"]
        }
        both = sorted(p for p, phase in ratings if phase == "pre" and (p, "post") in ratings)
        line = next(line for line in channel.splitlines() if line.startswith(f"{label}: "))
        assert line.startswith(f"{label}: {len(both)} matched pairs")
        if len(both) >= 10:
            tested += 1
            interval, effect = interval_and_effect(
                [ratings[(p, "pre")] for p in both], [ratings[(p, "post")] for p in both]
            )
            assert interval in line and effect in line, (line, interval, effect)
        else:
            assert "95% CI" not in line and "r = " not in line
            assert "Tests need at least 10 people who answered both times" in channel
    assert tested  # the demo's cohort is large enough for some

    # Run again into the same folder: it refuses in one line rather than reuse the database.
    before = (out / "feedback.db").read_bytes()
    assert main(["demo", "--participants", "12", "--out", str(out)]) == 2
    refusal = capsys.readouterr().err.strip()
    assert len(refusal.splitlines()) == 1 and "--fresh" in refusal
    assert (out / "feedback.db").read_bytes() == before


def test_demo_fresh_deletes_an_earlier_run_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    (out / "feedback.db").write_bytes(b"an earlier run's database")
    (out / "channel.md").write_text("an earlier run's channel", encoding="utf-8")
    assert main(["demo", "--participants", "3", "--seed", "1", "--out", str(out), "--fresh"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Starting fresh: deleting the earlier demo's 2 files")
    assert (out / "feedback.db").read_bytes().startswith(b"SQLite format 3")
    assert "earlier run" not in (out / "channel.md").read_text(encoding="utf-8")
