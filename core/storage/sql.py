"""How a unit of work runs its statements: each query is written once, against `Sql`.

The units of work (`core.storage.participants`, `.outbox`, …) never see a driver. They
write portable SQL with `?` placeholders and hand it to the `Sql` of their transaction,
which runs it on that transaction's connection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

Row = tuple[Any, ...]
Params = Sequence[object]


class Sql(ABC):
    """The statements of one transaction."""

    # Appended to a SELECT whose rows the transaction goes on to change, so that another
    # transaction (another process) cannot change them in between. SQLite needs none: a
    # write transaction (BEGIN IMMEDIATE) holds the whole database.
    for_update = ""

    @abstractmethod
    async def all(self, query: str, params: Params = ()) -> list[Row]:
        """Every row the query returns."""

    async def one(self, query: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        rows = await self.all(query, params)
        return rows[0] if rows else None

    @abstractmethod
    async def run(self, query: str, params: Params = ()) -> int:
        """Run a statement; how many rows it changed."""

    @abstractmethod
    async def many(self, query: str, rows: Iterable[Params]) -> None:
        """Run a statement once per row of parameters."""

    @abstractmethod
    async def serialize(self, name: str) -> None:
        """Let only one transaction at a time, in any process, go past this point for `name`:
        for a read that decides a write when there is no row to lock (is this code free?)."""


class SqliteSql(Sql):
    """Statements on the shared aiosqlite connection (its transaction is the caller's)."""

    __slots__ = ("conn",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def all(self, query: str, params: Params = ()) -> list[Row]:
        # One trip to aiosqlite's thread instead of three (execute, fetch, close).
        rows = await self.conn.execute_fetchall(query, tuple(params))
        return list(rows)  # type: ignore[arg-type]  # tuples: no row factory is set

    async def run(self, query: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(query, tuple(params))
        changed = cursor.rowcount
        await cursor.close()
        return int(changed)

    async def many(self, query: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(query, [tuple(row) for row in rows])

    async def serialize(self, name: str) -> None:
        """Nothing to do: SQLite's write transactions (BEGIN IMMEDIATE) are one at a time."""
