"""What `feedback-bot demo` writes, marked as its own so that `--fresh` deletes nothing else.

The demo writes only into a new or empty folder and a new database. In the folder it keeps a
marker file, `.feedback-bot-demo`, listing every file it wrote with its SHA-256; in the
database a mark (`written_by = feedback-bot demo`, core.storage's `marks`). `--fresh`
deletes exactly those files, unchanged since the demo wrote them, and a database carrying
the mark; anything else makes it stop with one line naming the path, having deleted nothing.
It never removes a folder it did not make, and a folder it made only when it is empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from core.outputs import OutputRefused, check_folder, folder_problem
from core.periods import period_containing
from core.storage import Postgres, Target
from core.storage.manage import drop_tables, filled_tables, read_mark

MARKER = ".feedback-bot-demo"
DB_MARK = ("written_by", "feedback-bot demo")
WAL_FILES = ("-wal", "-shm")

CODE = "RS-DEMO-0314"  # the live cohort
LIVE_DAY = date(2026, 3, 14)
PERIODS = "quarterly"  # of the module's reports, with --cohorts 3


def module_report_file(live_day: date) -> str:
    """The name of the quarterly report's file (analysis.posts names it by its period)."""
    quarter = period_containing(live_day, PERIODS)
    return f"report-risk-support-{quarter.first.isoformat()}-{quarter.last.isoformat()}.html"


# The files the demo writes at the top of its folder (charts/ and transcripts/ hold more).
REPORT_FILE = f"report-{CODE}.html"
FOLLOW_UP_REPORT_FILE = f"report-{CODE}-follow-up.html"
MODULE_REPORT_FILE = module_report_file(LIVE_DAY)
WRITES = (
    "config.toml",
    "channel.md",
    REPORT_FILE,
    FOLLOW_UP_REPORT_FILE,
    MODULE_REPORT_FILE,
    f"{CODE}-answers.csv",
    f"{CODE}-answers.xlsx",
)


