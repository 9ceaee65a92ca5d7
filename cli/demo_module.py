"""`feedback-bot demo --cohorts 3`: the module's story before the live cohort.

Two earlier runs of the module at a second site (Leeds, in January and February), their
answers imported as paper forms would be, and their summaries recorded as posted at the
time. The January run's follow-up forms (eight weeks later, in March) are in too, so the
module report shows follow-up outcomes where they exist. The demo's clock then runs on to
the first morning of April, when the quarterly module report (January to March: all three
cohorts) goes to the channel.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from analysis.importer import parse_answers, write_answers
from cli.demo_files import PERIODS
from core.config import Config
from core.periods import period_containing
from core.schedule import cancelled_events
from core.storage import open_database
from sim.config import CohortSpec

SITE = "Leeds"


@dataclass(frozen=True)
class EarlierRun:
    code: str
    day: date
    people: int
    gain: float  # how far the after ratings rise, on average: the module being refined
    follow_up: bool = False  # its follow-up (eight weeks later) is over by April


EARLIER = (
    EarlierRun("RS-LDS-0117", date(2026, 1, 17), 26, 0.45, follow_up=True),
    EarlierRun("RS-LDS-0214", date(2026, 2, 14), 22, 0.6),
)


def earlier_cohorts(tz: ZoneInfo) -> list[CohortSpec]:
    """The earlier runs, 09:30–16:30 local time like the live one."""
    return [
        CohortSpec(
            run.code,
            datetime.combine(run.day, time(9, 30), tz),
            datetime.combine(run.day, time(16, 30), tz),
            site=SITE,
        )
        for run in EARLIER
    ]


def report_due(config: Config, live_day: date) -> datetime:
    """When the quarter of the live cohort ends and its module report falls due."""
    return period_containing(live_day, PERIODS).due(config.bot.timezone)


def _rows(config: Config, rng: random.Random) -> list[list[str]]:
    """The earlier runs' answers in the import's long format."""
    module = config.modules["risk-support"]

    def options(phase: str, question: str) -> list[str]:
        found = module.question(phase, question)  # type: ignore[arg-type]
        assert found is not None
        return list(found.options)

    def rating(mean: float) -> str:
        return str(min(5, max(1, round(rng.gauss(mean, 0.8)))))

    rows: list[list[str]] = []
    for run in EARLIER:
        for i in range(run.people):
            person = f"{run.code}-paper-{i + 1:02d}"
            rows.append([person, run.code, "pre", "sector", rng.choice(options("pre", "sector"))])
            rows.append([person, run.code, "pre", "role", rng.choice(options("pre", "role"))])
            base = rng.gauss(2.8, 0.5)
            for item in ("conf_support", "conf_explain", "thrive_knowledge"):
                rows.append([person, run.code, "pre", item, rating(base)])
            if rng.random() < 0.15:
                continue  # no form handed in after the module
            met = rng.choices(options("post", "met_expectations"), [75, 20, 5])[0]
            rows.append([person, run.code, "post", "met_expectations", met])
            rows.append([person, run.code, "post", "relevance", rating(4.2)])
            rows.append([person, run.code, "post", "new_info", rating(3.5)])
            for item in ("conf_support", "conf_explain", "thrive_knowledge"):
                rows.append([person, run.code, "post", item, rating(base + run.gain)])
            if not run.follow_up or rng.random() < 0.3:
                continue  # no follow-up form
            later = [
                ("used_in_practice", [40, 30, 22, 8]),
                ("helped", [30, 25, 15, 15, 5, 10]),
                ("hindered", [40, 20, 15, 10, 10, 5]),
            ]
            for question, weights in later:
                chosen = rng.choices(options("follow_up", question), weights)[0]
                rows.append([person, run.code, "follow_up", question, chosen])
            for item in ("conf_support", "conf_explain", "thrive_knowledge"):
                rows.append([person, run.code, "follow_up", item, rating(base + run.gain * 0.7)])
    return rows


async def import_earlier(config: Config, seed: int) -> int:
    """Import the earlier runs' answers and record their summaries as posted back then
    (the demo tells the live cohort's story; theirs went out when they ran)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value"])
    writer.writerows(_rows(config, random.Random(seed)))
    plan = parse_answers(out.getvalue(), config)
    if plan.problems:
        raise RuntimeError(f"the demo's earlier cohorts do not import: {plan.problems[0]}")
    result = await write_answers(config, plan.answers)
    db = await open_database(config.bot.database)
    try:
        async with db.write() as tx:
            for run in EARLIER:
                cohort = config.cohorts[run.code]
                done_at = cohort.end + timedelta(days=2)
                for kind in cancelled_events(config.schedule):
                    await tx.events.mark(run.code, kind, done_at)
    finally:
        await db.close()
    return result.rows
