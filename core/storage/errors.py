"""The one error the storage layer raises for a database it cannot use, in an operator's words."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.storage.target import Target


class DatabaseUnavailable(Exception):
    """The database cannot be created, opened, written or understood (or reached)."""

    def __init__(self, target: Target, reason: str) -> None:
        super().__init__(f"database {target}: {reason}")
        self.target = target
        self.reason = reason


class NotSetUp(Exception):
    """The database has no tables of the bot yet (a read finds none: nothing stored)."""


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


def is_database_error(exc: BaseException) -> bool:
    """An error of either engine's driver, one the storage layer did not put in words."""
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.partition(".")[0] == "psycopg"
