"""`feedback-bot run` as a separate process, over real HTTP, against a Bot API server on loopback.

Also the promise that a kill -9 in the middle of a questionnaire loses nothing.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.screens import participant as screens
from http_kit import KEY, TOKEN, Watcher, bot_process, last_text, write_config
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer

pytestmark = pytest.mark.e2e

USERS = (5001, 5002, 5003)


@pytest.fixture
async def server() -> AsyncIterator[tuple[BotApiServer, Watcher]]:
    fake = FakeTelegram(TOKEN)
    watcher = Watcher(fake)
    async with BotApiServer(fake, hold_seconds=2) as srv:
        yield srv, watcher


def stored(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(
            conn.execute(
                "SELECT p.telegram_id, a.phase, a.question, a.value FROM answers a"
                " JOIN participants p ON p.id = a.participant_id ORDER BY 1, 2, 3"
            )
        )
    finally:
        conn.close()


async def test_run_over_http_with_kill_and_restart(
    tmp_path: Path, server: tuple[BotApiServer, Watcher]
) -> None:
    srv, watch = server
    fake = srv.fake
    config = write_config(tmp_path, srv)
    bot = bot_process(config)
    await bot.start()
    try:
        for user in USERS:
            fake.user(user)
            fake.send_text(user, "/start RS-HTTP-1")  # the deep link's payload
        for user in USERS:
            await watch.until(lambda u=user: "Do you agree" in last_text(fake, u))
            fake.tap(user, fake.last_message(user)["message_id"], button_text=screens.AGREE)
        script = ["Education", "Clinician", "4", screens.SKIP, "2"]

        async def answer(user: int, label: str, question: int) -> None:
            fake.tap(user, fake.last_message(user)["message_id"], button_text=label)
            await watch.until(
                lambda: (
                    f"Question {question + 1} of 5" in last_text(fake, user)
                    or "Your pre-module answers" in last_text(fake, user)
                )
            )

        for user in USERS:
            await watch.until(lambda u=user: "Question 1 of 5" in last_text(fake, u))
        for index in range(2):
            for user in USERS:
                await answer(user, script[index], index + 1)

        # kill -9 in the middle of the questionnaire, then start again.
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
        await bot.start()
        for user in USERS:
            shown = len(fake.messages(user))
            fake.send_text(user, "/resume")
            # /resume shows the question again as a new message at the bottom of the chat.
            await watch.until(
                lambda u=user, n=shown: (
                    len(fake.messages(u)) > n and "Question 3 of 5" in last_text(fake, u)
                )
            )
        for index in range(2, 5):
            for user in USERS:
                await answer(user, script[index], index + 1)
        for user in USERS:
            fake.tap(user, fake.last_message(user)["message_id"], button_text=screens.SUBMIT)
            await watch.until(lambda u=user: "Thank you" in last_text(fake, u))

        # A graceful stop finishes what it took and exits cleanly.
        assert await bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc is not None:
            bot.proc.kill()
            await bot.proc.wait()

    rows = stored(tmp_path / "feedback.db")
    expected = {
        "sector": "Education",
        "role": "Clinician",
        "conf_support": "4",
        "conf_explain": None,
        "thrive_knowledge": "2",
    }
    for user in USERS:
        mine = {q: v for uid, phase, q, v in rows if uid == user and phase == "pre"}
        assert mine == expected
    assert len(rows) == len(USERS) * len(expected)  # exactly once each
    log = (tmp_path / "bot.log").read_text()
    assert TOKEN not in log and KEY not in log
    assert "Traceback" not in log
