"""PostgreSQL, the shared engine: connecting, its errors in an operator's words, migrating,
and the running bot's pool of connections.

The driver is psycopg 3, imported only for a PostgreSQL database: native asyncio, COPY and
server-side cursors, and libpq underneath, so everything a DBA sets in the URL or libpq's
environment works as for psql: `sslmode` and its certificates, `PGPASSWORD` or a password file, TCP
keepalives, `connect_timeout`. Every connection says who it is (`application_name`
feedback-bot, unless the URL names another), so it is easy to spot in pg_stat_activity.

Statements are the units of work's own, written once with `?` placeholders
(`core.storage.sql`); only their placeholders are translated here. Writes are READ COMMITTED
transactions in which the constraints do the work (ON CONFLICT) and a read that decides a
write locks what it read (`FOR UPDATE`, or a transaction-level advisory lock where there is
no row to lock); reads are REPEATABLE READ, one snapshot like SQLite's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from core.secrets import redact
from core.storage.errors import DatabaseUnavailable, NotSetUp
from core.storage.rows import utc_text
from core.storage.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from core.storage.sql import Params, Row, Sql
from core.storage.target import PASSWORD_HELP, Postgres
from core.storage.unit import Database, Tx

APPLICATION_NAME = "feedback-bot"
CONNECT_TIMEOUT_S = 10
# This bot's advisory locks are (LOCK_CLASS, 1) for migrating, (LOCK_CLASS, 2) for leading,
# and (SERIALIZE_CLASS, hashtext(name)) for `Sql.serialize`. Each database has its own.
LOCK_CLASS = 0x46424F54  # "FBOT"
SERIALIZE_CLASS = LOCK_CLASS + 1
MIGRATE_LOCK = 1
LEADER_LOCK = 2
POOL_MIN = 1
POOL_MAX = 8


def conninfo(target: Postgres, **settings: object) -> str:
    """The target's connection string, with our defaults where the URL says nothing."""
    try:
        params = conninfo_to_dict(target.url)
    except psycopg.ProgrammingError as exc:
        raise unavailable(target, exc) from None
    for key, value in {
        "application_name": APPLICATION_NAME,
        "connect_timeout": CONNECT_TIMEOUT_S,
        **settings,
    }.items():
        params.setdefault(key, value)  # type: ignore[call-overload]
    return make_conninfo("", **params)


def unavailable(target: Postgres, exc: BaseException) -> DatabaseUnavailable:
    """Name the cause in an operator's terms, on one line and with no secret in it."""
    text = redact(" ".join(str(exc).split()))
    lowered = text.lower()
    sqlstate = getattr(exc, "sqlstate", None)
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        reason = f"the server refused the login ({_after_fatal(text)}); {PASSWORD_HELP}"
    elif "connection refused" in lowered:
        reason = (
            "nothing accepts connections there (connection refused): is the server running, "
            "and are the host and port right?"
        )
    elif "timeout expired" in lowered or "timed out" in lowered:
        reason = "no answer from the server in time: check the host, the network and firewalls"
    elif sqlstate == "42501" or "permission denied" in lowered:
        reason = (
            f"the database role lacks a privilege ({_after_fatal(text)}); grant it as the "
            "README's PostgreSQL recipe shows"
        )
    else:
        reason = _after_fatal(text)
    return DatabaseUnavailable(target, reason)


def _after_fatal(text: str) -> str:
    """libpq's message without its 'connection to server … failed: FATAL:' preamble."""
    for marker in ("FATAL:", "ERROR:"):
        if marker in text:
            return text.split(marker, 1)[1].strip()
    return text.removeprefix("connection failed: ")


def connect(target: Postgres, **settings: object) -> psycopg.Connection[Row]:
    """A connection in autocommit mode (transactions are explicit), or DatabaseUnavailable."""
    try:
        return psycopg.connect(conninfo(target, **settings), autocommit=True)
    except psycopg.Error as exc:
        raise unavailable(target, exc) from None


@functools.lru_cache(maxsize=2048)
def _translate(query: str) -> str:
    """A query written with `?` placeholders, in psycopg's `%s` style."""
    return query.replace("%", "%%").replace("?", "%s")


# -- the schema --------------------------------------------------------------------------------


