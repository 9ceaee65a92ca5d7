"""The test kit: the real Application on a real temporary database, Telegram simulated."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot import lifecycle, notify
from bot.app import App
from bot.context import services_of
from core.config import Config, load_config
from core.schedule import Event
from core.storage import Target
from sim import config as sim_config
from sim.config import CohortSpec
from sim.harness import opened, simulated_app
from sim.telegram.api import FakeTelegram
from sim.testing import audit
from sim.testing.postgres import ENV_REQUIRE, PostgresServer, PostgresUnavailable

# PTB 22 warns (an error under our warning filter) whenever RetryAfter carries an int;
# opting in to timedelta values is what its next major version does anyway.
os.environ.setdefault("PTB_TIMEDELTA", "1")

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
KEY = b"test-pseudonym-key-0123456789"
# The cohort runs 09:00–17:00 on this day; tests start during it (pre open).
COHORT_START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
COHORT_END = datetime(2026, 3, 14, 17, 0, tzinfo=UTC)
FACILITATORS = -1001000000001
ADMIN = 999
SCHEDULE = {"pre_opens_before": "7d", "post_open_for": "2d", "reminders": ["1h", "1d"]}


def write_config(directory: Path, extra: str = "", database: Target | None = None) -> Path:
    """A config with one Risk Support cohort and one Getting Help cohort, times in UTC; the
    database is `feedback.db` beside it unless another is given."""
    return sim_config.write_config(
        directory,
        [
            CohortSpec("RS-LDN-0314", COHORT_START, COHORT_END),
            CohortSpec("GH-LDN-0314", COHORT_START, COHORT_END, module="getting-help"),
        ],
        modules=sim_config.shipped("risk-support", "getting-help"),
        schedule=SCHEDULE,
        extra=extra,
        admins=[ADMIN],
        facilitators_chat=FACILITATORS,
        timezone="UTC",
        database=_relative(database, directory),
    )


def _relative(database: Target | None, directory: Path) -> str:
    """How the config names the database: a file beside it by its name, as a user writes it."""
    if database is None:
        return "feedback.db"
    if isinstance(database, Path) and database.parent == directory:
        return database.name
    return str(database)


@dataclass
class Clock:
    """A clock the tests move by hand."""

    now: datetime = COHORT_START + timedelta(hours=1)
    speed: float = 1.0  # the job queue's real-time delays are the clock's (core.services.Clock)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Harness:
    """Drives the real bot as Telegram users would, one update at a time."""

    config: Config
    clock: Clock
    fake: FakeTelegram = field(default_factory=lambda: FakeTelegram(TOKEN))
    app: App | None = None

    running: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def start(self) -> App:
        self.fake.channel(FACILITATORS, "Facilitators")
        self.app = simulated_app(self.config, self.fake, KEY, clock=self.clock)
        await self.running.enter_async_context(opened(self.app))
        return self.app

    async def stop(self) -> None:
        await self.running.aclose()
        self.app = None

    async def restart(self) -> None:
        """A fresh Application on the same database: nothing survives but what is stored."""
        await self.stop()
        await self.start()

    async def run_due(self) -> list[Event]:
        """What the scheduled jobs do when they fire: at the harness clock's time."""
        assert self.app is not None
        return await lifecycle.run_due(
            self.app.bot, services_of(self.app), notify.reporter(self.app)
        )

    def channel_texts(self) -> list[str]:
        return [
            str(m.get("text") or m.get("caption") or "") for m in self.fake.messages(FACILITATORS)
        ]

    async def deliver(self) -> None:
        """Hand every queued update to the bot, through the real update processor."""
        assert self.app is not None
        for raw in self.fake.drain_updates():
            update = Update.de_json(raw, self.app.bot)
            await self.app.update_processor.process_update(update, self.app.process_update(update))

    async def send(self, user_id: int, text: str) -> None:
        self.fake.user(user_id)
        self.fake.send_text(user_id, text)
        await self.deliver()

    async def tap(self, user_id: int, button_text: str, message_id: int | None = None) -> None:
        message_id = message_id or self.last(user_id)["message_id"]
        self.fake.tap(user_id, message_id, button_text=button_text)
        await self.deliver()

    async def forge(self, user_id: int, data: str, message_id: int | None = None) -> None:
        message_id = message_id or self.last(user_id)["message_id"]
        self.fake.forge_tap(user_id, message_id, data)
        await self.deliver()

    def last(self, user_id: int) -> dict[str, Any]:
        return self.fake.last_message(user_id)

    def text(self, user_id: int) -> str:
        return str(self.last(user_id).get("text", ""))

    def buttons(self, user_id: int) -> list[str]:
        return [b for row in FakeTelegram.buttons(self.last(user_id)) for b in row]

    def toasts(self) -> list[str]:
        return [str(a.get("text") or "") for a in self.fake.callback_answers]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the database directly, as an auditor would (`?` placeholders, either engine)."""
        return audit.rows(self.config.bot.database, sql, params)

    def answers(self, user_id: int, phase: str = "pre") -> dict[str, str | None]:
        rows = self.rows(
            "SELECT a.question, a.value FROM answers a JOIN participants p"
            " ON p.id = a.participant_id WHERE p.telegram_id = ? AND a.phase = ?",
            (user_id, phase),
        )
        return dict(rows)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests early, one after every two others. They are the longest, and
    spend most of their time waiting on real time (a bot process, a timetable of seconds):
    begun early, beside tests that keep the cores busy meanwhile, they are not what the run
    waits for at the end. Among them, those of files with fewest first: a file of one
    end-to-end test is one long scenario, a file of many (the command line's cases) many
    short ones. (The tests' read-only data is session-scoped, so no order costs a fixture.)"""
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    others = [item for item in items if not item.get_closest_marker("e2e")]
    per_file = Counter(item.path for item in e2e)
    e2e.sort(key=lambda item: per_file[item.path])
    order: list[pytest.Item] = []
    while e2e:
        order.append(e2e.pop(0))
        order.extend(others[:2])
        del others[:2]
    items[:] = order + others


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers a core. About half of the suite's test time is spent waiting on
    real time (a bot process, a timetable of seconds, a lock's timeout), so a second worker
    a core runs other tests meanwhile instead of leaving the core idle."""
    return 2 * len(os.sched_getaffinity(0))


def pytest_configure(config: pytest.Config) -> None:
    """Where Python may not write bytecode (PYTHONDONTWRITEBYTECODE), every process of a run
    compiles our sources again: each test worker (its test modules too), and each
    `feedback-bot` process a test starts (some 200 of them, 0.15 s each). They share one
    bytecode cache instead, never beside the sources: in pytest's cache folder, or a
    temporary one without it (-p no:cacheprovider). The workers are started after this and
    find it in their environment."""
    if not sys.dont_write_bytecode or "PYTHONPYCACHEPREFIX" in os.environ:
        return
    cache = getattr(config, "cache", None)
    if cache is not None:
        os.environ["PYTHONPYCACHEPREFIX"] = str(cache.mkdir("pycache"))
    else:
        temporary = tempfile.mkdtemp(prefix="feedback-bot-pycache-")
        os.environ["PYTHONPYCACHEPREFIX"] = temporary
        config.add_cleanup(lambda: shutil.rmtree(temporary, ignore_errors=True))
    was = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    def restore() -> None:
        del os.environ["PYTHONPYCACHEPREFIX"]
        if was is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = was

    config.add_cleanup(restore)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# The engines a test module runs on when it says `pytestmark = BOTH_ENGINES`: each of its
# tests then runs once on SQLite and once on PostgreSQL (a real server, `postgres` below).
ENGINES = ("sqlite", "postgresql")
BOTH_ENGINES = pytest.mark.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (each xdist worker's own: its folder, port and
    databases collide with no other worker's), from the binaries on the machine. Without them
    the tests that need it are skipped, unless FEEDBACK_REQUIRE_POSTGRES=1 (CI), which makes
    that a failure."""
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        if os.environ.get(ENV_REQUIRE) == "1":
            pytest.fail(f"{ENV_REQUIRE}=1, but PostgreSQL cannot run here: {exc}")
        pytest.skip(f"PostgreSQL cannot run here: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of this test's database: SQLite unless the module asks for both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Target]:
    """This test's own database: a file in its folder, or a fresh, migrated PostgreSQL one."""
    if engine == "sqlite":
        yield tmp_path / "feedback.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    target = server.fresh()
    try:
        yield target
    finally:
        server.drop(target)


@pytest.fixture
def config(tmp_path: Path, database: Target) -> Config:
    return load_config(write_config(tmp_path, database=database))


@pytest.fixture
async def bot(config: Config, clock: Clock) -> AsyncIterator[Harness]:
    harness = Harness(config, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


# What a participant is told when a handler fails (bot/handlers/errors.py).
SORRY = (
    "Sorry — something went wrong on my side. Your answers so far are saved; "
    "send /resume to carry on."
)


@contextmanager
def table_missing(bot: Harness, table: str) -> Iterator[None]:
    """Another program moves a table away for a while (as a botched manual fix would):
    the next handler that reads it fails inside its SQL, through the real Application."""
    conn = sqlite3.connect(bot.config.bot.database)
    try:
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_moved")
        conn.commit()
        yield
        conn.execute(f"ALTER TABLE {table}_moved RENAME TO {table}")
        conn.commit()
    finally:
        conn.close()
