"""What the programme team reads: replies to the admin commands, and the export button."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from core.admin import OpenCohort
from core.questionnaire import Phase
from core.windows import Window

# The command menu of admins (bot/app.py), after cohort_screens.MENU.
MENU = {
    "status": "live counts per open cohort",
    "cohorts": "list cohorts and their questionnaires",
    "report": "<cohort|module> [period|followup] [channel] — post a summary",
    "export": "<cohort|module> [period] — answers as CSV and XLSX",
    "open": "<cohort> pre|post|follow_up — open a questionnaire now",
    "close": "<cohort> pre|post|follow_up — close a questionnaire now",
    "remind": "<cohort> — remind those who have not finished",
}

REFUSAL = "Sorry — this command is only for the programme team."
ADMINS_ONLY = "Sorry — this command is only for the programme team's admins."
USAGE_WINDOW = "Usage: /open &lt;cohort&gt; pre|post|follow_up (or /close …)"
USAGE_REMIND = "Usage: /remind &lt;cohort&gt; — see /cohorts for the codes."
USAGE_REPORT = (
    "Usage: /report &lt;cohort|module&gt; [period] [channel]\n"
    "A period (for a module: the cohorts that started in it): 2026, 2026-Q1 or 2026-03.\n"
    "A cohort's follow-up summary: /report &lt;cohort&gt; followup [channel]"
)
USAGE_EXPORT = (
    "Usage: /export &lt;cohort|module&gt; [period]\n"
    "A period (for a module: the cohorts that started in it): 2026, 2026-Q1 or 2026-03."
)
NOTHING_OPEN = "No questionnaire is open right now. /cohorts lists them all."
NONE_OF_YOURS_OPEN = (
    "None of your cohorts has a questionnaire open right now. /cohorts lists yours."
)
NO_FACILITATORS_CHAT = "No facilitators' chat is configured."
REPORT_QUEUED = "The summary is on its way to the facilitators' chat."
FOLLOW_UP_QUEUED = "The follow-up summary is on its way to the facilitators' chat."
EXPORT_STARTED = "Sending the exports to you privately…"


# What each post of a summary is called, for a note about one that went astray.
POST_NAMES = {"text": "the summary message", "photos": "the charts", "document": "the report file"}


# The forms of /report, for the admins' part of /help.
REPORT_FORMS = (
    "/report CODE — a cohort's summary here; add <code>channel</code> to post it to the "
    "facilitators' chat",
    "/report CODE followup — the cohort's follow-up summary (once anyone has answered the "
    "follow-up), here or, with <code>channel</code>, in the facilitators' chat again",
    "/report MODULE [2026-Q1] — the module's report across its cohorts (or those of one "
    "year, quarter or month)",
)


def staff_help(menu: dict[str, str], admin: bool) -> str:
    """The staff's part of /help: their commands as their command menu lists them, and for
    admins every form of /report."""
    lines = ["<b>For the programme team</b>"]
    for name, what in menu.items():
        lines.append(f"/{name}{' ' if ' — ' in what else ' — '}{escape(what)}")
    if admin:
        lines += ["", "<b>Reports</b>", *REPORT_FORMS]
    return "\n".join(lines)


def report_unconfirmed(kinds: list[str], scope: str) -> str:
    """Telegram did not confirm some parts of a /report sent here: they may be missing."""
    parts = " and ".join(POST_NAMES.get(kind, kind) for kind in kinds)
    return (
        f"Telegram did not confirm {parts} (no answer in time). If anything is missing "
        f"above, send /report {escape(scope)} again."
    )


def staff_error(what: str, kind: str, admin: bool) -> str:
    """A staff member's command, button or dialogue step failed on the bot's side: what
    failed, that it is logged and reported, and what to try (an admin has the report)."""
    then = (
        "the error report in the admins' chat and the bot's log say why "
        "(<code>--log-level debug</code> adds the traceback)"
        if admin
        else "please tell the programme team's admins what you tried: they have the report"
    )
    return (
        f"Sorry — {escape(what)} failed on my side ({escape(kind)}). It is logged, and the "
        f"admins get a report of it. Try it again in a minute; if it fails again, {then}."
    )


def staff_unconfirmed(what: str, kind: str) -> str:
    """A staff member's command stopped because Telegram did not answer in time: its reply
    may have arrived all the same."""
    return (
        f"Sorry — Telegram did not confirm my answer to {escape(what)} ({escape(kind)}), so "
        "part of it may be missing above. It is logged. If something is missing, try it "
        "again in a minute."
    )


def export_caption(title: str, label: str, codes: tuple[str, ...]) -> str:
    """What an export covers: "Answers — Risk Support, all cohorts starting from … (2
    cohorts: A, B)"."""
    shown = ", ".join(codes[:12]) + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
    count = "1 cohort" if len(codes) == 1 else f"{len(codes)} cohorts"
    where = f" ({count}: {shown})" if label != f"cohort {codes[0]}" else ""
    return f"Answers — {escape(title)}, {escape(label)}{escape(where)}"


def when(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return "until closed"
    return moment.astimezone(tz).strftime("%d %b %H:%M")


def status(open_now: list[OpenCohort], tz: tzinfo, everyone: bool = True) -> str:
    """Live counts of the cohorts with a questionnaire open, grouped by site; `everyone`:
    the person runs every cohort (an admin), not only their own."""
    if not open_now:
        return NOTHING_OPEN if everyone else NONE_OF_YOURS_OPEN
    by_site: dict[str, list[str]] = {}
    for item in open_now:
        c = item.counts
        later = ""
        if item.phase == "follow_up":
            later = f" · follow-up {c['follow_up_submitted']}/{c['follow_up_started']}"
        by_site.setdefault(item.cohort.site, []).append(
            f"<code>{item.cohort.code}</code> ({item.phase.replace('_', '-')} open until "
            f"{when(item.closes, tz)}): {c['joined']} joined · "
            f"pre {c['pre_submitted']}/{c['pre_started']} submitted/started · "
            f"post {c['post_submitted']}/{c['post_started']}{later}"
        )
    lines = ["<b>Open cohorts</b>"]
    for site in sorted(by_site):
        lines += ["", f"<b>{escape(site)}</b>", *by_site[site]]
    return "\n".join(lines)


def unknown_cohort(code: str) -> str:
    return f"No cohort with code <code>{escape(code[:30])}</code>. See /cohorts."


def window_set(code: str, phase: Phase, window: Window, opening: bool, tz: tzinfo) -> str:
    verb = "open until " + when(window.closes, tz) if opening else "closed"
    return f"The {phase.replace('_', '-')} questionnaire of <code>{code}</code> is now {verb}."


def no_follow_up(code: str) -> str:
    return f"The module of <code>{escape(code)}</code> has no follow-up questionnaire."


def no_follow_up_answers(code: str) -> str:
    return (
        f"No follow-up answers yet for <code>{escape(code)}</code>: there is no follow-up "
        "summary to post."
    )


def no_responses(name: str) -> str:
    return f"No responses yet for {escape(name)}: there is nothing to summarise."


def none_open(code: str) -> str:
    return f"No questionnaire of <code>{code}</code> is open."


def reminded(code: str, sent: int, complete: bool) -> str:
    note = "" if complete else " (some could not be reached; try again later)"
    return f"Reminder sent to {sent} participant(s) of <code>{code}</code>{note}."
