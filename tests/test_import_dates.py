"""`import` refuses answers dated where their cohort cannot have given them."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.main import main
from core.config import load_config
from core.storage import Database
from report_data import SEED, write_config

# Pre opens 14 days before the start (28 Feb 09:30); post closes 7 days after the end
# (21 Mar 16:30), so answers are plausible until 20 Apr 16:30 (30 days later).
HEADER = "participant,cohort,phase,question,value,answered_at\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, [SEED], timezone="UTC")


def answers_in(tmp_path: Path) -> int:
    database = tmp_path / "feedback.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM answers").fetchone()[0])


def write_csv(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


IMPLAUSIBLE = (
    "A,RS-SEED-2017,pre,conf_support,4,2017-03-01T10:00:00+00:00\n"  # fine
    "A,RS-SEED-2017,post,conf_support,5,2018-03-21T10:00:00+00:00\n"  # a year late
    "B,RS-SEED-2017,pre,conf_support,3,2017-02-27T10:00:00+00:00\n"  # before pre opened
    "B,RS-SEED-2017,post,conf_support,4,\n"  # undated: the cohort's end is used
    "C,RS-SEED-2017,post,relevance,4,2099-01-01T10:00:00+00:00\n"  # in the future
)


def test_implausible_dates_are_listed_by_line_and_nothing_is_imported(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path, IMPLAUSIBLE)
    assert main(["import", "--config", str(config), str(source)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{source}: 3 problem(s); nothing was imported:",
        "  line 3: answered_at 2018-03-21T10:00+00:00 is more than 30 days after the "
        "post-module questionnaire of RS-SEED-2017 closed (2017-03-21T16:30+00:00)",
        "  line 4: answered_at 2017-02-27T10:00+00:00 is before the pre-module questionnaire "
        "of RS-SEED-2017 opened (2017-02-28T09:30+00:00)",
        "  line 6: answered_at 2099-01-01T10:00+00:00 is in the future",
        "If those dates are right, import again with --allow-dates-outside-window.",
    ]
    assert answers_in(tmp_path) == 0


def test_allow_dates_outside_window_imports_them(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path, IMPLAUSIBLE)
    command = ["import", "--config", str(config), str(source), "--allow-dates-outside-window"]
    assert main(command) == 0
    assert capsys.readouterr().out == (
        f"{source}: 5 answer(s) of 3 participant(s): 5 added, 0 unchanged, 0 replaced.\n"
    )
    assert answers_in(tmp_path) == 5


@pytest.mark.parametrize(
    ("answered_at", "accepted"),
    [
        ("2017-02-28T09:30:00+00:00", True),  # the moment the pre questionnaire opens
        ("2017-02-28T09:29:00+00:00", False),
        ("2017-04-20T16:30:00+00:00", True),  # 30 days after the post one closes
        ("2017-04-20T16:31:00+00:00", False),
        ("2017-04-20T17:31:00+01:00", False),  # the same moment, written in BST
        ("2017-04-20T16:30:00", True),  # no offset: read in the configured zone (UTC)
    ],
)
def test_the_window_and_its_margin(
    config: Path, tmp_path: Path, answered_at: str, accepted: bool
) -> None:
    source = write_csv(tmp_path, f"A,RS-SEED-2017,post,relevance,4,{answered_at}\n")
    assert main(["import", "--config", str(config), str(source)]) == (0 if accepted else 2)
    assert answers_in(tmp_path) == (1 if accepted else 0)


def test_an_admins_stored_window_widens_what_is_plausible(config: Path, tmp_path: Path) -> None:
    """An admin kept the post questionnaire open with /open: answers then are real."""
    source = write_csv(tmp_path, "A,RS-SEED-2017,post,relevance,4,2017-06-01T10:00:00+00:00\n")
    assert main(["import", "--config", str(config), str(source)]) == 2

    async def admin_reopened_post() -> None:
        cohort = load_config(config).cohorts["RS-SEED-2017"]
        db = await Database.open(tmp_path / "feedback.db")
        try:
            async with db.write() as tx:
                await tx.upsert_cohort(
                    cohort.code, cohort.module, cohort.site, cohort.start, cohort.end
                )
                opened = datetime(2017, 5, 20, tzinfo=UTC)
                await tx.set_window(cohort.code, "post", opened, None, 999, opened)
        finally:
            await db.close()

    asyncio.run(admin_reopened_post())
    assert main(["import", "--config", str(config), str(source)]) == 0
    assert answers_in(tmp_path) == 1
