"""What is stored about one person, erasing it, and the retention purge."""

from __future__ import annotations

from datetime import datetime

from core.storage.rows import utc_text
from core.storage.sql import Sql

# Phases in the order they are asked (text order would put follow_up first).
PHASE_ORDER = "CASE phase WHEN 'pre' THEN 0 WHEN 'post' THEN 1 ELSE 2 END"


class Privacy:
    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def records(self, telegram_id: int) -> list[dict[str, object]]:
        """Everything stored about one person, cohort by cohort (for /mydata)."""
        people = await self.sql.all(
            "SELECT p.id, p.cohort, p.pseudonym, p.joined_at, c.given_at, c.notice_version"
            " FROM participants p LEFT JOIN consents c ON c.participant_id = p.id"
            " WHERE p.telegram_id = ? ORDER BY p.joined_at",
            (telegram_id,),
        )
        records = []
        for pid, cohort, pseudonym, joined, consented, version in people:
            responses = await self.sql.all(
                "SELECT phase, started_at, submitted_at FROM responses WHERE participant_id = ?"
                f" ORDER BY {PHASE_ORDER}",
                (pid,),
            )
            answers = await self.sql.all(
                "SELECT phase, question, value, answered_at FROM answers"
                f" WHERE participant_id = ? ORDER BY {PHASE_ORDER}, answered_at",
                (pid,),
            )
            deliveries = await self.sql.all(
                "SELECT kind, sent_at FROM deliveries WHERE participant_id = ?", (pid,)
            )
            opted_out = await self.sql.one(
                "SELECT opted_out_at FROM follow_up_opt_outs WHERE participant_id = ?", (pid,)
            )
            records.append(
                {
                    "cohort": cohort,
                    "pseudonym": pseudonym,
                    "joined_at": joined,
                    "consented_at": consented,
                    "notice_version": version,
                    "responses": responses,
                    "answers": answers,
                    "deliveries": deliveries,
                    "follow_up_opted_out_at": opted_out[0] if opted_out else None,
                }
            )
        return records

    async def erase_person(self, telegram_id: int) -> tuple[int, int]:
        """Delete everything about one person; returns (cohorts, answers) erased."""
        row = await self.sql.one(
            "SELECT count(DISTINCT p.id), count(a.question) FROM participants p"
            " LEFT JOIN answers a ON a.participant_id = p.id WHERE p.telegram_id = ?",
            (telegram_id,),
        )
        # ON DELETE CASCADE takes consents, responses, answers (the follow-up's too),
        # deliveries and follow-up opt-outs along.
        await self.sql.run("DELETE FROM participants WHERE telegram_id = ?", (telegram_id,))
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def erase_participation(self, participant_id: int) -> None:
        """Delete one participation (one cohort) and everything hanging off it."""
        await self.sql.run("DELETE FROM participants WHERE id = ?", (participant_id,))

    async def purge_ended_before(self, cutoff: datetime) -> int:
        """Delete the participants (and so the answers) of cohorts that ended before cutoff."""
        return await self.sql.run(
            "DELETE FROM participants WHERE cohort IN (SELECT code FROM cohorts WHERE end_at < ?)",
            (utc_text(cutoff),),
        )
