"""Cohorts in the database, and the cohort dialogues (/newcohort, /editcohort) in progress.

Every cohort answers refer to has a row in `cohorts`: the config file's are mirrored at
start-up, and cohorts made from the chat or the command line add a `stored_cohorts` row
with who runs them and their history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.storage.rows import StoredCohortRow, utc_text
from core.storage.sql import Sql

STORED_COHORTS_SQL = (
    "SELECT c.code, c.module, c.site, c.start_at, c.end_at, s.facilitators_chat,"
    " s.facilitators, s.created_by, s.created_at, s.changed_by, s.changed_at,"
    " s.archived_at FROM stored_cohorts s JOIN cohorts c ON c.code = s.code"
    " ORDER BY c.start_at, c.code"
)


class Cohorts:
    """The cohorts table and the stored cohorts' history."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def upsert(
        self, code: str, module: str, site: str, start: datetime, end: datetime
    ) -> None:
        await self.sql.run(
            "INSERT INTO cohorts (code, module, site, start_at, end_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET module = excluded.module, site = excluded.site,"
            " start_at = excluded.start_at, end_at = excluded.end_at",
            (code, module, site, utc_text(start), utc_text(end)),
        )

    async def lock_catalogue(self) -> None:
        """New cohorts one at a time, in any process (the chat, `cohort add`, `cohort
        import`): whether a code, or a cohort with the same module, site and times, is taken
        is decided and acted on in one go."""
        await self.sql.serialize("cohorts")

    async def lock(self, code: str) -> None:
        """Hold one cohort still until the transaction ends: nobody joins it meanwhile."""
        await self.sql.one(f"SELECT 1 FROM cohorts WHERE code = ?{self.sql.for_update}", (code,))

    async def stored(self) -> list[StoredCohortRow]:
        return [StoredCohortRow(*row) for row in await self.sql.all(STORED_COHORTS_SQL)]

    async def code_taken(self, code: str) -> bool:
        """Whether any cohort, past or present, from any source, has this code."""
        return await self.sql.one("SELECT 1 FROM cohorts WHERE code = ?", (code,)) is not None

    async def insert_stored(
        self,
        code: str,
        module: str,
        site: str,
        start: datetime,
        end: datetime,
        facilitators: Iterable[int],
        facilitators_chat: int | None,
        actor: str,
        now: datetime,
    ) -> None:
        await self.sql.run(
            "INSERT INTO cohorts (code, module, site, start_at, end_at) VALUES (?, ?, ?, ?, ?)",
            (code, module, site, utc_text(start), utc_text(end)),
        )
        await self.sql.run(
            "INSERT INTO stored_cohorts (code, facilitators_chat, facilitators, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (code, facilitators_chat, " ".join(map(str, facilitators)), actor, utc_text(now)),
        )

    async def change_stored(
        self, code: str, site: str, start: datetime, end: datetime, actor: str, now: datetime
    ) -> None:
        await self.sql.run(
            "UPDATE cohorts SET site = ?, start_at = ?, end_at = ? WHERE code = ?",
            (site, utc_text(start), utc_text(end), code),
        )
        await self.sql.run(
            "UPDATE stored_cohorts SET changed_by = ?, changed_at = ? WHERE code = ?",
            (actor, utc_text(now), code),
        )

    async def archive_stored(self, code: str, actor: str, now: datetime) -> None:
        await self.sql.run(
            "UPDATE stored_cohorts SET archived_at = ?, changed_by = ?, changed_at = ?"
            " WHERE code = ?",
            (utc_text(now), actor, utc_text(now), code),
        )

    async def has_participants(self, code: str) -> bool:
        found = await self.sql.one("SELECT 1 FROM participants WHERE cohort = ? LIMIT 1", (code,))
        return found is not None

    async def delete_stored(self, code: str) -> None:
        """Remove a cohort nobody joined, with its schedule; the code becomes free again."""
        for table, key in (
            ("windows", "cohort"),
            ("events", "cohort"),
            ("stored_cohorts", "code"),
            ("cohorts", "code"),
        ):
            await self.sql.run(f"DELETE FROM {table} WHERE {key} = ?", (code,))


class Drafts:
    """An admin's or facilitator's cohort dialogue, kept so that it survives a restart."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def get(self, user_id: int) -> tuple[str, str, str] | None:
        """(step, JSON data, updated at) of a person's cohort dialogue."""
        row = await self.sql.one(
            "SELECT step, data, updated_at FROM cohort_drafts WHERE user_id = ?", (user_id,)
        )
        return (str(row[0]), str(row[1]), str(row[2])) if row else None

    async def save(self, user_id: int, step: str, data: str, now: datetime) -> None:
        await self.sql.run(
            "INSERT INTO cohort_drafts (user_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, step, data, utc_text(now)),
        )

    async def drop(self, user_id: int) -> None:
        await self.sql.run("DELETE FROM cohort_drafts WHERE user_id = ?", (user_id,))
