"""Where a participant is in a questionnaire, derived only from what is stored.

Pure functions: no Telegram, no database. The handlers load a `Progress` from the
database and ask these functions what to show next, so a restart changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import UnionType
from typing import Literal

from core.config import Cohort, ScheduleSettings
from core.questionnaire import ALL_PHASES, FOLLOW_UP, Module, Phase, Question


@dataclass(frozen=True)
class Progress:
    """What is stored about one participant's response to one phase."""

    answers: dict[str, str | None] = field(default_factory=dict)
    answered_elsewhere: frozenset[str] = frozenset()
    position: str | None = None
    submitted: bool = False


@dataclass(frozen=True)
class Step:
    """What the participant sees now: a question, the review, or the thank-you."""

    kind: Literal["question", "review", "done"]
    sequence: tuple[Question, ...]
    index: int = 0

    @property
    def question(self) -> Question:
        assert self.kind == "question"
        return self.sequence[self.index]

    @property
    def total(self) -> int:
        return len(self.sequence)


def sequence(
    module: Module, phase: Phase, answered_elsewhere: frozenset[str]
) -> tuple[Question, ...]:
    """The questions of a phase: profile questions not yet answered in the other phase first
    (the follow-up has none: it goes only to those who have answered them)."""
    own = tuple(q for q in module.questionnaire(phase).questions if not q.profile)
    if phase == FOLLOW_UP:
        return own
    profile = tuple(q for q in module.profile_questions if q.id not in answered_elsewhere)
    return profile + own


def current_step(module: Module, phase: Phase, progress: Progress) -> Step:
    """The question to show: the one gone back to, else the first unanswered, else the review."""
    questions = sequence(module, phase, progress.answered_elsewhere)
    if progress.submitted:
        return Step("done", questions)
    if progress.position is not None:
        for index, question in enumerate(questions):
            if question.id == progress.position:
                return Step("question", questions, index)
    for index, question in enumerate(questions):
        if question.id not in progress.answers:
            return Step("question", questions, index)
    return Step("review", questions, len(questions))


def back_target(step: Step) -> str | None:
    """The question id Back leads to from this step, or None at the first question."""
    if step.kind == "review":
        return step.sequence[-1].id if step.sequence else None
    if step.kind == "question" and step.index > 0:
        return step.sequence[step.index - 1].id
    return None


def missing_required(step: Step, answers: dict[str, str | None]) -> list[Question]:
    """Required questions without an answer (a guard before Submit)."""
    return [q for q in step.sequence if q.required and answers.get(q.id) is None]


# --- questionnaire windows -------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """When a questionnaire is open; closes None means until an admin closes it."""

    opens: datetime
    closes: datetime | None

    def contains(self, now: datetime) -> bool:
        return self.opens <= now and (self.closes is None or now < self.closes)


def default_window(cohort: Cohort, phase: Phase, schedule: ScheduleSettings) -> Window:
    """From the config: pre before and during the module, post for a while after it, the
    follow-up weeks later (for modules that have one)."""
    if phase == "pre":
        return Window(cohort.start - schedule.pre_opens_before, cohort.end)
    if phase == FOLLOW_UP:
        opens = cohort.end + schedule.follow_up_after
        return Window(opens, opens + schedule.follow_up_open_for)
    return Window(cohort.end, cohort.end + schedule.post_open_for)


Windows = dict[Phase, Window]


def windows_for(
    cohort: Cohort,
    schedule: ScheduleSettings,
    overrides: dict[str, tuple[datetime, datetime | None]],
) -> Windows:
    """The configured windows, with an admin's /open or /close taking precedence."""
    result: Windows = {}
    for phase in ALL_PHASES:
        override = overrides.get(phase)
        result[phase] = Window(*override) if override else default_window(cohort, phase, schedule)
    return result


def open_phase(windows: Windows, now: datetime) -> Phase | None:
    """The phase anyone joined answers now: post once it is open, else pre. (The follow-up
    is not among them: it is for those who submitted post; see `core.journey`.)"""
    for phase in ("post", "pre"):
        if windows[phase].contains(now):
            return phase
    return None


def staff_open_phase(windows: Windows, now: datetime, follow_up: bool) -> Phase | None:
    """The cohort's questionnaire open now, as staff see it (/status, /remind): its
    follow-up (`follow_up`: the module has one) before the others, which an admin may have
    kept open that long."""
    if follow_up and windows[FOLLOW_UP].contains(now):
        return FOLLOW_UP
    return open_phase(windows, now)


def opened_window(
    current: Window, default: Window, phase: Phase, schedule: ScheduleSettings, now: datetime
) -> Window:
    """The window after an admin's /open: open now, until the configured close if that is
    still ahead, else for the usual period (post) or until closed (pre)."""
    del current
    if default.closes is not None and default.closes > now:
        return Window(now, default.closes)
    if phase == "post":
        return Window(now, now + schedule.post_open_for)
    if phase == FOLLOW_UP:
        return Window(now, now + schedule.follow_up_open_for)
    return Window(now, None)


def closed_window(current: Window, now: datetime) -> Window:
    """The window after an admin's /close: closed from now on."""
    return Window(min(current.opens, now), now)


# --- callback data ----------------------------------------------------------------
# Every button the bot sends carries data written and read here, whatever its prefix: the
# participant's steps (a k s g c), the follow-up opt-out (u), the /forgetme confirmation (f)
# and the export button
# under a summary (x). One codec keeps the prefixes apart, so each handler claims exactly
# the taps that decode to its actions and registration order does not matter. It lives in
# the core because the actions are the journey's own vocabulary and it needs no Telegram.
# Data is short, self-describing and checked against the stored state on every tap, so a
# stale, replayed or forged button can never change anything (64 bytes at most).

