"""`feedback-bot run`: check what the bot needs, then run it until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from bot.exits import ExitStatus
from bot.logs import FORMATS, configure_logging
from cli.options import command
from core.config import load_config
from core.problems import ConfigError
from core.secrets import PSEUDONYM_KEY_ENV, TOKEN_ENV, environment_problems
from core.storage import DatabaseUnavailable, prepare

log = logging.getLogger("bot")


def register(subparsers: Any) -> None:
    """Add `run` to the `feedback-bot` parser."""
    run = command(
        subparsers,
        "run",
        cmd_run,
        help="run the bot (token from $TELEGRAM_BOT_TOKEN)",
        description="Run the bot until SIGTERM or Ctrl-C. The bot token comes from "
        "TELEGRAM_BOT_TOKEN and the pseudonym key (at least 32 random characters) from "
        "FEEDBACK_PSEUDONYM_KEY; neither is ever printed. Start-up checks the config, the "
        "secrets, the database and the Bot API, in that order; any failure is one log line. "
        "One bot runs per database: on SQLite a second one refuses to start; on PostgreSQL it "
        "stands by, and takes over within seconds when the active one stops or dies.",
    )
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
    unusable = environment_problems()
    for reason in unusable:
        log.error("cannot start: %s", reason)
    if unusable:
        return ExitStatus.USAGE
    token = os.environ[TOKEN_ENV].strip()
    key = os.environ[PSEUDONYM_KEY_ENV].strip().encode()
    # Imported here: the other commands need neither PTB's Application nor the handlers.
    from bot import startup
    from bot.app import build_application

    try:
        # Before the network: a database problem will not go away by retrying.
        prepare(config.bot.database)
    except DatabaseUnavailable as exc:
        log.error("cannot start: %s", exc)
        return ExitStatus.DATABASE
    # Built before standing by, so that taking over costs only the Bot API's start-up.
    application = build_application(config, token, key)
    log.info("starting; Bot API at %s", startup.api_host(config.bot.api_base_url))
    timeout = config.bot.startup_timeout.total_seconds()
    return startup.run(application, config.bot.api_base_url, timeout, config.bot.database)
