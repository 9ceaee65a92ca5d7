"""The SQLite database: schema, migrations, and every SQL statement the bot runs.

One aiosqlite connection serves the whole application. Statements from concurrent
tasks on one connection would interleave inside each other's transactions, so every
unit of work holds a lock; writes start with BEGIN IMMEDIATE so they never fail
half-way with SQLITE_BUSY when another process (the report command) reads.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

# Ordered migrations: index + 1 is the schema version they lead to. Never edit a
# released entry; append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cohorts (
        code      TEXT PRIMARY KEY,
        module    TEXT NOT NULL,
        site      TEXT NOT NULL,
        start_at  TEXT NOT NULL,
        end_at    TEXT NOT NULL
    );
    -- One row per person per cohort. telegram_id is NULL for answers imported from
    -- paper or web forms; pseudonym is what exports and reports show.
    CREATE TABLE participants (
        id           INTEGER PRIMARY KEY,
        cohort       TEXT NOT NULL REFERENCES cohorts(code),
        telegram_id  INTEGER,
        pseudonym    TEXT NOT NULL,
        joined_at    TEXT NOT NULL,
        active_at    TEXT NOT NULL,
        UNIQUE (cohort, telegram_id),
        UNIQUE (cohort, pseudonym)
    );
    CREATE INDEX participants_by_user ON participants (telegram_id, active_at);
    CREATE TABLE consents (
        participant_id  INTEGER PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,
        notice_version  INTEGER NOT NULL,
        given_at        TEXT NOT NULL
    );
    -- A participant's response to one phase's questionnaire (the submission).
    -- position: the question shown after Back (NULL: the first unanswered one);
    -- message_id: the chat message currently showing the questionnaire.
    CREATE TABLE responses (
        participant_id  INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        phase           TEXT NOT NULL CHECK (phase IN ('pre', 'post')),
        started_at      TEXT NOT NULL,
        submitted_at    TEXT,
        position        TEXT,
        message_id      INTEGER,
        PRIMARY KEY (participant_id, phase)
    );
    -- value NULL means the participant chose Skip.
    CREATE TABLE answers (
        participant_id  INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        phase           TEXT NOT NULL CHECK (phase IN ('pre', 'post')),
        question        TEXT NOT NULL,
        value           TEXT,
        answered_at     TEXT NOT NULL,
        PRIMARY KEY (participant_id, phase, question)
    );
    """,
    """
    -- Admin overrides of when a questionnaire is open (/open, /close); without a row the
    -- cohort's configured times apply. closes_at NULL: open until an admin closes it.
    CREATE TABLE windows (
        cohort     TEXT NOT NULL REFERENCES cohorts(code),
        phase      TEXT NOT NULL CHECK (phase IN ('pre', 'post')),
        opens_at   TEXT NOT NULL,
        closes_at  TEXT,
        set_by     INTEGER,
        set_at     TEXT NOT NULL,
        PRIMARY KEY (cohort, phase)
    );
    -- Lifecycle events already carried out (post pushed, reminders, summary queued).
    CREATE TABLE events (
        cohort   TEXT NOT NULL REFERENCES cohorts(code),
        kind     TEXT NOT NULL,
        done_at  TEXT NOT NULL,
        PRIMARY KEY (cohort, kind)
    );
    -- Messages a participant has been sent by the scheduler (push, reminders).
    CREATE TABLE deliveries (
        participant_id  INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        kind            TEXT NOT NULL,
        sent_at         TEXT NOT NULL,
        PRIMARY KEY (participant_id, kind)
    );
    -- Posts to facilitators' chats, sent in seq order within a batch, each exactly once.
    -- state: pending | sent | failed. marker: the callback data of the post's button,
    -- unique, used to find out whether a send that timed out was delivered after all.
    CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY,
        batch            TEXT NOT NULL,
        seq              INTEGER NOT NULL,
        chat_id          INTEGER NOT NULL,
        kind             TEXT NOT NULL CHECK (kind IN ('text', 'photos')),
        body             TEXT NOT NULL,
        marker           TEXT,
        state            TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        uncertain        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        message_ids      TEXT,
        error            TEXT,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        UNIQUE (batch, seq)
    );
    CREATE TABLE outbox_files (
        outbox_id  INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        name       TEXT NOT NULL,
        data       BLOB NOT NULL,
        PRIMARY KEY (outbox_id, position)
    );
    -- The newest message id the bot has seen of its own in a group or channel.
    CREATE TABLE chat_cursors (
        chat_id          INTEGER PRIMARY KEY,
        last_message_id  INTEGER NOT NULL
    );
    """,
    """
    -- A third kind of post: a document (the HTML report) with a caption. SQLite cannot
    -- change a CHECK constraint in place, so the table is rebuilt (foreign keys are off
    -- while migrating; outbox_files keeps pointing at the table named outbox).
    CREATE TABLE outbox_new (
        id               INTEGER PRIMARY KEY,
        batch            TEXT NOT NULL,
        seq              INTEGER NOT NULL,
        chat_id          INTEGER NOT NULL,
        kind             TEXT NOT NULL CHECK (kind IN ('text', 'photos', 'document')),
        body             TEXT NOT NULL,
        marker           TEXT,
        state            TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        uncertain        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        message_ids      TEXT,
        error            TEXT,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        UNIQUE (batch, seq)
    );
    INSERT INTO outbox_new SELECT * FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    """,
    """
    -- Cohorts made from the chat or the command line (config cohorts have no row here).
    -- Module, site and times live in cohorts; this adds who runs it and its history.
    -- facilitators: user ids, space-separated; *_by: 'admin <id>', 'facilitator <pseudonym>'
    -- or 'command line'. archived_at: cancelled after people joined; its data stays.
    CREATE TABLE stored_cohorts (
        code               TEXT PRIMARY KEY REFERENCES cohorts(code),
        facilitators_chat  INTEGER,
        facilitators       TEXT NOT NULL DEFAULT '',
        created_by         TEXT NOT NULL,
        created_at         TEXT NOT NULL,
        changed_by         TEXT,
        changed_at         TEXT,
        archived_at        TEXT
    );
    -- An admin's or facilitator's /newcohort or /editcohort dialogue, so it survives a
    -- restart. data: JSON of what has been given so far.
    CREATE TABLE cohort_drafts (
        user_id     INTEGER PRIMARY KEY,
        step        TEXT NOT NULL,
        data        TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    """,
    """
    -- What a database says about itself, as name = value. `feedback-bot demo` marks the
    -- database it makes (written_by = 'feedback-bot demo'), and `demo --fresh` deletes
    -- only a database carrying that mark: never the bot's own.
    CREATE TABLE marks (
        name   TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    """,
    """
    -- The bot's own messages in groups and channels, written by the one path every send
    -- there takes (bot/ledger.py). The outbox's delivery probe never edits one of these. The
    -- cursors knew only the newest of each chat, and a probe never looks below that.
    CREATE TABLE own_messages (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;
    INSERT INTO own_messages SELECT chat_id, last_message_id FROM chat_cursors;
    DROP TABLE chat_cursors;
    -- Sends to a group or channel whose outcome is not known: written before the request,
    -- removed once Telegram has answered (an outbox post's by the outbox, when it records
    -- the post sent). A row that stays (a lost answer, a crash) is a message of the bot's
    -- that may be in the chat: above since_id (the newest own message when it was sent)
    -- and, once a later send there was answered, below until_id (that send's message).
    CREATE TABLE unconfirmed_sends (
        id        INTEGER PRIMARY KEY,
        chat_id   INTEGER NOT NULL,
        since_id  INTEGER NOT NULL,
        until_id  INTEGER,
        post_id   INTEGER REFERENCES outbox(id)
    );
    CREATE INDEX unconfirmed_sends_by_chat ON unconfirmed_sends (chat_id);
    -- Posts that timed out before this version: where they may be, as the cursor then said.
    INSERT INTO unconfirmed_sends (chat_id, since_id, post_id)
        SELECT o.chat_id, coalesce(c.message_id, 0), o.id FROM outbox o
        LEFT JOIN (SELECT chat_id, max(message_id) AS message_id FROM own_messages
                   GROUP BY chat_id) c ON c.chat_id = o.chat_id
        WHERE o.state = 'pending' AND o.uncertain > 0;
    -- A batch stops at a refused part; its later parts, left pending, would now hold up
    -- the chat's next batch (a chat takes one batch at a time).
    UPDATE outbox SET state = 'failed', error = 'not sent: an earlier part failed'
        WHERE state = 'pending' AND EXISTS (SELECT 1 FROM outbox e WHERE e.batch = outbox.batch
        AND e.seq < outbox.seq AND e.state = 'failed');
    """,
    """
    -- Scheduled module reports (schedule.module_reports) carried out, one per module and
    -- period ('2026-03', '2026-Q1', '2026'), each at most once: queued for the outbox in the
    -- same transaction, or skipped because nobody in the period responded (posted = 0).
    CREATE TABLE module_reports (
        module   TEXT NOT NULL,
        period   TEXT NOT NULL,
        posted   INTEGER NOT NULL,
        done_at  TEXT NOT NULL,
        PRIMARY KEY (module, period)
    );
    """,
    """
    -- A third phase, the follow-up weeks after the module. SQLite cannot change a CHECK
    -- constraint in place, so the three tables that name phases are rebuilt (foreign keys
    -- are off while migrating; nothing points at these tables).
    CREATE TABLE responses_new (
        participant_id  INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        phase           TEXT NOT NULL CHECK (phase IN ('pre', 'post', 'follow_up')),
        started_at      TEXT NOT NULL,
        submitted_at    TEXT,
        position        TEXT,
        message_id      INTEGER,
        PRIMARY KEY (participant_id, phase)
    );
    INSERT INTO responses_new SELECT * FROM responses;
    DROP TABLE responses;
    ALTER TABLE responses_new RENAME TO responses;
    CREATE TABLE answers_new (
        participant_id  INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        phase           TEXT NOT NULL CHECK (phase IN ('pre', 'post', 'follow_up')),
        question        TEXT NOT NULL,
        value           TEXT,
        answered_at     TEXT NOT NULL,
        PRIMARY KEY (participant_id, phase, question)
    );
    INSERT INTO answers_new SELECT * FROM answers;
    DROP TABLE answers;
    ALTER TABLE answers_new RENAME TO answers;
    CREATE TABLE windows_new (
        cohort     TEXT NOT NULL REFERENCES cohorts(code),
        phase      TEXT NOT NULL CHECK (phase IN ('pre', 'post', 'follow_up')),
        opens_at   TEXT NOT NULL,
        closes_at  TEXT,
        set_by     INTEGER,
        set_at     TEXT NOT NULL,
        PRIMARY KEY (cohort, phase)
    );
    INSERT INTO windows_new SELECT * FROM windows;
    DROP TABLE windows;
    ALTER TABLE windows_new RENAME TO windows;
    -- Who said no to the follow-up questionnaire of a cohort (the button at the end of the
    -- post questionnaire, or /nofollowup); without a row they are asked. Erased with them.
    CREATE TABLE follow_up_opt_outs (
        participant_id  INTEGER PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,
        opted_out_at    TEXT NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

# Phases in the order they are asked (text order would put follow_up first).
PHASE_ORDER = "CASE phase WHEN 'pre' THEN 0 WHEN 'post' THEN 1 ELSE 2 END"

STORED_COHORTS_SQL = (
    "SELECT c.code, c.module, c.site, c.start_at, c.end_at, s.facilitators_chat,"
    " s.facilitators, s.created_by, s.created_at, s.changed_by, s.changed_at,"
    " s.archived_at FROM stored_cohorts s JOIN cohorts c ON c.code = s.code"
    " ORDER BY c.start_at, c.code"
)


def utc_text(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO-8601 text so they sort and compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    cohort: str
    telegram_id: int | None
    pseudonym: str


@dataclass(frozen=True)
class StoredCohortRow:
    code: str
    module: str
    site: str
    start_at: str
    end_at: str
    facilitators_chat: int | None
    facilitators: str
    created_by: str
    created_at: str
    changed_by: str | None
    changed_at: str | None
    archived_at: str | None


@dataclass(frozen=True)
class ResponseRow:
    participant_id: int
    phase: str
    started_at: str
    submitted_at: str | None
    position: str | None
    message_id: int | None


class DatabaseUnavailable(Exception):
    """The database file cannot be created, opened, written or understood."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"database {path}: {reason}")
        self.path = path
        self.reason = reason


