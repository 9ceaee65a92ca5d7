"""The `feedback-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from core.config import PSEUDONYM_KEY_ENV, TOKEN_ENV, Config, bot_token, load_config
from core.problems import ConfigError

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
    from core.cohorts import clashes

    print("\n".join(catalogue_lines(config)))
    # A code in both the file and the database: the file's cohort hides the stored one.
    return 1 if clashes(config) else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    config = _load(args.config)
    if config is None:
        return 1
    token = bot_token()
    key = pseudonym_key()
    missing = []
    if token is None:
        missing.append(f"{TOKEN_ENV}: the bot token from @BotFather")
    if key is None:
        missing.append(
            f"{PSEUDONYM_KEY_ENV}: a secret of at least 16 characters for pseudonymous ids "
            '(make one with: python -c "import secrets; print(secrets.token_hex(32))")'
        )
    if missing:
        print("Missing environment variable(s):", file=sys.stderr)
        for item in missing:
            print(f"  {item}", file=sys.stderr)
        return 2
    assert token is not None and key is not None
    from bot.app import build_application
    from bot.logs import configure_logging

    configure_logging(args.log_level, secrets=[token, key.decode()])
    application = build_application(config, token, key)
    log.info("starting; Bot API at %s", config.bot.api_base_url)
    application.run_polling(
        allowed_updates=[
            "message",
            "edited_message",
            "callback_query",
            "channel_post",
            "my_chat_member",
        ]
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo."""
    from bot.demo import main as demo_main

    if not 1 <= args.participants <= 2000:
        print("--participants must be between 1 and 2000", file=sys.stderr)
        return 2
    return demo_main(args.participants, args.seed, args.out, args.db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedback-bot",
        description="Collect pre- and post-module feedback in Telegram and summarise it.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (token from $TELEGRAM_BOT_TOKEN)")
    run.add_argument("--config", required=True, help="config TOML file")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check", help="validate the config and questionnaire files")
    check.add_argument("--config", required=True, help="config TOML file")
    check.set_defaults(func=cmd_check)
    demo = sub.add_parser(
        "demo", help="the whole system offline: simulated participants, no token needed"
    )
    demo.add_argument("--participants", type=int, default=40, help="how many (default 40)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--out", type=Path, help="output folder (default: a new demo-output-*)")
    demo.add_argument("--db", type=Path, help="database file (default: in the output folder)")
    demo.set_defaults(func=cmd_demo)
    from analysis.cli import register as register_analysis
    from bot.cohort_cli import register as register_cohorts

    register_analysis(sub)
    register_cohorts(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
