"""Privacy: what is stored is shown, erased on request, purged after retention, never leaked."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from analysis.posts import export_files
from bot.screens import participant as screens
from bot.screens import privacy as privacy_screens
from conftest import ADMIN, BOTH_ENGINES, COHORT_END, KEY, TOKEN, Clock, Harness, write_config
from core.config import load_config
from core.storage import Target

# Each test runs on SQLite and on PostgreSQL (a real server).
pytestmark = BOTH_ENGINES

CODE = "RS-LDN-0314"


async def join_and_answer(bot: Harness, user: int) -> None:
    await bot.send(user, f"/start {CODE}")
    await bot.tap(user, screens.AGREE)
    for label in ("Education", "Clinician", "2", screens.SKIP, "4", screens.SUBMIT):
        await bot.tap(user, label)


async def test_mydata_shows_everything_stored(bot: Harness) -> None:
    await join_and_answer(bot, 8001)
    await bot.send(8001, "/mydata")
    text = bot.text(8001)
    pseudonym = bot.rows("SELECT pseudonym FROM participants")[0][0]
    assert pseudonym in text
    for expected in (
        "Risk Support",
        CODE,
        "Sector: Education",
        "Role: Clinician",
        "skipped",
        "Pre questionnaire: started",
        "submitted",
    ):
        assert expected in text, expected
    await bot.send(8002, "/mydata")
    assert bot.text(8002) == "Nothing is stored about you."


async def test_forgetme_asks_then_erases_everything_and_stops_reminders(bot: Harness) -> None:
    await join_and_answer(bot, 8101)
    await join_and_answer(bot, 8102)
    await bot.send(8101, "/forgetme")
    await bot.tap(8101, privacy_screens.KEEP)
    assert "Nothing was erased" in bot.text(8101)
    assert len(bot.answers(8101)) == 5
    await bot.send(8101, "/forgetme")
    await bot.tap(8101, privacy_screens.ERASE)
    assert "everything about you is erased (5 answer(s) in 1 cohort(s))" in bot.text(8101)
    assert bot.rows("SELECT count(*) FROM participants WHERE telegram_id = 8101") == [(0,)]
    for table in ("consents", "responses", "answers", "deliveries"):
        orphans = bot.rows(
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS"
            " (SELECT 1 FROM participants p WHERE p.id = t.participant_id)"
        )
        assert orphans == [(0,)], table
    assert len(bot.answers(8102)) == 5  # others keep theirs
    bot.clock.now = COHORT_END  # the post questionnaire is pushed: not to the erased person
    await bot.run_due()
    assert "Thank you for taking part" not in bot.text(8101)
    assert "Thank you for taking part" in bot.text(8102)


async def test_retention_purges_old_cohorts(tmp_path: Path, database: Target) -> None:
    # At least the follow-up's 8 weeks and 14 days: `check` refuses a shorter retention.
    config = load_config(write_config(tmp_path, "[privacy]\nretain_days = 80\n", database))
    clock = Clock()
    bot = Harness(config, clock)
    await bot.start()
    try:
        await join_and_answer(bot, 8201)
        clock.now = COHORT_END + timedelta(days=79)
        await bot.run_due()
        assert len(bot.answers(8201)) == 5
        clock.now = COHORT_END + timedelta(days=81)
        await bot.run_due()
        assert bot.rows("SELECT count(*) FROM participants") == [(0,)]
        assert bot.rows("SELECT count(*) FROM answers") == [(0,)]
    finally:
        await bot.stop()


async def test_exports_and_logs_carry_no_telegram_ids_or_secrets(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await join_and_answer(bot, 987654321)
    await bot.send(ADMIN, f"/export {CODE}")
    files = dict(export_files(bot.config, CODE, None))
    exported = files[f"{CODE}-answers.csv"].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["participant"] for r in rows} == {
        bot.rows("SELECT pseudonym FROM participants")[0][0]
    }
    for blob in files.values():
        assert b"987654321" not in blob
        assert TOKEN.encode() not in blob and KEY not in blob
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in logged and KEY.decode() not in logged
