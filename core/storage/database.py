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
    (owner-only), migrated and proved writable; PostgreSQL reached, its schema this version's
    and every table writable for this role. An empty PostgreSQL database gets the bot's
    tables if the role may create them (as SQLite does); an older schema is never upgraded
    here (`migrate-schema`, by the owner, decides when: a bot standing by must not change the
    schema under the one that leads). DatabaseUnavailable says, in one line, why not."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.connect(target) as conn:
            if postgres.schema_version(conn) == 0 and postgres.may_create_tables(conn):
                postgres.migrate(conn)
            postgres.check_ready(conn, target)
        return
    from core.storage.sqlite import prepare_file

    prepare_file(target)


def check(target: Target) -> None:
    """`prepare` without changing anything: for `check`, which only reads. SQLite needs no
    check (`run` makes and migrates the file)."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.connect(target) as conn:
            if postgres.schema_version(conn) == 0 and postgres.may_create_tables(conn):
                return  # `run` will create the tables
            postgres.check_ready(conn, target)
