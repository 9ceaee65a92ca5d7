"""schedule.module_reports: each module's report for the month just ended, posted once.

The real Application and lifecycle on a clock the test moves, a real database, Telegram
simulated. Answers are imported (as paper forms would be); the lifecycle does the rest.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import pytest
from module_data import Run, random_rows, write_answers_csv

from analysis.importer import parse_answers, write_answers
from bot import outbox
from conftest import ADMIN, BOTH_ENGINES, FACILITATORS, SCHEDULE, Clock, Harness
from core.config import Config, load_config
from core.storage import Target
from sim.config import CohortSpec, shipped, write_config

# A part of the lifecycle: each test runs on SQLite and on PostgreSQL.
pytestmark = BOTH_ENGINES

MARCH = "all cohorts starting from 1 March 2026 to 31 March 2026"
RUNS = [
    Run("RS-LDN-0305", "London", date(2026, 3, 5), 24),
    Run("RS-LDS-0318", "Leeds", date(2026, 3, 18), 18),
    Run("RS-LDN-0402", "London", date(2026, 4, 2), 15),
]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


@pytest.fixture
def config(tmp_path: Path, database: Target) -> Config:
    """Risk Support ran three times (two in March), Getting Help once, with no answers."""
    cohorts = [
        CohortSpec(r.code, at(r.day, 9), at(r.day, 17), site=r.site, module="risk-support")
        for r in RUNS
    ]
    cohorts.append(
        CohortSpec("GH-LDN-0310", at(date(2026, 3, 10), 9), at(date(2026, 3, 10), 17),
                   module="getting-help")
    )  # fmt: skip
    path = write_config(
        tmp_path,
        cohorts,
        modules=shipped("risk-support", "getting-help"),
        schedule={**SCHEDULE, "module_reports": "monthly"},
        analysis={"min_cell_size": 3, "min_pairs_for_tests": 10},
        admins=[ADMIN],
        facilitators_chat=FACILITATORS,
        timezone="UTC",
        database=str(database),
    )
    config = load_config(path)
    rng = np.random.default_rng(3)
    rows = [row for run in RUNS for row in random_rows(run, rng)]
    text = write_answers_csv(tmp_path / "answers.csv", rows).read_text(encoding="utf-8")
    plan = parse_answers(text, config)
    assert not plan.problems, plan.problems[:3]
    asyncio.run(write_answers(config, plan.answers))
    return config


@pytest.fixture
def clock() -> Clock:
    return Clock(at(date(2026, 3, 25), 12))  # both March cohorts have closed


def module_report(bot: Harness, label: str = MARCH) -> tuple[int, int, int]:
    """The module's report as the chat shows it: (messages, albums, documents)."""
    messages = bot.fake.messages(FACILITATORS)
    texts = sum(label in str(m.get("text", "")) for m in messages)
    albums = {
        m.get("media_group_id") or m["message_id"]
        for m in messages
        if m.get("photo") and label in str(m.get("caption", ""))
    }
    documents = [m for m in messages if m.get("document") and label in str(m.get("caption"))]
    return texts, len(albums), len(documents)


def done(bot: Harness) -> set[tuple[str, str, int]]:
    return set(bot.rows("SELECT module, period, posted FROM module_reports"))


