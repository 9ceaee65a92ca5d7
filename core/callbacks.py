"""The one codec of every button's callback data.

Every button the bot sends carries data written and read here, whatever its prefix: the
participant's steps (a k s g c), the follow-up opt-out (u), the /forgetme confirmation (f),
the export button under a summary (x) and the cohort dialogue's buttons (co). One codec
keeps the prefixes apart, so each handler claims exactly the taps that decode to its actions
and registration order does not matter. It lives in
the core because the actions are the journey's own vocabulary and it needs no Telegram.
Data is short, self-describing and checked against the stored state on every tap, so a
stale, replayed or forged button can never change anything (64 bytes at most).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType

from core.questionnaire import Phase

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
    """The export button under a summary: the answers of one cohort, or of one module (with
    a period's label, "2026-Q1", only of its cohorts that started in that period)."""

    cohort: str | None = None
    module: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class CohortTap:
    """A button of the /newcohort dialogue or under /cohorts. button: its kind, m (a
    module), c (the proposed code), y (create), n (cancel); k, e, s (a cohort's card, edit,
    status)."""

    button: str
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
# A period as core.periods labels it: a year, a quarter or a month.
_PERIOD = r"\d{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?"
_EXPORT = re.compile(rf"^x:(?:c:({_CODE})|m:([a-z0-9][a-z0-9-]{{0,39}})(?::({_PERIOD}))?)$")
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
        case Export(cohort, module, period):
            assert (cohort is None) != (module is None), action
            assert period is None or module is not None, action
            data = f"x:c:{cohort}" if cohort else f"x:m:{module}"
            data += f":{period}" if period else ""
        case CohortTap(button, value):
            data = f"co:{button}:{value}" if value else f"co:{button}"
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
        return Export(match[1], match[2], match[3])
    match = _COHORT_TAP.match(data)
    if match:
        button = match[1] or match[3] or match[5]
        return CohortTap(button, match[2] or match[4] or "")
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
