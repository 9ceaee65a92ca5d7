"""The exit statuses of `feedback-bot`, the same for every command (README, "Exit statuses").

Each command's `--help` ends with the statuses it can end with (`epilog`), in the words of
`MEANINGS`, or of `SPECIAL` where a command gives a status a meaning of its own.
"""

from __future__ import annotations

import enum
import textwrap


class ExitStatus(enum.IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2  # a bad command line, configuration, environment or input; or a refusal
    TOKEN_REJECTED = 3
    API_UNREACHABLE = 4
    DATABASE = 5
    NOTHING_TO_REPORT = 6
    LEADERSHIP_LOST = 7  # `run` on PostgreSQL lost its hold on the database: restart it
    INTERRUPTED = 130  # Ctrl-C outside `run`, the shell's convention for SIGINT


MEANINGS: dict[ExitStatus, str] = {
    ExitStatus.OK: "done",
    ExitStatus.UNEXPECTED: "an unexpected error (a bug); the one line says what",
    ExitStatus.USAGE: (
        "nothing was changed: a bad command line, configuration, environment variable or "
        "input, or a refusal to overwrite or delete what the command did not make (each "
        "named in one line)"
    ),
    ExitStatus.TOKEN_REJECTED: "the Bot API rejected TELEGRAM_BOT_TOKEN",
    ExitStatus.API_UNREACHABLE: "the Bot API could not be reached",
    ExitStatus.DATABASE: (
        "database problem: it cannot be created, opened, reached or written, is not an SQLite "
        "database, is not migrated (PostgreSQL), or another program holds its lock"
    ),
    ExitStatus.NOTHING_TO_REPORT: "no responses yet: nothing was written",
    ExitStatus.LEADERSHIP_LOST: (
        "the connection holding the database's lock broke (PostgreSQL): the bot stopped "
        "polling and sending at once; start it again and it stands by or leads"
    ),
    ExitStatus.INTERRUPTED: "interrupted with Ctrl-C",
}

_ALWAYS = (ExitStatus.OK, ExitStatus.UNEXPECTED, ExitStatus.USAGE)
_FILES = (*_ALWAYS, ExitStatus.DATABASE, ExitStatus.INTERRUPTED)

# Which statuses each command can end with.
COMMANDS: dict[str, tuple[ExitStatus, ...]] = {
    "run": (
        *_ALWAYS,
        ExitStatus.TOKEN_REJECTED,
        ExitStatus.API_UNREACHABLE,
        ExitStatus.DATABASE,
        ExitStatus.LEADERSHIP_LOST,
    ),
    "migrate-schema": _FILES,
    "migrate": _FILES,
    "check": _ALWAYS,
    "example-config": (ExitStatus.OK, ExitStatus.UNEXPECTED),
    "demo": _FILES,
    "backup": _FILES,
    "report": (*_FILES, ExitStatus.NOTHING_TO_REPORT),
    "export": _FILES,
    "import": _FILES,
    "cohort": _FILES,
    "cohort card": (*_FILES, ExitStatus.TOKEN_REJECTED, ExitStatus.API_UNREACHABLE),
}

SPECIAL: dict[tuple[str, ExitStatus], str] = {
    ("run", ExitStatus.API_UNREACHABLE): "the Bot API stayed unreachable for "
    "bot.startup_timeout, or failed during start-up",
    ("run", ExitStatus.DATABASE): "database problem (see above), or another bot already runs "
    "on this SQLite database",
    ("run", ExitStatus.OK): "stopped normally (SIGTERM, Ctrl-C), also while still waiting "
    "for the Bot API or standing by",
    ("migrate", ExitStatus.USAGE): "nothing was changed: a bad command line or configuration, "
    "or the target is not empty",
    ("check", ExitStatus.OK): "the config and every questionnaire are valid",
    ("check", ExitStatus.UNEXPECTED): "problems found, each listed with its file and key "
    "(or an unexpected error)",
    ("demo", ExitStatus.UNEXPECTED): "an unexpected error, or the summary never reached the "
    "channel",
    ("cohort card", ExitStatus.API_UNREACHABLE): "the Bot API could not be reached to ask "
    "for the bot's username (give --username instead)",
}


def epilog(command: str) -> str:
    """The exit statuses `command` can end with, for the end of its `--help`."""
    lines = ["exit statuses:"]
    for status in sorted(COMMANDS[command]):
        meaning = SPECIAL.get((command, status), MEANINGS[status])
        lines.append(
            textwrap.fill(
                meaning, 78, initial_indent=f"  {int(status):>3}  ", subsequent_indent=" " * 7
            )
        )
    lines.append("(README.md, section Exit statuses)")
    return "\n".join(lines)
