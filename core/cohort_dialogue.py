"""The /newcohort and /editcohort dialogues as data.

Each step is a row of STEPS: what answers it (a typed line, a button, or both), how the
answer is read into the draft, and what follows: the next step, or the change that ends
the dialogue. The draft (the step and what was given so far) is stored in the database,
so a restart in the middle loses nothing. A handler decodes an update into Typed or
Tapped, calls `answer`, and shows the Outcome; nothing here knows Telegram.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import cohorts
from core.callbacks import CohortTap
from core.cohorts import CohortError, NewCohort
from core.config import Cohort
from core.dates import DateError, parse_moment, parse_session
from core.services import Services
from core.storage import parse_utc

Draft = dict[str, str]

# A dialogue left this long is forgotten, so that the person's typing later is not taken
# for an answer to an old question.
DRAFT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Typed:
    """A line typed in the private chat."""

    text: str


# A dialogue button, as the codec decodes it: its kind and value.
Tapped = CohortTap

Given = Typed | Tapped


class UnknownChange(CohortError):
    """An /editcohort line that names no change; the screens show how to give one."""


# outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """The dialogue is at `step`; the draft holds what its question shows."""

    step: str
    draft: Draft


@dataclass(frozen=True)
class Problem:
    """The answer was wrong and nothing changed. `step`: the step that still waits for an
    answer, if any; `ended`: the dialogue ended with it."""

    error: CohortError | DateError
    step: str | None = None
    ended: bool = False


@dataclass(frozen=True)
class Created:
    cohort: Cohort


@dataclass(frozen=True)
class Edited:
    before: Cohort
    after: Cohort


@dataclass(frozen=True)
class Stale:
    """A button of a step that is over (a double tap, an old message)."""


@dataclass(frozen=True)
class Cancelled:
    had_draft: bool


Finished = Created | Edited
Outcome = Ask | Problem | Created | Edited | Stale | Cancelled


# how each answer is read ----------------------------------------------------------------

Reader = Callable[[Services, int, Draft, str], Awaitable[Draft]]
Finish = Callable[[Services, int, Draft], Awaitable[Finished]]


def _staff_of(svc: Services, user: int) -> tuple[int, ...]:
    """A facilitator runs the cohorts they create; an admin runs them all anyway."""
    return (user,) if cohorts.role_of(svc.config, user) == "facilitator" else ()


def _new_cohort(svc: Services, user: int, draft: Draft) -> NewCohort:
    return NewCohort(
        draft.get("code", ""),
        draft["module"],
        draft["site"],
        datetime.fromisoformat(draft["start"]),
        datetime.fromisoformat(draft["end"]),
        _staff_of(svc, user),
    )


async def _module(svc: Services, user: int, draft: Draft, value: str) -> Draft:
    return {**draft, "module": cohorts.check_module(svc.config, value)}


async def _site(svc: Services, user: int, draft: Draft, value: str) -> Draft:
    return {**draft, "site": cohorts.check_site(value)}


async def _times(svc: Services, user: int, draft: Draft, value: str) -> Draft:
    start, end = parse_session(value, svc.config.bot.timezone, svc.now())
    cohorts.check_times(start, end, svc.now())
    draft = {**draft, "start": start.isoformat(), "end": end.isoformat()}
    # Before a code is asked for: the same session twice is refused here, not at the end.
    await cohorts.refuse_duplicate(svc, _new_cohort(svc, user, draft))
    suggested = await cohorts.suggest_code(svc, draft["module"], draft["site"], start)
    return {**draft, "suggested": suggested}


async def _code(svc: Services, user: int, draft: Draft, value: str) -> Draft:
    code = cohorts.check_code(value)
    if await cohorts.code_taken(svc, code):
        raise CohortError(f"The code {code} is already taken. Type another.")
    return {**draft, "code": code}


async def _as_is(svc: Services, user: int, draft: Draft, value: str) -> Draft:
    return draft


async def _change(svc: Services, user: int, draft: Draft, line: str) -> Draft:
    """`site …`, `times …` or `end …` for the cohort being changed."""
    cohort = svc.config.cohort(draft["code"])
    if cohort is None:
        raise CohortError(f"There is no cohort with the code {draft['code']}.")
    tz = svc.config.bot.timezone
    what, _, rest = line.strip().partition(" ")
    what = what.lower()
    if what == "site":
        return {**draft, "site": rest}
    if what in ("times", "time", "when"):
        start, end = parse_session(rest, tz, svc.now())
        return {**draft, "start": start.isoformat(), "end": end.isoformat()}
    if what == "end":
        today = svc.now().astimezone(tz).date()
        end = parse_moment(rest, tz, cohort.end.astimezone(tz).date(), today)
        return {**draft, "end": end.isoformat()}
    raise UnknownChange("Say what changes: site, times or end.")


async def _create(svc: Services, user: int, draft: Draft) -> Finished:
    new = _new_cohort(svc, user, draft)
    return Created(await cohorts.create(svc, new, cohorts.actor(svc, user)))


async def _apply_change(svc: Services, user: int, draft: Draft) -> Finished:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(draft[key]) if key in draft else None

    before, after = await cohorts.edit(
        svc,
        draft["code"],
        cohorts.actor(svc, user),
        site=draft.get("site"),
        start=moment("start"),
        end=moment("end"),
    )
    return Edited(before, after)


# the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One row of the table: a question of a dialogue and what answering it does."""

    typed: bool  # a typed line answers it
    button: str | None  # the button kind that answers it
    read: Reader  # the answer into the draft; CohortError or DateError if it is wrong
    then: str | Finish  # the next step, or the change that ends the dialogue
    ends_if_wrong: bool = False  # a wrong answer ends the dialogue: nothing left to retype


