"""What admins and facilitators see when they run cohorts: texts and buttons."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import flow
from core.cohorts import Entry
from core.config import Cohort, Config
from core.dates import EXAMPLES

CREATE = "Create"
CANCEL = "Cancel"
USE_CODE = "Use {code}"
CARD = "Card"
EDIT = "Edit"
STATUS = "Status"

USAGE_NEW = (
    "Usage: /newcohort for a step-by-step dialogue, or in one line:\n"
    "<code>/newcohort risk-support Manchester 2026-04-02 09:30 16:30</code>"
)
USAGE_EDIT = (
    "Usage: <code>/editcohort CODE</code>, then one of\n"
    "<code>site Leeds</code> · <code>times 2 Apr 9:30–16:30</code> · <code>end 17:00</code>\n"
    "(or all in one line: <code>/editcohort CODE end 17:00</code>)"
)
PRIVATE_DIALOGUE = (
    "The step-by-step dialogue runs in a private chat with me. Here, give everything in "
    "one line, e.g. <code>/newcohort risk-support Manchester 2026-04-02 09:30 16:30</code> "
    "or <code>/editcohort CODE end 17:00</code>."
)
USAGE_CARD = "Usage: <code>/card CODE</code> — the join link, QR code and printable card."
USAGE_CANCEL = "Usage: <code>/cancelcohort CODE</code>"


def _button(label: str, step: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=flow.encode(flow.CohortTap(step, value)))


def when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M")


def span(cohort: Cohort, tz: tzinfo) -> str:
    start, end = cohort.start.astimezone(tz), cohort.end.astimezone(tz)
    if start.date() == end.date():
        return f"{when(start, tz)}–{end:%H:%M}"
    return f"{when(start, tz)} – {when(end, tz)}"


def ask_module(config: Config) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(m.title or m.id, "m", m.id)] for m in config.modules.values()]
    rows.append([_button(CANCEL, "n")])
    return "<b>New cohort</b> (1/4) — which module?", InlineKeyboardMarkup(rows)


def ask_site(module_title: str) -> str:
    return (
        f"<b>New cohort</b> (2/4) — {escape(module_title)}.\n"
        "Where is it? Type the site, e.g. <i>Manchester</i>."
    )


def ask_times(site: str) -> str:
    return (
        f"<b>New cohort</b> (3/4) — at {escape(site)}.\n"
        f"When? Type the day with start and end times, e.g. {EXAMPLES}."
    )


def ask_code(code: str) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        f"<b>New cohort</b> (4/4) — participants join with a code. I suggest "
        f"<code>{code}</code>; tap to use it, or type another (letters, digits and -)."
    )
    markup = InlineKeyboardMarkup(
        [[_button(USE_CODE.format(code=code), "c", code)], [_button(CANCEL, "n")]]
    )
    return text, markup


def confirm(
    code: str, module_title: str, site: str, start: datetime, end: datetime, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    cohort = Cohort(code, "", site, start, end)
    text = (
        "<b>Create this cohort?</b>\n"
        f"Module: {escape(module_title)}\n"
        f"Site: {escape(site)}\n"
        f"When: {span(cohort, tz)}\n"
        f"Code: <code>{code}</code>"
    )
    markup = InlineKeyboardMarkup([[_button(CREATE, "y"), _button(CANCEL, "n")]])
    return text, markup


def created(cohort: Cohort, link: str) -> str:
    return (
        f"✅ Cohort <code>{cohort.code}</code> created. Participants join with this link "
        f"or the QR code below:\n{link}"
    )


def card_caption(cohort: Cohort, module_title: str, link: str, tz: tzinfo) -> str:
    return (
        f"{escape(module_title)} — {escape(cohort.site)}, {span(cohort, tz)}\n"
        f"Code <code>{cohort.code}</code> · {link}"
    )


def cancelled_dialogue() -> str:
    return "Cancelled: nothing was created."


def edited(before: Cohort, after: Cohort, tz: tzinfo) -> str:
    lines = [f"✅ <code>{after.code}</code> changed; the push, reminders and summary follow."]
    if before.site != after.site:
        lines.append(f"Site: {escape(before.site)} → {escape(after.site)}")
    if (before.start, before.end) != (after.start, after.end):
        lines.append(f"When: {span(before, tz)} → {span(after, tz)}")
    return "\n".join(lines)


def ask_edit(entry: Entry, tz: tzinfo) -> str:
    cohort = entry.cohort
    return (
        f"<b>Change {cohort.code}</b> ({escape(cohort.site)}, {span(cohort, tz)}).\n"
        "Type one of:\n<code>site Leeds</code>\n<code>times 2 Apr 9:30–16:30</code>\n"
        "<code>end 17:00</code> (or <code>end 3 Apr 17:00</code>)\n/cancel to leave it as it is."
    )


def cancel_outcome(code: str, outcome: str) -> str:
    if outcome == "deleted":
        return f"🗑 <code>{code}</code> deleted: nobody had joined it."
    return (
        f"📦 <code>{code}</code> archived: its questionnaires are closed and it gets no "
        "summary; the answers given stay for /report and /export."
    )


def _state(entry: Entry, now: datetime) -> str:
    if entry.archived:
        return "archived"
    if now < entry.cohort.start:
        return "upcoming"
    return "running" if now < entry.cohort.end else "ended"


def _history(entry: Entry, tz: tzinfo) -> str:
    if entry.origin == "config":
        return "from the config file"
    parts = []
    if entry.created_at is not None:
        parts.append(f"created by {escape(entry.created_by or '?')} {when(entry.created_at, tz)}")
    if entry.changed_at is not None:
        parts.append(f"changed by {escape(entry.changed_by or '?')} {when(entry.changed_at, tz)}")
    return "; ".join(parts)


def windows_line(windows: flow.Windows, now: datetime, tz: tzinfo) -> str:
    """Each questionnaire's state and times: "pre open (07 Mar 09:00 – 14 Mar 17:00)"."""

    def at(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d %b %H:%M") if moment else "until closed"

    parts = []
    for phase, window in windows.items():
        state = "open" if window.contains(now) else "upcoming" if now < window.opens else "closed"
        parts.append(f"{phase} {state} ({at(window.opens)} – {at(window.closes)})")
    return " · ".join(parts)


LISTED = 12  # cohorts in one /cohorts message: it must stay under Telegram's 4,096 characters


def most_relevant(entries: list[Entry], now: datetime) -> tuple[list[Entry], int]:
    """Running cohorts, then upcoming ones (soonest first), then past ones (latest first);
    at most LISTED of them, and how many more there are."""

    def key(entry: Entry) -> tuple[int, float]:
        rank = {"running": 0, "upcoming": 1, "ended": 2, "archived": 2}[_state(entry, now)]
        start = entry.cohort.start.timestamp()
        return rank, start if rank < 2 else -start

    ordered = sorted(entries, key=key)
    return ordered[:LISTED], max(0, len(ordered) - LISTED)


def listing(
    entries: list[Entry], more: int, config: Config, now: datetime, phases: dict[str, str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The cohorts given with their state, questionnaires and history, and buttons."""
    tz = config.bot.timezone
    if not entries:
        return "No cohorts yet. /newcohort makes one.", None
    lines = ["<b>Cohorts</b>"]
    rows = []
    for entry in entries:
        cohort = entry.cohort
        title = config.modules[cohort.module].title if cohort.module in config.modules else "?"
        lines.append(
            f"\n<code>{cohort.code}</code> {escape(title)}, {escape(cohort.site)} — "
            f"{_state(entry, now)}\n{span(cohort, tz)} · {_history(entry, tz)}\n"
            f"{phases.get(cohort.code, '')}"
        )
        buttons = [_button(f"{CARD} {cohort.code}", "k", cohort.code)]
        if entry.origin == "stored" and _state(entry, now) in ("upcoming", "running"):
            buttons.append(_button(EDIT, "e", cohort.code))
        buttons.append(_button(STATUS, "s", cohort.code))
        rows.append(buttons)
    if more:
        lines.append(
            f"\n… and {more} more, further ahead or in the past: "
            "<code>feedback-bot cohort list</code> shows them all."
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def status(cohort: Cohort, counts: dict[str, int], phase: str | None) -> str:
    state = f"{phase} questionnaire open" if phase else "no questionnaire open"
    return (
        f"<code>{cohort.code}</code> ({escape(cohort.site)}): {state}. "
        f"{counts['joined']} joined · pre {counts['pre_submitted']}/{counts['pre_started']} "
        f"submitted/started · post {counts['post_submitted']}/{counts['post_started']}"
    )


REFUSED = "Sorry — this command is only for the programme team."
NOT_YOURS = "Sorry — that cohort is not one of yours. /cohorts lists yours."
