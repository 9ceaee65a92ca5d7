"""The `feedback-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import textwrap
from datetime import UTC, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.backup import backup_database
from bot.exits import COMMANDS, ExitStatus, epilog
from bot.logs import FORMATS, configure_logging, one_line, redacted_output
from core.config import Config, load_config
from core.outputs import OutputRefused
from core.problems import ConfigError
from core.secrets import (
    KEY_RECIPE,
    PSEUDONYM_KEY_ENV,
    TOKEN_ENV,
    pseudonym_key_problem,
    token_problem,
)
from core.storage import DatabaseUnavailable, prepare_file

log = logging.getLogger("bot")


def _load(path: str) -> Config | None:
    try:
        return load_config(Path(path))
    except ConfigError as exc:
        print(f"{len(exc.problems)} problem(s) in the configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def secret_problems(only_set: bool = False) -> list[str]:
    """What is wrong with the two secrets in the environment (never quoting them);
    `only_set`: say nothing about a secret that is not set at all."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").strip()
    problems = []
    if token or not only_set:
        problems.append(token_problem(token))
    if key or not only_set:
        problem = pseudonym_key_problem(key)
        problems.append(f"{problem}; {KEY_RECIPE}" if problem else None)
    return [p for p in problems if p is not None]


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the config and every questionnaire file."""
    config = _load(args.config)
    if config is None:
        return 1
    from bot.cohort_cli import catalogue, catalogue_lines
    from core.cohorts import clashes, with_stored_cohorts

    found = catalogue(config)
    stored = sum(entry.origin == "stored" for entry in found)
    questions = sum(len(m.pre.questions) + len(m.post.questions) for m in config.modules.values())
    where = f" ({len(found) - stored} in the file, {stored} in the database)" if stored else ""
    print(
        f"{args.config}: OK — {len(config.modules)} module(s), {questions} question(s), "
        f"{len(found)} cohort(s){where}; database {config.bot.database}"
    )
    for module in config.modules.values():
        paired = ", ".join(q.id for q in module.paired_questions) or "none"
        print(
            f"  module {module.id} ({module.title}): {module.source}; compared pre/post: {paired}"
        )
    print("\n".join(catalogue_lines(config, found)))
    for line in nothing_to_try_note(with_stored_cohorts(config), args.config, datetime.now(UTC)):
        print(line)
    # Only secrets that are set: `check` is often run where the service's environment is not.
    weak = secret_problems(only_set=True)
    for problem in weak:
        print(f"  problem: {problem}")
    # A code in both the file and the database: the file's cohort hides the stored one.
    return 1 if clashes(config) or weak else 0


def nothing_to_try_note(config: Config, name: str, now: datetime) -> list[str]:
    """When every cohort's questionnaires have closed (the example config a few weeks
    after it was written), say how to add one that is open now: the bot would otherwise
    start, post a few summaries and then do nothing a newcomer could see."""
    if any(c.end + config.schedule.post_open_for > now for c in config.cohorts.values()):
        return []
    tz = config.bot.timezone
    day = (now.astimezone(tz) + timedelta(days=1)).date()
    code = f"TRY-{day:%m%d}"
    module = next(iter(config.modules))
    start = datetime.combine(day, time(9, 30), tz)
    pre_open = start - config.schedule.pre_opens_before <= now
    when = (
        "Its pre-module questionnaire is open at once (from schedule.pre_opens_before "
        "before the start)"
        if pre_open
        else f"An admin's /open {code} pre opens its pre-module questionnaire at once"
    )
    first = (
        f"note: every cohort in {name} has ended"
        if config.cohorts
        else f"note: {name} has no cohorts"
    )
    return [
        f"{first}, so no questionnaire is open or upcoming. To try the bot now, add a cohort "
        f"that starts in the future, e.g. (times in {tz.key}):",
        "  [[cohorts]]",
        f'  code = "{code}"',
        f'  module = "{module}"',
        '  site = "London"',
        f"  start = {day.isoformat()}T09:30:00",
        f"  end = {day.isoformat()}T16:30:00",
        f"{when}; participants join with /start {code}.",
    ]


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    # Logging first, so even a bad config comes out as log lines (JSON ones if asked).
    configure_logging(args.log_level, log_format=args.log_format)
    try:
        config = load_config(Path(args.config))
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("cannot start: %s", problem)
        return ExitStatus.USAGE
    unusable = secret_problems()
    for reason in unusable:
        log.error("cannot start: %s", reason)
    if unusable:
        return ExitStatus.USAGE
    token = os.environ[TOKEN_ENV].strip()
    key = os.environ[PSEUDONYM_KEY_ENV].strip().encode()
    from bot import startup
    from bot.app import build_application

    try:
        # Before the network: a database problem will not go away by retrying.
        prepare_file(config.bot.database)
    except DatabaseUnavailable as exc:
        log.error("cannot start: %s", exc)
        return ExitStatus.DATABASE
    application = build_application(config, token, key)
    log.info("starting; Bot API at %s", startup.api_host(config.bot.api_base_url))
    timeout = config.bot.startup_timeout.total_seconds()
    return startup.run(application, config.bot.api_base_url, timeout)


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database consistently, even while the bot runs and writes to it."""
    config = _load(args.config)
    if config is None:
        return ExitStatus.USAGE
    try:
        out, pages = backup_database(config.bot.database, args.out, force=args.force)
    except DatabaseUnavailable as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return ExitStatus.DATABASE
    except OutputRefused as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"backed up {config.bot.database} to {out} ({pages} pages); integrity check ok")
    return ExitStatus.OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo."""
    from bot.demo import main as demo_main

    if not 1 <= args.participants <= 2000:
        print("demo: --participants must be between 1 and 2000", file=sys.stderr)
        return ExitStatus.USAGE
    return demo_main(args.participants, args.seed, args.out, args.db, args.fresh)


def cmd_example_config(args: argparse.Namespace) -> int:
    """Print the example config shipped with the package."""
    from core.packaged import example_config

    sys.stdout.write(example_config())
    return 0


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
    run = sub.add_parser(
        "run",
        help="run the bot (token from $TELEGRAM_BOT_TOKEN)",
        description="Run the bot until SIGTERM or Ctrl-C. The bot token comes from "
        "TELEGRAM_BOT_TOKEN and the pseudonym key (at least 32 random characters) from "
        "FEEDBACK_PSEUDONYM_KEY; neither is ever printed. Start-up checks the config, the "
        "secrets, the database and the Bot API, in that order; any failure is one log line.",
    )
    run.add_argument("--config", required=True, help="config TOML file")
    run.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="least important log lines to show (default INFO; DEBUG also shows tracebacks)",
    )
    run.add_argument(
        "--log-format",
        default="text",
        choices=FORMATS,
        help="text lines (default) or one JSON object per line for log collectors",
    )
    run.set_defaults(func=cmd_run)
    backup = sub.add_parser(
        "backup",
        help="copy the database safely, even while the bot is running",
        description="Copy bot.database with SQLite's online backup API into one "
        "self-contained, owner-only file, checked with PRAGMA integrity_check before it is "
        "moved into place. --out names a new file, or a folder (ending in /, or one that "
        "exists) to write feedback-<UTC time>.db into. An existing file is never "
        "overwritten without --force.",
    )
    backup.add_argument("--config", required=True, help="config TOML file")
    backup.add_argument(
        "--out", required=True, help="backup file to write, or a folder to write one into"
    )
    backup.add_argument(
        "--force", action="store_true", help="overwrite --out if that file already exists"
    )
    backup.set_defaults(func=cmd_backup)
    check = sub.add_parser(
        "check",
        help="validate the config and questionnaire files",
        description="Validate the config and every questionnaire file, listing each problem "
        "with its file, key and what was expected; then list the cohorts, from the file and "
        "the database. Reads only: it never creates or changes the database. A pseudonym key "
        "or bot token set in the environment is checked too.",
    )
    check.add_argument("--config", required=True, help="config TOML file")
    check.set_defaults(func=cmd_check)
    example = sub.add_parser(
        "example-config",
        help="print the example config, to save as config.toml and edit",
        description="Print the example config shipped with the package, every key explained.",
    )
    example.set_defaults(func=cmd_example_config)
    demo = sub.add_parser(
        "demo",
        help="the whole system offline: simulated participants, no token needed",
        description="Run the whole product offline against a simulated Telegram and write "
        "what it produced into --out. It never continues an earlier demo, and writes only "
        "into a new or empty folder and a new database. It marks what it writes (a "
        ".feedback-bot-demo file in the folder, a mark in the database), and --fresh deletes "
        "only files and a database that carry those marks.",
    )
    demo.add_argument("--participants", type=int, default=40, help="how many (default 40)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--out", type=Path, help="output folder (default: a new demo-output-*)")
    demo.add_argument("--db", type=Path, help="database file (default: in the output folder)")
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="delete what an earlier demo wrote to --out and --db, then start again "
        "(default: refuse); never anything the demo did not write",
    )
    demo.set_defaults(func=cmd_demo)
    from analysis.cli import register as register_analysis
    from bot.cohort_cli import register as register_cohorts

    register_analysis(sub)
    register_cohorts(sub)
    for name, command in sub.choices.items():
        _add_exit_statuses(name, command)
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
