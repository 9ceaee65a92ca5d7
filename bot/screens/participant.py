"""What participants read: message texts and inline keyboards for each step."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import callbacks, flow
from core.config import Cohort
from core.journey import FollowUpOffer, Refusal, View
from core.questionnaire import Question

PHASE_NAMES = {"pre": "pre-module", "post": "post-module", "follow_up": "follow-up"}
CHECK = "✓ "  # before the answer already given, on its button
# Button labels, named so that simulations and tests read them from here.
AGREE = "I agree"
DECLINE = "No thanks"
BACK = "⬅ Back"
SKIP = "Skip"
SUBMIT = "✅ Submit"
START_POST = "Start ▶"  # under the post questionnaire's push (and the follow-up's)
CONTINUE_POST = "Continue ▶"  # under a reminder
NO_FOLLOW_UP = "No follow-up, thanks"  # under the thank-you for the post questionnaire
FOLLOW_UP_AFTER_ALL = "Ask me after all"  # the same place, once opted out


def _button(text: str, action: callbacks.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.encode(action))


def welcome() -> str:
    return (
        "👋 Hello! I collect feedback for training modules.\n\n"
        "Please type the <b>cohort code</b> your facilitator gave you "
        "(it is on the slide, e.g. <code>RS-LDN-0314</code>), or scan the QR code again."
    )


def help_text(contact: str) -> str:
    return (
        "<b>How this works</b>\n"
        "• Join with the link or QR code from your facilitator, or send /start and type the "
        "cohort code.\n"
        "• Each question has buttons: tap one. <b>Skip</b> leaves an optional question out; "
        "<b>Back</b> changes your previous answer.\n"
        "• At the end you can check your answers and tap <b>Submit</b>.\n"
        "• You can stop at any time and carry on later with /resume.\n"
        "• Some weeks after a module I may ask once more how you have used it (the "
        "follow-up). /nofollowup turns that off at once, for every module you took part "
        "in; /followup turns it back on.\n"
        "• /mydata shows everything stored about you; /forgetme erases it.\n\n"
        f"Questions about your data: {escape(contact)}."
    )


def about(delta: timedelta) -> str:
    """A rough duration in words: "about 8 weeks", "about 10 days", "about 3 hours"."""
    seconds = max(0, int(delta.total_seconds()))
    for size, unit, least in (
        (604800, "week", 2),
        (86400, "day", 1),
        (3600, "hour", 1),
        (60, "minute", 1),
    ):
        if seconds >= size * least:
            count = round(seconds / size)
            return f"about {count} {unit}{'s' if count != 1 else ''}"
    return "a few seconds"


def privacy_notice(
    cohort: Cohort, module_title: str, contact: str, follow_up_after: timedelta | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    follow_up = ""
    if follow_up_after is not None:
        follow_up = (
            f"• {about(follow_up_after).capitalize()} after the module I will ask once more, "
            "briefly, how you have used it (the follow-up), if you answered the questions at "
            "its end. You can say no then, or any time with /nofollowup.\n"
        )
    text = (
        f"<b>{escape(module_title)}</b> · {escape(cohort.site)} · <code>{cohort.code}</code>\n\n"
        "Before we start — <b>what happens to your answers</b>\n"
        "• I store your answers to this module's questionnaires, the time you gave them, and "
        "a pseudonymous id. Your name and Telegram username are not stored.\n"
        "• Facilitators and the programme team see only combined results; small groups are "
        "never shown with exact numbers.\n"
        "• Comments you type are shown to facilitators as you wrote them, without your name, "
        "once several people have commented. Leave out anything that identifies you or "
        "others.\n"
        + follow_up
        + "• You can skip optional questions, see what is stored with /mydata, and erase it "
        "with /forgetme.\n"
        f"• Questions: {escape(contact)}.\n\n"
        "Do you agree to take part?"
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(AGREE, callbacks.Consent(cohort.code, True)),
                _button(DECLINE, callbacks.Consent(cohort.code, False)),
            ]
        ]
    )
    return text, keyboard


def declined(code: str) -> str:
    return (
        "No problem — nothing about you has been stored. "
        f"If you change your mind, send <code>/start {escape(code)}</code>."
    )


def _question(view: View) -> tuple[str, InlineKeyboardMarkup]:
    step = view.step
    question = step.question
    code, phase = view.cohort.code, view.phase
    lines = [f"<b>Question {step.index + 1} of {step.total}</b>", "", escape(question.text)]
    current = view.answers.get(question.id)
    rows: list[list[InlineKeyboardButton]] = []
    if question.kind == "rating":
        lines += ["", f"1 = {escape(question.low)} · 5 = {escape(question.high)}"]
        rows.append(
            [
                _button(
                    (CHECK if current == v else "") + v,
                    callbacks.Answer(code, phase, question.id, v),
                )
                for v in ("1", "2", "3", "4", "5")
            ]
        )
    elif question.kind == "choice":
        rows.extend(
            [
                _button(
                    (CHECK if current == option else "") + option,
                    callbacks.Answer(code, phase, question.id, str(i)),
                )
            ]
            for i, option in enumerate(question.options)
        )
    else:
        hint = f"Type your answer as a message (up to {question.max_length} characters)."
        lines += ["", f"<i>{hint}</i>"]
        if current:
            lines += ["", f"Your answer so far: “{escape(current)}”"]
    nav: list[InlineKeyboardButton] = []
    back = flow.back_target(step)
    if back is not None:
        nav.append(_button(BACK, callbacks.Back(code, phase, question.id)))
    if not question.required:
        nav.append(_button(SKIP, callbacks.Answer(code, phase, question.id, callbacks.SKIP)))
    if nav:
        rows.append(nav)
    if view.step.index == 0:
        intro = view.module.questionnaire(phase).intro
        header = f"<b>{escape(view.module.title)}</b> — {PHASE_NAMES[phase]} questionnaire"
        lines = [header, *([escape(intro)] if intro else []), "", *lines]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _shown_answer(question: Question, value: str | None) -> str:
    if value is None:
        return "<i>skipped</i>"
    if question.kind == "text" and len(value) > 200:
        value = value[:200] + "…"
    return escape(value)


def _review(view: View) -> tuple[str, InlineKeyboardMarkup]:
    lines = [f"<b>Your {PHASE_NAMES[view.phase]} answers</b>", ""]
    for number, question in enumerate(view.step.sequence, start=1):
        value = view.answers.get(question.id)
        lines.append(f"{number}. {escape(question.label)}: <b>{_shown_answer(question, value)}</b>")
    lines += ["", "Tap <b>Submit</b> to send them, or <b>Back</b> to change an answer."]
    code, phase = view.cohort.code, view.phase
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(BACK, callbacks.Back(code, phase, "")),
                _button(SUBMIT, callbacks.Submit(code, phase)),
            ]
        ]
    )
    return "\n".join(lines), keyboard


def _done(view: View) -> tuple[str, InlineKeyboardMarkup | None]:
    text = (
        f"✅ Thank you! Your {PHASE_NAMES[view.phase]} answers for "
        f"<b>{escape(view.module.title)}</b> are submitted."
    )
    if view.phase == "pre":
        text += "\n\nI will message you again when the module ends for a few short questions."
    if view.phase == "follow_up":
        text += "\n\nThat was the last questionnaire for this module."
    if view.follow_up is not None:
        return follow_up_offer(text, view.cohort.code, view.follow_up)
    return text, None


def follow_up_offer(
    thanks: str, code: str, offer: FollowUpOffer
) -> tuple[str, InlineKeyboardMarkup]:
    """The thank-you for the post questionnaire, saying when the follow-up will come, with
    the button to say no to it (or yes again)."""
    when = f"{offer.opens.day} {offer.opens:%B}"
    if offer.opted_out:
        text = (
            f"{thanks}\n\nYou have opted out of the follow-up questionnaire: I will not ask "
            "you again about this module. Changed your mind? Tap below."
        )
        button = _button(FOLLOW_UP_AFTER_ALL, callbacks.FollowUpChoice(code, True))
    elif offer.wait <= timedelta(0):
        text = (
            f"{thanks}\n\nThe follow-up questionnaire is open now: /resume starts it. If you "
            "would rather not be asked, tap below (or send /nofollowup)."
        )
        button = _button(NO_FOLLOW_UP, callbacks.FollowUpChoice(code, False))
    else:
        text = (
            f"{thanks}\n\nIn {about(offer.wait)} (around {when}) I will ask you once more, "
            "briefly, whether you have used what you learned and how confident you feel "
            "then. If you would rather not be asked, tap below (or send /nofollowup later)."
        )
        button = _button(NO_FOLLOW_UP, callbacks.FollowUpChoice(code, False))
    return text, InlineKeyboardMarkup([[button]])


def step_screen(view: View) -> tuple[str, InlineKeyboardMarkup | None]:
    """The message that shows a participant's current step."""
    if view.step.kind == "question":
        return _question(view)
    if view.step.kind == "review":
        return _review(view)
    return _done(view)


