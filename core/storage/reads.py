"""Reads for the tools that run beside the bot (report, export, import, the cohort commands).

Synchronous, in one snapshot on a connection of their own that never blocks the bot's
writes: the command line calls them directly and the bot from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from core.storage.cohorts import STORED_COHORTS_SQL
from core.storage.errors import NotSetUp
from core.storage.rows import StoredCohortRow, parse_utc
from core.storage.schedule import placeholders, respondents_sql
from core.storage.target import Postgres, Target

# (cohort, phase) → when an admin's /open or /close says it opens and closes.
WindowOverrides = dict[tuple[str, str], tuple[datetime, datetime | None]]


class Snapshot(Protocol):
    """Reads of one engine, all in one snapshot."""

    def all(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def value(self, query: str, params: Sequence[object] = ()) -> object: ...

    def stream(
        self, query: str, params: Sequence[object] = (), batch: int = 10_000
    ) -> Iterator[tuple[Any, ...]]: ...

    def layout(self, table: str) -> tuple[list[str], list[str]]: ...

    def version(self) -> int: ...


@contextmanager
def snapshot(target: Target) -> Iterator[Snapshot]:
    """Read-only access to `target` in one snapshot. NotSetUp: no tables of the bot there;
    DatabaseUnavailable: it cannot be read."""
    if isinstance(target, Postgres):
        from core.storage import postgres

        with postgres.snapshot(target) as pg:
            yield pg
    else:
        from core.storage import sqlite

        with sqlite.snapshot(target) as lite:
            yield lite


def exists(target: Target) -> bool:
    """Whether there is a database to read: an SQLite file, or any PostgreSQL database (one
    that cannot be reached says so when it is read)."""
    return isinstance(target, Postgres) or target.is_file()


def respondents_in(target: Target, cohorts: Sequence[str]) -> int:
    """`Status.respondents`, read without the bot (`report`); 0 for a database not set up."""
    try:
        with snapshot(target) as db:
            count = db.value(respondents_sql(cohorts), tuple(cohorts))
    except NotSetUp:
        return 0
    assert isinstance(count, int)
    return count


def stored_cohort_rows(target: Target) -> list[StoredCohortRow]:
    """The stored cohorts, read without the bot (command line, analysis); none if no database."""
    if not exists(target):
        return []
    try:
        with snapshot(target) as db:
            return [StoredCohortRow(*row) for row in db.all(STORED_COHORTS_SQL)]
    except NotSetUp:
        return []  # a database from before stored cohorts, or not set up: it has none


def window_overrides(target: Target) -> WindowOverrides:
    """Admins' /open and /close of every cohort; none for a database not set up yet."""
    if not exists(target):
        return {}
    try:
        with snapshot(target) as db:
            rows = db.all("SELECT cohort, phase, opens_at, closes_at FROM windows")
    except NotSetUp:
        return {}
    return {
        (cohort, phase): (parse_utc(opens), parse_utc(closes) if closes else None)
        for cohort, phase, opens, closes in rows
    }


def long_rows(target: Target, cohorts: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Every answer of `cohorts` as (pseudonym, cohort, site, module, phase, question, value,
    answered_at), streamed in (cohort, pseudonym) order; each participant's answers together,
    in no particular order among themselves."""
    codes = list(cohorts)
    with snapshot(target) as db:
        # Walking participants in (cohort, pseudonym) order — their unique index — and
        # each one's answers by primary key avoids sorting millions of rows.
        yield from db.stream(
            "SELECT p.pseudonym, p.cohort, c.site, c.module, a.phase, a.question,"
            " a.value, a.answered_at"
            " FROM participants p JOIN answers a ON a.participant_id = p.id"
            " JOIN cohorts c ON c.code = p.cohort"
            f" WHERE p.cohort IN ({placeholders(codes)}) ORDER BY p.cohort, p.pseudonym",
            codes,
        )


def follow_up_rows(
    target: Target,
    cohorts: Sequence[str],
    tracked: Sequence[str],
    own: Sequence[str],
    phase: str,
    push_kind: str,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The follow-up's people and answers, in one snapshot: (participant, cohort, asked,
    submitted) of everyone in `cohorts`, asked when the follow-up (`phase`) was pushed to
    them (`push_kind`) or, imported from paper, they submitted post; and (participant,
    cohort, phase, question, value) of the follow-up's `own` questions and of the `tracked`
    items in every phase."""
    codes = list(cohorts)
    in_scope = f"p.cohort IN ({placeholders(codes)})"
    with snapshot(target) as db:
        people = db.all(
            "SELECT p.id, p.cohort,"
            " EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id AND d.kind = ?)"
            " OR (p.telegram_id IS NULL AND EXISTS (SELECT 1 FROM responses r"
            "   WHERE r.participant_id = p.id AND r.phase = 'post'"
            "   AND r.submitted_at IS NOT NULL)),"
            " EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = ? AND r.submitted_at IS NOT NULL)"
            f" FROM participants p WHERE {in_scope}",
            [push_kind, phase, *codes],
        )
        rows = db.all(
            "SELECT a.participant_id, p.cohort, a.phase, a.question, a.value FROM answers a"
            f" JOIN participants p ON p.id = a.participant_id WHERE {in_scope}"
            f" AND ((a.phase = ? AND a.question IN ({placeholders(own)}))"
            f"   OR (a.phase IN ('pre', 'post') AND a.question IN ({placeholders(tracked)})))",
            [*codes, phase, *own, *tracked],
        )
    return people, rows
