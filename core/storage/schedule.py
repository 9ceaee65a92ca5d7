"""A cohort's schedule as stored: admins' changes to when its questionnaires are open, the
lifecycle events already carried out, what each participant has been sent, and the counts
that /status and the summaries ask for; each module's scheduled reports; and the
follow-up (who may be asked, who said no)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.storage.rows import utc_text
from core.storage.sql import Sql


def placeholders(values: Sequence[object]) -> str:
    """`?, ?, ?` for an IN list (`NULL` for an empty one, which matches nothing)."""
    return ",".join("?" * len(values)) or "NULL"


def respondents_sql(cohorts: Sequence[str]) -> str:
    """How many participants of `cohorts` gave at least one answer (not a skip), submitted
    or not: the analysis's definition of having responded."""
    return (
        "SELECT count(DISTINCT a.participant_id) FROM answers a"
        " JOIN participants p ON p.id = a.participant_id"
        f" WHERE p.cohort IN ({placeholders(cohorts)}) AND a.value IS NOT NULL"
    )


class Windows:
    """Admin overrides of when a questionnaire is open (/open, /close)."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def of(self, cohort: str) -> dict[str, tuple[str, str | None]]:
        """phase → (opens, closes) of the cohort's overridden windows."""
        rows = await self.sql.all(
            "SELECT phase, opens_at, closes_at FROM windows WHERE cohort = ?", (cohort,)
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def set(
        self,
        cohort: str,
        phase: str,
        opens: datetime,
        closes: datetime | None,
        admin: int | None,
        now: datetime,
    ) -> None:
        await self.sql.run(
            "INSERT INTO windows (cohort, phase, opens_at, closes_at, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cohort, phase) DO UPDATE SET"
            " opens_at = excluded.opens_at, closes_at = excluded.closes_at,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (
                cohort,
                phase,
                utc_text(opens),
                utc_text(closes) if closes else None,
                admin,
                utc_text(now),
            ),
        )


class Events:
    """Lifecycle events carried out (the push, reminders, the summary), each at most once."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def done(self, cohort: str) -> set[str]:
        rows = await self.sql.all("SELECT kind FROM events WHERE cohort = ?", (cohort,))
        return {row[0] for row in rows}

    async def mark(self, cohort: str, kind: str, now: datetime) -> bool:
        """Record an event as done; False if it already was (so it is never done twice)."""
        inserted = await self.sql.run(
            "INSERT INTO events (cohort, kind, done_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (cohort, kind, utc_text(now)),
        )
        return inserted == 1


class ModuleReports:
    """Each module's scheduled report for a period (schedule.module_reports), at most once."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def done(self, module: str, period: str) -> bool:
        row = await self.sql.one(
            "SELECT 1 FROM module_reports WHERE module = ? AND period = ?", (module, period)
        )
        return row is not None

    async def mark(self, module: str, period: str, posted: bool, now: datetime) -> bool:
        """Record a module's report for a period as done; False if it already was."""
        inserted = await self.sql.run(
            "INSERT INTO module_reports (module, period, posted, done_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (module, period, int(posted), utc_text(now)),
        )
        return inserted == 1


class Deliveries:
    """Messages the scheduler sent to participants (the push, reminders)."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def reachable(self, cohort: str, phase: str, kind: str) -> list[tuple[int, int]]:
        """(participant id, Telegram id) of consenting people who have not submitted `phase`
        and have not yet been sent `kind`."""
        rows = await self.sql.all(
            "SELECT p.id, p.telegram_id FROM participants p"
            " JOIN consents c ON c.participant_id = p.id"
            " WHERE p.cohort = ? AND p.telegram_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = ? AND r.submitted_at IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id"
            "   AND d.kind = ?)"
            " ORDER BY p.id",
            (cohort, phase, kind),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def record(self, participant_id: int, kind: str, now: datetime) -> None:
        await self.sql.run(
            "INSERT INTO deliveries (participant_id, kind, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (participant_id, kind, utc_text(now)),
        )


class FollowUps:
    """The follow-up questionnaire weeks after a module: who may be asked, who said no."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def opted_out(self, participant_id: int) -> bool:
        row = await self.sql.one(
            "SELECT 1 FROM follow_up_opt_outs WHERE participant_id = ?", (participant_id,)
        )
        return row is not None

    async def set_opt_out(self, participant_id: int, out: bool, now: datetime) -> None:
        """Record that this participant wants no follow-up (out) or wants it after all."""
        if out:
            await self.sql.run(
                "INSERT INTO follow_up_opt_outs (participant_id, opted_out_at) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (participant_id, utc_text(now)),
            )
        else:
            await self.sql.run(
                "DELETE FROM follow_up_opt_outs WHERE participant_id = ?", (participant_id,)
            )

    async def respondents(self, cohort: str) -> int:
        """How many of the cohort gave at least one follow-up answer (not a skip)."""
        row = await self.sql.one(
            "SELECT count(DISTINCT a.participant_id) FROM answers a"
            " JOIN participants p ON p.id = a.participant_id"
            " WHERE p.cohort = ? AND a.phase = 'follow_up' AND a.value IS NOT NULL",
            (cohort,),
        )
        return int(row[0]) if row is not None else 0

    async def targets(self, cohort: str, kind: str) -> list[tuple[int, int]]:
        """(participant id, Telegram id) of consenting people who submitted the post
        questionnaire, did not opt out of the follow-up, have not submitted it, and have not
        yet been sent `kind`."""
        rows = await self.sql.all(
            "SELECT p.id, p.telegram_id FROM participants p"
            " JOIN consents c ON c.participant_id = p.id"
            " JOIN responses post ON post.participant_id = p.id AND post.phase = 'post'"
            "   AND post.submitted_at IS NOT NULL"
            " WHERE p.cohort = ? AND p.telegram_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM follow_up_opt_outs o WHERE o.participant_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = 'follow_up' AND r.submitted_at IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id"
            "   AND d.kind = ?)"
            " ORDER BY p.id",
            (cohort, kind),
        )
        return [(int(row[0]), int(row[1])) for row in rows]


class Status:
    """How far a cohort's participants have got."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def counts(self, cohort: str) -> dict[str, int]:
        """Joined, and started / submitted per phase, for /status."""
        responses = (
            "(SELECT count(*) FROM responses r JOIN participants p ON p.id = r.participant_id"
            " WHERE p.cohort = ? AND r.phase = ?{})"
        )
        started, submitted = (
            responses.format(""),
            responses.format(" AND r.submitted_at IS NOT NULL"),
        )
        phases = ("pre", "post", "follow_up")
        row = await self.sql.one(
            "SELECT (SELECT count(*) FROM participants WHERE cohort = ?"
            " AND telegram_id IS NOT NULL)" + f", {started}, {submitted}" * len(phases),
            (cohort, *(x for phase in phases for x in (cohort, phase, cohort, phase))),
        )
        assert row is not None
        keys = ("joined", *(f"{p}_{n}" for p in phases for n in ("started", "submitted")))
        return dict(zip(keys, (int(v) for v in row), strict=True))

    async def respondents(self, cohorts: Sequence[str]) -> int:
        """How many participants of `cohorts` responded (see `respondents_sql`)."""
        row = await self.sql.one(respondents_sql(cohorts), tuple(cohorts))
        return int(row[0]) if row is not None else 0