def answered_stub(question: Question, value: str | None) -> str:
    """What an old question message turns into once answered by a typed reply."""
    return f"{escape(question.text)}\n\n{CHECK}<b>{_shown_answer(question, value)}</b>"


REFUSAL_TOASTS: dict[Refusal, str] = {
    Refusal.STALE: "That question has already been answered — see the latest question.",
    Refusal.SUBMITTED: "These answers are already submitted and can no longer be changed.",
    Refusal.CLOSED: "This questionnaire has closed — thank you.",
    Refusal.INVALID: "That button is no longer valid.",
    Refusal.NOT_JOINED: "Please join first: send /start and your cohort code.",
    Refusal.REQUIRED: "This question needs an answer.",
    Refusal.INCOMPLETE: "Some required questions still need an answer.",
    Refusal.NOT_OPEN: "This questionnaire is not open at the moment.",
    Refusal.NOT_ASKED: "You are not taking part in this follow-up (send /followup to take "
    "part after all).",
}


def refusal_toast(refusal: Refusal) -> str:
    return REFUSAL_TOASTS.get(refusal, "That did not work — please try again.")


def already_agreed() -> str:
    return (
        "You have already agreed and started answering, so your answers are kept. "
        "/forgetme erases them."
    )


def unknown_code(code: str) -> str:
    return (
        f"I don't know the cohort code <code>{escape(code[:40])}</code>. "
        "Please check it on the slide and type it again (for example <code>RS-LDN-0314</code>)."
    )


