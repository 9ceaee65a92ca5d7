"""What only an SQLite file has: its mode, and databases from before a migration.

(PostgreSQL runs the same migrations from an empty database; `test_postgres.py` checks the
two engines end with the same schema.)
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from conftest import Harness
from core.storage import MIGRATIONS, migrate


async def test_database_file_is_private(bot: Harness) -> None:
    mode = stat.S_IMODE(os.stat(bot.config.bot.database).st_mode)
    assert mode & 0o077 == 0


def test_outbox_migration_keeps_queued_posts_and_allows_documents(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:  # a database from before documents could be posted
        conn.executescript(migration.sqlite)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    conn.executemany("INSERT INTO schema_migrations VALUES (?, 'then')", [(1,), (2,)])
    conn.execute(
        "INSERT INTO outbox (batch, seq, chat_id, kind, body, next_attempt_at, created_at)"
        " VALUES ('summary:X', 1, -1, 'photos', 'Charts', 'now', 'now')"
    )
    conn.execute("INSERT INTO outbox_files VALUES (1, 0, 'a.png', x'89504e47')")
    conn.commit()
    migrate(conn)
    assert conn.execute("SELECT batch, kind, state FROM outbox").fetchall() == [
        ("summary:X", "photos", "pending")
    ]
    assert conn.execute("SELECT name FROM outbox_files WHERE outbox_id = 1").fetchall() == [
        ("a.png",)
    ]
    conn.execute(
        "INSERT INTO outbox (batch, seq, chat_id, kind, body, next_attempt_at, created_at)"
        " VALUES ('summary:X', 2, -1, 'document', 'Report', 'now', 'now')"
    )
    conn.commit()
    conn.execute("PRAGMA foreign_keys = ON")  # a no-op inside a transaction
    conn.execute("DELETE FROM outbox WHERE id = 1")  # the files still belong to their post
    assert conn.execute("SELECT count(*) FROM outbox_files").fetchone() == (0,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_migration_keeps_what_the_outbox_knew(tmp_path: Path) -> None:
    """A database from before the ledger: its cursors, a post in doubt, a stalled batch."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:4]:
        conn.executescript(migration.sqlite)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    conn.executemany("INSERT INTO schema_migrations VALUES (?, 'then')", [(1,), (2,), (3,), (4,)])
    conn.execute("INSERT INTO chat_cursors VALUES (-100, 7)")
    rows = [
        ("summary:A", 0, "sent", 0),
        ("summary:A", 1, "pending", 1),  # timed out before the upgrade: may be in the chat
        ("summary:B", 0, "failed", 0),
        ("summary:B", 1, "pending", 0),  # behind a refused part: can never go out
    ]
    for batch, seq, state, uncertain in rows:
        conn.execute(
            "INSERT INTO outbox (batch, seq, chat_id, kind, body, state, uncertain,"
            " next_attempt_at, created_at) VALUES (?, ?, -100, 'text', 'x', ?, ?, 'now', 'now')",
            (batch, seq, state, uncertain),
        )
    conn.commit()
    migrate(conn)
    assert conn.execute("SELECT chat_id, message_id FROM own_messages").fetchall() == [(-100, 7)]
    doubt = conn.execute("SELECT chat_id, since_id, until_id, post_id FROM unconfirmed_sends")
    assert doubt.fetchall() == [(-100, 7, None, 2)]
    states = conn.execute("SELECT batch, seq, state FROM outbox ORDER BY id").fetchall()
    assert states == [
        ("summary:A", 0, "sent"),
        ("summary:A", 1, "pending"),
        ("summary:B", 0, "failed"),
        ("summary:B", 1, "failed"),
    ]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "chat_cursors" not in tables
    conn.close()
