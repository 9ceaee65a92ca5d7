"""What commands do to a database as a whole: migrate it, mark it, tell whether it is empty,
leave it tidy when done, and (for the demo's --fresh, on a database that carries its mark)
empty it."""

from __future__ import annotations

from core.storage import sqlite as lite
from core.storage.errors import NotSetUp
from core.storage.reads import snapshot
from core.storage.schema import SCHEMA_VERSION, TABLES
from core.storage.target import Postgres, Target


def migrate_schema(target: Target) -> tuple[int, int]:
    """Bring the database to this bot's schema; (version before, version after). On
    PostgreSQL this creates and alters tables: run it as the database's owner role."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.connect(target) as conn:
            before = postgres.schema_version(conn)
            try:
                return before, postgres.migrate(conn)
            except Exception as exc:
                raise postgres.unavailable(target, exc) from None
    before = 0
    if target.is_file():
        with snapshot(target) as db:
            before = db.version()
    lite.prepare_file(target)
    return before, SCHEMA_VERSION


def set_mark(target: Target, name: str, value: str) -> None:
    """Record `name = value` in the database's own marks (a migrated database)."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.connect(target) as conn:
            try:
                conn.execute(
                    "INSERT INTO marks (name, value) VALUES (%s, %s)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )
            except Exception as exc:
                raise postgres.unavailable(target, exc) from None
        return
    lite.set_mark(target, name, value)


def checkpoint(target: Target) -> None:
    """Leave a finished SQLite database as one file, with no -wal or -shm beside it (call it
    once nothing else has the file open); on PostgreSQL there is nothing to do."""
    if not isinstance(target, Postgres):
        lite.checkpoint(target)


def read_mark(target: Target, name: str) -> str | None:
    """The value of a mark; None: no such mark, no tables of the bot, or no SQLite database."""
    if not isinstance(target, Postgres):
        return lite.read_mark(target, name)
    try:
        with snapshot(target) as db:
            value = db.value("SELECT value FROM marks WHERE name = ?", (name,))
    except NotSetUp:
        return None
    return None if value is None else str(value)


def filled_tables(target: Target) -> list[str]:
    """The bot's tables that hold a row (none: an empty database, or no tables at all)."""
    if not isinstance(target, Postgres) and not target.is_file():
        return []
    try:
        with snapshot(target) as db:
            if db.version() == 0:
                return []
            return [t for t in TABLES if db.value(f'SELECT EXISTS (SELECT 1 FROM "{t}")')]
    except NotSetUp:
        return []


def drop_tables(target: Postgres) -> None:
    """Remove the bot's tables from a PostgreSQL database, in one transaction. Only for a
    database the caller has checked is its own (the demo's mark)."""
    from core.storage import postgres

    with postgres.connect(target) as conn, conn.transaction():
        for table in (*reversed(TABLES), "schema_migrations"):
            conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
