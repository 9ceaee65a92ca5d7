"""Cohorts for the report and chart tests: the seed cohort, two more runs at two sites, a tiny one.

The seed cohort (tests/data/seed-risk-support.csv) reproduces the seed report's figures.
The other cohorts reuse its answers, so a module-wide report has several sites and runs.
A cohort's answers come back out through `feedback-bot export` (`exported`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from analysis.importer import parse_answers, write_answers
from analysis.released import ModuleSummary
from analysis.scope import resolve_scope
from analysis.summary import compute_summary
from core.config import Config, load_config
from sim import config as sim_config
from sim.config import CohortSpec, ModuleSpec

DATA = Path(__file__).parent / "data"
SEED = "RS-SEED-2017"
# The cohorts' days (each 09:30–16:30 London time, the config's default time zone) and sites.
COHORTS = {
    SEED: ("London", date(2017, 3, 14)),
    "RS-LDS-2017": ("Leeds", date(2017, 4, 11)),
    "RS-MAN-2017": ("Manchester", date(2017, 5, 9)),
    "RS-TINY-2017": ("Leeds", date(2017, 6, 13)),
}
LONDON = ZoneInfo("Europe/London")


def write_config(
    directory: Path,
    codes: Sequence[str] = tuple(COHORTS),
    *,
    timezone: str | None = None,
) -> Path:
    """The seed config (the built-in Risk Support questionnaire) with the cohorts named."""
    tz = ZoneInfo(timezone) if timezone else LONDON
    cohorts = [
        CohortSpec(
            code,
            datetime.combine(COHORTS[code][1], time(9, 30), tz).astimezone(UTC),
            datetime.combine(COHORTS[code][1], time(16, 30), tz).astimezone(UTC),
            site=COHORTS[code][0],
        )
        for code in codes
    ]
    return sim_config.write_config(
        directory,
        cohorts,
        modules=[ModuleSpec("risk-support", "builtin:risk-support", "Risk Support")],
        analysis={"min_cell_size": 3, "show_comments": True},
        timezone=timezone,
    )


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


def exported(config: Path, cohort: str, out: Path, file_format: str = "csv") -> Path:
    """`out`, written by `feedback-bot export` with every answer of `cohort` (it must succeed)."""
    from cli.main import main

    command = ["export", "--config", str(config), "--cohort", cohort, "--format", file_format]
    assert main([*command, "--out", str(out)]) == 0
    return out


def make(directory: Path) -> Config:
    config = load_config(write_config(directory))
    populate(config)
    return config


def summary_of(
    config: Config, cohort: str | None = None, module: str | None = None
) -> ModuleSummary:
    return compute_summary(config, resolve_scope(config, cohort=cohort, module=module))


# A cohort with follow-up answers, for the follow-up tests (and its report in a browser).
FOLLOW_UP_CODE = "RS-FIG-1"
START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
TRACKED = ("conf_support", "conf_explain", "thrive_knowledge")
USED = ("Yes, several times", "Yes, once or twice", "Not yet", "Not relevant to my role")
HELPED = (
    "Support from my manager or team",
    "The module's materials and tools",
    "A shared language with other services",
    "Time set aside to practise",
    "Nothing in particular",
    "Other",
)


def follow_up_csv(
    rng: random.Random, people: int, alike: bool, code: str = FOLLOW_UP_CODE, follow_up: bool = True
) -> str:
    """A long-format CSV of one cohort: pre for all, post for most, follow-up for some."""
    rows: list[tuple[str, str, str, str]] = []

    def rating(base: float) -> str:
        if rng.random() < 0.08:
            return ""  # skipped
        return "4" if alike else str(min(5, max(1, round(rng.gauss(base, 1.0)))))

    for i in range(people):
        who = f"P{i:03d}"
        answers = [(who, "pre", "sector", "Education"), (who, "pre", "role", "Clinician")]
        answers += [(who, "pre", q, rating(2.7)) for q in TRACKED]
        if rng.random() >= 0.2:
            answers.append((who, "post", "met_expectations", "Yes"))
            answers += [(who, "post", q, rating(3.6)) for q in TRACKED]
            if follow_up and rng.random() >= 0.35:
                answers.append(
                    (who, "follow_up", "used_in_practice", rng.choices(USED, (30, 25, 30, 15))[0])
                )
                answers.append((who, "follow_up", "helped", rng.choice(HELPED)))
                answers += [(who, "follow_up", q, rating(3.3)) for q in TRACKED]
        rows += answers
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value"])
    writer.writerows((who, code, phase, q, value) for who, phase, q, value in rows)
    return out.getvalue()