def not_open(cohort: Cohort, phase_opens: str | None) -> str:
    text = f"The questionnaires for <code>{cohort.code}</code> are not open at the moment."
    if phase_opens:
        text += f" They open on {escape(phase_opens)}."
    return text


def nothing_to_resume() -> str:
    return "You have no questionnaire open right now. To join a module, type its cohort code."


def use_buttons() -> str:
    return "Please answer with the buttons under the question."


def text_only(max_length: int) -> str:
    return (
        "I can only take a typed answer here — please type it as a message "
        f"(up to {max_length} characters)."
    )


def too_long(length: int, max_length: int) -> str:
    return (
        f"That answer is {length} characters long; the limit is {max_length}. "
        "Please shorten it and send it again."
    )


def private_only(bot_username: str) -> str:
    return f"Please message me privately to answer questionnaires: @{escape(bot_username)}"


def _closing(closes: datetime | None, tz: tzinfo) -> str:
    if closes is None:
        return ""
    return f" It closes on {closes.astimezone(tz).strftime('%A %d %B at %H:%M')}."


def post_push(module_title: str, closes: datetime | None, tz: tzinfo) -> str:
    return (
        f"👋 Thank you for taking part in <b>{escape(module_title)}</b>!\n\n"
        "Please tell us how it went: a few short questions, about three minutes."
        + _closing(closes, tz)
    )


def follow_up_push(module_title: str, closes: datetime | None, tz: tzinfo) -> str:
    return (
        f"👋 Some weeks ago you took part in <b>{escape(module_title)}</b>. "
        "How has it gone since? A few short questions and some of the same ratings as "
        "before, about two minutes." + _closing(closes, tz) + " Not wanted? /nofollowup."
    )


def follow_up_reminder(module_title: str, closes: datetime | None, tz: tzinfo) -> str:
    return (
        f"⏰ A reminder: how have you used <b>{escape(module_title)}</b> since the module? "
        "Your answers show the course leaders what lasts."
        + _closing(closes, tz)
        + " Tap below to carry on where you left off."
    )


def reminder(module_title: str, closes: datetime | None, tz: tzinfo) -> str:
    return (
        f"⏰ A reminder: your feedback on <b>{escape(module_title)}</b> helps us improve it."
        + _closing(closes, tz)
        + " Tap below to carry on where you left off."
    )


def digest(module_title: str, code: str, site: str, counts: dict[str, int]) -> str:
    return (
        f"🗓 <b>Daily update</b> — {escape(module_title)}, <code>{code}</code> ({escape(site)})\n"
        f"{counts['joined']} joined · pre-module: {counts['pre_submitted']} submitted, "
        f"{counts['pre_started'] - counts['pre_submitted']} in progress · post-module: "
        f"{counts['post_submitted']} submitted, "
        f"{counts['post_started'] - counts['post_submitted']} in progress"
    )
