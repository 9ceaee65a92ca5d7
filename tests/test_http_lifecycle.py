"""The whole cohort lifecycle in real time, with `feedback-bot run` over HTTP on loopback.

A cohort whose module ends seconds from now: the room answers the pre questionnaire, the
post questionnaire arrives by itself, a reminder reaches only those who have not finished,
and the summary reaches the facilitators' channel exactly once, although the bot is
killed just before the questionnaire closes and started again after.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.screens import participant as screens
from http_kit import TOKEN, Watcher, bot_process, last_text, write_config
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer

pytestmark = pytest.mark.e2e

CHANNEL = -1009000000001
ROOM = (6001, 6002, 6003, 6004)
PRE = ("Education", "Clinician", "3", "2", screens.SKIP, screens.SUBMIT)
POST = ("Yes", "5", "4", "4", "4", "5", screens.SKIP, screens.SUBMIT)


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(FakeTelegram(TOKEN), hold_seconds=2) as srv:
        yield srv


async def answer(fake: FakeTelegram, watch: Watcher, user: int, labels: tuple[str, ...]) -> None:
    for label in labels:
        before = last_text(fake, user)
        fake.tap(user, fake.last_message(user)["message_id"], button_text=label)
        await watch.until(lambda b=before: last_text(fake, user) != b)


async def wall_clock(moment: datetime) -> None:
    """Let real time reach a moment of the cohort's timetable (the experiment's timeline,
    which the bot's scheduler follows on the real clock; nothing is synchronised by it)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def summaries(fake: FakeTelegram) -> int:
    return sum(
        "Evaluation summary" in str(m.get("text", "")) and "RS-HTTP-1" in str(m.get("text", ""))
        for m in fake.messages(CHANNEL)
    )


def documents(fake: FakeTelegram) -> int:
    """The HTML report, the summary's last post."""
    return sum(1 for m in fake.messages(CHANNEL) if m.get("document"))


async def test_cohort_lifecycle_in_real_time(tmp_path: Path, server: BotApiServer) -> None:
    fake = server.fake
    fake.channel(CHANNEL, "Facilitators")
    watch = Watcher(fake)
    # Half as much again as a quiet machine needs: these tests share the cores with others.
    ends_in = timedelta(seconds=9)
    closes_at = datetime.now(UTC) + ends_in + timedelta(seconds=24)
    config = write_config(
        tmp_path,
        server,
        ends_in=ends_in,
        schedule={"post_open_for": "24s", "reminders": ["9s"]},
        facilitators_chat=CHANNEL,
    )
    bot = bot_process(config)
    await bot.start()
    try:
        for user in ROOM:
            fake.user(user)
            fake.send_text(user, "/start RS-HTTP-1")
        for user in ROOM:
            await watch.until(lambda u=user: "Do you agree" in last_text(fake, u))
            fake.tap(user, fake.last_message(user)["message_id"], button_text=screens.AGREE)
            await watch.until(lambda u=user: "Question 1 of 5" in last_text(fake, u))
        for user in ROOM:
            await answer(fake, watch, user, PRE)
            assert "Thank you" in last_text(fake, user)

        # The module ends: the post questionnaire comes to everyone by itself.
        for user in ROOM:
            await watch.until(lambda u=user: "Thank you for taking part" in last_text(fake, u))
        for user in ROOM[:2]:
            await answer(fake, watch, user, (screens.START_POST, *POST))

        # The reminder reaches only those who have not finished; one answers after it.
        for user in ROOM[2:]:
            await watch.until(lambda u=user: "A reminder" in last_text(fake, u))
        await answer(fake, watch, ROOM[2], (screens.CONTINUE_POST, *POST))
        assert not any("A reminder" in str(m.get("text")) for m in fake.messages(ROOM[0]))

        # Killed just before the post questionnaire closes, started again after.
        await wall_clock(closes_at - timedelta(seconds=2))
        assert summaries(fake) == 0
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
        await wall_clock(closes_at + timedelta(seconds=1))
        await bot.start()
        await watch.until(lambda: summaries(fake) == 1, 30)
        await watch.until(lambda: sum(1 for m in fake.messages(CHANNEL) if m.get("photo")) >= 3)
        await watch.until(lambda: documents(fake) == 1, 30)
        assert await bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc is not None:
            bot.proc.kill()
            await bot.proc.wait()
    assert summaries(fake) == 1 and documents(fake) == 1
    albums = {m.get("media_group_id") for m in fake.messages(CHANNEL) if m.get("photo")}
    assert len(albums) == 1
    channel = "\n".join(str(m.get("text", "")) for m in fake.messages(CHANNEL))
    assert "Participants: 4" in channel
    assert "Post-module responses: 3" in channel
    assert "Matched pairs (responded before and after): 3" in channel
    assert "Expectations" in channel
