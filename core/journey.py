"""The participant journey as plain async functions over the database (no Telegram).

Each function validates what the participant did against the stored state and either
changes the database in one transaction or refuses with a reason, changing nothing. A
transaction that goes on to change what it read locks the participant first (`lock=True`):
on PostgreSQL transactions run side by side, and two taps of one person (a double tap, or a
tap handled by a bot taking over) must still be judged one after the other.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import callbacks, flow
from core.config import Cohort
from core.flow import Progress, Step
from core.questionnaire import ALL_PHASES, FOLLOW_UP, PHASES, Module, Phase, Question
from core.services import Services
from core.storage import ParticipantRow, Tx, parse_utc
from core.windows import Windows, next_opening, open_phase, windows_for

# Bump when the privacy notice's wording changes materially; consents record it.
NOTICE_VERSION = 1


def pseudonym(key: bytes, telegram_id: int) -> str:
    """A stable pseudonymous id: a keyed HMAC, so ids cannot be reversed or guessed."""
    digest = hmac.new(key, str(telegram_id).encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:16]}"


class Refusal(enum.Enum):
    UNKNOWN_CODE = "unknown_code"
    NOT_OPEN = "not_open"
    NOT_JOINED = "not_joined"
    CLOSED = "closed"
    SUBMITTED = "submitted"
    STALE = "stale"
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_TEXT = "not_text"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    INCOMPLETE = "incomplete"
    NOT_ASKED = "not_asked"  # the follow-up, to someone who opted out or never submitted post


@dataclass(frozen=True)
class FollowUpOffer:
    """What the thank-you for the post questionnaire says about the follow-up to come."""

    opens: datetime  # in the bot's time zone
    wait: timedelta  # from now until it opens (zero or less: open now)
    opted_out: bool


@dataclass(frozen=True)
class View:
    """Everything needed to show a participant where they are."""

    participant: ParticipantRow
    cohort: Cohort
    module: Module
    phase: Phase
    step: Step
    answers: dict[str, str | None]
    message_id: int | None
    follow_up: FollowUpOffer | None = None  # on the submitted post questionnaire's thank-you


@dataclass(frozen=True)
class Outcome:
    """The result of an action: the view to show next, or why nothing changed."""

    view: View | None = None
    refusal: Refusal | None = None
    cohort: Cohort | None = None  # for refusals that name the cohort
    answered: Question | None = None  # the question a typed reply answered
    opens: datetime | None = None  # NOT_OPEN: when a questionnaire of the cohort opens next

    @property
    def ok(self) -> bool:
        return self.refusal is None


async def _view(
    tx: Tx, svc: Services, participant: ParticipantRow, cohort: Cohort, phase: Phase
) -> View:
    module = svc.config.module_of(cohort)
    response = await tx.responses.get(participant.id, phase)
    answers = await tx.answers.of(participant.id, phase)
    answered_elsewhere: frozenset[str] = frozenset()
    if phase != FOLLOW_UP:
        other: Phase = "post" if phase == "pre" else "pre"
        other_answers = await tx.answers.of(participant.id, other)
        profile_ids = {q.id for q in module.profile_questions}
        answered_elsewhere = frozenset(q for q in other_answers if q in profile_ids)
    progress = Progress(
        answers=answers,
        answered_elsewhere=answered_elsewhere,
        position=response.position if response else None,
        submitted=bool(response and response.submitted_at),
    )
    step = flow.current_step(module, phase, progress)
    offer = None
    if phase == "post" and step.kind == "done" and module.follow_up is not None:
        offer = await _follow_up_offer(tx, svc, participant, cohort)
    return View(
        participant,
        cohort,
        module,
        phase,
        step,
        answers,
        response.message_id if response else None,
        offer,
    )


async def _follow_up_offer(
    tx: Tx, svc: Services, participant: ParticipantRow, cohort: Cohort
) -> FollowUpOffer | None:
    """The follow-up still to come (or open now) for someone who submitted post."""
    window = (await cohort_windows(tx, svc, cohort))[FOLLOW_UP]
    if window.closes is not None and window.closes <= svc.now():
        return None
    opted_out = await tx.follow_up.opted_out(participant.id)
    opens = window.opens.astimezone(svc.config.bot.timezone)
    return FollowUpOffer(opens, window.opens - svc.now(), opted_out)


async def follow_up_eligible(tx: Tx, svc: Services, cohort: Cohort, participant_id: int) -> bool:
    """Whether the follow-up is for this participant: the module has one, they submitted the
    post questionnaire, and they have not opted out."""
    if svc.config.module_of(cohort).follow_up is None:
        return False
    post = await tx.responses.get(participant_id, "post")
    if post is None or post.submitted_at is None:
        return False
    return not await tx.follow_up.opted_out(participant_id)


async def cohort_windows(tx: Tx, svc: Services, cohort: Cohort) -> Windows:
    """The cohort's questionnaire windows, admins' overrides included."""
    stored = await tx.windows.of(cohort.code)
    overrides = {
        phase: (parse_utc(opens), parse_utc(closes) if closes else None)
        for phase, (opens, closes) in stored.items()
    }
    return windows_for(cohort, svc.config.schedule, overrides)


async def _open_phase(
    tx: Tx, svc: Services, cohort: Cohort, participant: ParticipantRow | None = None
) -> Phase | None:
    """The phase this participant answers now: the follow-up while it is open, if it is for
    them; else pre or post, whichever is open (anyone joined answers those)."""
    windows = await cohort_windows(tx, svc, cohort)
    now = svc.now()
    if (
        participant is not None
        and windows[FOLLOW_UP].contains(now)
        and await follow_up_eligible(tx, svc, cohort, participant.id)
    ):
        return FOLLOW_UP
    return open_phase(windows, now)


async def _not_open(tx: Tx, svc: Services, cohort: Cohort) -> Outcome:
    """The refusal for a cohort with no questionnaire open to join: when pre or post opens
    next, if one will (admins' /open and /close count)."""
    windows = await cohort_windows(tx, svc, cohort)
    opens = next_opening({phase: windows[phase] for phase in PHASES}, svc.now())
    return Outcome(refusal=Refusal.NOT_OPEN, cohort=cohort, opens=opens)


async def request_join(svc: Services, telegram_id: int, code: str) -> Outcome:
    """Someone asked to join with a code: resume if they already joined, else ask consent."""
    cohort = svc.config.cohort(code)
    if cohort is None:
        return Outcome(refusal=Refusal.UNKNOWN_CODE)
    async with svc.db.write() as tx:
        participant = await tx.participants.find(telegram_id, cohort.code, lock=True)
        phase = await _open_phase(tx, svc, cohort, participant)
        if phase is None:
            return await _not_open(tx, svc, cohort)
        if participant is None:
            # Nothing is stored before consent: the notice carries the code in its buttons.
            return Outcome(cohort=cohort)
        await tx.participants.touch(participant.id, svc.now())
        await tx.responses.start(participant.id, phase, svc.now())
        return Outcome(view=await _view(tx, svc, participant, cohort, phase), cohort=cohort)


async def give_consent(svc: Services, telegram_id: int, code: str) -> Outcome:
    """Record consent and start the open questionnaire."""
    cohort = svc.config.cohort(code)
    if cohort is None:
        return Outcome(refusal=Refusal.INVALID)
    now = svc.now()
    async with svc.db.write() as tx:
        known = await tx.participants.find(telegram_id, cohort.code, lock=True)
        phase = await _open_phase(tx, svc, cohort, known)
        if phase is None:
            return await _not_open(tx, svc, cohort)
        participant = await tx.participants.join(
            telegram_id, cohort.code, pseudonym(svc.pseudonym_key, telegram_id), now, NOTICE_VERSION
        )
        await tx.responses.start(participant.id, phase, now)
        return Outcome(view=await _view(tx, svc, participant, cohort, phase), cohort=cohort)


async def decline(svc: Services, telegram_id: int, code: str) -> View | None:
    """Someone tapped No thanks. If they had just agreed (a quick change of mind) and have
    answered nothing yet, their participation is removed; None means nothing is kept.
    If they have answers, nothing changes and their current view is returned."""
    cohort = svc.config.cohort(code)
    if cohort is None:
        return None
    async with svc.db.write() as tx:
        participant = await tx.participants.find(telegram_id, cohort.code, lock=True)
        if participant is None:
            return None
        phase = await _open_phase(tx, svc, cohort, participant)
        answered = any([await tx.answers.of(participant.id, p) for p in ALL_PHASES])
        if answered and phase is not None:
            return await _view(tx, svc, participant, cohort, phase)
        if not answered:
            await tx.privacy.erase_participation(participant.id)
        return None


async def resume(svc: Services, telegram_id: int) -> Outcome:
    """Continue the active cohort's open questionnaire where the participant left it."""
    async with svc.db.write() as tx:
        participant = await tx.participants.active(telegram_id, lock=True)
        if participant is None:
            return Outcome(refusal=Refusal.NOT_JOINED)
        cohort = svc.config.cohort(participant.cohort)
        if cohort is None:
            return Outcome(refusal=Refusal.NOT_JOINED)
        phase = await _open_phase(tx, svc, cohort, participant)
        if phase is None:
            return await _not_open(tx, svc, cohort)
        await tx.responses.start(participant.id, phase, svc.now())
        return Outcome(view=await _view(tx, svc, participant, cohort, phase), cohort=cohort)


async def current_view(svc: Services, telegram_id: int) -> View | None:
    """The open questionnaire the participant is in, without changing anything."""
    async with svc.db.read() as tx:
        participant = await tx.participants.active(telegram_id)
        if participant is None:
            return None
        cohort = svc.config.cohort(participant.cohort)
        if cohort is None:
            return None
        phase = await _open_phase(tx, svc, cohort, participant)
        if phase is None or await tx.responses.get(participant.id, phase) is None:
            return None
        return await _view(tx, svc, participant, cohort, phase)


async def _locate(
    tx: Tx, svc: Services, telegram_id: int, code: str, phase: Phase
) -> tuple[ParticipantRow, Cohort] | Outcome:
    cohort = svc.config.cohort(code)
    if cohort is None:
        return Outcome(refusal=Refusal.INVALID)
    participant = await tx.participants.find(telegram_id, cohort.code, lock=True)
    if participant is None:
        return Outcome(refusal=Refusal.NOT_JOINED)
    if phase not in svc.config.module_of(cohort).phases:
        return Outcome(refusal=Refusal.INVALID)
    if not (await cohort_windows(tx, svc, cohort))[phase].contains(svc.now()):
        return Outcome(refusal=Refusal.CLOSED, cohort=cohort)
    if phase == FOLLOW_UP and not await follow_up_eligible(tx, svc, cohort, participant.id):
        # Honoured at once: an opt-out stops a follow-up half-way through as well.
        return Outcome(refusal=Refusal.NOT_ASKED, cohort=cohort)
    return participant, cohort


async def _editable_view(
    tx: Tx, svc: Services, telegram_id: int, code: str, phase: Phase
) -> View | Outcome:
    """The participant's view of an open, unsubmitted questionnaire, or why there is none."""
    located = await _locate(tx, svc, telegram_id, code, phase)
    if isinstance(located, Outcome):
        return located
    view = await _view(tx, svc, *located, phase)
    if view.step.kind == "done":
        return Outcome(view=view, refusal=Refusal.SUBMITTED)
    return view


async def _refreshed(tx: Tx, svc: Services, view: View) -> View:
    return await _view(tx, svc, view.participant, view.cohort, view.phase)


async def _change_editable(
    svc: Services,
    telegram_id: int,
    tap: callbacks.Answer | callbacks.Back | callbacks.Submit,
    change: Callable[[Tx, View], Awaitable[Refusal | None]],
) -> Outcome:
    """Do what a tap asks in one transaction, if its questionnaire is open and unsubmitted:
    `change` makes the change or says why not (and changes nothing); then show the
    questionnaire as it is now."""
    async with svc.db.write() as tx:
        view = await _editable_view(tx, svc, telegram_id, tap.cohort, tap.phase)
        if isinstance(view, Outcome):
            return view
        refusal = await change(tx, view)
        if refusal is not None:
            return Outcome(view=view, refusal=refusal)
        return Outcome(view=await _refreshed(tx, svc, view))


async def answer_button(svc: Services, telegram_id: int, action: callbacks.Answer) -> Outcome:
    """Store a tapped answer if it answers the question being shown; then show the next."""

    async def store(tx: Tx, view: View) -> Refusal | None:
        # A double tap or an old message's button names a question that is no longer current.
        if view.step.kind != "question" or view.step.question.id != action.question:
            return Refusal.STALE
        question = view.step.question
        try:
            value = flow.button_value(question, action.value)
        except ValueError:
            return Refusal.REQUIRED if action.value == callbacks.SKIP else Refusal.INVALID
        await _store(tx, svc, view.participant, view.phase, question.id, value)
        return None

    return await _change_editable(svc, telegram_id, action, store)


async def answer_text(svc: Services, telegram_id: int, text: str) -> Outcome:
    """Store a typed answer to the free-text question being shown."""
    async with svc.db.write() as tx:
        participant = await tx.participants.active(telegram_id, lock=True)
        if participant is None:
            return Outcome(refusal=Refusal.NOT_JOINED)
        cohort = svc.config.cohort(participant.cohort)
        phase = await _open_phase(tx, svc, cohort, participant) if cohort else None
        if cohort is None or phase is None or await tx.responses.get(participant.id, phase) is None:
            return Outcome(refusal=Refusal.NOT_JOINED)
        view = await _view(tx, svc, participant, cohort, phase)
        if view.step.kind != "question" or view.step.question.kind != "text":
            return Outcome(view=view, refusal=Refusal.NOT_TEXT)
        question = view.step.question
        if len(text.strip()) > question.max_length:
            return Outcome(view=view, refusal=Refusal.TOO_LONG)
        value = question.normalise(text)
        if value is None:
            return Outcome(view=view, refusal=Refusal.EMPTY)
        await _store(tx, svc, participant, phase, question.id, value)
        return Outcome(view=await _refreshed(tx, svc, view), answered=question)


async def _store(
    tx: Tx,
    svc: Services,
    participant: ParticipantRow,
    phase: Phase,
    question: str,
    value: str | None,
) -> None:
    await tx.answers.save(participant.id, phase, question, value, svc.now())
    await tx.responses.set_position(participant.id, phase, None)


async def go_back(svc: Services, telegram_id: int, action: callbacks.Back) -> Outcome:
    """Show the question before the one the participant is on."""

    async def move_back(tx: Tx, view: View) -> Refusal | None:
        here = view.step.question.id if view.step.kind == "question" else ""
        target = flow.back_target(view.step)
        if here != action.question or target is None:
            return Refusal.STALE
        await tx.responses.set_position(view.participant.id, view.phase, target)
        return None

    return await _change_editable(svc, telegram_id, action, move_back)


async def submit(svc: Services, telegram_id: int, action: callbacks.Submit) -> Outcome:
    """Submit a complete questionnaire; after this it cannot be changed in the chat."""

    async def hand_in(tx: Tx, view: View) -> Refusal | None:
        if view.step.kind != "review":
            return Refusal.STALE
        if flow.missing_required(view.step, view.answers):
            return Refusal.INCOMPLETE
        await tx.responses.submit(view.participant.id, view.phase, svc.now())
        return None

    return await _change_editable(svc, telegram_id, action, hand_in)


async def begin(svc: Services, telegram_id: int, action: callbacks.Begin) -> Outcome:
    """Start or continue a questionnaire from a pushed message's button."""
    async with svc.db.write() as tx:
        located = await _locate(tx, svc, telegram_id, action.cohort, action.phase)
        if isinstance(located, Outcome):
            return located
        participant, cohort = located
        await tx.participants.touch(participant.id, svc.now())
        await tx.responses.start(participant.id, action.phase, svc.now())
        return Outcome(view=await _view(tx, svc, participant, cohort, action.phase))


async def remember_message(svc: Services, view: View, message_id: int) -> None:
    """Record which chat message shows the questionnaire, to tidy it up later."""
    async with svc.db.write() as tx:
        await tx.responses.set_message(view.participant.id, view.phase, message_id)


async def choose_follow_up(
    svc: Services, telegram_id: int, action: callbacks.FollowUpChoice
) -> Outcome:
    """Opt out of the cohort's follow-up questionnaire (or back in), from the button under
    the thank-you for the post questionnaire; shows that thank-you again."""
    cohort = svc.config.cohort(action.cohort)
    if cohort is None or svc.config.module_of(cohort).follow_up is None:
        return Outcome(refusal=Refusal.INVALID)
    async with svc.db.write() as tx:
        participant = await tx.participants.find(telegram_id, cohort.code, lock=True)
        if participant is None:
            return Outcome(refusal=Refusal.NOT_JOINED)
        view = await _view(tx, svc, participant, cohort, "post")
        if view.step.kind != "done":
            return Outcome(refusal=Refusal.STALE)
        if view.follow_up is None:
            return Outcome(view=view, refusal=Refusal.CLOSED, cohort=cohort)
        await tx.follow_up.set_opt_out(participant.id, not action.wanted, svc.now())
        return Outcome(view=await _refreshed(tx, svc, view), cohort=cohort)
