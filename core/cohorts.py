"""The cohort catalogue: cohorts from the config file (read-only) and those stored in the
database by chat commands or the command line, with one set of codes across both.

The running bot sees every cohort through `Services.config`, a copy of the file's Config
whose `cohorts` include the stored ones; `refresh` rebuilds it after each change (the
frozen Config itself is never changed). Tools that run without the bot use
`with_stored_cohorts`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.config import CODE_PATTERN, Cohort, Config
from core.dates import DateError, parse_session
from core.journey import cohort_windows, pseudonym
from core.questionnaire import ALL_PHASES, Phase
from core.services import Services
from core.storage import StoredCohortRow, Tx, parse_utc, stored_cohort_rows
from core.windows import Windows, staff_open_phase

SITE_MAX = 40
Origin = Literal["config", "stored"]
Role = Literal["admin", "facilitator"]
COMMAND_LINE = "command line"


class CohortError(ValueError):
    """A cohort cannot be made or changed as asked; the message says why, kindly."""


class DuplicateCohort(CohortError):
    """A cohort with the same module, site and times is already there; each front end
    names `twin` in its own words."""

    def __init__(self, twin: Entry) -> None:
        super().__init__(f"{twin.cohort.code} already has this module, site and times.")
        self.twin = twin


@dataclass(frozen=True)
class Entry:
    """A cohort with where it comes from and, for stored ones, its history."""

    cohort: Cohort
    origin: Origin
    created_by: str | None = None
    created_at: datetime | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None
    archived_at: datetime | None = None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


def _cohort(row: StoredCohortRow) -> Cohort:
    staff = tuple(int(part) for part in row.facilitators.split())
    return Cohort(
        row.code,
        row.module,
        row.site,
        parse_utc(row.start_at),
        parse_utc(row.end_at),
        row.facilitators_chat,
        staff,
    )


def _entry(row: StoredCohortRow) -> Entry:
    def moment(text: str | None) -> datetime | None:
        return parse_utc(text) if text else None

    return Entry(
        _cohort(row),
        "stored",
        row.created_by,
        moment(row.created_at),
        row.changed_by,
        moment(row.changed_at),
        moment(row.archived_at),
    )


def merged(file_config: Config, rows: Iterable[StoredCohortRow]) -> Config:
    """The file's Config with the stored cohorts added (a stored code the file now also
    uses is left to the file: `feedback-bot check` reports the clash)."""
    cohorts = {row.code: _cohort(row) for row in rows if row.code not in file_config.cohorts}
    return dataclasses.replace(file_config, cohorts={**file_config.cohorts, **cohorts})


def with_stored_cohorts(config: Config) -> Config:
    """The config with the database's cohorts, for tools that run without the bot."""
    return merged(config, stored_cohort_rows(config.bot.database))


def clashes(config: Config) -> list[str]:
    """Codes both in the config file and stored in the database."""
    return [
        row.code for row in stored_cohort_rows(config.bot.database) if row.code in config.cohorts
    ]


def entries_of(config: Config, rows: Iterable[StoredCohortRow]) -> list[Entry]:
    """Every cohort, config first then stored, each sorted by start."""
    stored = [_entry(row) for row in rows if row.code not in config.cohorts]
    from_file = [Entry(c, "config") for c in config.cohorts.values()]
    return sorted(from_file, key=lambda e: (e.cohort.start, e.cohort.code)) + stored


def _identity(module: str, site: str, start: datetime, end: datetime) -> tuple[object, ...]:
    """What makes two cohorts the same session: the site compared in any capitals."""
    return module, " ".join(site.split()).casefold(), start, end


def same_as(found: Iterable[Entry], new: NewCohort) -> Entry | None:
    """A cohort already there with the same module, site and times (archived ones too)."""
    wanted = _identity(new.module, new.site, new.start, new.end)
    for entry in found:
        cohort = entry.cohort
        if _identity(cohort.module, cohort.site, cohort.start, cohort.end) == wanted:
            return entry
    return None


def _refuse_twin(found: Iterable[Entry], new: NewCohort) -> None:
    """The rule of the chat, `cohort add` and `cohort import`: one cohort per module, site
    and times; DuplicateCohort names the one already there."""
    twin = same_as(found, new)
    if twin is not None:
        raise DuplicateCohort(twin)