class DemoRefused(Exception):
    """The demo will not run as asked; `str()` is the one line to show (exit status 2)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same(path: Path, digest: str) -> bool:
    """A plain file (not a link) with the content the demo wrote."""
    return path.is_file() and not path.is_symlink() and _sha256(path) == digest


def database_files(database: Path) -> list[Path]:
    """The database and the -wal and -shm files SQLite keeps beside it, those that exist."""
    paths = [database, *(database.with_name(database.name + x) for x in WAL_FILES)]
    return [p for p in paths if p.exists() or p.is_symlink()]


def is_demo_database(database: Target) -> bool:
    return read_mark(database, DB_MARK[0]) == DB_MARK[1]


@dataclass
class DemoFolder:
    """The demo's output folder and the record of what the demo wrote into it."""

    folder: Path
    files: dict[str, str] = field(default_factory=dict)  # relative name → SHA-256

    @property
    def marker(self) -> Path:
        return self.folder / MARKER

    @classmethod
    def read(cls, folder: Path) -> DemoFolder | None:
        """The record in `folder`, or None when the folder carries no (readable) marker."""
        marker = folder / MARKER
        if not marker.is_file() or marker.is_symlink():
            return None
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            files = {str(k): str(v) for k, v in data["files"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if data.get("written_by") != DB_MARK[1]:
            return None
        return cls(folder, files)

    def path(self, name: str) -> Path:
        """A recorded name as a path inside the folder; never anything outside it."""
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            raise DemoRefused(f"{self.marker} names {name!r}, which is not inside {self.folder}")
        return self.folder.joinpath(*parts)

    def save(self) -> None:
        """Write the marker (first of all, so that even an interrupted demo is marked)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {
            "written_by": DB_MARK[1],
            "note": "Written by `feedback-bot demo`: `demo --fresh` deletes the files listed "
            "here (if unchanged) and nothing else.",
            "files": self.files,
        }
        partial = self.folder / f"{MARKER}.partial"
        partial.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, self.marker)

    def write(self, name: str, data: bytes) -> Path:
        """Write a new file (never over an existing one) and record it."""
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "xb") as handle:
                handle.write(data)
        except FileExistsError:
            raise OutputRefused(f"{path} is in the way; the demo does not overwrite it") from None
        self.files[name] = hashlib.sha256(data).hexdigest()
        self.save()
        return path

    def changed(self) -> list[Path]:
        """Recorded files that are no longer what the demo wrote: another content, not a
        plain file, a link, or reached through a link out of the folder."""
        inside = self.folder.resolve()
        paths = [(self.path(name), digest) for name, digest in self.files.items()]
        return [
            path
            for path, digest in paths
            if (path.exists() or path.is_symlink())
            and not (path.resolve().is_relative_to(inside) and _same(path, digest))
        ]

    def present(self) -> list[Path]:
        return [p for p in (self.path(n) for n in self.files) if p.exists()]

    def clear(self) -> int:
        """Delete the recorded files, then folders they leave empty, then the marker."""
        deleted = 0
        for path in self.present():
            path.unlink()
            deleted += 1
        folders = {self.path(n).parent for n in self.files} - {self.folder}
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: someone else's files stay
                folder.rmdir()
        self.marker.unlink()
        self.files = {}
        return deleted


@dataclass(frozen=True)
class Cleared:
    """What `--fresh` deleted."""

    files: int
    database: bool


def prepare(folder: Path, database: Target, fresh: bool, writes: tuple[str, ...]) -> Cleared:
    """Check that the demo may write to `folder` and `database`; with `fresh`, delete what an
    earlier demo wrote there first. `writes`: the names the demo will write in the folder.

    Raises DemoRefused (having deleted nothing) when the folder or the database holds
    anything a demo did not write, or when they hold an earlier demo and `fresh` is not set.
    A PostgreSQL database is new when none of the bot's tables holds a row.
    """
    if folder.exists() and not folder.is_dir():
        raise DemoRefused(f"--out {folder} is a file, not a folder")
    check_folder(folder)
    db_files: list[Path] = []
    if isinstance(database, Postgres):
        db_used = bool(filled_tables(database))
        held = "already holds data"
    else:
        if database.is_dir():
            raise DemoRefused(f"--db {database} is a folder; expected a database file name")
        problem = folder_problem(database.parent)
        if problem is not None:
            raise DemoRefused(f"cannot write --db {database}: {problem}")
        db_files = database_files(database)
        db_used = bool(db_files)
        held = "already exists"
    db_is_demo = db_used and is_demo_database(database)
    record = DemoFolder.read(folder) if folder.is_dir() else None
    entries = [p for p in folder.iterdir() if p not in db_files] if folder.is_dir() else []
    ours = {record.marker, *record.present()} if record else set()
    others = [p for p in entries if p not in ours]
    if not fresh:
        if record is not None and entries:
            raise DemoRefused(
                f"{folder} already holds an earlier demo; add --fresh to delete what that "
                "demo wrote and start again, or choose another --out"
            )
        if entries:
            raise DemoRefused(
                f"--out {folder} already holds files that no demo wrote; choose a new or "
                "empty folder"
            )
        if db_used:
            what = "an earlier demo's database" if db_is_demo else "a database no demo wrote"
            hint = "add --fresh to delete it and start again, or " if db_is_demo else ""
            raise DemoRefused(f"--db {database} {held} ({what}); {hint}choose another --db")
        return Cleared(0, False)
    if others and record is None:
        raise DemoRefused(
            f"--fresh refused: {folder} holds files that no demo wrote (it has no {MARKER}); "
            "nothing was deleted. Choose a new or empty folder for --out"
        )
    if db_used and not db_is_demo:
        option = "--out" if isinstance(database, Path) and database.parent == folder else "--db"
        raise DemoRefused(
            f"--fresh refused: {database} is not a database the demo wrote (it carries no "
            f"demo mark); nothing was deleted. Choose another {option}"
        )
    if record is not None:
        changed = record.changed()
        if changed:
            raise DemoRefused(
                f"--fresh refused: {changed[0]} changed since the demo wrote it; nothing was "
                "deleted. Move it away first, or choose another --out"
            )
        in_the_way = [name for name in writes if (folder / name).exists()]
        in_the_way = [n for n in in_the_way if folder / n not in ours]
        if in_the_way:
            raise DemoRefused(
                f"--fresh refused: {folder / in_the_way[0]} was not written by the demo, "
                "which would write that name; nothing was deleted. Move it away first"
            )
    deleted = record.clear() if record is not None else 0
    if db_used and isinstance(database, Postgres):
        drop_tables(database)  # the demo's own tables: it carries the demo's mark
    for path in db_files:
        path.unlink()
    return Cleared(deleted, db_used)
