"""One active bot per database, with `feedback-bot run` as real processes over HTTP.

On PostgreSQL a second bot stands by without calling the Bot API, takes over within 15 s
when the active one is killed in the middle of a room of participants, and nothing is lost
or sent twice. A bot that loses its hold on the database stops at once (exit status 7). On
SQLite a second bot refuses to start.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.screens import participant as screens
from http_kit import KEY, TOKEN, Watcher, bot_process, last_text, write_config
from sim.telegram.api import FakeTelegram
from sim.testing import audit
from sim.testing.crash_loop import crash_loop
from sim.testing.http_server import BotApiServer
from sim.testing.postgres import PostgresServer
from sim.testing.process import BotProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(FakeTelegram(TOKEN), hold_seconds=2) as srv:
        yield srv


async def test_the_standby_takes_over_a_room_within_15_s_losing_and_repeating_nothing(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """Ten participants answer on and on; three times the leading bot is killed with
    SIGKILL (some at the moment getUpdates hands out their taps), the bot standing by takes
    over, and the killed one is started again to stand by. A summary falls due meanwhile."""
    database = postgres.fresh()
    try:
        async with asyncio.timeout(240):
            figures = await crash_loop(
                tmp_path,
                kills=3,
                participants=10,
                seed=19,
                summary_after=4.0,
                database=database.url,
                standby=True,
            )
    finally:
        postgres.drop(database)
    print(f"\n{figures.report()}")
    assert figures.problems == []
    assert figures.counts["kills"] == 3 and len(figures.takeover_seconds) == 3
    assert max(figures.takeover_seconds) <= 15
    assert figures.calls_while_standing_by == 0
    assert figures.counts["accepted"] >= 20, "too few answers to say anything"
    assert figures.answers.lost == 0
    assert figures.answers.stored_twice == 0 and figures.answers.phantom == 0
    assert figures.submitted == figures.questionnaires
    assert figures.summary_headers == 1 and figures.channel_posts_duplicated == 0
    assert figures.sigterm_exit_code == 0
    assert figures.errors_in_log == 0 and figures.tracebacks_in_log == 0


async def tap_then(
    fake: FakeTelegram, watch: Watcher, user: int, button: str, question: int
) -> None:
    """Tap `button` under the user's last message; wait until question `question` of 5."""
    fake.tap(user, fake.last_message(user)["message_id"], button_text=button)
    await watch.until(lambda: f"Question {question} of 5" in last_text(fake, user))


async def answer_to_first_question(fake: FakeTelegram, watch: Watcher, user: int) -> None:
    fake.user(user)
    fake.send_text(user, "/start RS-HTTP-1")
    await watch.until(lambda: "Do you agree" in last_text(fake, user))
    await tap_then(fake, watch, user, screens.AGREE, 1)


async def test_losing_the_lock_connection_stops_the_bot_at_once(
    tmp_path: Path, server: BotApiServer, postgres: PostgresServer
) -> None:
    """A DBA ends the leader's lock session (or the network drops it): the bot stops polling
    and sending at once and exits with 7; the bot standing by takes over."""
    fake, watch = server.fake, Watcher(server.fake)
    database = postgres.fresh()
    config = write_config(tmp_path, server, database=database.url)
    first = bot_process(config)
    second = BotProcess(config, TOKEN, KEY, tmp_path / "second.log")
    try:
        await first.start()
        await answer_to_first_question(fake, watch, 7001)
        await second.start()
        assert await second.until_logged("standing by")
        lock_sessions = audit.rows(
            database,
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'feedback-bot leader'"
            " AND datname = current_database()",
        )
        assert len(lock_sessions) == 2  # the leader's, and the standby's asking for it
        holder = audit.rows(
            database,
            "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted",
        )
        assert len(holder) == 1
        began = time.monotonic()
        audit.rows(database, "SELECT pg_terminate_backend(?)", (holder[0][0],))
        assert first.proc is not None
        assert await asyncio.wait_for(first.proc.wait(), 15) == 7  # by itself
        assert time.monotonic() - began < 10
        assert first.logged("lost the lock on the database") and first.logged("exit status 7")
        await watch.until(lambda: second.logged("taking over"), 20)
        await tap_then(fake, watch, 7001, "Education", 2)
        assert await second.stop(signal.SIGTERM) == 0
    finally:
        await first.ensure_dead()
        await second.ensure_dead()
        postgres.drop(database)
    for log in (first.log, second.log):
        text = log.read_text()
        assert "Traceback" not in text and TOKEN not in text and KEY not in text
    assert postgres.password not in first.log.read_text() + second.log.read_text()


async def test_a_second_bot_on_one_sqlite_file_refuses_to_start(
    tmp_path: Path, server: BotApiServer
) -> None:
    fake, watch = server.fake, Watcher(server.fake)
    config = write_config(tmp_path, server)
    first = bot_process(config)
    second = BotProcess(config, TOKEN, KEY, tmp_path / "second.log")
    try:
        await first.start()
        await answer_to_first_question(fake, watch, 7101)
        calls = len(fake.calls)
        await second.start()
        assert second.proc is not None
        assert await asyncio.wait_for(second.proc.wait(), 30) == 5
        lines = second.log.read_text().strip().splitlines()
        refusal = [line for line in lines if "cannot start" in line]
        assert len(refusal) == 1 and "already using the database" in refusal[0]
        assert "feedback.db.lock" in refusal[0] and "PostgreSQL" in refusal[0]
        assert [m for m, _ in fake.calls[calls:] if m == "getMe"] == []  # it never got that far
        # The first one carries on, untouched.
        await tap_then(fake, watch, 7101, "Education", 2)
        assert await first.stop(signal.SIGTERM) == 0
        # Once it has stopped, the lock is free again: the kernel released it.
        await first.start()
        await tap_then(fake, watch, 7101, "Clinician", 3)
        assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        await second.start()
        await tap_then(fake, watch, 7101, "4", 4)
        assert await second.stop(signal.SIGTERM) == 0
    finally:
        await first.ensure_dead()
        await second.ensure_dead()
