"""The crash loop: `feedback-bot run` killed with SIGKILL again and again while a room answers.

The bot runs as a separate process against the simulated Bot API over HTTP on loopback.
Simulated participants answer continuously, reading only what their chat shows. Whenever
the bot shows the next step after a tap, the participant has *seen the answer accepted*;
at the end every such answer must be in the database exactly once with the value chosen
last, everyone must be able to finish, and the summary that fell due during the loop must
have reached the channel exactly once.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import load_config
from bot.sim.server import BotApiServer
from bot.sim.telegram import FakeTelegram

TOKEN = "515151:CRASH-loop-token-abcdefghijklmnopqr"
KEY = "crash-loop-pseudonym-key-0123456789"
CODE = "RS-CRASH-1"
CHANNEL = -1007000000001
QUESTIONNAIRES = Path(__file__).resolve().parent.parent.parent / "questionnaires"


@dataclass
class Result:
    kills: int = 0
    taps: int = 0
    accepted: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: int = 0
    unfinished: list[int] = field(default_factory=list)
    summaries: int = 0
    integrity: str = ""
    sigterm_exit: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and self.duplicated == 0
            and not self.unfinished
            and self.summaries == 1
            and self.integrity == "ok"
            and self.sigterm_exit == 0
        )

    def lines(self) -> list[str]:
        return [
            f"kills (SIGKILL)          {self.kills}",
            f"taps                     {self.taps}",
            f"answers seen accepted    {self.accepted}",
            f"lost                     {len(self.lost)} {self.lost[:5] if self.lost else ''}",
            f"stored twice             {self.duplicated}",
            f"could not finish         {len(self.unfinished)}",
            f"summaries in channel     {self.summaries} (expected 1)",
            f"integrity_check          {self.integrity}",
            f"exit after SIGTERM       {self.sigterm_exit}",
            f"time                     {self.seconds:.1f} s",
        ]


class BotProcess:
    """`python -m bot run` as a child process, its output in a log file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log = config.parent / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, FEEDBACK_PSEUDONYM_KEY=KEY)
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                env=env, stdout=log, stderr=log,
            )  # fmt: skip

    async def signal(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), 60)
        self.proc = None
        return code


def write_config(folder: Path, server: BotApiServer, ends_in: float, post_for: float) -> Path:
    """A cohort whose module ends in `ends_in` seconds; post open for `post_for` seconds."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(seconds=ends_in)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    path = folder / "config.toml"
    path.write_text(
        f"""
[bot]
api_base_url = "{server.base_url}"
api_base_file_url = "{server.base_file_url}"
admins = [1]
facilitators_chat = {CHANNEL}
database = "feedback.db"

[schedule]
post_open_for = "{int(post_for)}s"
reminders = ["{max(1, int(post_for / 2))}s"]

[[modules]]
id = "risk-support"
questionnaire = "{QUESTIONNAIRES / "risk-support.toml"}"

