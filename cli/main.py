"""`feedback-bot`: one parser over the commands, each in its own module, and one way every
command ends (an exit status of `bot/exits.py`, one line on failure, no secret printed)."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, version

from bot.exits import COMMANDS, ExitStatus, epilog
from bot.logs import one_line, redacted_output
from cli import backup, check, cohort, demo, reports, run
from core.outputs import OutputRefused
from core.storage import DatabaseUnavailable

log = logging.getLogger("bot")


def _version() -> str:
    try:
        return version("module-feedback-bot")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedback-bot",
        description="Collect pre- and post-module feedback in Telegram and summarise it.",
        epilog="Each command's --help describes it and lists its exit statuses.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {_version()}",
        help="print the installed version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")
    for command in (run, backup, check, demo, reports, cohort):
        command.register(sub)
    for name, command_parser in sub.choices.items():
        _add_exit_statuses(name, command_parser)
    return parser


def _add_exit_statuses(name: str, parser: argparse.ArgumentParser) -> None:
    """End `--help` of the command (and of each of its subcommands) with its exit statuses."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    if parser.description:
        parser.description = textwrap.fill(parser.description, 78)
    key = name if name in COMMANDS else name.split()[0]
    parser.epilog = epilog(key)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child, subparser in action.choices.items():
                _add_exit_statuses(f"{name} {child}", subparser)


def _tell(args: argparse.Namespace, message: str) -> None:
    """One line for the operator: a log line where the command logs (run), else stderr."""
    if args.command == "run":
        log.error("%s", message)
    else:
        print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; every byte it writes to stdout and stderr passes `redact`."""
    with redacted_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    command = " ".join(["feedback-bot", args.command, getattr(args, "cohort_command", "")]).strip()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # Whoever read the output (`| head`) has gone: nothing left to say, and nowhere to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.UNEXPECTED
    except OutputRefused as exc:
        _tell(args, f"{command}: {exc}")
        return ExitStatus.USAGE
    except DatabaseUnavailable as exc:
        _tell(args, f"{command}: {exc}")
        return ExitStatus.DATABASE
    except sqlite3.Error as exc:  # e.g. locked between opening it and writing
        _tell(args, f"{command}: database problem: {one_line(exc)}")
        return ExitStatus.DATABASE
    except Exception as exc:
        # The last line of defence: one line, no secret; a traceback only at DEBUG.
        if args.command == "run":
            log.critical("stopped by an unexpected error", exc_info=exc)
        else:
            print(f"{command}: unexpected error: {one_line(exc)}", file=sys.stderr)
        return ExitStatus.UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