def unavailable(path: Path, exc: BaseException) -> DatabaseUnavailable:
    """Name the cause in an operator's terms; SQLite's own words are often cryptic."""
    text = str(exc).replace("\n", " ")
    reason: str
    if isinstance(exc, PermissionError):
        where = exc.filename or path
        reason = f"permission denied on {where}; the bot's user must be able to write there"
    elif isinstance(exc, NotADirectoryError | FileExistsError):
        reason = f"{path.parent} is not a directory"
    elif isinstance(exc, IsADirectoryError):
        reason = "that path is a directory; expected a database file"
    elif isinstance(exc, OSError):
        reason = f"cannot create or open it: {exc.strerror or text}"
    elif "locked" in text or "busy" in text:
        reason = "it is locked by another program; stop that program or wait, then start again"
    elif "not a database" in text or "malformed" in text:
        reason = "the file is not an SQLite database (or it is damaged); check bot.database"
    elif "readonly" in text or "read-only" in text:
        reason = "the file or its directory is read-only for the bot's user"
    elif "unable to open" in text:
        reason = "SQLite cannot open it; check that its directory exists and is writable"
    else:
        reason = text
    return DatabaseUnavailable(path, reason)


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
            conn.execute("PRAGMA busy_timeout = 5000")
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
    for version, script in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        # executescript commits first, so the DDL and its record share one explicit transaction.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{script}\n"
            f"INSERT INTO schema_migrations VALUES ({version}, "
            f"'{utc_text(datetime.now(UTC))}');\nCOMMIT;"
        )
    return SCHEMA_VERSION


