"""`feedback-bot backup`: an online backup of the database, consistent while the bot runs
and writes to it.

The database is in WAL mode: recent commits may live only in the `-wal` file, so copying
the main file is not a backup. SQLite's backup API reads one consistent snapshot instead.

Errors name what they are about: the database (DatabaseUnavailable, exit status 5) or the
backup's own path (OutputRefused, exit status 2). An existing file is never replaced unless
the user said `--force`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.exits import ExitStatus
from cli.options import command, with_config
from core.config import Config
from core.outputs import OutputRefused, check_new_file, ensure_folder, why_not
from core.storage import DatabaseUnavailable, Postgres
from core.storage.sqlite import backup_sqlite


def register(subparsers: Any) -> None:
    """Add `backup` to the `feedback-bot` parser."""
    backup = command(
        subparsers,
        "backup",
        cmd_backup,
        help="copy the database safely, even while the bot is running",
        description="Copy an SQLite bot.database with SQLite's online backup API into one "
        "self-contained, owner-only file, checked with PRAGMA integrity_check before it is "
        "moved into place. --out names a new file, or a folder (ending in /, or one that "
        "exists) to write feedback-<UTC time>.db into. An existing file is never "
        "overwritten without --force. For PostgreSQL it says how to use pg_dump.",
    )
    backup.add_argument(
        "--out", required=True, help="backup file to write, or a folder to write one into"
    )
    backup.add_argument(
        "--force", action="store_true", help="overwrite --out if that file already exists"
    )


@with_config
def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    """Copy the database consistently, even while the bot runs and writes to it."""
    if isinstance(config.bot.database, Postgres):
        print(
            f"backup: bot.database is PostgreSQL; back it up with pg_dump, e.g. pg_dump "
            f"--format=custom --file=feedback-$(date -u +%Y%m%dT%H%M%SZ).dump "
            f"'{config.bot.database}' (README: Backups)",
            file=sys.stderr,
        )
        return ExitStatus.USAGE
    try:
        out, pages = backup_database(config.bot.database, args.out, force=args.force)
    except DatabaseUnavailable as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return ExitStatus.DATABASE
    except OutputRefused as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"backed up {config.bot.database} to {out} ({pages} pages); integrity check ok")
    return ExitStatus.OK


def backup_path(out: str | Path, now: datetime) -> Path:
    """The file `--out` names: itself, or a timestamped file inside it when it is a folder
    (one that exists, or any path written with a trailing slash)."""
    text = str(out)
    folder = text.endswith(("/", os.sep)) or Path(text).is_dir()
    path = Path(text)
    if folder:
        return path / f"feedback-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.db"
    return path


def backup_database(
    source: Path, out: str | Path, *, force: bool = False, now: datetime | None = None
) -> tuple[Path, int]:
    """Copy `source` into the file `--out` names (owner-only, moved into place only when
    complete and checked); return that file and its page count.

    The copy is a single self-contained file (rollback journal, not WAL) that has passed
    `PRAGMA integrity_check`.
    """
    if not source.is_file():
        raise DatabaseUnavailable(source, "no such database file; check bot.database")
    target = backup_path(out, now or datetime.now(UTC))
    if target.resolve() == source.resolve():
        raise OutputRefused(f"--out {target} is the database itself; choose another path")
    check_new_file(target, force)
    ensure_folder(target.parent, "the folder")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    except OSError as exc:
        raise OutputRefused(f"cannot write the backup {target}: {why_not(partial, exc)}") from None
    try:
        result, pages = backup_sqlite(source, target, partial)
        if result != "ok":
            raise DatabaseUnavailable(source, f"the copy failed its integrity check: {result}")
        _place(partial, target, force)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return target, pages


def _place(partial: Path, target: Path, force: bool) -> None:
    """Move the finished copy to `target`; without `force`, never over an existing file."""
    try:
        if force:
            os.replace(partial, target)
            return
        try:
            os.link(partial, target)  # fails if `target` appeared meanwhile
        except FileExistsError:
            raise OutputRefused(
                f"--out {target} appeared while the backup ran; nothing was overwritten"
            ) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise OutputRefused(f"--out {target} already exists; nothing was written") from None
            os.replace(partial, target)
    except OSError as exc:
        raise OutputRefused(f"cannot write the backup {target}: {why_not(target, exc)}") from None
