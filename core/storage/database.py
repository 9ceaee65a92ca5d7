"""The running bot's database: units of work that keep apart, on either engine.

`Database.open` opens the one `bot.database` names. Each unit of work is one transaction,
`write()` or `read()`, handing out a `Tx`: the statements of every domain on that
transaction's connection.

SQLite: one aiosqlite connection serves the whole application. Statements from concurrent
tasks on one connection would interleave inside each other's transactions, so every unit of
work holds a lock; writes start with BEGIN IMMEDIATE so they never fail half-way with
SQLITE_BUSY when another process (the report command) reads. PostgreSQL: see
`core.storage.postgres`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import aiosqlite

from core.storage.cohorts import Cohorts, Drafts
from core.storage.errors import unavailable
from core.storage.outbox import Ledger, Outbox
from core.storage.participants import Answers, Participants, Responses
from core.storage.privacy import Privacy
from core.storage.schedule import Deliveries, Events, Status, Windows
from core.storage.sql import Sql, SqliteSql
from core.storage.sqlite import BUSY_TIMEOUT_MS, prepare_file
from core.storage.target import Postgres, Target


class Tx:
    """One unit of work: the statements of each domain, on one transaction's connection."""

    __slots__ = (
        "answers",
        "cohorts",
        "deliveries",
        "drafts",
        "events",
        "ledger",
        "outbox",
        "participants",
        "privacy",
        "responses",
        "sql",
        "status",
        "windows",
    )

    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.cohorts = Cohorts(sql)
        self.drafts = Drafts(sql)
        self.participants = Participants(sql)
        self.responses = Responses(sql)
        self.answers = Answers(sql)
        self.windows = Windows(sql)
        self.events = Events(sql)
        self.deliveries = Deliveries(sql)
        self.status = Status(sql)
        self.outbox = Outbox(sql)
        self.ledger = Ledger(sql)
        self.privacy = Privacy(sql)


class Database(ABC):
    """The database a running bot (or a command) works in, one unit of work at a time."""

    target: Target

    @staticmethod
    async def open(target: Target) -> Database:
        """Open the database `target` names. SQLite: created (owner-only) and migrated if
        need be. PostgreSQL: it must be migrated already (`feedback-bot migrate-schema`,
        as its owner), and writable for this role. DatabaseUnavailable says why not."""
        if isinstance(target, Postgres):
            from core.storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(target)
        return await SqliteDatabase.connect(target)

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed on success, rolled back on any error."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A consistent read: every statement in it sees one snapshot."""


class SqliteDatabase(Database):
    """The application's single connection, with a lock that keeps units of work apart."""

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
