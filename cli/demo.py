"""`feedback-bot demo`: the command, its options and its output folder (cli.demo_files).

The simulated world itself (cli.demo_world: the bot, a simulated Telegram, participants, a
fast clock) is imported only when a demo runs, so that every other command of the command
line starts without loading it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.exits import ExitStatus
from cli.demo_files import DB_MARK, WRITES, DemoFolder, DemoRefused, prepare
from core.outputs import OutputRefused
from core.storage import DatabaseUnavailable, TargetError, parse_target
from core.storage.manage import migrate_schema, set_mark


def register(subparsers: Any) -> None:
    """Add `demo` to the `feedback-bot` parser."""
    demo = subparsers.add_parser(
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
    demo.add_argument(
        "--cohorts",
        type=int,
        choices=(1, 3),
        default=1,
        help="3: two earlier cohorts at a second site first, then the module's quarterly "
        "report across all three, with its trend chart (default 1)",
    )
    demo.add_argument("--out", type=Path, help="output folder (default: a new demo-output-*)")
    demo.add_argument(
        "--db",
        help="database file (default: in the output folder), or an empty PostgreSQL database "
        "as postgresql://user@host:5432/db (the password from PGPASSWORD or a password file)",
    )
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="delete what an earlier demo wrote to --out and --db, then start again "
        "(default: refuse); never anything the demo did not write",
    )
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo."""
    if not 1 <= args.participants <= 2000:
        print("demo: --participants must be between 1 and 2000", file=sys.stderr)
        return ExitStatus.USAGE
    return main(args.participants, args.seed, args.out, args.db, args.fresh, args.cohorts)


def main(
    participants: int,
    seed: int,
    out: Path | None,
    database: str | None,
    fresh: bool = False,
    cohorts: int = 1,
) -> int:
    folder = (out or Path(f"demo-output-{datetime.now().strftime('%Y%m%d-%H%M%S')}")).absolute()
    try:
        db = parse_target(database, Path.cwd()) if database else folder / "feedback.db"
    except TargetError as exc:
        print(f"demo: --db: {exc}", file=sys.stderr)
        return 2
    # A database from an earlier run would be continued silently: its participants, its
    # summary already posted. Start again only when asked to, and only over the demo's own.
    try:
        cleared = prepare(folder, db, fresh, WRITES)
    except (DemoRefused, OutputRefused) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    marked = DemoFolder(folder)
    try:
        # Before anything else, even a line of output: an interrupted demo (a closed pipe,
        # Ctrl-C) must still be recognised as one by the next --fresh.
        marked.save()
        migrate_schema(db)
        set_mark(db, *DB_MARK)
    except OSError as exc:
        print(f"demo: cannot write into {folder}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 5
    if cleared.files or cleared.database:
        what = [f"{cleared.files} file(s) in {folder}"] if cleared.files else []
        what += [f"its database {db}"] if cleared.database else []
        print(f"Starting fresh: deleted the earlier demo's {' and '.join(what)}")
    from cli.demo_world import run_demo

    try:
        return asyncio.run(run_demo(participants, seed, marked, db, cohorts))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
