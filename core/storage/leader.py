"""One active bot per database: the lease that says which one.

SQLite: an exclusive lock (flock) on `<database>.lock`, a file beside the database, held
for as long as the process lives (and the file removed when it stops). The kernel releases
the lock when the process ends, however it ends (kill -9 included, which leaves the file),
so a restart never finds a stale lock. A second `feedback-bot run` on the same file refuses
to start (`AnotherBotRuns`): two processes would both poll Telegram.

PostgreSQL: a session advisory lock, `pg_try_advisory_lock`, taken on a connection of its
own (never one of the pool's, which go back and forth between units of work). A second bot
asks again every `POLL_S` seconds and does nothing else meanwhile: it stands by. The server
releases the lock the moment the holder's session ends:

- the holder is killed (kill -9, a crash): its socket closes and the lock is free at once;
- the holder's machine vanishes (power, network): the server notices through TCP keepalives
  set on that session (`tcp_keepalives_idle` 5 s, then `tcp_keepalives_count` 3 probes
  `tcp_keepalives_interval` 2 s apart, and `tcp_user_timeout` 10 s for data left unacknowledged),
  so within about 11 s; the standby then takes it within `POLL_S`.

The holder checks its lock connection every `WATCH_INTERVAL_S` (a query answered within
`WATCH_TIMEOUT_S`). Losing it is losing leadership: `watch` raises `LeadershipLost`, and the
bot stops at once (it must not poll or send while another may be taking over). The same
keepalives on our side of the connection notice a server that vanished.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.storage.errors import unavailable
from core.storage.target import Postgres, Target

if TYPE_CHECKING:  # psycopg is imported only for a PostgreSQL database
    import psycopg

log = logging.getLogger(__name__)

POLL_S = 1.0
WATCH_INTERVAL_S = 2.0
WATCH_TIMEOUT_S = 5.0
KEEPALIVE_IDLE_S = 5
KEEPALIVE_INTERVAL_S = 2
KEEPALIVE_COUNT = 3
USER_TIMEOUT_MS = 10_000


class AnotherBotRuns(Exception):
    """Another bot holds this SQLite database; `str()` is the one line to say."""


class LeadershipLost(Exception):
    """The lease's connection broke: another bot may be taking over now."""


def lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class Lease:
    """Being the one active bot of a database, until `release` or the process ends."""

    async def watch(self) -> None:
        """Return never while the lease holds; raise LeadershipLost when it is lost."""
        await asyncio.Event().wait()

    async def release(self) -> None:
        return None


class FileLease(Lease):
    """An SQLite database's lease: an flock on the lock file beside it, removed when the
    bot stops (a killed bot leaves it; the next one takes it over)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self._path = path

    @classmethod
    def take(cls, path: Path) -> FileLease:
        """The lease, or AnotherBotRuns at once (a second bot on one SQLite file never waits)."""
        lock = lock_file(path)
        while True:
            try:
                lock.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise unavailable(path, exc) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip()
                os.close(fd)
                who = f" (process {holder})" if holder.isdigit() else ""
                raise AnotherBotRuns(
                    f"another feedback-bot run{who} is already using the database {path} (its "
                    f"lock file {lock.name} is held); only one bot may run on an SQLite "
                    "database. For a standby that takes over, use PostgreSQL (README: "
                    "PostgreSQL)"
                ) from None
            # The holder before us may have removed the file between our open and our lock:
            # then we hold a lock on a file nobody else will find. Start again.
            if _same_file(fd, lock):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(fd, lock)

    async def release(self) -> None:
        # Removed while still locked, so nobody can lock the file we leave behind.
        with contextlib.suppress(OSError):
            if _same_file(self._fd, self._path):
                self._path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


class PostgresLease(Lease):
    """A PostgreSQL database's lease: a session advisory lock on a dedicated connection."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], target: Postgres) -> None:
        self._conn = conn
        self._target = target

    @classmethod
    async def take(
        cls, target: Postgres, standing_by: Callable[[], None], poll: float = POLL_S
    ) -> PostgresLease:
        """Wait until this process holds the lock; `standing_by` is called once if it must
        wait. A connection that breaks while waiting is made again."""
        import psycopg

        from core.storage import postgres

        said = False
        delay = poll
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    postgres.conninfo(
                        target,
                        application_name=f"{postgres.APPLICATION_NAME} leader",
                        keepalives=1,
                        keepalives_idle=KEEPALIVE_IDLE_S,
                        keepalives_interval=KEEPALIVE_INTERVAL_S,
                        keepalives_count=KEEPALIVE_COUNT,
                        tcp_user_timeout=USER_TIMEOUT_MS,
                    ),
                    autocommit=True,
                )
            except psycopg.Error as exc:
                failure = postgres.unavailable(target, exc)
                if not said:
                    raise failure from None  # at start-up: a database problem, not a wait
                log.warning("standing by: %s; trying again in %.0f s", failure.reason, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            try:
                # The server's side of the same promise: it drops a vanished holder's session.
                await conn.execute(
                    f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE_S};"
                    f" SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_S};"
                    f" SET tcp_keepalives_count = {KEEPALIVE_COUNT};"
                    f" SET tcp_user_timeout = {USER_TIMEOUT_MS}"
                )
                while True:
                    cursor = await conn.execute(
                        "SELECT pg_try_advisory_lock(%s, %s)",
                        (postgres.LOCK_CLASS, postgres.LEADER_LOCK),
                    )
                    row = await cursor.fetchone()
                    if row and row[0]:
                        return cls(conn, target)
                    if not said:
                        said = True
                        standing_by()
                    await asyncio.sleep(poll)
            except psycopg.Error as exc:
                with contextlib.suppress(Exception):
                    await conn.close()
                if not said:
                    raise postgres.unavailable(target, exc) from None
                log.warning(
                    "standing by: lost the connection to the database (%s); connecting again",
                    postgres.unavailable(target, exc).reason,
                )
                delay = poll
            except BaseException:  # stopped while standing by (SIGTERM): leave no session
                with contextlib.suppress(Exception):
                    await conn.close()
                raise

    async def watch(self) -> None:
        import psycopg

        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                await asyncio.wait_for(self._conn.execute("SELECT 1"), WATCH_TIMEOUT_S)
            except (TimeoutError, psycopg.Error) as exc:
                reason = "no answer in time" if isinstance(exc, TimeoutError) else str(exc)
                raise LeadershipLost(" ".join(reason.split())) from None

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self._conn.close()  # the session ends: the lock is free for a standby at once


async def take_lease(target: Target, standing_by: Callable[[], None]) -> Lease:
    """This process's lease on `target`: at once, or (PostgreSQL) after standing by.

    AnotherBotRuns: SQLite and another bot has it. DatabaseUnavailable: cannot tell."""
    if isinstance(target, Postgres):
        return await PostgresLease.take(target, standing_by)
    return FileLease.take(target)