def schema_version(conn: psycopg.Connection[Row]) -> int:
    """The latest migration applied; 0 for a database without this bot's tables."""
    found = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not (found and found[0]):
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection[Row]) -> int:
    """Bring the database to the current schema, in one transaction; safe to run again, and
    by two processes at once (the second waits, then finds nothing to do)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATE_LOCK))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
            ' applied_at TEXT COLLATE "C" NOT NULL)'
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version in applied:
                continue
            conn.execute(migration.postgresql.encode())  # several statements: no parameters
            conn.execute(
                "INSERT INTO schema_migrations VALUES (%s, %s)",
                (version, utc_text(datetime.now(UTC))),
            )
    return SCHEMA_VERSION


def may_create_tables(conn: psycopg.Connection[Row]) -> bool:
    """Whether this role may create the bot's tables here, and none of them is there yet
    (an empty database, ready for `run` to set up as it does an SQLite file)."""
    row = conn.execute(
        "SELECT has_schema_privilege(current_schema(), 'CREATE')"
        " AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[]) AS t(name)"
        " WHERE to_regclass(t.name) IS NOT NULL)",
        (list(TABLES),),
    ).fetchone()
    return bool(row and row[0])


def check_ready(conn: psycopg.Connection[Row], target: Postgres) -> None:
    """The schema is this bot's, and the role may read and write every table of it."""
    version = schema_version(conn)
    if version < SCHEMA_VERSION:
        found = f"its schema is at version {version}" if version else "it has no tables of the bot"
        who = "as the database's owner role " if version else "as a role that may create tables "
        raise DatabaseUnavailable(
            target,
            f"{found} (this bot needs version {SCHEMA_VERSION}): run `feedback-bot "
            f"migrate-schema` {who}first (README: PostgreSQL)",
        )
    if version > SCHEMA_VERSION:
        raise DatabaseUnavailable(
            target,
            f"its schema (version {version}) is newer than this bot's ({SCHEMA_VERSION}): "
            "a newer version of the bot migrated it; upgrade this one",
        )
    lacking = conn.execute(
        "SELECT t.name || ' (' || p.privilege || ')' FROM unnest(%s::text[]) AS t(name)"
        " CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(privilege)"
        " WHERE NOT has_table_privilege(t.name, p.privilege) ORDER BY t.name, p.privilege",
        (list(TABLES),),
    ).fetchall()
    if lacking:
        named = ", ".join(row[0] for row in lacking[:4]) + (" …" if len(lacking) > 4 else "")
        raise DatabaseUnavailable(
            target,
            f"the bot's role may not read and write every table of the bot: it lacks {named}; "
            "grant SELECT, INSERT, UPDATE, DELETE on them (README: PostgreSQL)",
        )


# -- the running bot ------------------------------------------------------------------------


class PostgresSql(Sql):
    """Statements on one pooled connection, inside the transaction the caller opened."""

    __slots__ = ("conn",)
    for_update = " FOR UPDATE"

    def __init__(self, conn: psycopg.AsyncConnection[Row]) -> None:
        self.conn = conn

    async def all(self, query: str, params: Params = ()) -> list[Row]:
        cursor = await self.conn.execute(_translate(query), tuple(params))
        return await cursor.fetchall() if cursor.description else []

    async def run(self, query: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(_translate(query), tuple(params))
        return cursor.rowcount

    async def many(self, query: str, rows: Iterable[Params]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            async with self.conn.cursor() as cursor:
                await cursor.executemany(_translate(query), batch)

    async def serialize(self, name: str) -> None:
        # Held until the transaction ends: one such unit of work at a time, in any process.
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SERIALIZE_CLASS, name)
        )


class PostgresDatabase(Database):
    """A small pool of connections; each unit of work takes one for its transaction."""

    def __init__(self, pool: AsyncConnectionPool, target: Postgres) -> None:
        self._pool = pool
        self.target = target

    @classmethod
    async def connect(cls, target: Postgres) -> PostgresDatabase:
        """Check the database is migrated and writable for this role, then open the pool."""

        def check() -> None:
            with connect(target) as conn:
                check_ready(conn, target)

        await asyncio.to_thread(check)
        pool: AsyncConnectionPool = AsyncConnectionPool(
            conninfo(target),
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            kwargs={"autocommit": True},
            # A connection that broke while idle (a server restart, a fail-over) is replaced
            # before a unit of work gets it, not discovered by a participant's tap.
            check=AsyncConnectionPool.check_connection,
            open=False,
            name="feedback-bot",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:
            await pool.close()
            raise unavailable(target, exc) from None
        return cls(pool, target)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self._pool.connection() as conn, conn.transaction():
            yield Tx(PostgresSql(conn))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield Tx(PostgresSql(conn))


# -- the tools beside the bot -----------------------------------------------------------------


class Snapshot:
    """Synchronous reads in one REPEATABLE READ, READ ONLY transaction (the command line's,
    and the analysis's in a worker thread)."""

    def __init__(self, conn: psycopg.Connection[Row], target: Postgres) -> None:
        self.conn = conn
        self.target = target

    def all(self, query: str, params: Params = ()) -> list[Row]:
        try:
            return self.conn.execute(_translate(query), tuple(params)).fetchall()
        except psycopg.errors.UndefinedTable as exc:
            raise NotSetUp from exc
        except psycopg.Error as exc:
            raise unavailable(self.target, exc) from None

    def value(self, query: str, params: Params = ()) -> object:
        """The one value a query returns (an aggregate)."""
        rows = self.all(query, params)
        return rows[0][0] if rows else None

    def layout(self, table: str) -> tuple[list[str], list[str]]:
        """A table's columns, in order, and its primary key's."""
        columns = self.all(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        if not columns:
            raise NotSetUp(table)
        key = self.all(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)",
            (table,),
        )
        return [row[0] for row in columns], [row[0] for row in key]

    def version(self) -> int:
        """The schema version: the latest migration applied (0: none)."""
        return schema_version(self.conn)

    def stream(self, query: str, params: Params = (), batch: int = 10_000) -> Iterator[Row]:
        """The rows of a query through a server-side cursor, `batch` at a time."""
        try:
            with self.conn.cursor(name="feedback_bot_stream") as cursor:
                cursor.itersize = batch
                cursor.execute(_translate(query), tuple(params))
                yield from cursor
        except psycopg.errors.UndefinedTable as exc:
            raise NotSetUp from exc
        except psycopg.Error as exc:
            raise unavailable(self.target, exc) from None


@contextmanager
def snapshot(target: Postgres) -> Iterator[Snapshot]:
    with connect(target) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield Snapshot(conn, target)
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")
