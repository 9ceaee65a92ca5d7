"""The one Telegram message a summary posts: plain-language findings, statistics folded away.

Telegram HTML (parse mode HTML): the findings first, then every figure inside an
expandable blockquote, which a phone shows as a few lines until tapped. The whole
message stays within Telegram's 4096 characters; figures that do not fit are left to
the report file posted after it.
"""

from __future__ import annotations

from html import escape

from analysis import phrases
from analysis.compute import ModuleSummary
from analysis.findings import findings
from analysis.render_telegram import render_telegram, split_message

# Below Telegram's 4096: the limit counts UTF-16 units of the parsed text, and an emoji
# is one Python character but two UTF-16 units.
MESSAGE_BUDGET = 4000
MORE = "<i>… the full figures are in the report file below.</i>"


def _e(text: str) -> str:
    return escape(text, quote=False)


def heading(summary: ModuleSummary) -> str:
    """The message's first line; the channel reads it as the summary's title."""
    return f"📊 <b>Evaluation summary</b> — {_e(summary.title)}, {_e(summary.scope.label)}"


def summary_message(summary: ModuleSummary, budget: int = MESSAGE_BUDGET) -> str:
    """The summary as one Telegram HTML message of at most `budget` characters."""
    cohorts = summary.scope.cohorts
    dates = phrases.date_range(min(c.start for c in cohorts), max(c.end for c in cohorts))
    head = [heading(summary), _e(f"{', '.join(summary.scope.sites)} · {dates}"), ""]
    head += [f"• {_e(line)}" for line in findings(summary)]
    head += ["", "<b>The figures</b> (tap to expand):"]
    # render_telegram's title and scope lines repeat the two lines above.
    repeated = {_e(line) for line in phrases.scope_lines(summary)}
    lines = render_telegram(summary).split("\n")[1:]
    details = "\n".join(line for line in lines if line not in repeated).strip("\n")
    opening, closing = "<blockquote expandable>", "</blockquote>"
    text = "\n".join(head) + "\n"
    room = budget - len(text) - len(opening) - len(closing)
    if len(details) > room:
        first = split_message(details, room - len(MORE) - 1)[0]
        details = first + "\n" + MORE
    return text + opening + details + closing