async def refuse_duplicate(svc: Services, new: NewCohort) -> None:
    """The dialogue's early check, before it asks for a code."""
    _refuse_twin(await entries(svc), new)


async def refresh(svc: Services) -> None:
    """Rebuild the bot's view of the cohorts from the file and the database."""
    async with svc.db.read() as tx:
        rows = await tx.cohorts.stored()
    svc.config = merged(svc.file_config, rows)


async def entries(svc: Services) -> list[Entry]:
    async with svc.db.read() as tx:
        rows = await tx.cohorts.stored()
    return entries_of(svc.file_config, rows)


async def entry(svc: Services, code: str) -> Entry | None:
    wanted = code.strip().upper()
    return next((e for e in await entries(svc) if e.cohort.code == wanted), None)


# roles ---------------------------------------------------------------------------------


def role_of(config: Config, user_id: int | None) -> Role | None:
    if user_id is None:
        return None
    if user_id in config.bot.admins:
        return "admin"
    if user_id in config.bot.facilitators:
        return "facilitator"
    return None


def runs(config: Config, user_id: int, cohort: Cohort) -> bool:
    """Whether this person may see and run the cohort: admins all, facilitators their own."""
    role = role_of(config, user_id)
    return role == "admin" or (role == "facilitator" and user_id in cohort.facilitators)


def actor(svc: Services, user_id: int) -> str:
    """Who made a change, as the history records it: admins by id, facilitators by pseudonym."""
    if role_of(svc.config, user_id) == "admin":
        return f"admin {user_id}"
    return f"facilitator {pseudonym(svc.pseudonym_key, user_id)}"


# validation ------------------------------------------------------------------------------


def check_module(config: Config, module: str) -> str:
    module = module.strip().lower()
    if module not in config.modules:
        known = ", ".join(sorted(config.modules))
        raise CohortError(f"There is no module called “{module[:40]}”. The modules are: {known}.")
    return module


def check_site(site: str) -> str:
    site = " ".join(site.split())
    if not 2 <= len(site) <= SITE_MAX:
        raise CohortError(f"The site should be a name of 2 to {SITE_MAX} characters.")
    return site


