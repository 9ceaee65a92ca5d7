"""Reads for the tools that run beside the bot (report, export, import, the cohort commands).

Synchronous, on a connection of their own that never blocks the bot's writes: the command
line calls them directly and the bot from a worker thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from core.storage.cohorts import STORED_COHORTS_SQL
from core.storage.errors import unavailable
from core.storage.rows import StoredCohortRow, parse_utc
from core.storage.schedule import placeholders, respondents_sql
from core.storage.sqlite import connect_read_only

# (cohort, phase) → when an admin's /open or /close says it opens and closes.
WindowOverrides = dict[tuple[str, str], tuple[datetime, datetime | None]]

LONG_BATCH = 10_000


def respondents_in(path: Path, cohorts: Sequence[str]) -> int:
    """`Status.respondents`, read without the bot (`report`); 0 for a database not set up."""
    conn = connect_read_only(path)
    try:
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
    conn = connect_read_only(path)
    try:
        rows = conn.execute(STORED_COHORTS_SQL).fetchall()
    except sqlite3.OperationalError:
        return []  # a database from before stored cohorts: it has none
    finally:
        conn.close()
    return [StoredCohortRow(*row) for row in rows]


def window_overrides(path: Path) -> WindowOverrides:
    """Admins' /open and /close of every cohort; none for a database not set up yet."""
    if not path.exists():
        return {}
    conn = connect_read_only(path)
    try:
        rows = conn.execute("SELECT cohort, phase, opens_at, closes_at FROM windows").fetchall()
    except sqlite3.OperationalError:
        return {}  # a database the bot has not set up yet: no overrides
    finally:
        conn.close()
    return {
        (cohort, phase): (parse_utc(opens), parse_utc(closes) if closes else None)
        for cohort, phase, opens, closes in rows
    }


def long_rows(path: Path, cohorts: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Every answer of `cohorts` as (pseudonym, cohort, site, module, phase, question, value,
    answered_at), streamed in (cohort, pseudonym) order; each participant's answers together,
    in no particular order among themselves."""
    codes = list(cohorts)
    conn = connect_read_only(path)
    try:
        # Walking participants in (cohort, pseudonym) order — their unique index — and
        # each one's answers by primary key avoids sorting millions of rows.
        cursor = conn.execute(
            "SELECT p.pseudonym, p.cohort, c.site, c.module, a.phase, a.question,"
            " a.value, a.answered_at"
            " FROM participants p JOIN answers a ON a.participant_id = p.id"
            " JOIN cohorts c ON c.code = p.cohort"
            f" WHERE p.cohort IN ({placeholders(codes)}) ORDER BY p.cohort, p.pseudonym",
            codes,
        )
        while batch := cursor.fetchmany(LONG_BATCH):
            yield from batch
    finally:
        conn.close()