SKIP = "-"


@dataclass(frozen=True)
class Answer:
    cohort: str
    phase: Phase
    question: str
    value: str  # a rating digit, a choice index, or SKIP


@dataclass(frozen=True)
class Back:
    cohort: str
    phase: Phase
    question: str  # the question (or "" for the review) the tap came from


@dataclass(frozen=True)
class Submit:
    cohort: str
    phase: Phase


@dataclass(frozen=True)
class Consent:
    cohort: str
    agreed: bool


@dataclass(frozen=True)
class Begin:
    cohort: str
    phase: Phase


@dataclass(frozen=True)
class FollowUpChoice:
    """The button under the thank-you for the post questionnaire: no follow-up (wanted
    False), or yes after all."""

    cohort: str
    wanted: bool


@dataclass(frozen=True)
class Forget:
    """The answer to /forgetme's question: erase everything, or keep it."""

    erase: bool


@dataclass(frozen=True)
class Export:
    """The export button under a summary: the answers of one cohort, or of one module."""

    cohort: str | None = None
    module: str | None = None


@dataclass(frozen=True)
class CohortTap:
    """A button of the /newcohort dialogue or under /cohorts. step: m (a module), c (the
    proposed code), y (create), n (cancel); k, e, s (a cohort's card, edit, status)."""

    step: str
    value: str = ""


ParticipantAction = Answer | Back | Submit | Consent | Begin | FollowUpChoice
Action = ParticipantAction | Forget | Export | CohortTap

_CODE = r"[A-Z0-9][A-Z0-9-]{1,19}"
_PHASE = r"(?:pre|post|follow_up)"
_QID = r"[a-z][a-z0-9_]{0,23}"
_PATTERNS: tuple[tuple[re.Pattern[str], type], ...] = (
    (re.compile(rf"^a:({_CODE}):({_PHASE}):({_QID}):(\d{{1,2}}|-)$"), Answer),
    (re.compile(rf"^k:({_CODE}):({_PHASE}):((?:{_QID})?)$"), Back),
    (re.compile(rf"^s:({_CODE}):({_PHASE})$"), Submit),
    (re.compile(rf"^g:({_CODE}):({_PHASE})$"), Begin),
)
_CONSENT = re.compile(rf"^c:({_CODE}):([yn])$")
_FOLLOW_UP = re.compile(rf"^u:({_CODE}):([yn])$")
_FORGET = re.compile(r"^f:([yn])$")
# The module id rule of the config's [[modules]] entries.
_EXPORT = re.compile(rf"^x:(?:c:({_CODE})|m:([a-z0-9][a-z0-9-]{{0,39}}))$")
_COHORT_TAP = re.compile(rf"^co:(?:(m):([a-z0-9][a-z0-9-]{{0,39}})|([ckes]):({_CODE})|([yn]))$")


def encode(action: Action) -> str:
    match action:
        case Answer(cohort, phase, question, value):
            data = f"a:{cohort}:{phase}:{question}:{value}"
        case Back(cohort, phase, question):
            data = f"k:{cohort}:{phase}:{question}"
        case Submit(cohort, phase):
            data = f"s:{cohort}:{phase}"
        case Begin(cohort, phase):
            data = f"g:{cohort}:{phase}"
        case Consent(cohort, agreed):
            data = f"c:{cohort}:{'y' if agreed else 'n'}"
        case FollowUpChoice(cohort, wanted):
            data = f"u:{cohort}:{'y' if wanted else 'n'}"
        case Forget(erase):
            data = f"f:{'y' if erase else 'n'}"
        case Export(cohort, module):
            assert (cohort is None) != (module is None), action
            data = f"x:c:{cohort}" if cohort else f"x:m:{module}"
        case CohortTap(step, value):
            data = f"co:{step}:{value}" if value else f"co:{step}"
    assert len(data.encode()) <= 64, data
    return data


def decode(data: str | None) -> Action | None:
    """Parse callback data; None for anything malformed."""
    if not data or len(data) > 64:
        return None
    match = _CONSENT.match(data)
    if match:
        return Consent(match[1], match[2] == "y")
    match = _FOLLOW_UP.match(data)
    if match:
        return FollowUpChoice(match[1], match[2] == "y")
    match = _FORGET.match(data)
    if match:
        return Forget(match[1] == "y")
    match = _EXPORT.match(data)
    if match:
        return Export(match[1], match[2])
    match = _COHORT_TAP.match(data)
    if match:
        step = match[1] or match[3] or match[5]
        return CohortTap(step, match[2] or match[4] or "")
    for pattern, kind in _PATTERNS:
        match = pattern.match(data)
        if match:
            return kind(*match.groups())  # type: ignore[no-any-return]
    return None


def taps(*kinds: type | UnionType) -> Callable[[object], bool]:
    """A `pattern=` for a callback handler: the taps whose data decodes to one of `kinds`."""

    def claims(data: object) -> bool:
        return isinstance(data, str) and isinstance(decode(data), kinds)

    return claims


def undecodable(data: object) -> bool:
    """A `pattern=` for the taps no handler claims: forged, garbled or from an old version."""
    return not isinstance(data, str) or decode(data) is None


def button_value(question: Question, value: str) -> str | None:
    """Turn a button's value into the stored answer (None = skip); raise ValueError if invalid."""
    if value == SKIP:
        if question.required:
            raise ValueError("required question cannot be skipped")
        return None
    if question.kind == "rating":
        normalised = question.normalise(value)
    elif question.kind == "choice":
        index = int(value)
        normalised = question.options[index] if 0 <= index < len(question.options) else None
    else:
        normalised = None  # free text is typed, never a button
    if normalised is None:
        raise ValueError(f"{value!r} is not an answer to {question.id}")
    return normalised
