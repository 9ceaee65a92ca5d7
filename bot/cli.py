"""The `feedback-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.backup import backup_database
from bot.exits import ExitStatus
from bot.logs import FORMATS, configure_logging, one_line, redact
from core.config import PSEUDONYM_KEY_ENV, TOKEN_ENV, Config, bot_token, load_config
from core.problems import ConfigError
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


def pseudonym_key() -> bytes | None:
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").strip()
    return key.encode() if len(key) >= 16 else None


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the config and every questionnaire file."""
    config = _load(args.config)
    if config is None:
        return 1
    questions = sum(len(m.pre.questions) + len(m.post.questions) for m in config.modules.values())
    print(
        f"{args.config}: OK — {len(config.modules)} module(s), {questions} question(s), "
        f"{len(config.cohorts)} cohort(s); database {config.bot.database}"
    )
    for module in config.modules.values():
        paired = ", ".join(q.id for q in module.paired_questions) or "none"
        print(
            f"  module {module.id} ({module.title}): {module.source}; compared pre/post: {paired}"
        )
    from bot.cohort_cli import catalogue_lines
    from core.cohorts import clashes, with_stored_cohorts

    print("\n".join(catalogue_lines(config)))
    for line in nothing_to_try_note(with_stored_cohorts(config), args.config, datetime.now(UTC)):
        print(line)
    # A code in both the file and the database: the file's cohort hides the stored one.
    return 1 if clashes(config) else 0


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
    configure_logging(args.log_level, secrets=_secrets(), log_format=args.log_format)
    try:
        config = load_config(Path(args.config))
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("cannot start: %s", problem)
        return ExitStatus.USAGE
    token = bot_token()
    key = pseudonym_key()
    if token is None:
        log.error("cannot start: set %s to the bot token from @BotFather", TOKEN_ENV)
    if key is None:
        log.error(
            "cannot start: set %s to a secret of at least 16 characters for pseudonymous "
            'ids (make one with: python -c "import secrets; print(secrets.token_hex(32))")',
            PSEUDONYM_KEY_ENV,
        )
    if token is None or key is None:
        return ExitStatus.USAGE
    assert token is not None and key is not None
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
        pages = backup_database(config.bot.database, args.out)
    except DatabaseUnavailable as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return ExitStatus.DATABASE
    print(f"backed up {config.bot.database} to {args.out} ({pages} pages); integrity check ok")
    return ExitStatus.OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo."""
    from bot.demo import main as demo_main

    if not 1 <= args.participants <= 2000:
        print("--participants must be between 1 and 2000", file=sys.stderr)
        return 2
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
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {_version()}",
        help="print the installed version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")
    run = sub.add_parser("run", help="run the bot (token from $TELEGRAM_BOT_TOKEN)")
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
        "backup", help="copy the database safely, even while the bot is running"
    )
    backup.add_argument("--config", required=True, help="config TOML file")
    backup.add_argument("--out", required=True, type=Path, help="backup file to write")
    backup.set_defaults(func=cmd_backup)
    check = sub.add_parser("check", help="validate the config and questionnaire files")
    check.add_argument("--config", required=True, help="config TOML file")
    check.set_defaults(func=cmd_check)
    example = sub.add_parser(
        "example-config", help="print the example config, to save as config.toml and edit"
    )
    example.set_defaults(func=cmd_example_config)
    demo = sub.add_parser(
        "demo", help="the whole system offline: simulated participants, no token needed"
    )
    demo.add_argument("--participants", type=int, default=40, help="how many (default 40)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--out", type=Path, help="output folder (default: a new demo-output-*)")
    demo.add_argument("--db", type=Path, help="database file (default: in the output folder)")
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="if --out holds an earlier demo, delete it and start again (default: refuse)",
    )
    demo.set_defaults(func=cmd_demo)
    from analysis.cli import register as register_analysis
    from bot.cohort_cli import register as register_cohorts

    register_analysis(sub)
    register_cohorts(sub)
    return parser


def _secrets() -> list[str]:
    return [s for s in (bot_token(), os.environ.get(PSEUDONYM_KEY_ENV, "").strip()) if s]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # Whoever read the output (`| head`) has gone: nothing left to say, and nowhere to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.UNEXPECTED
    except Exception as exc:
        # The last line of defence: one line, no secret; a traceback only at DEBUG.
        if logging.getLogger().handlers:
            log.critical("stopped by an unexpected error", exc_info=exc)
        else:
            print(
                redact(f"feedback-bot: unexpected error: {one_line(exc)}", _secrets()),
                file=sys.stderr,
            )
        return ExitStatus.UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
