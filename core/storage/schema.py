"""The schema: one ordered list of migrations, the only place a table is defined.

Index + 1 is the schema version a migration leads to. Never edit a released entry; append
a new one. `schema_migrations` records which have run, so migrating is safe at every start.
"""

from __future__ import annotations

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
)

SCHEMA_VERSION = len(MIGRATIONS)
