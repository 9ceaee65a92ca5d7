"""`feedback-bot run` as a separate process, over real HTTP, against a Bot API server on loopback.

Also the promise that a kill -9 in the middle of a questionnaire loses nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sim.server import BotApiServer
from bot.sim.telegram import FakeTelegram
from conftest import ROOT

TOKEN = "424242:HTTP-TEST-token-abcdefghijklmnopqrstuv"
KEY = "http-test-pseudonym-key-0123456789"
USERS = (5001, 5002, 5003)


class Watcher:
    """Lets a test wait until the bot has made a call that satisfies a condition."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.changed = asyncio.Condition()
        real_call = fake.call

        async def call(method: str, params: dict[str, Any], files: Any = None) -> Any:
            result = await real_call(method, params, files)
            async with self.changed:
                self.changed.notify_all()
            return result

        fake.call = call  # type: ignore[method-assign]

    async def until(self, condition: Callable[[], bool], within: float = 30) -> None:
        try:
            async with self.changed:
                await asyncio.wait_for(self.changed.wait_for(condition), within)
        except TimeoutError:
            recent = [
                (m, p.get("chat_id"), str(p.get("text", ""))[:40]) for m, p in self.fake.calls[-8:]
            ]
            raise AssertionError(f"the bot did not get there; its last calls: {recent}") from None


def write_config(directory: Path, server: BotApiServer) -> Path:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    path = directory / "config.toml"
    path.write_text(
        f"""
[bot]
api_base_url = "{server.base_url}"
api_base_file_url = "{server.base_file_url}"
admins = [1]
database = "feedback.db"

[[modules]]
id = "risk-support"
questionnaire = "{ROOT / "questionnaires" / "risk-support.toml"}"

[[cohorts]]
code = "RS-HTTP-1"
module = "risk-support"
site = "Leeds"
start = {start.isoformat().replace("+00:00", "Z")}
end = {end.isoformat().replace("+00:00", "Z")}
""",
        encoding="utf-8",
    )
    return path


class BotProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc: asyncio.subprocess.Process | None = None
        self.log = config.parent / "bot.log"

    async def start(self) -> None:
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, FEEDBACK_PSEUDONYM_KEY=KEY)
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                env=env, stdout=log, stderr=log,
            )  # fmt: skip

    async def stop(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        self.proc = None
        return code


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


def last_text(fake: FakeTelegram, user: int) -> str:
    messages = fake.messages(user)
    return str(messages[-1].get("text", "")) if messages else ""


async def test_run_over_http_with_kill_and_restart(
    tmp_path: Path, server: tuple[BotApiServer, Watcher]
) -> None:
    srv, watch = server
    fake = srv.fake
    config = write_config(tmp_path, srv)
    bot = BotProcess(config)
    await bot.start()
    try:
        for user in USERS:
            fake.user(user)
            fake.send_text(user, "/start RS-HTTP-1")  # the deep link's payload
        for user in USERS:
            await watch.until(lambda u=user: "Do you agree" in last_text(fake, u))
            fake.tap(user, fake.last_message(user)["message_id"], button_text="I agree")
        script = ["Education", "Clinician", "4", "Skip", "2"]

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
            fake.tap(user, fake.last_message(user)["message_id"], button_text="✅ Submit")
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
