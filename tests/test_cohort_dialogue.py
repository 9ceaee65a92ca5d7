"""The cohort dialogue's table and its moves, without Telegram: plain calls on a real
temporary database, as the handlers make them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import ADMIN, KEY, Clock, write_config
from core import cohort_dialogue as dialogue
from core import cohorts
from core.cohort_dialogue import (
    STEPS,
    Ask,
    Cancelled,
    Created,
    Edited,
    Problem,
    Stale,
    Tapped,
    Typed,
    UnknownChange,
)
from core.cohorts import DuplicateCohort, NewCohort
from core.config import Config, load_config
from core.services import Services
from core.storage import Database

FACILITATOR = 501


# the table, read as data ----------------------------------------------------------------


def test_a_new_cohort_is_asked_for_in_five_steps_then_created() -> None:
    path, step = [], dialogue.NEW_COHORT
    while isinstance(step, str):
        path.append(step)
        step = STEPS[step].then
    assert path == ["module", "site", "times", "code", "confirm"]
    assert step is STEPS["confirm"].then and callable(step)  # the change that ends it


def test_an_edit_is_one_step_then_the_change() -> None:
    assert callable(STEPS["edit"].then)


def test_every_step_leads_to_a_step_or_a_change() -> None:
    for row in STEPS.values():
        assert row.then in STEPS or callable(row.then)
        assert row.typed or row.button is not None  # something can answer it


def test_each_button_answers_exactly_one_step() -> None:
    buttons = [row.button for row in STEPS.values() if row.button is not None]
    assert len(buttons) == len(set(buttons))
    assert dialogue.CANCEL not in buttons  # Cancel is taken at every step, not by one


@pytest.mark.parametrize(
    ("step", "given", "taken"),
    [
        ("module", Tapped(dialogue.PICK_MODULE, "risk-support"), True),
        ("module", Typed("risk-support"), False),  # modules are buttons
        ("site", Typed("Leeds"), True),
        ("site", Tapped(dialogue.PICK_MODULE, "risk-support"), False),  # an old module button
        ("times", Typed("2 Apr 9:30-16:30"), True),
        ("code", Typed("RS-LEE-0402"), True),
        ("code", Tapped(dialogue.USE_CODE, "RS-LEE-0402"), True),
        ("code", Tapped(dialogue.CREATE), False),
        ("confirm", Tapped(dialogue.CREATE), True),
        ("confirm", Typed("yes"), False),  # a line then is not the dialogue's
        ("confirm", Tapped(dialogue.USE_CODE, "RS-LEE-0402"), False),  # double tap
        ("edit", Typed("end 17:00"), True),
        ("gone", Typed("anything"), False),  # a step an older version stored
    ],
)
def test_what_answers_each_step(step: str, given: dialogue.Given, taken: bool) -> None:
    assert dialogue.answers(step, given) is taken


# the moves, on a real database ------------------------------------------------------------


@dataclass
class World:
    """The database file the bot would use, opened as at each start of the bot."""

    config: Config
    clock: Clock
    db: Database | None = None

    async def start(self) -> Services:
        if self.db is not None:
            await self.db.close()
        self.db = await Database.open(self.config.bot.database)
        return Services(self.config, self.db, KEY, self.clock)


@pytest.fixture
async def world(tmp_path: Path, clock: Clock) -> AsyncIterator[World]:
    path = write_config(tmp_path)
    staff = f"admins = [{ADMIN}]\nfacilitators = [{FACILITATOR}]"
    path.write_text(path.read_text().replace(f"admins = [{ADMIN}]", staff))
    started = World(load_config(path), clock)
    try:
        yield started
    finally:
        if started.db is not None:
            await started.db.close()


@pytest.fixture
async def svc(world: World) -> Services:
    return await world.start()


async def test_a_whole_dialogue_creates_the_cohort(svc: Services) -> None:
    assert await dialogue.start_new(svc, ADMIN) == Ask("module", {})
    moves = [
        (Tapped("m", "risk-support"), "site"),
        (Typed("  Leeds "), "times"),
        (Typed("2 Apr 9:30-16:30"), "code"),
        (Tapped("c", "RS-LEE-0402"), "confirm"),
    ]
    for given, step in moves:
        outcome = await dialogue.answer(svc, ADMIN, given)
        assert isinstance(outcome, Ask) and outcome.step == step, outcome
    assert outcome.draft == {
        "module": "risk-support",
        "site": "Leeds",
        "start": "2026-04-02T09:30:00+00:00",
        "end": "2026-04-02T16:30:00+00:00",
        "suggested": "RS-LEE-0402",
        "code": "RS-LEE-0402",
    }
    created = await dialogue.answer(svc, ADMIN, Tapped("y"))
    assert isinstance(created, Created) and created.cohort.code == "RS-LEE-0402"
    assert svc.config.cohort("RS-LEE-0402") == created.cohort
    assert await dialogue.current(svc, ADMIN) is None
    # The Create button again (a double tap) is a step that is over: nothing more is made.
    assert await dialogue.answer(svc, ADMIN, Tapped("y")) == Stale()
    assert [e.cohort.code for e in await cohorts.entries(svc) if e.origin == "stored"] == [
        "RS-LEE-0402"
    ]


async def test_a_restart_in_the_middle_loses_nothing(svc: Services, world: World) -> None:
    await dialogue.start_new(svc, FACILITATOR)
    await dialogue.answer(svc, FACILITATOR, Tapped("m", "getting-help"))
    await dialogue.answer(svc, FACILITATOR, Typed("York"))
    svc = await world.start()
    assert await dialogue.current(svc, FACILITATOR) == (
        "times",
        {"module": "getting-help", "site": "York"},
    )
    await dialogue.answer(svc, FACILITATOR, Typed("2026-04-03 10:00 12:00"))
    await dialogue.answer(svc, FACILITATOR, Typed("gh-york-a"))
    created = await dialogue.answer(svc, FACILITATOR, Tapped("y"))
    assert isinstance(created, Created)
    assert created.cohort.facilitators == (FACILITATOR,)  # a facilitator runs what they make


async def test_a_wrong_answer_keeps_the_step_and_the_draft(svc: Services) -> None:
    await dialogue.start_new(svc, ADMIN)
    await dialogue.answer(svc, ADMIN, Tapped("m", "risk-support"))
    before = await dialogue.current(svc, ADMIN)
    outcome = await dialogue.answer(svc, ADMIN, Typed("L"))
    assert isinstance(outcome, Problem) and outcome.step == "site" and not outcome.ended
    assert "2 to 40 characters" in str(outcome.error)
    assert await dialogue.current(svc, ADMIN) == before
    outcome = await dialogue.answer(svc, ADMIN, Typed("Leeds"))
    assert isinstance(outcome, Ask) and outcome.step == "times"


async def test_lines_and_taps_that_are_not_the_dialogues(svc: Services) -> None:
    assert await dialogue.answer(svc, ADMIN, Typed("RS-LDN-0314")) is None  # no dialogue
    assert await dialogue.answer(svc, ADMIN, Tapped("y")) == Stale()
    await dialogue.start_new(svc, ADMIN)
    assert await dialogue.answer(svc, ADMIN, Typed("risk-support")) is None  # wants a button
    assert await dialogue.answer(svc, ADMIN, Tapped("c", "RS-X-1")) == Stale()
    assert await dialogue.current(svc, ADMIN) == ("module", {})


async def test_the_same_session_twice_is_refused_at_the_times_step(svc: Services) -> None:
    first = NewCohort("", "risk-support", "Leeds", *times(9, 16))
    twin = await cohorts.create(svc, first, "admin 999")
    await dialogue.start_new(svc, ADMIN)
    await dialogue.answer(svc, ADMIN, Tapped("m", "risk-support"))
    await dialogue.answer(svc, ADMIN, Typed("LEEDS"))  # any capitals: the same site
    outcome = await dialogue.answer(svc, ADMIN, Typed("2 Apr 9:00-16:00"))
    assert isinstance(outcome, Problem) and outcome.step == "times"
    assert isinstance(outcome.error, DuplicateCohort) and outcome.error.twin.cohort == twin
    outcome = await dialogue.answer(svc, ADMIN, Typed("2 Apr 9:00-15:00"))
    assert isinstance(outcome, Ask) and outcome.draft["suggested"] == "RS-LEE-0402-2"


async def test_a_create_that_fails_ends_the_dialogue(svc: Services) -> None:
    await dialogue.start_new(svc, ADMIN)
    for given in (Tapped("m", "risk-support"), Typed("Leeds"), Typed("2 Apr 9:00-16:00")):
        await dialogue.answer(svc, ADMIN, given)
    await dialogue.answer(svc, ADMIN, Tapped("c", "RS-LEE-0402"))
    # Someone else takes the same session before Create is tapped.
    await cohorts.create(svc, NewCohort("RS-1", "risk-support", "Leeds", *times(9, 16)), "cli")
    outcome = await dialogue.answer(svc, ADMIN, Tapped("y"))
    assert isinstance(outcome, Problem) and outcome.ended and outcome.step is None
    assert isinstance(outcome.error, DuplicateCohort)
    assert await dialogue.current(svc, ADMIN) is None
    assert len([e for e in await cohorts.entries(svc) if e.origin == "stored"]) == 1


async def test_cancel_at_any_step_and_a_day_old_dialogue(svc: Services, clock: Clock) -> None:
    await dialogue.start_new(svc, ADMIN)
    await dialogue.answer(svc, ADMIN, Tapped("m", "risk-support"))
    assert await dialogue.answer(svc, ADMIN, Tapped(dialogue.CANCEL)) == Cancelled(True)
    assert await dialogue.cancel(svc, ADMIN) == Cancelled(False)
    await dialogue.start_new(svc, ADMIN)
    await dialogue.answer(svc, ADMIN, Tapped("m", "risk-support"))
    clock.advance(days=1, seconds=1)
    assert await dialogue.answer(svc, ADMIN, Typed("Leeds")) is None  # forgotten
    assert await dialogue.current(svc, ADMIN) is None


async def test_the_edit_dialogue(svc: Services) -> None:
    problem = await dialogue.start_edit(svc, ADMIN, "RS-LDN-0314")
    assert isinstance(problem, Problem) and "config file" in str(problem.error)
    made = await cohorts.create(svc, NewCohort("", "risk-support", "Leeds", *times(9, 16)), "x")
    assert await dialogue.start_edit(svc, ADMIN, made.code.lower()) == Ask(
        "edit", {"code": made.code}
    )
    outcome = await dialogue.answer(svc, ADMIN, Typed("colour blue"))
    assert isinstance(outcome, Problem) and isinstance(outcome.error, UnknownChange)
    assert outcome.step == "edit"
    outcome = await dialogue.answer(svc, ADMIN, Typed("end 17:30"))
    assert isinstance(outcome, Edited)
    assert (outcome.before.end, outcome.after.end) == (times(9, 16)[1], times(9, 17, 30)[1])
    assert await dialogue.current(svc, ADMIN) is None


async def test_the_one_line_forms(svc: Services) -> None:
    made = await dialogue.create_in_one_line(
        svc, FACILITATOR, ["risk-support", "Milton", "Keynes", "2026-04-02", "09:00", "16:00"]
    )
    assert isinstance(made, Created) and made.cohort.site == "Milton Keynes"
    again = await dialogue.create_in_one_line(
        svc, ADMIN, ["risk-support", "milton", "keynes", "2 Apr", "9:00", "16:00"]
    )
    assert isinstance(again, Problem) and isinstance(again.error, DuplicateCohort)
    changed = await dialogue.change_in_one_line(svc, ADMIN, made.cohort.code, "site Bletchley")
    assert isinstance(changed, Edited) and changed.after.site == "Bletchley"


def times(start: int, end: int, end_minute: int = 0) -> tuple[datetime, datetime]:
    return (
        datetime(2026, 4, 2, start, tzinfo=UTC),
        datetime(2026, 4, 2, end, end_minute, tzinfo=UTC),
    )
