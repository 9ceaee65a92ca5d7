"""Opening the database a running bot (or a command) works in, on either engine.

SQLite: one aiosqlite connection serves the whole application, its units of work one at a
time (`core.storage.sqlite`). PostgreSQL: a small pool, each unit of work a transaction of
its own (`core.storage.postgres`).
"""

from __future__ import annotations

from core.storage.target import Postgres, Target
from core.storage.unit import Database


async def open_database(target: Target) -> Database:
    """Open the database `target` names. SQLite: created (owner-only) and migrated if need
    be. PostgreSQL: it must be migrated already (`feedback-bot migrate-schema`, as its
    owner), and writable for this role. DatabaseUnavailable says why not."""
    if isinstance(target, Postgres):
        from core.storage.postgres import PostgresDatabase

        return await PostgresDatabase.connect(target)
    from core.storage.sqlite import SqliteDatabase

    return await SqliteDatabase.connect(target)


def prepare(target: Target) -> None:
    """What `run` checks before anything else touches the database: SQLite created
    (owner-only), migrated and proved writable; PostgreSQL reached, migrated (by its owner)
    and writable for this role. DatabaseUnavailable says, in one line, why not."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.connect(target) as conn:
            postgres.check_ready(conn, target)
        return
    from core.storage.sqlite import prepare_file

    prepare_file(target)