async def test_the_month_just_ended_is_reported_once_on_the_first_of_the_next(
    bot: Harness,
) -> None:
    await bot.run_due()  # the March cohorts' own summaries
    cohort_summaries = sum("Evaluation summary" in t for t in bot.channel_texts())
    assert cohort_summaries == 2
    bot.clock.now = at(date(2026, 4, 1), 8, 59)
    await bot.run_due()
    assert module_report(bot) == (0, 0, 0)  # not before 09:00 on the first

    bot.clock.now = at(date(2026, 4, 1), 9, 0)
    await bot.run_due()
    assert module_report(bot) == (1, 1, 1)  # one message, one album, one document
    # Getting Help had a cohort in March but nobody answered: nothing, and it is recorded.
    assert not any("Getting Help" in t for t in bot.channel_texts())
    # (February, the month before, had no cohorts: recorded on the first tick, not posted.)
    assert done(bot) == {
        ("risk-support", "2026-02", 0),
        ("getting-help", "2026-02", 0),
        ("risk-support", "2026-03", 1),
        ("getting-help", "2026-03", 0),
    }

    message = next(m for m in bot.fake.messages(FACILITATORS) if MARCH in str(m.get("text")))
    assert (
        "The module ran 2 times at 2 sites between 5 March 2026 and 18 March 2026"
        in (message["text"])
    )
    assert "RS-LDN-0402" not in message["text"]  # April's cohort is in April's report
    document = next(m for m in bot.fake.messages(FACILITATORS) if m.get("document") and MARCH in
                    str(m.get("caption")))  # fmt: skip
    assert document["document"]["file_name"] == "report-risk-support-2026-03-01-2026-03-31.html"
    html = bot.fake.files[document["document"]["file_id"]].data.decode()
    assert 'id="over-time"' in html and "RS-LDS-0318" in html and "RS-LDN-0402" not in html

    # Later ticks, and a restart, post nothing more.
    bot.clock.now = at(date(2026, 4, 20), 12)
    await bot.run_due()
    await bot.restart()
    await bot.run_due()
    assert module_report(bot) == (1, 1, 1)

    # May's first morning brings April's report: one cohort, so no comparison over time.
    bot.clock.now = at(date(2026, 5, 1), 9, 30)
    await bot.run_due()
    april = "all cohorts starting from 1 April 2026 to 30 April 2026"
    assert module_report(bot, april) == (1, 1, 1)
    assert module_report(bot) == (1, 1, 1)


async def test_down_when_it_fell_due_it_is_posted_once_after_the_restart(bot: Harness) -> None:
    await bot.run_due()
    await bot.stop()
    bot.clock.now = at(date(2026, 4, 3), 15)  # the bot was down on the first
    await bot.start()
    await bot.run_due()
    assert module_report(bot) == (1, 1, 1)
    await bot.restart()
    await bot.run_due()
    assert module_report(bot) == (1, 1, 1)


@pytest.mark.parametrize("fault", ["server_error", "timeout_after_delivery"])
async def test_a_failed_post_is_sent_once_across_a_restart(bot: Harness, fault: str) -> None:
    await bot.run_due()
    bot.clock.now = at(date(2026, 4, 1), 9, 0)
    bot.fake.inject_fault("sendMessage", fault)
    await bot.run_due()  # queued; the message fails (or its answer is lost)
    await bot.restart()
    bot.clock.advance(minutes=30)  # past the outbox's backoff
    await bot.run_due()
    bot.clock.advance(minutes=30)
    await bot.run_due()
    assert module_report(bot) == (1, 1, 1)
    assert done(bot) >= {("risk-support", "2026-03", 1)}


async def test_an_admins_report_of_the_module_covers_every_cohort_over_time(
    bot: Harness,
) -> None:
    await bot.send(ADMIN, "/report risk-support")
    messages = bot.fake.messages(ADMIN)
    text = next(str(m["text"]) for m in messages if "Evaluation summary" in str(m.get("text")))
    assert "Risk Support, all cohorts" in text
    assert "The module ran 3 times at 2 sites between 5 March 2026 and 2 April 2026" in text
    assert any(m.get("photo") for m in messages)  # the charts, the trend among them
    document = next(m for m in messages if m.get("document"))
    assert document["document"]["file_name"] == "report-risk-support.html"
    html = bot.fake.files[document["document"]["file_id"]].data.decode()
    assert html.count('<tr><th scope="row"><span class="code">RS-LDN-0402</span>') == 3
    assert '<figure class="trend">' in html


async def test_an_admin_asks_for_one_months_report_of_the_module(bot: Harness) -> None:
    await bot.send(ADMIN, "/report risk-support 2026-03")
    messages = bot.fake.messages(ADMIN)
    text = next(str(m["text"]) for m in messages if "Evaluation summary" in str(m.get("text")))
    assert MARCH in text and "The module ran 2 times at 2 sites" in text
    document = next(m for m in messages if m.get("document"))
    assert document["document"]["file_name"] == "report-risk-support-2026-03-01-2026-03-31.html"

    await bot.send(ADMIN, "/report risk-support 2026-02")
    assert bot.text(ADMIN) == (
        "module 'risk-support' has no cohorts starting from 1 February 2026 to 28 February 2026"
    )
    for wrong in ("/report RS-LDN-0305 2026-03", "/report risk-support 2026-Q5"):
        await bot.send(ADMIN, wrong)
        assert bot.text(ADMIN).startswith("Usage: /report <cohort|module> [period] [channel]")
    sent = len(bot.fake.messages(FACILITATORS))
    await bot.send(ADMIN, "/report risk-support 2026-q1 channel")  # the quarter, to the chat
    quarter = "all cohorts starting from 1 January 2026 to 31 March 2026"
    assert module_report(bot, quarter) == (1, 1, 1)
    assert len(bot.fake.messages(FACILITATORS)) > sent


