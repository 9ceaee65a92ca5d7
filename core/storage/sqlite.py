"""SQLite, the embedded engine: the file, its settings, migrating it, and read-only opening.

The file is created readable by its owner only, in WAL mode, so that readers (a report
while the bot runs) see the last committed snapshot without blocking the writer.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from core.outputs import OutputRefused
from core.storage.errors import NotSetUp, unavailable
from core.storage.rows import utc_text
from core.storage.schema import MIGRATIONS, SCHEMA_VERSION
from core.storage.sql import SqliteSql
from core.storage.unit import Database, Tx

BUSY_TIMEOUT_MS = 5000


def create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)


def prepare_file(path: Path) -> None:
    """Create (owner-only), switch to WAL and migrate a database file; prove it is writable.

    Raises DatabaseUnavailable, with a one-line reason, instead of OSError or sqlite3 errors.
    """
    try:
        create_private_file(path)
        conn = sqlite3.connect(path)
        try:
            # First, so that a briefly locked database is waited for rather than refused.
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
            # A lock held by another writer shows now, at start-up, not at the first answer.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise unavailable(path, exc) from exc


def migrate(conn: sqlite3.Connection) -> int:
    """Bring a database to the current schema; safe to run at every start-up."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        " applied_at TEXT NOT NULL)"
    )
    conn.commit()
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        # executescript commits first, so the DDL and its record share one explicit transaction.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{migration.sqlite}\n"
            f"INSERT INTO schema_migrations VALUES ({version}, "
            f"'{utc_text(datetime.now(UTC))}');\nCOMMIT;"
        )
    return SCHEMA_VERSION


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that waits for, but never blocks, the bot's writes."""
    if not path.exists():
        raise FileNotFoundError(f"database not found: {path}")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def set_mark(path: Path, name: str, value: str) -> None:
    """Record `name = value` in the database's own marks (a migrated database)."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            with conn:
                conn.execute(
                    "INSERT INTO marks (name, value) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise unavailable(path, exc) from exc


def checkpoint(path: Path) -> None:
    """Fold the -wal file into the database and leave neither -wal nor -shm beside it.

    SQLite removes both when the last connection closes, but not when that connection is
    read-only (as the exports' and reports' readers are): one read-write connection, opened
    and closed once nothing else has the file open, tidies up after them."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise unavailable(path, exc) from exc


def read_mark(path: Path, name: str) -> str | None:
    """The value of a mark, or None: no such mark, no such table, or no SQLite database.

    Opened immutable: reading must leave no -wal or -shm file beside a database that may
    be someone else's (a read-only WAL connection would create both)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            row = conn.execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def backup_sqlite(source: Path, target: Path, partial: Path) -> tuple[str, int]:
    """Back `source` up into `partial`, a new file on its way to `target`, with SQLite's
    online backup API (one consistent snapshot while the bot writes); (integrity_check's
    answer, page count). DatabaseUnavailable: `source` cannot be read; OutputRefused: the
    copy cannot be written."""
    try:
        # mode=rw: never create an empty database where the real one was expected.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        raise unavailable(source, exc) from exc
    try:
        dst = sqlite3.connect(partial)
        try:
            try:
                src.backup(dst)  # all pages in one step: one snapshot, never a mix
            except sqlite3.Error as exc:
                text = str(exc)
                if any(word in text for word in ("locked", "busy", "not a database", "malform")):
                    raise unavailable(source, exc) from exc
                raise OutputRefused(f"cannot write the backup {target}: {text}") from None
            dst.execute("PRAGMA journal_mode = DELETE")
            result = str(dst.execute("PRAGMA integrity_check").fetchone()[0])
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        except sqlite3.Error as exc:
            raise OutputRefused(f"cannot write the backup {target}: {exc}") from None
        finally:
            dst.close()
    finally:
        src.close()
    return result, pages


class Snapshot:
    """Synchronous reads in one read transaction on a read-only connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def all(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return list(self.stream(query, params))

    def value(self, query: str, params: Sequence[object] = ()) -> object:
        """The one value a query returns (an aggregate)."""
        rows = self.all(query, params)
        return rows[0][0] if rows else None

    def layout(self, table: str) -> tuple[list[str], list[str]]:
        """A table's columns, in order, and its primary key's."""
        info = self.all(f'PRAGMA table_info("{table}")')
        if not info:
            raise NotSetUp(table)
        key = sorted((row[5], row[1]) for row in info if row[5])
        return [row[1] for row in info], [name for _, name in key]

    def version(self) -> int:
        """The schema version: the latest migration applied (0: none)."""
        try:
            return int(str(self.value("SELECT coalesce(max(version), 0) FROM schema_migrations")))
        except NotSetUp:
            return 0

    def stream(
        self, query: str, params: Sequence[object] = (), batch: int = 10_000
    ) -> Iterator[tuple[Any, ...]]:
        try:
            cursor = self.conn.execute(query, tuple(params))
            while rows := cursor.fetchmany(batch):
                yield from rows
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise NotSetUp from exc
            raise unavailable(self.path, exc) from exc
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from exc


@contextmanager
def snapshot(path: Path) -> Iterator[Snapshot]:
    conn = connect_read_only(path)
    try:
        conn.execute("BEGIN")  # one snapshot for every read in it
        yield Snapshot(conn, path)
    finally:
        conn.close()
        _let_go(path)


def _let_go(path: Path) -> None:
    """Leave no -wal and -shm files behind a read (a report, an export). A read-only
    connection makes them but may not remove them; the last read-write connection to close
    does, as SQLite always does. So one reads a page and closes: where the bot (or anything
    else) still has the database open, they stay, as theirs; nothing is written either way."""
    if not path.with_name(path.name + "-wal").exists():
        return
    try:
        conn = sqlite3.connect(path, timeout=0)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # no write permission, or locked: the files stay, as they would have


class SqliteDatabase(Database):
    """The application's single connection, with a lock that keeps units of work apart.

    Statements from concurrent tasks on one connection would interleave inside each other's
    transactions, so every unit of work holds the lock; writes start with BEGIN IMMEDIATE so
    they never fail half-way with SQLITE_BUSY when another process (a report) reads."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._sql = SqliteSql(conn)
        self._lock = asyncio.Lock()
        self.target = path

    @classmethod
    async def connect(cls, path: Path) -> SqliteDatabase:
        """Open (creating if needed, owner-only) and migrate the database."""
        await asyncio.to_thread(prepare_file, path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise unavailable(path, exc) from exc
        try:
            # FULL: an answer the participant saw accepted survives a power cut too.
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._sql)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        # One deferred transaction, so the reads see one snapshot.
        async with self._lock:
            await self._conn.execute("BEGIN")
            try:
                yield Tx(self._sql)
            finally:
                await self._conn.execute("COMMIT")
