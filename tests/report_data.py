"""Cohorts for the report and chart tests: the seed cohort, two more runs at two sites, a tiny one.

The seed cohort (tests/data/seed-risk-support.csv) reproduces the seed report's figures.
The other cohorts reuse its answers, so a module-wide report has several sites and runs.
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from analysis.compute import ModuleSummary
from analysis.importer import parse_answers, write_answers
from analysis.scope import resolve_scope
from analysis.summary import compute_summary
from core.config import Config, load_config

DATA = Path(__file__).parent / "data"
QUESTIONNAIRES = Path(__file__).parent.parent / "core" / "data" / "questionnaires"
SEED = "RS-SEED-2017"

CONFIG = """
[bot]
database = "feedback.db"
[analysis]
min_cell_size = 3
show_comments = true
[[modules]]
id = "risk-support"
title = "Risk Support"
questionnaire = "{questionnaire}"
[[cohorts]]
code = "RS-SEED-2017"
module = "risk-support"
site = "London"
start = 2017-03-14T09:30:00
end = 2017-03-14T16:30:00
[[cohorts]]
code = "RS-LDS-2017"
module = "risk-support"
site = "Leeds"
start = 2017-04-11T09:30:00
end = 2017-04-11T16:30:00
[[cohorts]]
code = "RS-MAN-2017"
module = "risk-support"
site = "Manchester"
start = 2017-05-09T09:30:00
end = 2017-05-09T16:30:00
[[cohorts]]
code = "RS-TINY-2017"
module = "risk-support"
site = "Leeds"
start = 2017-06-13T09:30:00
end = 2017-06-13T16:30:00
"""


def write_config(directory: Path) -> Path:
    path = directory / "config.toml"
    path.write_text(CONFIG.format(questionnaire=QUESTIONNAIRES / "risk-support.toml"))
    return path


def _rows() -> list[dict[str, str]]:
    with (DATA / "seed-risk-support.csv").open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def populate(config: Config) -> None:
    """The seed cohort as published, plus three more cohorts made from its answers."""
    seed = _rows()
    people = sorted({r["participant"] for r in seed})
    rows = list(seed)
    for code, chosen in (
        ("RS-LDS-2017", people[:24]),
        ("RS-MAN-2017", people[20:]),
        ("RS-TINY-2017", people[:5]),
    ):
        rows += [{**r, "cohort": code} for r in seed if r["participant"] in chosen]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(seed[0]))
    writer.writeheader()
    writer.writerows(rows)
    plan = parse_answers(out.getvalue(), config)
    assert not plan.problems, plan.problems[:3]
    asyncio.run(write_answers(config, plan.answers))


def make(directory: Path) -> Config:
    config = load_config(write_config(directory))
    populate(config)
    return config


def summary_of(
    config: Config, cohort: str | None = None, module: str | None = None
) -> ModuleSummary:
    return compute_summary(config, resolve_scope(config, cohort=cohort, module=module))
