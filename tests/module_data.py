"""Cohorts of one module at several sites and dates, for the module report's tests.

The seed cohort as published, and cohorts drawn at random (a seeded generator): sizes,
skips, answers after the module for most, and a mean change that can be made to grow
from one cohort to the next. All go in through `feedback-bot import`, as an operator's
paper or web-form answers would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np

from bot.sim.config import CohortSpec, write_config

DATA = Path(__file__).parent / "data"
SEED_CODE = "RS-SEED-2017"
SECTORS = ("NHS mental health (CAMHS)", "Education", "Local authority / social care", "Other")
ROLES = ("Clinician", "Youth worker", "School nurse", "Senior leader / manager")
ITEMS = ("conf_support", "conf_explain", "thrive_knowledge")


@dataclass(frozen=True)
class Run:
    """One cohort: its code, site, day and how many people; `gain` moves the after
    ratings up (on average, in rating points) from the before ones."""

    code: str
    site: str
    day: date
    size: int
    gain: float = 0.6


def config_for(folder: Path, runs: Sequence[Run], **settings: object) -> Path:
    """A config with these cohorts (09:30–16:30 UTC on their days), database beside it."""
    cohorts = [
        CohortSpec(
            run.code,
            datetime.combine(run.day, time(9, 30), UTC),
            datetime.combine(run.day, time(16, 30), UTC),
            site=run.site,
        )
        for run in runs
    ]
    analysis = {"min_cell_size": 3, "min_pairs_for_tests": 10, "show_comments": True}
    return write_config(folder, cohorts, analysis=analysis, database="module.db", **settings)  # type: ignore[arg-type]


def seed_rows(code: str = SEED_CODE) -> list[list[str]]:
    """The seed cohort's answers, under another code if asked."""
    with (DATA / "seed-risk-support.csv").open(encoding="utf-8-sig", newline="") as file:
        return [
            [r["participant"], code, r["phase"], r["question"], r["value"]]
            for r in csv.DictReader(file)
        ]


def random_rows(run: Run, rng: np.random.Generator) -> list[list[str]]:
    """A cohort's answers: profile, before and after ratings, expectations, comments."""
    rows: list[list[str]] = []
    for i in range(run.size):
        person = f"{run.code}-{i:03d}"
        rows.append([person, run.code, "pre", "sector", str(rng.choice(SECTORS))])
        rows.append([person, run.code, "pre", "role", str(rng.choice(ROLES))])
        after = rng.random() < 0.85
        for item in ITEMS:
            before = int(rng.integers(1, 5))
            skipped = rng.random() < 0.05
            rows.append([person, run.code, "pre", item, "" if skipped else str(before)])
            if after:
                moved = before + round(rng.normal(run.gain, 0.8))
                rows.append([person, run.code, "post", item, str(min(5, max(1, moved)))])
        if after:
            answer = rng.choice(["Yes", "Partly", "No"], p=[0.75, 0.2, 0.05])
            rows.append([person, run.code, "post", "met_expectations", str(answer)])
            rows.append([person, run.code, "post", "relevance", str(rng.integers(3, 6))])
            rows.append([person, run.code, "post", "new_info", str(rng.integers(2, 6))])
            if rng.random() < 0.3:
                rows.append([person, run.code, "post", "comment", f"Comment from {person}"])
    return rows


def write_answers_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value"])
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