[[cohorts]]
code = "{CODE}"
module = "risk-support"
site = "Leeds"
start = {start.strftime(stamp)}
end = {end.strftime(stamp)}
""",
        encoding="utf-8",
    )
    return path


class Participant:
    """Answers whatever the chat shows, and remembers what it saw accepted."""

    def __init__(self, user: int, fake: FakeTelegram, rng: random.Random) -> None:
        self.user = user
        self.fake = fake
        self.rng = rng
        # (phase, question) -> the value last seen accepted; read from the buttons' data,
        # which a Telegram client holds too.
        self.accepted: dict[tuple[str, str], str | None] = {}
        self.taps = 0

    def screen(self) -> tuple[int, str, dict[str, str]]:
        messages = self.fake.messages(self.user)
        if not messages:
            return 0, "", {}
        last = messages[-1]
        return int(last["message_id"]), str(last.get("text", "")), FakeTelegram.button_data(last)

    @property
    def finished(self) -> bool:
        return "Thank you! Your post-module" in self.screen()[1]

    async def act(self) -> bool:
        """Do one thing on the current screen; True if the bot moved on."""
        message_id, text, buttons = self.screen()
        if not buttons:
            if text.startswith("Sorry") or not text:
                self.fake.send_text(self.user, "/resume")  # the bot lost its place: ask again
                return await self.fake.wait_until(lambda: self.screen()[1] != text, 3)
            return False  # waiting for the post questionnaire, or done
        for entry in ("I agree", "Start ▶", "Continue ▶", "✅ Submit"):
            if entry in buttons:
                return await self._tap(message_id, entry, buttons[entry], text)
        if "Type your answer" in text and self.rng.random() < 0.5:
            self.fake.send_text(self.user, self.rng.choice(["Useful.", "More case work."]))
            self.taps += 1
            return await self.fake.wait_until(lambda: self.screen()[1] != text, 3)
        labels = list(buttons)
        roll = self.rng.random()
        if roll < 0.08 and "⬅ Back" in buttons:
            label = "⬅ Back"
        elif roll < 0.15 and "Skip" in buttons:
            label = "Skip"
        else:
            label = self.rng.choice([b for b in labels if b not in ("⬅ Back", "Skip")] or labels)
        return await self._tap(message_id, label, buttons[label], text)

    async def _tap(self, message_id: int, label: str, data: str, before: str) -> bool:
        self.fake.tap(self.user, message_id, button_text=label)
        self.taps += 1
        moved = await self.fake.wait_until(lambda: self.screen()[1] != before, 3)
        parts = data.split(":")
        if moved and parts[0] == "a" and len(parts) == 5:
            _, _, phase, question, _ = parts
            self.accepted[(phase, question)] = None if label == "Skip" else label.removeprefix("✓ ")
        return moved


async def crash_loop(
    folder: Path,
    *,
    kills: int,
    participants: int,
    seed: int,
    pre_seconds: float,
    post_seconds: float,
) -> Result:
    """Run the loop in `folder`: kills fall at random moments while the room answers the
    pre questionnaire, the post one is pushed, reminded and closed (the summary falls due)."""
    rng = random.Random(seed)
    result = Result()
    started = time.monotonic()
    fake = FakeTelegram(TOKEN)
    fake.channel(CHANNEL, "Facilitators")
    async with BotApiServer(fake, hold_seconds=1) as server:
        config_path = write_config(folder, server, pre_seconds, post_seconds)
        config = load_config(config_path)
        closes = config.cohorts[CODE].end + config.schedule.post_open_for
        bot = BotProcess(config_path)
        await bot.start()
        people = [
            Participant(800000 + i, fake, random.Random(rng.random())) for i in range(participants)
        ]
        stop = asyncio.Event()

        async def keep_answering(person: Participant) -> None:
            fake.user(person.user)
            fake.send_text(person.user, f"/start {CODE}")
            await fake.wait_until(lambda: bool(person.screen()[2]), 30)
            while not stop.is_set() and not person.finished:
                if not await person.act():
                    # Nothing moved (the bot is down, or the post questionnaire is not
                    # out yet): look again after the bot has done something.
                    await fake.wait_until(stop.is_set, 1.0)

        tasks = [asyncio.create_task(keep_answering(p)) for p in people]
        total = (closes - datetime.now(UTC)).total_seconds()
        moments = sorted(rng.uniform(1.0, max(1.5, total - 1.0)) for _ in range(kills))
        begun = time.monotonic()
        for moment in moments:
            # The experiment itself: kill at random moments of the cohort's timetable.
            await asyncio.sleep(max(0.0, moment - (time.monotonic() - begun)))
            await bot.signal(signal.SIGKILL)
            result.kills += 1
            await bot.start()
        await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.5)
        stop.set()
        await asyncio.gather(*tasks)
        # The summary fell due during the loop: wait for it, then make sure it stays one.
        await fake.wait_until(lambda: _summaries(fake) >= 1, 60)
        result.sigterm_exit = await bot.signal(signal.SIGTERM)
        result.summaries = _summaries(fake)
    result.taps = sum(p.taps for p in people)
    _audit(folder / "feedback.db", people, result)
    result.seconds = time.monotonic() - started
    return result


def _summaries(fake: FakeTelegram) -> int:
    return sum("module summary" in str(m.get("text", "")) for m in fake.messages(CHANNEL))


def _audit(db: Path, people: list[Participant], result: Result) -> None:
    conn = sqlite3.connect(db)
    try:
        result.integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        rows: dict[tuple[int, str, str], list[Any]] = {}
        for telegram_id, phase, question, value in conn.execute(
            "SELECT p.telegram_id, a.phase, a.question, a.value FROM answers a"
            " JOIN participants p ON p.id = a.participant_id"
        ):
            rows.setdefault((telegram_id, phase, question), []).append(value)
        result.duplicated = sum(len(v) - 1 for v in rows.values())
        for person in people:
            for (phase, question), value in person.accepted.items():
                result.accepted += 1
                stored = rows.get((person.user, phase, question))
                if not stored or stored[-1] != value:
                    result.lost.append(f"{person.user}/{phase}/{question}")
        joined = {
            telegram_id
            for (telegram_id,) in conn.execute(
                "SELECT p.telegram_id FROM responses r JOIN participants p"
                " ON p.id = r.participant_id WHERE r.phase = 'pre'"
                " AND r.submitted_at IS NOT NULL"
            )
        }
        result.unfinished = [p.user for p in people if p.user not in joined]
    finally:
        conn.close()
