"""Copying a whole database from one engine to the other (`feedback-bot migrate --to`).

Everything is copied, table by table in the order they refer to each other: cohorts and
the cohorts made in the chat, participants, consents, responses and answers, admins'
windows, lifecycle events and deliveries, the outbox with its files, the bot's own
messages and its sends of unknown outcome, the cohort dialogues in progress, and the
database's marks. Only `schema_migrations` is the target's own.

The target must be empty: a PostgreSQL database without the bot's tables (they are
created) or with them and no row in any, or an SQLite file that does not exist yet. The
copy is all or nothing: PostgreSQL gets it in one transaction, SQLite in a new file moved
into place only when complete. Before that, every table is read back from the target and
compared with what was read from the source: the number of rows and a SHA-256 over every
value, in primary-key order, the same on both engines.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.storage import sqlite as lite
from core.storage.errors import DatabaseUnavailable, unavailable
from core.storage.reads import Snapshot, snapshot
from core.storage.schema import SCHEMA_VERSION, TABLES
from core.storage.target import Postgres, Target

# Tables whose `id` is an identity column on PostgreSQL: after explicit ids were copied in,
# their sequence must continue after the largest.
IDENTITY_TABLES = ("participants", "outbox", "unconfirmed_sends")
BATCH = 5_000


class CopyRefused(Exception):
    """The copy cannot go ahead as asked; nothing was written. `str()` says why."""


@dataclass(frozen=True)
class Copied:
    """One table as copied: its rows, and the checksum both sides agree on."""

    table: str
    rows: int
    checksum: str


class _Digest:
    """A SHA-256 over rows, each value tagged with its kind and length, so that no two
    different tables of values hash alike and both engines' values hash the same."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, row: Iterable[Any]) -> None:
        update = self._hash.update
        for value in row:
            if value is None:
                update(b"N")
            elif isinstance(value, bool | int):
                update(b"i%d;" % int(value))
            elif isinstance(value, str):
                data = value.encode()
                update(b"s%d:" % len(data))
                update(data)
            elif isinstance(value, bytes | bytearray | memoryview):
                data = bytes(value)
                update(b"b%d:" % len(data))
                update(data)
            else:
                text = repr(value).encode()
                update(b"r%d:" % len(text))
                update(text)
        self.rows += 1

    def through(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in rows:
            self.add(row)
            yield row

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _rows(db: Snapshot, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    columns, key = db.layout(table)
    names = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{c}"' for c in key)
    return columns, db.stream(f'SELECT {names} FROM "{table}" ORDER BY {order}', batch=BATCH)


def copy_database(
    source: Target, target: Target, progress: Callable[[str], None] | None = None
) -> list[Copied]:
    """Copy every table of `source` into the empty `target`; check counts and checksums."""
    say = progress or (lambda _message: None)
    if source == target:
        raise CopyRefused("the source and the target are the same database")
    if not isinstance(source, Postgres) and not source.is_file():
        raise DatabaseUnavailable(source, "no such database file; check bot.database or --from")
    with snapshot(source) as src:
        version = src.version()
        if version != SCHEMA_VERSION:
            raise CopyRefused(
                f"the source {source} is at schema version {version}, this bot's is "
                f"{SCHEMA_VERSION}: run `feedback-bot migrate-schema` on it first"
            )
        writer: _Writer = (
            _PostgresWriter(target) if isinstance(target, Postgres) else _SqliteWriter(target)
        )
        with writer:
            copied = []
            for table in TABLES:
                columns, rows = _rows(src, table)
                digest = _Digest()
                say(f"copying {table} …")
                writer.write(table, columns, digest.through(rows))
                back = _Digest()
                _, written = _rows(writer.snapshot(), table)
                for row in written:
                    back.add(row)
                if (back.rows, back.hexdigest) != (digest.rows, digest.hexdigest):
                    raise CopyRefused(
                        f"{table}: the copy does not match the source ({digest.rows} rows read, "
                        f"{back.rows} found in the target, checksums "
                        f"{digest.hexdigest[:12]} and {back.hexdigest[:12]}); nothing was kept"
                    )
                copied.append(Copied(table, digest.rows, digest.hexdigest))
            writer.commit()
    return copied


class _Writer:
    """Where a copy goes: one transaction that is committed only when every table matched."""

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def snapshot(self) -> Snapshot:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _PostgresWriter(_Writer):
    def __init__(self, target: Postgres) -> None:
        import psycopg

        from core.storage import postgres

        self._target = target
        self._conn = postgres.connect(target)
        self._done = False
        try:
            self._conn.execute("BEGIN")
            version = postgres.schema_version(self._conn)
            if version == 0:
                ours = [
                    table
                    for table in TABLES
                    if self._conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() != (None,)
                ]
                if ours:
                    raise CopyRefused(
                        f"{target} has tables named like the bot's ({', '.join(ours)}) but no "
                        "record of the bot's migrations; copy into an empty database"
                    )
            elif version > SCHEMA_VERSION:
                raise CopyRefused(f"{target} was migrated by a newer version of the bot")
            else:
                filled = [
                    table
                    for table in TABLES
                    if self._conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()
                    == (True,)
                ]
                if filled:
                    raise CopyRefused(
                        f"{target} is not empty: {', '.join(filled)} already hold rows; copy "
                        "into an empty database (nothing was changed)"
                    )
            postgres.migrate(self._conn)
        except psycopg.Error as exc:
            self.close()
            raise postgres.unavailable(target, exc) from None
        except BaseException:
            self.close()
            raise

    def write(self, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
        import psycopg

        from core.storage import postgres

        names = ", ".join(f'"{c}"' for c in columns)
        try:
            with (
                self._conn.cursor() as cursor,
                cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            failure = postgres.unavailable(self._target, exc)
            raise DatabaseUnavailable(self._target, f"copying {table}: {failure.reason}") from None

    def snapshot(self) -> Snapshot:
        from core.storage import postgres

        return postgres.Snapshot(self._conn, self._target)

    def commit(self) -> None:
        import psycopg

        from core.storage import postgres

        try:
            for table in IDENTITY_TABLES:
                self._conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f' coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
                )
            self._conn.execute("COMMIT")
        except psycopg.Error as exc:
            raise postgres.unavailable(self._target, exc) from None
        self._done = True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if not self._done:
                self._conn.execute("ROLLBACK")
        self._conn.close()


class _SqliteWriter(_Writer):
    """A new file, written beside its place and moved in once everything matched."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            raise CopyRefused(
                f"{path} already exists; give a new file to copy into (nothing was changed)"
            )
        self._path = path
        self._partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        self._done = False
        lite.prepare_file(self._partial)
        try:
            self._conn = sqlite3.connect(self._partial, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {lite.BUSY_TIMEOUT_MS}")
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._discard()
            raise unavailable(path, exc) from exc

    def write(self, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        try:
            while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
                self._conn.executemany(insert, batch)
        except sqlite3.Error as exc:
            raise unavailable(self._path, exc) from exc

    def snapshot(self) -> Snapshot:
        return lite.Snapshot(self._conn, self._partial)

    def commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
            problems = self._conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise CopyRefused(f"the copy breaks a reference: {problems[0]}")
            # One self-contained file, like a backup: no -wal beside it to move too.
            self._conn.execute("PRAGMA journal_mode = DELETE")
            self._conn.close()
            if self._path.exists():
                raise CopyRefused(f"{self._path} appeared while copying; nothing was changed")
            os.replace(self._partial, self._path)
        except sqlite3.Error as exc:
            raise unavailable(self._path, exc) from exc
        self._done = True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
        if not self._done:
            self._discard()

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self._partial}{suffix}").unlink()
