"""`feedback-bot backup` while the bot runs: a consistent copy with everything committed."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from bot.exits import ExitStatus
from bot.screens import participant as screens
from cli.main import main
from conftest import Harness, write_config
from core.storage import prepare_file

ALICE = 1001
BOB = 1002


async def backup(config: Path, out: Path) -> tuple[int, str]:
    """The real command, in its own process, as an operator or a cron job would run it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "backup",
        "--config",
        str(config),
        "--out",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, output.decode()


def wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def read(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


async def test_backup_mid_questionnaire(bot: Harness, tmp_path: Path) -> None:
    for user in (ALICE, BOB):
        await bot.send(user, "/start RS-LDN-0314")
        await bot.tap(user, screens.AGREE)
    await bot.tap(ALICE, "Education")
    await bot.tap(ALICE, "Clinician")
    await bot.tap(BOB, "Commissioning")
    db = bot.config.bot.database
    # The answers so far are committed but still only in the write-ahead log: a plain
    # file copy would not have them.
    assert wal_size(db) > 0

    out = tmp_path / "backups" / "feedback-backup.db"
    # Bob keeps answering while the backup runs.
    (code, output), _ = await asyncio.gather(
        backup(bot.config.path, out), bot.tap(BOB, "Clinician")
    )
    assert code == ExitStatus.OK, output
    assert "integrity check ok" in output

    assert read(out, "PRAGMA integrity_check") == [("ok",)]
    assert read(out, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert wal_size(out) == 0
    answers = read(
        out,
        "SELECT p.telegram_id, a.question, a.value FROM answers a"
        " JOIN participants p ON p.id = a.participant_id ORDER BY 1, 2",
    )
    alice = [(q, v) for uid, q, v in answers if uid == ALICE]
    bob = [(q, v) for uid, q, v in answers if uid == BOB]
    assert alice == [("role", "Clinician"), ("sector", "Education")]
    assert ("sector", "Commissioning") in bob  # committed before the backup began
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # it holds what the database holds

    # The bot never noticed: Alice carries on.
    await bot.tap(ALICE, "3")
    assert "Question 4 of 5" in bot.text(ALICE)


async def test_backup_of_a_missing_database_changes_nothing(bot: Harness, tmp_path: Path) -> None:
    config = bot.config.path
    moved = tmp_path / "elsewhere.toml"
    moved.write_text(
        config.read_text().replace('database = "feedback.db"', 'database = "nothing-here.db"')
    )
    out = tmp_path / "b.db"
    code, output = await backup(moved, out)
    assert code == ExitStatus.DATABASE
    assert len(output.strip().splitlines()) == 1
    assert "no such database file" in output
    assert not (tmp_path / "nothing-here.db").exists()  # not created as a side effect
    assert not out.exists()


def test_backup_into_a_folder_and_never_over_a_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    prepare_file(tmp_path / "feedback.db")
    args = ["backup", "--config", str(config), "--out"]

    # A folder (new, named with a trailing slash): a timestamped file inside it.
    assert main([*args, f"{tmp_path / 'backups'}/"]) == ExitStatus.OK
    [made] = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"feedback-\d{8}T\d{6}Z\.db", made.name)
    assert read(made, "PRAGMA integrity_check") == [("ok",)]
    assert f"to {made} (" in capsys.readouterr().out

    # Someone's file: left alone, and the message is about it, not about the database.
    theirs = tmp_path / "theirs.db"
    theirs.write_bytes(b"someone's own file")
    assert main([*args, str(theirs)]) == ExitStatus.USAGE
    err = capsys.readouterr().err.strip()
    assert err == (
        f"backup failed: --out {theirs} already exists; nothing was written. Add --force to "
        "overwrite it, or choose another path"
    )
    assert theirs.read_bytes() == b"someone's own file"
    assert main([*args, str(theirs), "--force"]) == ExitStatus.OK
    assert read(theirs, "PRAGMA integrity_check") == [("ok",)]

    # A path under a regular file cannot be made: one line naming that file.
    assert main([*args, str(theirs / "x.db")]) == ExitStatus.USAGE
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"backup failed: cannot write --out {theirs / 'x.db'}: {theirs} is a file, not a folder"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("feedback.db")) == [
        "backups",
        "config.toml",
        "theirs.db",
    ]