def set_mark(path: Path, name: str, value: str) -> None:
    """Record `name = value` in the database's own marks (a migrated database)."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
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


def respondents_sql(cohorts: Sequence[str]) -> str:
    marks = ",".join("?" * len(cohorts)) or "NULL"
    return (
        "SELECT count(DISTINCT a.participant_id) FROM answers a"
        " JOIN participants p ON p.id = a.participant_id"
        f" WHERE p.cohort IN ({marks}) AND a.value IS NOT NULL"
    )


def respondents_in(path: Path, cohorts: Sequence[str]) -> int:
    """`Tx.respondents`, read without the bot (`report`); 0 for a database not set up yet."""
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        row = conn.execute(respondents_sql(cohorts), tuple(cohorts)).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise unavailable(path, exc) from exc
    finally:
        conn.close()
    return int(row[0])


def stored_cohort_rows(path: Path) -> list[StoredCohortRow]:
    """The stored cohorts, read without the bot (command line, analysis); none if no database."""
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(STORED_COHORTS_SQL).fetchall()
    except sqlite3.OperationalError:
        return []  # a database from before stored cohorts: it has none
    finally:
        conn.close()
    return [StoredCohortRow(*row) for row in rows]


Params = Iterable[object] | Mapping[str, object]


def _bind(params: Params) -> tuple[object, ...] | Mapping[str, object]:
    return params if isinstance(params, Mapping) else tuple(params)


class Tx:
    """The SQL of one unit of work, run on the shared connection while holding its lock."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # One trip to aiosqlite's thread instead of three (execute, fetch, close).
        return list(await self.conn.execute_fetchall(sql, _bind(params)))

    # cohorts -----------------------------------------------------------------

    async def upsert_cohort(
        self, code: str, module: str, site: str, start: datetime, end: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO cohorts (code, module, site, start_at, end_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET module = excluded.module, site = excluded.site,"
            " start_at = excluded.start_at, end_at = excluded.end_at",
            (code, module, site, utc_text(start), utc_text(end)),
        )

    async def stored_cohorts(self) -> list[StoredCohortRow]:
        rows = await self._all(STORED_COHORTS_SQL)
        return [StoredCohortRow(*row) for row in rows]

    async def cohort_code_taken(self, code: str) -> bool:
        """Whether any cohort, past or present, from any source, has this code."""
        row = await self._one("SELECT 1 FROM cohorts WHERE code = ?", (code,))
        return row is not None

    async def insert_stored_cohort(
        self,
        code: str,
        module: str,
        site: str,
        start: datetime,
        end: datetime,
        facilitators: Iterable[int],
        facilitators_chat: int | None,
        actor: str,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO cohorts (code, module, site, start_at, end_at) VALUES (?, ?, ?, ?, ?)",
            (code, module, site, utc_text(start), utc_text(end)),
        )
        await self.conn.execute(
            "INSERT INTO stored_cohorts (code, facilitators_chat, facilitators, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (code, facilitators_chat, " ".join(map(str, facilitators)), actor, utc_text(now)),
        )

    async def change_stored_cohort(
        self, code: str, site: str, start: datetime, end: datetime, actor: str, now: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE cohorts SET site = ?, start_at = ?, end_at = ? WHERE code = ?",
            (site, utc_text(start), utc_text(end), code),
        )
        await self.conn.execute(
            "UPDATE stored_cohorts SET changed_by = ?, changed_at = ? WHERE code = ?",
            (actor, utc_text(now), code),
        )

    async def archive_stored_cohort(self, code: str, actor: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE stored_cohorts SET archived_at = ?, changed_by = ?, changed_at = ?"
            " WHERE code = ?",
            (utc_text(now), actor, utc_text(now), code),
        )

    async def cohort_has_participants(self, code: str) -> bool:
        row = await self._one("SELECT 1 FROM participants WHERE cohort = ? LIMIT 1", (code,))
        return row is not None

    async def delete_stored_cohort(self, code: str) -> None:
        """Remove a cohort nobody joined, with its schedule; the code becomes free again."""
        for table in ("windows", "events", "stored_cohorts", "cohorts"):
            key = "code" if table in ("stored_cohorts", "cohorts") else "cohort"
            await self.conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (code,))

    async def draft(self, user_id: int) -> tuple[str, str, str] | None:
        """(step, JSON data, updated at) of a person's cohort dialogue."""
        row = await self._one(
            "SELECT step, data, updated_at FROM cohort_drafts WHERE user_id = ?", (user_id,)
        )
        return (str(row[0]), str(row[1]), str(row[2])) if row else None

    async def save_draft(self, user_id: int, step: str, data: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO cohort_drafts (user_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, step, data, utc_text(now)),
        )

    async def drop_draft(self, user_id: int) -> None:
        await self.conn.execute("DELETE FROM cohort_drafts WHERE user_id = ?", (user_id,))

    # participants ---------------------------------------------------------------

    async def participant(self, telegram_id: int, cohort: str) -> ParticipantRow | None:
        row = await self._one(
            "SELECT id, cohort, telegram_id, pseudonym FROM participants"
            " WHERE telegram_id = ? AND cohort = ?",
            (telegram_id, cohort),
        )
        return ParticipantRow(*row) if row else None

    async def active_participant(self, telegram_id: int) -> ParticipantRow | None:
        """The cohort this person joined or returned to most recently."""
        row = await self._one(
            "SELECT id, cohort, telegram_id, pseudonym FROM participants WHERE telegram_id = ?"
            " ORDER BY active_at DESC, id DESC LIMIT 1",
            (telegram_id,),
        )
        return ParticipantRow(*row) if row else None

    async def add_participant(
        self, telegram_id: int, cohort: str, pseudonym: str, now: datetime, notice_version: int
    ) -> ParticipantRow:
        """Record a person who agreed to the privacy notice (and only then)."""
        stamp = utc_text(now)
        cur = await self.conn.execute(
            "INSERT INTO participants (cohort, telegram_id, pseudonym, joined_at, active_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (cohort, telegram_id) DO UPDATE SET active_at = excluded.active_at"
            " RETURNING id",
            (cohort, telegram_id, pseudonym, stamp, stamp),
        )
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        participant_id = int(row[0])
        await self.conn.execute(
            "INSERT OR IGNORE INTO consents (participant_id, notice_version, given_at)"
            " VALUES (?, ?, ?)",
            (participant_id, notice_version, stamp),
        )
        return ParticipantRow(participant_id, cohort, telegram_id, pseudonym)

    async def imported_participant(self, cohort: str, pseudonym: str, now: datetime) -> int:
        """The id of a participant known only by an imported id (paper or web form)."""
        stamp = utc_text(now)
        await self.conn.execute(
            "INSERT OR IGNORE INTO participants (cohort, telegram_id, pseudonym, joined_at,"
            " active_at) VALUES (?, NULL, ?, ?, ?)",
            (cohort, pseudonym, stamp, stamp),
        )
        row = await self._one(
            "SELECT id FROM participants WHERE cohort = ? AND pseudonym = ?", (cohort, pseudonym)
        )
        assert row is not None
        return int(row[0])

    async def touch_participant(self, participant_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE participants SET active_at = ? WHERE id = ?", (utc_text(now), participant_id)
        )

    # responses and answers ---------------------------------------------------------

    async def response(self, participant_id: int, phase: str) -> ResponseRow | None:
        row = await self._one(
            "SELECT participant_id, phase, started_at, submitted_at, position, message_id"
            " FROM responses WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return ResponseRow(*row) if row else None

    async def start_response(self, participant_id: int, phase: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT OR IGNORE INTO responses (participant_id, phase, started_at) VALUES (?, ?, ?)",
            (participant_id, phase, utc_text(now)),
        )

    async def set_position(self, participant_id: int, phase: str, position: str | None) -> None:
        await self.conn.execute(
            "UPDATE responses SET position = ? WHERE participant_id = ? AND phase = ?",
            (position, participant_id, phase),
        )

    async def set_message(self, participant_id: int, phase: str, message_id: int | None) -> None:
        await self.conn.execute(
            "UPDATE responses SET message_id = ? WHERE participant_id = ? AND phase = ?",
            (message_id, participant_id, phase),
        )

    async def submit(self, participant_id: int, phase: str, now: datetime) -> bool:
        """Mark a response submitted; False if it already was."""
        cur = await self.conn.execute(
            "UPDATE responses SET submitted_at = ?, position = NULL"
            " WHERE participant_id = ? AND phase = ? AND submitted_at IS NULL",
            (utc_text(now), participant_id, phase),
        )
        changed = cur.rowcount
        await cur.close()
        return changed == 1

    async def answers(self, participant_id: int, phase: str) -> dict[str, str | None]:
        rows = await self._all(
            "SELECT question, value FROM answers WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return {row[0]: row[1] for row in rows}

    async def answers_with_times(
        self, participant_id: int, phase: str
    ) -> dict[str, tuple[str | None, str]]:
        """question → (value, answered_at) of one participant's phase (for the importer)."""
        rows = await self._all(
            "SELECT question, value, answered_at FROM answers"
            " WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def save_answer(
        self, participant_id: int, phase: str, question: str, value: str | None, now: datetime
    ) -> None:
        """Store or change an answer; the primary key makes a repeat overwrite, never add."""
        await self.conn.execute(
            "INSERT INTO answers (participant_id, phase, question, value, answered_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (participant_id, phase, question)"
            " DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at",
            (participant_id, phase, question, value, utc_text(now)),
        )

    # questionnaire windows -----------------------------------------------------------

    async def window_overrides(self, cohort: str) -> dict[str, tuple[str, str | None]]:
        rows = await self._all(
            "SELECT phase, opens_at, closes_at FROM windows WHERE cohort = ?", (cohort,)
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def set_window(
        self,
        cohort: str,
        phase: str,
        opens: datetime,
        closes: datetime | None,
        admin: int | None,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO windows (cohort, phase, opens_at, closes_at, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cohort, phase) DO UPDATE SET"
            " opens_at = excluded.opens_at, closes_at = excluded.closes_at,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (
                cohort,
                phase,
                utc_text(opens),
                utc_text(closes) if closes else None,
                admin,
                utc_text(now),
            ),
        )

    # lifecycle events and deliveries ------------------------------------------------------

    async def events_done(self, cohort: str) -> set[str]:
        rows = await self._all("SELECT kind FROM events WHERE cohort = ?", (cohort,))
        return {row[0] for row in rows}

    async def mark_event(self, cohort: str, kind: str, now: datetime) -> bool:
        """Record an event as done; False if it already was (so it is never done twice)."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO events (cohort, kind, done_at) VALUES (?, ?, ?)",
            (cohort, kind, utc_text(now)),
        )
        inserted = cur.rowcount == 1
        await cur.close()
        return inserted

    async def module_report_done(self, module: str, period: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM module_reports WHERE module = ? AND period = ?", (module, period)
        )
        return row is not None

    async def mark_module_report(
        self, module: str, period: str, posted: bool, now: datetime
    ) -> bool:
        """Record a module's report for a period as done; False if it already was."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO module_reports (module, period, posted, done_at)"
            " VALUES (?, ?, ?, ?)",
            (module, period, int(posted), utc_text(now)),
        )
        inserted = cur.rowcount == 1
        await cur.close()
        return inserted

    async def reachable_participants(
        self, cohort: str, phase: str, kind: str
    ) -> list[tuple[int, int]]:
        """(participant id, Telegram id) of consenting people who have not submitted `phase`
        and have not yet been sent `kind`."""
        rows = await self._all(
            "SELECT p.id, p.telegram_id FROM participants p"
            " JOIN consents c ON c.participant_id = p.id"
            " WHERE p.cohort = ? AND p.telegram_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = ? AND r.submitted_at IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id"
            "   AND d.kind = ?)"
            " ORDER BY p.id",
            (cohort, phase, kind),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def record_delivery(self, participant_id: int, kind: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT OR IGNORE INTO deliveries (participant_id, kind, sent_at) VALUES (?, ?, ?)",
            (participant_id, kind, utc_text(now)),
        )

    # the follow-up ---------------------------------------------------------------------------

    async def follow_up_opted_out(self, participant_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM follow_up_opt_outs WHERE participant_id = ?", (participant_id,)
        )
        return row is not None

    async def set_follow_up_opt_out(self, participant_id: int, out: bool, now: datetime) -> None:
        """Record that this participant wants no follow-up (out) or wants it after all."""
        if out:
            await self.conn.execute(
                "INSERT OR IGNORE INTO follow_up_opt_outs (participant_id, opted_out_at)"
                " VALUES (?, ?)",
                (participant_id, utc_text(now)),
            )
        else:
            await self.conn.execute(
                "DELETE FROM follow_up_opt_outs WHERE participant_id = ?", (participant_id,)
            )

    async def participations(self, telegram_id: int) -> list[ParticipantRow]:
        """Every cohort this person joined, oldest first."""
        rows = await self._all(
            "SELECT id, cohort, telegram_id, pseudonym FROM participants WHERE telegram_id = ?"
            " ORDER BY joined_at, id",
            (telegram_id,),
        )
        return [ParticipantRow(*row) for row in rows]

    async def follow_up_respondents(self, cohort: str) -> int:
        """How many of the cohort gave at least one follow-up answer (not a skip)."""
        row = await self._one(
            "SELECT count(DISTINCT a.participant_id) FROM answers a"
            " JOIN participants p ON p.id = a.participant_id"
            " WHERE p.cohort = ? AND a.phase = 'follow_up' AND a.value IS NOT NULL",
            (cohort,),
        )
        return int(row[0]) if row is not None else 0

    async def follow_up_targets(self, cohort: str, kind: str) -> list[tuple[int, int]]:
        """(participant id, Telegram id) of consenting people who submitted the post
        questionnaire, did not opt out of the follow-up, have not submitted it, and have not
        yet been sent `kind`."""
        rows = await self._all(
            "SELECT p.id, p.telegram_id FROM participants p"
            " JOIN consents c ON c.participant_id = p.id"
            " JOIN responses post ON post.participant_id = p.id AND post.phase = 'post'"
            "   AND post.submitted_at IS NOT NULL"
            " WHERE p.cohort = ? AND p.telegram_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM follow_up_opt_outs o WHERE o.participant_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = 'follow_up' AND r.submitted_at IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id"
            "   AND d.kind = ?)"
            " ORDER BY p.id",
            (cohort, kind),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    # status --------------------------------------------------------------------------------

    async def cohort_counts(self, cohort: str) -> dict[str, int]:
        """Joined, and started / submitted per phase, for /status."""
        row = await self._one(
            "SELECT"
            " (SELECT count(*) FROM participants WHERE cohort = :c AND telegram_id IS NOT NULL),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'pre'),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'pre' AND r.submitted_at IS NOT NULL),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'post'),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'post' AND r.submitted_at IS NOT NULL),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'follow_up'),"
            " (SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            "   WHERE p.cohort = :c AND r.phase = 'follow_up' AND r.submitted_at IS NOT NULL)",
            {"c": cohort},
        )
        assert row is not None
        keys = (
            "joined",
            "pre_started",
            "pre_submitted",
            "post_started",
            "post_submitted",
            "follow_up_started",
            "follow_up_submitted",
        )
        return dict(zip(keys, (int(v) for v in row), strict=True))

    async def respondents(self, cohorts: Sequence[str]) -> int:
        """How many participants of `cohorts` gave at least one answer (not a skip), submitted
        or not: the analysis's definition of having responded."""
        row = await self._one(respondents_sql(cohorts), tuple(cohorts))
        return int(row[0]) if row is not None else 0

    # outbox ----------------------------------------------------------------------------------

    async def batch_exists(self, batch: str) -> bool:
        return await self._one("SELECT 1 FROM outbox WHERE batch = ?", (batch,)) is not None

    async def enqueue_post(
        self,
        batch: str,
        seq: int,
        chat_id: int,
        kind: str,
        body: str,
        marker: str | None,
        files: list[tuple[str, bytes]],
        now: datetime,
    ) -> None:
        cur = await self.conn.execute(
            "INSERT INTO outbox (batch, seq, chat_id, kind, body, marker, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (batch, seq, chat_id, kind, body, marker, utc_text(now), utc_text(now)),
        )
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        await self.conn.executemany(
            "INSERT INTO outbox_files (outbox_id, position, name, data) VALUES (?, ?, ?, ?)",
            [(row[0], i, name, data) for i, (name, data) in enumerate(files)],
        )

    async def due_posts(self, now: datetime) -> list[OutboxRow]:
        """Pending posts whose turn has come: due, every earlier post of the batch sent, and
        no older batch still going out to the same chat (a chat takes one batch at a time, so
        no other post lands where one in doubt is being looked for)."""
        rows = await self._all(
            "SELECT o.id, o.batch, o.seq, o.chat_id, o.kind, o.body, o.marker, o.attempts,"
            " o.uncertain FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.batch = o.batch AND e.seq < o.seq"
            "   AND e.state != 'sent')"
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.chat_id = o.chat_id"
            "   AND e.batch != o.batch AND e.state = 'pending' AND e.id < o.id)"
            " ORDER BY o.id",
            (utc_text(now),),
        )
        posts = []
        for row in rows:
            files = await self._all(
                "SELECT name, data FROM outbox_files WHERE outbox_id = ? ORDER BY position",
                (row[0],),
            )
            post_id, batch, seq, chat_id, kind, body, marker, attempts, uncertain = row
            posts.append(
                OutboxRow(
                    post_id,
                    batch,
                    seq,
                    chat_id,
                    kind,
                    body,
                    marker,
                    attempts,
                    uncertain,
                    files=[(f[0], bytes(f[1])) for f in files],
                )
            )
        return posts

    async def post_sent(self, post_id: int, message_ids: list[int], now: datetime) -> None:
        await self.conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_ids = ?, error = NULL,"
            " attempts = attempts + 1 WHERE id = ?",
            (utc_text(now), ",".join(map(str, message_ids)), post_id),
        )

    async def post_retry(
        self, post_id: int, error: str, next_attempt: datetime, misses: int
    ) -> None:
        """Schedule another attempt; misses: looks for an earlier attempt that found nothing
        (kept in the column named uncertain)."""
        await self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ?, next_attempt_at = ?,"
            " uncertain = ? WHERE id = ?",
            (error, utc_text(next_attempt), misses, post_id),
        )

    async def post_failed(self, post_id: int, error: str) -> None:
        """Give up on a post, and on the rest of its batch, which would follow it."""
        await self.conn.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
            (error, post_id),
        )
        await self.conn.execute(
            "UPDATE outbox SET state = 'failed', error = 'not sent: an earlier part failed'"
            " WHERE state = 'pending' AND batch = (SELECT batch FROM outbox WHERE id = ?)"
            " AND seq > (SELECT seq FROM outbox WHERE id = ?)",
            (post_id, post_id),
        )

    # the bot's own messages in groups and channels ------------------------------------------

    async def newest_own_message(self, chat_id: int) -> int | None:
        row = await self._one(
            "SELECT max(message_id) FROM own_messages WHERE chat_id = ?", (chat_id,)
        )
        return int(row[0]) if row and row[0] is not None else None

    async def own_messages_after(self, chat_id: int, after: int) -> set[int]:
        rows = await self._all(
            "SELECT message_id FROM own_messages WHERE chat_id = ? AND message_id > ?",
            (chat_id, after),
        )
        return {int(row[0]) for row in rows}

    async def record_own_messages(self, chat_id: int, message_ids: Iterable[int]) -> None:
        await self.conn.executemany(
            "INSERT OR IGNORE INTO own_messages (chat_id, message_id) VALUES (?, ?)",
            [(chat_id, message_id) for message_id in message_ids],
        )

    async def open_send(self, chat_id: int, post_id: int | None) -> int:
        """Record a send about to start; the newest own message is where it can land after."""
        cur = await self.conn.execute(
            "INSERT INTO unconfirmed_sends (chat_id, since_id, post_id) VALUES (?,"
            " (SELECT coalesce(max(message_id), 0) FROM own_messages WHERE chat_id = ?), ?)"
            " RETURNING id",
            (chat_id, chat_id, post_id),
        )
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        return int(row[0])

    async def send_answered(self, send_id: int, chat_id: int, message_ids: list[int]) -> None:
        """Telegram answered a send with these messages; sends of unknown outcome before it
        landed, if at all, below them. A plain send is done with. An outbox post's stays in
        doubt until the outbox records the post sent (`post_placed`): if the bot dies in
        between, the post is looked for, and found, before it is sent again."""
        await self.conn.execute(
            "UPDATE unconfirmed_sends SET until_id = ?"
            " WHERE chat_id = ? AND until_id IS NULL AND id != ?",
            (min(message_ids), chat_id, send_id),
        )
        cur = await self.conn.execute(
            "DELETE FROM unconfirmed_sends WHERE id = ? AND post_id IS NULL", (send_id,)
        )
        plain = cur.rowcount == 1
        await cur.close()
        if plain:
            await self.record_own_messages(chat_id, message_ids)

    async def drop_send(self, send_id: int) -> None:
        """A send that certainly put nothing in the chat (Telegram refused it, or the request
        never reached it)."""
        await self.conn.execute("DELETE FROM unconfirmed_sends WHERE id = ?", (send_id,))

    async def unconfirmed_sends(self, chat_id: int) -> list[UnconfirmedSend]:
        rows = await self._all(
            "SELECT since_id, until_id, post_id FROM unconfirmed_sends WHERE chat_id = ?"
            " ORDER BY id",
            (chat_id,),
        )
        return [UnconfirmedSend(*row) for row in rows]

    async def post_placed(self, post_id: int, chat_id: int, message_ids: list[int]) -> None:
        """Where an outbox post is now known to be: its messages are the bot's own, and no
        attempt of it is in doubt any more."""
        await self.record_own_messages(chat_id, message_ids)
        await self.conn.execute("DELETE FROM unconfirmed_sends WHERE post_id = ?", (post_id,))

    # privacy ---------------------------------------------------------------------------------

    async def personal_records(self, telegram_id: int) -> list[dict[str, object]]:
        """Everything stored about one person, cohort by cohort (for /mydata)."""
        people = await self._all(
            "SELECT p.id, p.cohort, p.pseudonym, p.joined_at, c.given_at, c.notice_version"
            " FROM participants p LEFT JOIN consents c ON c.participant_id = p.id"
            " WHERE p.telegram_id = ? ORDER BY p.joined_at",
            (telegram_id,),
        )
        records = []
        for pid, cohort, pseudonym, joined, consented, version in people:
            responses = await self._all(
                "SELECT phase, started_at, submitted_at FROM responses WHERE participant_id = ?"
                f" ORDER BY {PHASE_ORDER}",
                (pid,),
            )
            answers = await self._all(
                "SELECT phase, question, value, answered_at FROM answers"
                f" WHERE participant_id = ? ORDER BY {PHASE_ORDER}, answered_at",
                (pid,),
            )
            deliveries = await self._all(
                "SELECT kind, sent_at FROM deliveries WHERE participant_id = ?", (pid,)
            )
            opted_out = await self._one(
                "SELECT opted_out_at FROM follow_up_opt_outs WHERE participant_id = ?", (pid,)
            )
            records.append(
                {
                    "cohort": cohort,
                    "pseudonym": pseudonym,
                    "joined_at": joined,
                    "consented_at": consented,
                    "notice_version": version,
                    "responses": [tuple(r) for r in responses],
                    "answers": [tuple(a) for a in answers],
                    "deliveries": [tuple(d) for d in deliveries],
                    "follow_up_opted_out_at": opted_out[0] if opted_out else None,
                }
            )
        return records

    async def erase_person(self, telegram_id: int) -> tuple[int, int]:
        """Delete everything about one person; returns (cohorts, answers) erased."""
        row = await self._one(
            "SELECT count(DISTINCT p.id), count(a.question) FROM participants p"
            " LEFT JOIN answers a ON a.participant_id = p.id WHERE p.telegram_id = ?",
            (telegram_id,),
        )
        # ON DELETE CASCADE takes consents, responses, answers (the follow-up's too),
        # deliveries and follow-up opt-outs along.
        await self.conn.execute("DELETE FROM participants WHERE telegram_id = ?", (telegram_id,))
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def erase_participation(self, participant_id: int) -> None:
        """Delete one participation (one cohort) and everything hanging off it."""
        await self.conn.execute("DELETE FROM participants WHERE id = ?", (participant_id,))

    async def purge_cohorts_ended_before(self, cutoff: datetime) -> int:
        """Delete the participants (and so the answers) of cohorts that ended before cutoff."""
        cur = await self.conn.execute(
            "DELETE FROM participants WHERE cohort IN (SELECT code FROM cohorts WHERE end_at < ?)",
            (utc_text(cutoff),),
        )
        deleted = cur.rowcount
        await cur.close()
        return int(deleted)


@dataclass(frozen=True)
class UnconfirmedSend:
    """A send to a group or channel that may have put a message of the bot's in the chat."""

    since_id: int
    until_id: int | None
    post_id: int | None


@dataclass(frozen=True)
class PostContent:
    """One message (text), one album (photos) or one file (document) of a batch: what the
    outbox stores of a post, and sends."""

    kind: str  # "text" | "photos" | "document"
    body: str  # the HTML text, or the caption of the album's first photo or of the file
    files: list[tuple[str, bytes]]
    marker: str | None = None  # callback data of the text's export button


@dataclass(frozen=True)
class OutboxRow:
    id: int
    batch: str
    seq: int
    chat_id: int
    kind: str
    body: str
    marker: str | None
    attempts: int
    uncertain: int
    files: list[tuple[str, bytes]]


class Database:
    """The application's single connection, with a lock that keeps units of work apart."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Database:
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
            await conn.execute("PRAGMA busy_timeout = 5000")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A write transaction: committed on success, rolled back on any error."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A consistent read: one deferred transaction, so the reads see one snapshot."""
        async with self._lock:
            await self._conn.execute("BEGIN")
            try:
                yield Tx(self._conn)
            finally:
                await self._conn.execute("COMMIT")
