"""Cohorts of one module at several sites and dates, for the module report's tests, and
the readers of the reports they give.

The seed cohort as published, and cohorts drawn at random (a seeded generator): sizes,
skips, answers after the module for most, and a mean change that can be made to grow
from one cohort to the next. All go in through `feedback-bot import`, as an operator's
paper or web-form answers would.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import unescape
from pathlib import Path

import numpy as np

from sim.config import CohortSpec, write_config

DATA = Path(__file__).parent / "data"
SEED_CODE = "RS-SEED-2017"
SECTORS = ("NHS mental health (CAMHS)", "Education", "Local authority / social care", "Other")
ROLES = ("Clinician", "Youth worker", "School nurse", "Senior leader / manager")
ITEMS = ("conf_support", "conf_explain", "thrive_knowledge")
ITEM_LABELS = {
    "conf_support": "Confidence supporting families in the risk support group",
    "conf_explain": "Confidence explaining risk support to a third party",
    "thrive_knowledge": "Knowledge of the THRIVE framework",
}


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


# Reading the reports back, as a reader reads report.html.


def tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of a report by its caption: the body's rows as the cells' text."""
    found = {}
    for caption, body in re.findall(
        r"<table><caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", html, re.S
    ):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            rows.append(
                [
                    unescape(re.sub(r"<[^>]+>", "", c.replace("<br>", " "))).replace("\xa0", " ")
                    for c in cells
                ]
            )
        found[unescape(caption)] = rows
    return found


def own_report(html: str) -> dict[str, str]:
    """A single cohort's figures, as its own report.html shows them."""
    found = tables(html)
    responses = {row[0]: row[1] for row in found["Responses"]}
    participants = re.search(r"<p>(\d+) people joined the evaluation", html)
    assert participants
    figures = {
        "participants": participants[1],
        "before": responses["Before the module (pre)"],
        "after": responses["After the module (post)"],
        "pairs": responses["Answered both (matched pairs)"],
    }
    share = re.search(r"(\d+)% of respondents stated that the module met", html)
    figures["met expectations"] = f"{share[1]}%" if share else "not shown"
    for label, _asked, mean, _n in found["Mean ratings, 1 (low) to 5 (high)"]:
        figures[label] = mean
    for label, _before, _after, change in found[
        "Mean ratings before and after the module (1 = low, 5 = high)"
    ]:
        # "+0.58 (+0.32 to +0.84)", as the module's table gives it without the pairs' n.
        figures[label] = change
    site = re.search(r"<dt>Site</dt><dd>([^<]+)</dd>", html)
    assert site
    figures["site"] = unescape(site[1])
    return figures


def module_rows(html: str) -> dict[str, dict[str, str]]:
    """Each cohort's row of the module report, by cohort code, in the tables' order."""
    found = tables(html)
    by = "By cohort, in date order"
    rows: dict[str, dict[str, str]] = {}
    for row in found[f"{by}: who took part"]:
        heads = ["date", "site", "participants", "before", "after", "pairs"]
        rows[row[0]] = dict(zip(heads, row[1:], strict=True))
    for row in found[f"{by}: how they rated the module"]:
        heads = ["date", "met expectations"]
        heads += ["Relevance to current practice", "Information that was new"]
        rows[row[0]].update(dict(zip(heads, row[1:], strict=True)))
    for row in found[f"{by}: mean change from before to after (matched pairs)"]:
        for label, cell in zip(ITEM_LABELS.values(), row[2:], strict=True):
            # "+0.58 (36) (+0.32 to +0.84)" → "+0.58 (+0.32 to +0.84)", the cohort's own form.
            rows[row[0]][label] = re.sub(r" \(\d+\)", "", cell)
    return rows
