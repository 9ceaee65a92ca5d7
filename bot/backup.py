"""An online backup of the database, consistent while the bot runs and writes to it.

The database is in WAL mode: recent commits may live only in the `-wal` file, so copying
the main file is not a backup. SQLite's backup API reads one consistent snapshot instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from core.storage import DatabaseUnavailable, unavailable


def backup_database(source: Path, out: Path) -> int:
    """Copy `source` to `out` (replaced atomically, owner-only); return the page count.

    The copy is a single self-contained file (rollback journal, not WAL) that has passed
    `PRAGMA integrity_check`.
    """
    if not source.is_file():
        raise DatabaseUnavailable(source, "no such database file; check bot.database")
    if out.resolve() == source.resolve():
        raise DatabaseUnavailable(source, "the backup must not overwrite the database itself")
    partial = out.with_name(f".{out.name}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        # mode=rw: never create an empty database where the real one was expected.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
        try:
            src.execute("PRAGMA busy_timeout = 5000")
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one snapshot, never a mix
                dst.execute("PRAGMA journal_mode = DELETE")
                result = dst.execute("PRAGMA integrity_check").fetchone()[0]
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
        if result != "ok":
            raise DatabaseUnavailable(source, f"the copy failed its integrity check: {result}")
        os.replace(partial, out)
    except (OSError, sqlite3.Error) as exc:
        raise unavailable(source, exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return pages
