"""What a participant reads about their data: /mydata's account and /forgetme's question."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import callbacks
from core.config import Config
from core.privacy import FollowUpChange
from core.storage import parse_utc

MESSAGE_LIMIT = 4000


# Button labels, named so that tests read them from here.
ERASE = "Erase everything"
KEEP = "Keep my answers"


def _when(config: Config, stamp: object) -> str:
    if not isinstance(stamp, str):
        return "—"
    return parse_utc(stamp).astimezone(config.bot.timezone).strftime("%d %b %Y %H:%M")


def records(config: Config, stored: list[dict[str, Any]]) -> list[str]:
    """A plain account of every stored item, split into messages Telegram accepts."""
    if not stored:
        return ["Nothing is stored about you."]
    lines = ["<b>What is stored about you</b>"]
    for record in stored:
        cohort = config.cohort(str(record["cohort"]))
        module = config.module_of(cohort) if cohort else None
        title = module.title if module else record["cohort"]
        lines += [
            "",
            f"<b>{escape(str(title))}</b> · cohort <code>{escape(str(record['cohort']))}</code>",
            f"Pseudonymous id in reports and exports: <code>{record['pseudonym']}</code>",
            f"Joined {_when(config, record['joined_at'])}; agreed to the privacy notice "
            f"(version {record['notice_version']}) {_when(config, record['consented_at'])}",
        ]
        for phase, started, submitted in record["responses"]:
            state = f"submitted {_when(config, submitted)}" if submitted else "not submitted"
            lines.append(
                f"{phase.capitalize()} questionnaire: started {_when(config, started)}, {state}"
            )
        for phase, question_id, value, answered in record["answers"]:
            question = module.any_question(question_id) if module else None
            label = question.label if question else question_id
            shown = "<i>skipped</i>" if value is None else escape(str(value))
            lines.append(f"• {phase}: {escape(label)}: {shown} ({_when(config, answered)})")
        for kind, sent in record["deliveries"]:
            lines.append(f"Message sent to you: {escape(str(kind))} ({_when(config, sent)})")
        if module is not None and module.follow_up is not None:
            opted_out = record.get("follow_up_opted_out_at")
            lines.append(
                f"Follow-up questionnaire: you opted out {_when(config, opted_out)} "
                "(/followup to take part after all)"
                if opted_out
                else "Follow-up questionnaire: you will be asked, if you submitted the "
                "post-module one (/nofollowup to say no)"
            )
    lines += [
        "",
        "Your name, username and Telegram id are not in any report or export. "
        "/forgetme erases all of the above.",
    ]
    return _chunks(lines)


def _chunks(lines: list[str]) -> list[str]:
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[:MESSAGE_LIMIT]
        if len(current) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*messages, current] if current else messages


def forget_question() -> tuple[str, InlineKeyboardMarkup]:
    text = (
        "This erases everything stored about you — every answer in every cohort — and stops "
        "all reminders. Summaries already sent to facilitators cannot be recalled. "
        "Erase now?"
    )
    erase = InlineKeyboardButton(ERASE, callback_data=callbacks.encode(callbacks.Forget(True)))
    keep = InlineKeyboardButton(KEEP, callback_data=callbacks.encode(callbacks.Forget(False)))
    keyboard = InlineKeyboardMarkup([[erase, keep]])
    return text, keyboard


def kept() -> str:
    return "Nothing was erased."


def erased(cohorts: int, answers: int) -> str:
    return (
        f"Done: everything about you is erased ({answers} answer(s) in {cohorts} "
        "cohort(s)). You will get no more reminders. You can join again any time with a "
        "cohort code."
    )


def follow_ups_chosen(changed: list[FollowUpChange], wanted: bool) -> str:
    """The answer to /nofollowup or /followup."""
    names = ", ".join(f"{escape(c.title)} (<code>{escape(c.cohort.code)}</code>)" for c in changed)
    if wanted:
        if not changed:
            return "You had not opted out of any follow-up still to come: nothing changed."
        return (
            f"Done: you will be asked the follow-up questionnaire after all for {names}, "
            "if you submitted the post-module questionnaire."
        )
    if not changed:
        return (
            "There is no follow-up questionnaire still to come for you (or you had opted "
            "out already): nothing changed."
        )
    return (
        f"Done: no follow-up questionnaire for {names}. You will get no follow-up "
        "message or reminder. /followup undoes this."
    )