# The buttons' kinds, as callbacks.CohortTap carries them.
PICK_MODULE, USE_CODE, CREATE, CANCEL = "m", "c", "y", "n"

# fmt: off
STEPS: dict[str, Step] = {
    # step          typed  button       read     then
    "module":   Step(False, PICK_MODULE, _module, "site"),
    "site":     Step(True,  None,        _site,   "times"),
    "times":    Step(True,  None,        _times,  "code"),
    "code":     Step(True,  USE_CODE,    _code,   "confirm"),
    "confirm":  Step(False, CREATE,      _as_is,  _create, ends_if_wrong=True),
    "edit":     Step(True,  None,        _change, _apply_change),
}
# fmt: on
NEW_COHORT = "module"  # where /newcohort starts; /editcohort starts at "edit"
# Every step also takes the CANCEL button, as it takes /cancel: the draft is dropped.


def answers(step: str, given: Given) -> bool:
    """Whether this typed line or button answers the step (else it is not the dialogue's)."""
    row = STEPS.get(step)
    if row is None:
        return False
    if isinstance(given, Typed):
        return row.typed
    return given.button == row.button


# the draft in the database ----------------------------------------------------------------


async def _save(svc: Services, user: int, step: str, draft: Draft) -> None:
    async with svc.db.write() as tx:
        await tx.drafts.save(user, step, json.dumps(draft), svc.now())


async def _drop(svc: Services, user: int) -> None:
    async with svc.db.write() as tx:
        await tx.drafts.drop(user)


async def current(svc: Services, user: int) -> tuple[str, Draft] | None:
    """The step this person's dialogue is at and its draft, if any and not stale."""
    async with svc.db.read() as tx:
        stored = await tx.drafts.get(user)
    if stored is None:
        return None
    step, data, updated = stored
    if step not in STEPS or svc.now() - parse_utc(updated) > DRAFT_LIFETIME:
        await _drop(svc, user)
        return None
    draft: Draft = json.loads(data)
    return step, draft


# what the handlers call ---------------------------------------------------------------------


async def start_new(svc: Services, user: int) -> Ask:
    await _save(svc, user, NEW_COHORT, {})
    return Ask(NEW_COHORT, {})


async def start_edit(svc: Services, user: int, code: str) -> Ask | Problem:
    try:
        found = await cohorts.changeable(svc, code)
    except CohortError as exc:
        return Problem(exc)
    draft = {"code": found.cohort.code}
    await _save(svc, user, "edit", draft)
    return Ask("edit", draft)


async def answer(svc: Services, user: int, given: Given) -> Outcome | None:
    """Move this person's dialogue on by one answer. None: a typed line that is not the
    dialogue's (no dialogue, or its step wants a button), to be read as anything else."""
    if isinstance(given, Tapped) and given.button == CANCEL:
        return await cancel(svc, user)
    found = await current(svc, user)
    if found is None or not answers(found[0], given):
        return None if isinstance(given, Typed) else Stale()
    name, draft = found
    step = STEPS[name]
    value = given.text.strip() if isinstance(given, Typed) else given.value
    try:
        draft = await step.read(svc, user, draft, value)
        if isinstance(step.then, str):
            await _save(svc, user, step.then, draft)
            return Ask(step.then, draft)
        finished = await step.then(svc, user, draft)
    except (CohortError, DateError) as exc:
        if step.ends_if_wrong:
            await _drop(svc, user)
            return Problem(exc, ended=True)
        return Problem(exc, name)
    await _drop(svc, user)
    return finished


async def cancel(svc: Services, user: int) -> Cancelled:
    had = await current(svc, user) is not None
    await _drop(svc, user)
    return Cancelled(had)


async def create_in_one_line(svc: Services, user: int, args: list[str]) -> Created | Problem:
    """/newcohort module site day start end, with the suggested code."""
    try:
        new = cohorts.read_one_line(svc.config, args, svc.now())
        new = NewCohort("", new.module, new.site, new.start, new.end, _staff_of(svc, user))
        return Created(await cohorts.create(svc, new, cohorts.actor(svc, user)))
    except (CohortError, DateError) as exc:
        return Problem(exc)


async def change_in_one_line(svc: Services, user: int, code: str, line: str) -> Finished | Problem:
    """/editcohort CODE site …|times …|end …, the edit step's reading in one go."""
    try:
        found = await cohorts.changeable(svc, code)
        draft = await _change(svc, user, {"code": found.cohort.code}, line)
        return await _apply_change(svc, user, draft)
    except (CohortError, DateError) as exc:
        return Problem(exc)