def check_times(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise CohortError("The end time must be after the start time.")
    if start <= now:
        raise CohortError("That start time is in the past. Give a day and times still to come.")
    if end - start > timedelta(days=14):
        raise CohortError("A cohort may last at most 14 days; check the dates.")


def check_code(code: str) -> str:
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        raise CohortError(
            "A code is 2 to 20 letters, digits and dashes, starting with a letter or digit, "
            "such as RS-MAN-0402."
        )
    return code


def check_facilitators(config: Config, ids: Iterable[int]) -> tuple[int, ...]:
    """A cohort's facilitators must be known to the bot as facilitators."""
    staff = tuple(ids)
    unknown = [i for i in staff if i not in config.bot.facilitators]
    if unknown:
        raise CohortError(f"not in bot.facilitators of {config.path}: {unknown}")
    return staff


async def _taken(tx: Tx, svc: Services, code: str) -> bool:
    # A config cohort removed from the file keeps its code while its answers are stored.
    return code in svc.file_config.cohorts or await tx.cohorts.code_taken(code)


async def code_taken(svc: Services, code: str) -> bool:
    """Codes are unique across the file and the database."""
    async with svc.db.read() as tx:
        return await _taken(tx, svc, code)


async def _free_code(tx: Tx, svc: Services, module: str, site: str, start: datetime) -> str:
    initials = "".join(part[0] for part in module.split("-") if part).upper()[:4] or "C"
    place = re.sub(r"[^A-Za-z0-9]", "", site).upper()[:3] or "X"
    local = start.astimezone(svc.config.bot.timezone)
    base = f"{initials}-{place}-{local:%m%d}"
    candidate, number = base, 2
    while await _taken(tx, svc, candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


async def suggest_code(svc: Services, module: str, site: str, start: datetime) -> str:
    """A readable code not yet taken: module initials, site, month and day (RS-MAN-0402),
    with -2, -3 … if that is taken."""
    async with svc.db.read() as tx:
        return await _free_code(tx, svc, module, site, start)


# changes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCohort:
    code: str  # empty: the suggested one
    module: str
    site: str
    start: datetime
    end: datetime
    facilitators: tuple[int, ...] = ()
    facilitators_chat: int | None = None


def read_one_line(config: Config, args: list[str], now: datetime) -> NewCohort:
    """`module site… day start end` (/newcohort's one-line form) as a new cohort, its code
    still to be chosen; CohortError or DateError say what is wrong."""
    if len(args) < 3:
        raise CohortError("Give the module, the site, the day and the start and end times.")
    module = check_module(config, args[0])
    tz = config.bot.timezone
    problem = DateError("")
    # The site may have several words: the day and times are the shortest tail that reads.
    # If none does, the last try (everything after the site's first word) says why.
    for split in range(len(args) - 1, 1, -1):
        try:
            start, end = parse_session(" ".join(args[split:]), tz, now)
        except DateError as exc:
            problem = exc
            continue
        return NewCohort("", module, " ".join(args[1:split]), start, end)
    raise problem


async def _admit(tx: Tx, svc: Services, new: NewCohort, allow_duplicate: bool) -> NewCohort:
    """Every check a new cohort must pass, made in the transaction that stores it; the
    first failure raises CohortError. An empty code becomes the suggested one."""
    module = check_module(svc.config, new.module)
    site = check_site(new.site)
    check_times(new.start, new.end, svc.now())
    check_facilitators(svc.config, new.facilitators)
    code = check_code(new.code) if new.code else ""
    if code and await _taken(tx, svc, code):
        raise CohortError(f"The code {code} is already taken. Choose another.")
    new = dataclasses.replace(new, module=module, site=site)
    if not allow_duplicate:
        _refuse_twin(entries_of(svc.file_config, await tx.cohorts.stored()), new)
    if not code:
        code = await _free_code(tx, svc, module, site, new.start)
    return dataclasses.replace(new, code=code)


async def _insert(tx: Tx, svc: Services, new: NewCohort, by: str) -> None:
    await tx.cohorts.insert_stored(
        new.code,
        new.module,
        new.site,
        new.start,
        new.end,
        new.facilitators,
        new.facilitators_chat,
        by,
        svc.now(),
    )


async def create(
    svc: Services, new: NewCohort, by: str, *, allow_duplicate: bool = False
) -> Cohort:
    """Store a new cohort after every check (again: a dialogue may be old), in one
    transaction; only the command line may allow a duplicate."""
    async with svc.db.write() as tx:
        await tx.cohorts.lock_catalogue()
        new = await _admit(tx, svc, new, allow_duplicate)
        await _insert(tx, svc, new, by)
    await refresh(svc)
    cohort = svc.config.cohort(new.code)
    assert cohort is not None
    return cohort


@dataclass(frozen=True)
class ImportRow:
    """One line of a term's schedule as written; `when` and `facilitators` still text."""

    line: int
    module: str
    site: str
    when: str
    code: str = ""
    facilitators: str = ""  # user ids separated by spaces


@dataclass(frozen=True)
class Imported:
    created: list[str]
    present: list[str]  # already there (imported before), left alone
    problems: list[str]  # each naming its line; if any, nothing was created


class _Rejected(Exception):
    """Rolls an import with problems back."""


def _read_row(svc: Services, row: ImportRow) -> NewCohort:
    start, end = parse_session(row.when, svc.config.bot.timezone, svc.now())
    try:
        staff = tuple(int(part) for part in row.facilitators.split())
    except ValueError:
        raise CohortError("facilitators must be user ids separated by spaces") from None
    code = check_code(row.code) if row.code.strip() else ""
    return NewCohort(code, check_module(svc.config, row.module), row.site, start, end, staff)


async def import_rows(svc: Services, rows: Sequence[ImportRow], by: str) -> Imported:
    """Add a term's cohorts in one transaction, each through the checks of `create`: all
    of them, or none if any line has a problem. A line that matches a cohort already there
    (its code, or with no code its module, site and times) is left alone, so importing the
    same file again is safe."""
    created: list[str] = []
    present: list[str] = []
    problems: list[str] = []
    first_line: dict[tuple[object, ...], int] = {}
    try:
        async with svc.db.write() as tx:
            await tx.cohorts.lock_catalogue()
            existing = entries_of(svc.file_config, await tx.cohorts.stored())
            for row in rows:
                try:
                    new = _read_row(svc, row)
                    same = _identity(new.module, new.site, new.start, new.end)
                    twin = same_as(existing, new)
                    if twin is not None and new.code in ("", twin.cohort.code):
                        present.append(twin.cohort.code)  # imported before
                        continue
                    if same in first_line:
                        raise CohortError(
                            f"the same module, site and times as line {first_line[same]}"
                        )
                    new = await _admit(tx, svc, new, allow_duplicate=False)
                except (CohortError, DateError) as exc:
                    problems.append(f"line {row.line}: {exc}")
                    continue
                first_line[same] = row.line
                await _insert(tx, svc, new, by)
                created.append(new.code)
            if problems:
                raise _Rejected
    except _Rejected:
        return Imported([], present, problems)
    await refresh(svc)
    return Imported(created, present, [])


async def changeable(svc: Services, code: str) -> Entry:
    """The stored, live cohort with this code; CohortError says why there is none."""
    found = await entry(svc, code)
    if found is None:
        raise CohortError(f"There is no cohort with the code {code.strip().upper()[:20]}.")
    if found.origin == "config":
        raise CohortError(
            f"{found.cohort.code} comes from the config file; change it there and restart."
        )
    if found.archived:
        raise CohortError(f"{found.cohort.code} was cancelled; it cannot change any more.")
    return found


async def edit(
    svc: Services,
    code: str,
    by: str,
    *,
    site: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[Cohort, Cohort]:
    """Change a stored cohort's site or times; returns (before, after).

    Before it starts anything may change; once it has started only the end may move, and
    only later, so nobody's open questionnaire closes under them.
    """
    before = (await changeable(svc, code)).cohort
    now = svc.now()
    if now >= before.end:
        raise CohortError(f"{before.code} has already ended; it cannot change any more.")
    after = dataclasses.replace(
        before,
        site=check_site(site) if site is not None else before.site,
        start=start or before.start,
        end=end or before.end,
    )
    if now >= before.start:
        if after.site != before.site or after.start != before.start:
            raise CohortError(
                f"{before.code} has started: only its end can move now, and only later."
            )
        if after.end < before.end:
            raise CohortError(f"{before.code} has started: its end can only move later now.")
        if after.end - after.start > timedelta(days=14):
            raise CohortError("A cohort may last at most 14 days; check the dates.")
    else:
        check_times(after.start, after.end, now)
    async with svc.db.write() as tx:
        await tx.cohorts.change_stored(after.code, after.site, after.start, after.end, by, now)
    await refresh(svc)
    return before, after


async def cancel(svc: Services, code: str, by: str, done_events: Iterable[str]) -> str:
    """Delete a cohort nobody joined; archive one with participants: its questionnaires
    close, `done_events` (the summary, pushes) are marked done so they never happen, and
    its answers stay. Returns 'deleted' or 'archived'."""
    cohort = (await changeable(svc, code)).cohort
    now = svc.now()
    async with svc.db.write() as tx:
        await tx.cohorts.lock(cohort.code)  # whether anyone joined stays true until we are done
        if not await tx.cohorts.has_participants(cohort.code):
            await tx.cohorts.delete_stored(cohort.code)
            outcome = "deleted"
        else:
            for phase in ALL_PHASES:
                await tx.windows.set(cohort.code, phase, min(now, cohort.start), now, None, now)
            for kind in done_events:
                await tx.events.mark(cohort.code, kind, now)
            await tx.cohorts.archive_stored(cohort.code, by, now)
            outcome = "archived"
    await refresh(svc)
    return outcome


async def windows_of(svc: Services, shown: Iterable[Cohort]) -> dict[str, Windows]:
    """Each cohort's questionnaire windows, admins' changes included (/cohorts)."""
    async with svc.db.read() as tx:
        return {cohort.code: await cohort_windows(tx, svc, cohort) for cohort in shown}


async def progress(svc: Services, cohort: Cohort) -> tuple[dict[str, int], Phase | None]:
    """How far a cohort's participants have got, and which questionnaire is open now."""
    async with svc.db.read() as tx:
        windows = await cohort_windows(tx, svc, cohort)
        counts = await tx.status.counts(cohort.code)
    follow_up = svc.config.module_of(cohort).follow_up is not None
    return counts, staff_open_phase(windows, svc.now(), follow_up)
