"""What admins and facilitators see when they run cohorts: texts and buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import callbacks
from core import cohort_dialogue as dialogue
from core.cohort_dialogue import Cancelled, Created, Draft, Problem, UnknownChange
from core.cohorts import DuplicateCohort, Entry
from core.config import Cohort, Config
from core.dates import EXAMPLES
from core.windows import Windows

# The command menu (bot/app.py): facilitators see these, admins these and admin_screens.MENU.
MENU = {
    "cohorts": "your cohorts, with card, edit and status buttons",
    "newcohort": "create a cohort (dialogue, or in one line)",
    "card": "<code> — join link, QR code and printable card",
    "editcohort": "<code> — change site or times",
    "cancelcohort": "<code> — delete, or archive if people joined",
    "status": "live counts of your open cohorts",
    "remind": "<code> — remind those who have not finished",
}

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
STEP_OVER = "That step is over. /newcohort starts again."
NOTHING_TO_CANCEL = "Nothing to cancel."
NOTHING_CREATED = " Nothing was created; /newcohort starts again."
CARD_FILE = "Printable card (A5, 300 dpi)."
CREATED_MARK = "\n\n✅ Created."
NOT_YOURS = "Sorry — that cohort is not one of yours. /cohorts lists yours."


def no_cohort_of_yours(code: str) -> str:
    # The same answer whether the code exists or not: a facilitator learns nothing of
    # others' cohorts.
    return f"No cohort of yours has the code {escape(code[:20])}. See /cohorts."


def _button(label: str, kind: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=callbacks.encode(callbacks.CohortTap(kind, value))
    )


def when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M")


def span(cohort: Cohort, tz: tzinfo) -> str:
    start, end = cohort.start.astimezone(tz), cohort.end.astimezone(tz)
    if start.date() == end.date():
        return f"{when(start, tz)}–{end:%H:%M}"
    return f"{when(start, tz)} – {when(end, tz)}"


def ask_module(config: Config) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(m.title or m.id, dialogue.PICK_MODULE, m.id)] for m in config.modules.values()]
    rows.append([_button(CANCEL, dialogue.CANCEL)])
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


def ask(step: str, draft: Draft, config: Config) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of a dialogue's step, from what its draft holds so far."""
    if step == "module":
        return ask_module(config)
    if step == "site":
        return ask_site(config.modules[draft["module"]].title), None
    if step == "times":
        return ask_times(draft["site"]), None
    if step == "code":
        return ask_code(draft["suggested"])
    if step == "confirm":
        start, end = datetime.fromisoformat(draft["start"]), datetime.fromisoformat(draft["end"])
        title = config.modules[draft["module"]].title
        tz = config.bot.timezone
        return confirm(draft["code"], title, draft["site"], start, end, tz)
    cohort = config.cohort(draft["code"])
    assert cohort is not None and step == "edit", step
    return ask_edit(cohort, config.bot.timezone), None


def problem(outcome: Problem, tz: tzinfo) -> str:
    """What is wrong, and what to do; problems quote what was typed, so they are escaped."""
    error = outcome.error
    if isinstance(error, UnknownChange):
        return USAGE_EDIT
    if isinstance(error, DuplicateCohort):
        text = duplicate(error.twin, tz)
        if outcome.step == "times":
            text += " Type other times, or /cancel."
        elif not outcome.ended:
            text += " Nothing was created."
    else:
        text = escape(str(error))
    return text + NOTHING_CREATED if outcome.ended else text


def duplicate(twin: Entry, tz: tzinfo) -> str:
    cohort = twin.cohort
    archived = ", archived" if twin.archived else ""
    return (
        f"<code>{cohort.code}</code> ({escape(cohort.site)}, {span(cohort, tz)}{archived}) "
        "already has this module, site and times."
    )


def ask_code(code: str) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        f"<b>New cohort</b> (4/4) — participants join with a code. I suggest "
        f"<code>{code}</code>; tap to use it, or type another (letters, digits and -)."
    )
    markup = InlineKeyboardMarkup(
        [
            [_button(USE_CODE.format(code=code), dialogue.USE_CODE, code)],
            [_button(CANCEL, dialogue.CANCEL)],
        ]
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
    markup = InlineKeyboardMarkup(
        [[_button(CREATE, dialogue.CREATE), _button(CANCEL, dialogue.CANCEL)]]
    )
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


def cancelled(had_draft: bool) -> str:
    return cancelled_dialogue() if had_draft else NOTHING_TO_CANCEL


def tapped(text_html: str | None, outcome: Created | Cancelled) -> str:
    """A dialogue's message once its Create or Cancel button has done its work."""
    if isinstance(outcome, Cancelled):
        return cancelled_dialogue()
    return f"{text_html}{CREATED_MARK}" if text_html else CREATED_MARK.strip()


def edited(before: Cohort, after: Cohort, tz: tzinfo) -> str:
    lines = [f"✅ <code>{after.code}</code> changed; the push, reminders and summary follow."]
    if before.site != after.site:
        lines.append(f"Site: {escape(before.site)} → {escape(after.site)}")
    if (before.start, before.end) != (after.start, after.end):
        lines.append(f"When: {span(before, tz)} → {span(after, tz)}")
    return "\n".join(lines)


def ask_edit(cohort: Cohort, tz: tzinfo) -> str:
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


def windows_line(
    windows: Windows, now: datetime, tz: tzinfo, phases: Sequence[str] = ("pre", "post")
) -> str:
    """Each questionnaire's state and times: "pre open (07 Mar 09:00 – 14 Mar 17:00)";
    `phases`: those the cohort's module asks."""

    def at(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d %b %H:%M") if moment else "until closed"

    parts = []
    for phase, window in windows.items():
        if phase not in phases:
            continue
        state = "open" if window.contains(now) else "upcoming" if now < window.opens else "closed"
        name = phase.replace("_", "-")
        parts.append(f"{name} {state} ({at(window.opens)} – {at(window.closes)})")
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
    entries: list[Entry], more: int, config: Config, now: datetime, windows: dict[str, Windows]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The cohorts given with their state, questionnaires (`windows` by code) and history,
    and buttons."""
    tz = config.bot.timezone
    if not entries:
        return "No cohorts yet. /newcohort makes one.", None
    lines = ["<b>Cohorts</b>"]
    rows = []
    for entry in entries:
        cohort = entry.cohort
        module = config.modules.get(cohort.module)
        title = module.title if module is not None else "?"
        phases = module.phases if module is not None else ("pre", "post")
        shown = (
            windows_line(windows[cohort.code], now, tz, phases) if cohort.code in windows else ""
        )
        lines.append(
            f"\n<code>{cohort.code}</code> {escape(title)}, {escape(cohort.site)} — "
            f"{_state(entry, now)}\n{span(cohort, tz)} · {_history(entry, tz)}\n{shown}"
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
    state = f"{phase.replace('_', '-')} questionnaire open" if phase else "no questionnaire open"
    later = ""
    if counts.get("follow_up_started"):
        later = f" · follow-up {counts['follow_up_submitted']}/{counts['follow_up_started']}"
    return (
        f"<code>{cohort.code}</code> ({escape(cohort.site)}): {state}. "
        f"{counts['joined']} joined · pre {counts['pre_submitted']}/{counts['pre_started']} "
        f"submitted/started · post {counts['post_submitted']}/{counts['post_started']}{later}"
    )