def exported(bot: Harness, user: int = ADMIN) -> dict[str, tuple[str, bytes]]:
    """The answer files sent to `user`: name → (caption, content)."""
    return {
        str(m["document"]["file_name"]): (
            str(m.get("caption", "")),
            bot.fake.files[m["document"]["file_id"]].data,
        )
        for m in bot.fake.messages(user)
        if m.get("document") and "-answers." in str(m["document"]["file_name"])
    }


def cohorts_in_csv(data: bytes) -> set[str]:
    return {row["cohort"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


async def test_the_export_under_a_periods_report_exports_that_period(bot: Harness) -> None:
    await bot.send(ADMIN, "/report risk-support 2026-03")
    summary = next(m for m in bot.fake.messages(ADMIN) if outbox.EXPORT in bot.fake.button_data(m))
    await bot.tap(ADMIN, outbox.EXPORT, message_id=summary["message_id"])
    files = exported(bot)
    stem = "risk-support-2026-03-01-2026-03-31-answers"
    assert sorted(files) == [f"{stem}.csv", f"{stem}.xlsx"]
    caption, csv_data = files[f"{stem}.csv"]
    assert caption == (f"Answers — Risk Support, {MARCH} (2 cohorts: RS-LDN-0305, RS-LDS-0318)")
    # March's two cohorts, not April's: the report's own scope.
    assert cohorts_in_csv(csv_data) == {"RS-LDN-0305", "RS-LDS-0318"}

    # Without a period the report, and its export, cover every cohort of the module.
    await bot.send(ADMIN, "/report risk-support")
    summary = [m for m in bot.fake.messages(ADMIN) if outbox.EXPORT in bot.fake.button_data(m)][-1]
    await bot.tap(ADMIN, outbox.EXPORT, message_id=summary["message_id"])
    caption, csv_data = exported(bot)["risk-support-answers.csv"]
    assert caption.startswith("Answers — Risk Support, all cohorts (3 cohorts: ")
    assert cohorts_in_csv(csv_data) == {r.code for r in RUNS}


async def test_an_admin_exports_one_months_answers_of_the_module(bot: Harness) -> None:
    await bot.send(ADMIN, "/export risk-support 2026-03")
    stem = "risk-support-2026-03-01-2026-03-31-answers"
    files = exported(bot)
    assert sorted(files) == [f"{stem}.csv", f"{stem}.xlsx"]
    caption, csv_data = files[f"{stem}.csv"]
    assert caption == (f"Answers — Risk Support, {MARCH} (2 cohorts: RS-LDN-0305, RS-LDS-0318)")
    assert cohorts_in_csv(csv_data) == {"RS-LDN-0305", "RS-LDS-0318"}
    # A period is a module's: a cohort with one, or no period at all, is told how to ask.
    for wrong in ("/export RS-LDN-0305 2026-03", "/export risk-support March"):
        await bot.send(ADMIN, wrong)
        assert bot.text(ADMIN).startswith("Usage: /export <cohort|module> [period]")
    assert len(exported(bot)) == 2  # nothing more was sent


async def test_the_export_under_the_scheduled_report_exports_its_month(bot: Harness) -> None:
    bot.fake.user(ADMIN)
    await bot.run_due()
    bot.clock.now = at(date(2026, 4, 1), 9, 0)
    await bot.run_due()
    message = next(m for m in bot.fake.messages(FACILITATORS) if MARCH in str(m.get("text")))
    bot.fake.tap(ADMIN, message["message_id"], button_text=outbox.EXPORT, chat_id=FACILITATORS)
    await bot.deliver()
    _, csv_data = exported(bot)["risk-support-2026-03-01-2026-03-31-answers.csv"]
    assert cohorts_in_csv(csv_data) == {"RS-LDN-0305", "RS-LDS-0318"}
