"""Participants and what they answered: the rows a participant's taps change.

A participant is one person in one cohort, recorded only once they agreed to the privacy
notice. Their response to a phase's questionnaire says where they are (a question gone back
to, the message showing it, whether it is submitted); their answers are keyed by
(participant, phase, question), so a repeated tap overwrites and never adds.
"""

from __future__ import annotations

from datetime import datetime

from core.storage.rows import ParticipantRow, ResponseRow, utc_text
from core.storage.sql import Sql

_PARTICIPANT = "SELECT id, cohort, telegram_id, pseudonym FROM participants"


class Participants:
    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def find(
        self, telegram_id: int, cohort: str, *, lock: bool = False
    ) -> ParticipantRow | None:
        """This person's participation in the cohort. `lock`: the unit of work goes on to
        change what this participant has stored, so no other may meanwhile (a double tap
        answered by two processes, say): it waits for this one to end."""
        row = await self.sql.one(
            f"{_PARTICIPANT} WHERE telegram_id = ? AND cohort = ?{self._lock(lock)}",
            (telegram_id, cohort),
        )
        return ParticipantRow(*row) if row else None

    async def active(self, telegram_id: int, *, lock: bool = False) -> ParticipantRow | None:
        """The cohort this person joined or returned to most recently (`lock`: as `find`)."""
        row = await self.sql.one(
            f"{_PARTICIPANT} WHERE telegram_id = ? ORDER BY active_at DESC, id DESC LIMIT 1"
            f"{self._lock(lock)}",
            (telegram_id,),
        )
        return ParticipantRow(*row) if row else None

    async def of(self, telegram_id: int) -> list[ParticipantRow]:
        """Every cohort this person joined, oldest first."""
        rows = await self.sql.all(
            f"{_PARTICIPANT} WHERE telegram_id = ? ORDER BY joined_at, id", (telegram_id,)
        )
        return [ParticipantRow(*row) for row in rows]

    def _lock(self, lock: bool) -> str:
        return self.sql.for_update if lock else ""

    async def join(
        self, telegram_id: int, cohort: str, pseudonym: str, now: datetime, notice_version: int
    ) -> ParticipantRow:
        """Record a person who agreed to the privacy notice (and only then)."""
        stamp = utc_text(now)
        row = await self.sql.one(
            "INSERT INTO participants (cohort, telegram_id, pseudonym, joined_at, active_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (cohort, telegram_id) DO UPDATE SET active_at = excluded.active_at"
            " RETURNING id",
            (cohort, telegram_id, pseudonym, stamp, stamp),
        )
        assert row is not None
        participant_id = int(row[0])
        await self.sql.run(
            "INSERT INTO consents (participant_id, notice_version, given_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (participant_id, notice_version, stamp),
        )
        return ParticipantRow(participant_id, cohort, telegram_id, pseudonym)

    async def imported(self, cohort: str, pseudonym: str, now: datetime) -> int:
        """The id of a participant known only by an imported id (paper or web form)."""
        stamp = utc_text(now)
        await self.sql.run(
            "INSERT INTO participants (cohort, telegram_id, pseudonym, joined_at, active_at)"
            " VALUES (?, NULL, ?, ?, ?) ON CONFLICT DO NOTHING",
            (cohort, pseudonym, stamp, stamp),
        )
        row = await self.sql.one(
            "SELECT id FROM participants WHERE cohort = ? AND pseudonym = ?", (cohort, pseudonym)
        )
        assert row is not None
        return int(row[0])

    async def touch(self, participant_id: int, now: datetime) -> None:
        await self.sql.run(
            "UPDATE participants SET active_at = ? WHERE id = ?", (utc_text(now), participant_id)
        )


class Responses:
    """A participant's response to one phase's questionnaire."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def get(self, participant_id: int, phase: str) -> ResponseRow | None:
        row = await self.sql.one(
            "SELECT participant_id, phase, started_at, submitted_at, position, message_id"
            " FROM responses WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return ResponseRow(*row) if row else None

    async def start(self, participant_id: int, phase: str, now: datetime) -> None:
        await self.sql.run(
            "INSERT INTO responses (participant_id, phase, started_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (participant_id, phase, utc_text(now)),
        )

    async def set_position(self, participant_id: int, phase: str, position: str | None) -> None:
        await self.sql.run(
            "UPDATE responses SET position = ? WHERE participant_id = ? AND phase = ?",
            (position, participant_id, phase),
        )

    async def set_message(self, participant_id: int, phase: str, message_id: int | None) -> None:
        await self.sql.run(
            "UPDATE responses SET message_id = ? WHERE participant_id = ? AND phase = ?",
            (message_id, participant_id, phase),
        )

    async def submit(self, participant_id: int, phase: str, now: datetime) -> bool:
        """Mark a response submitted; False if it already was."""
        changed = await self.sql.run(
            "UPDATE responses SET submitted_at = ?, position = NULL"
            " WHERE participant_id = ? AND phase = ? AND submitted_at IS NULL",
            (utc_text(now), participant_id, phase),
        )
        return changed == 1


class Answers:
    """The answers of one participant's phase, each stored once."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def of(self, participant_id: int, phase: str) -> dict[str, str | None]:
        rows = await self.sql.all(
            "SELECT question, value FROM answers WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return {row[0]: row[1] for row in rows}

    async def with_times(
        self, participant_id: int, phase: str
    ) -> dict[str, tuple[str | None, str]]:
        """question → (value, answered_at) of one participant's phase (for the importer)."""
        rows = await self.sql.all(
            "SELECT question, value, answered_at FROM answers"
            " WHERE participant_id = ? AND phase = ?",
            (participant_id, phase),
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def save(
        self, participant_id: int, phase: str, question: str, value: str | None, now: datetime
    ) -> None:
        """Store or change an answer; the primary key makes a repeat overwrite, never add."""
        await self.sql.run(
            "INSERT INTO answers (participant_id, phase, question, value, answered_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (participant_id, phase, question)"
            " DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at",
            (participant_id, phase, question, value, utc_text(now)),
        )
