"""`feedback-bot migrate-schema` and `feedback-bot migrate --to`: a database's schema, and
moving everything from one database to another.

`migrate-schema` brings `bot.database` to this version's schema. SQLite needs no such step
(`run` does it), but on PostgreSQL the running bot's role should not be allowed to create
tables: the database's owner runs this once after installing and after each upgrade, and
`run` refuses a database that is not migrated.

`migrate --to` copies every table of a database into an empty one of the other engine (or
the same), with row counts and a checksum per table compared before anything is kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.exits import ExitStatus
from cli.options import command, load_listing_problems, with_config
from core.config import Config
from core.storage import SCHEMA_VERSION, Target, TargetError, parse_target
from core.storage.copy import CopyRefused, copy_database
from core.storage.manage import migrate_schema


def register(subparsers: Any) -> None:
    """Add `migrate-schema` and `migrate` to the `feedback-bot` parser."""
    command(
        subparsers,
        "migrate-schema",
        cmd_migrate_schema,
        help="bring the database to this version's schema (PostgreSQL: as its owner)",
        description="Create the bot's tables in bot.database, or bring them to this "
        "version's schema; running it again changes nothing. On PostgreSQL run it as the "
        "database's owner role (the URL's user, or PGUSER) once after installing and after "
        "each upgrade: `run` refuses a database that is not migrated, so the bot's own role "
        "needs no right to create or alter tables. SQLite databases are migrated by `run`.",
    )
    copy = command(
        subparsers,
        "migrate",
        cmd_migrate,
        help="copy the whole database into an empty one (SQLite to PostgreSQL, or back)",
        description="Copy every table of bot.database (or --from) into the empty database "
        "--to names: answers, consents, cohorts made in the chat, cohort dialogues, the "
        "outbox with its files and the bot's own messages, events, deliveries, windows and "
        "marks. Row counts and a SHA-256 per table are compared between the two before "
        "anything is kept; a target that holds any row is refused. Stop the bot first, and "
        "point bot.database at the new database afterwards.",
        config=None,  # optional here: --from may name the source instead
    )
    copy.add_argument("--config", help="config TOML file (its bot.database is the source)")
    copy.add_argument(
        "--from",
        dest="source",
        metavar="DATABASE",
        help="the source instead of bot.database: a path, sqlite://PATH or postgresql://URL",
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="DATABASE",
        help="the empty target: postgresql://user@host:5432/db (the password from PGPASSWORD "
        "or a password file), or sqlite:///path/to/new.db",
    )


@with_config
def cmd_migrate_schema(args: argparse.Namespace, config: Config) -> int:
    """Create or upgrade the bot's tables in bot.database."""
    before, after = migrate_schema(config.bot.database)
    if before == after:
        print(f"database {config.bot.database}: already at schema version {after}")
    else:
        print(f"database {config.bot.database}: migrated from schema version {before} to {after}")
    return ExitStatus.OK


def _target(text: str, option: str) -> Target | None:
    try:
        return parse_target(text, Path.cwd())
    except TargetError as exc:
        print(f"migrate: {option}: {exc}", file=sys.stderr)
        return None


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy a whole database into an empty one, checked table by table."""
    if args.source is None and args.config is None:
        print("migrate: give --config (its bot.database is copied) or --from", file=sys.stderr)
        return ExitStatus.USAGE
    if args.source is not None:
        source = _target(args.source, "--from")
    else:
        config = load_listing_problems(args.config)
        source = None if config is None else config.bot.database
    target = _target(args.to, "--to")
    if source is None or target is None:
        return ExitStatus.USAGE
    try:
        copied = copy_database(source, target, lambda line: print(line, file=sys.stderr))
    except CopyRefused as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    width = max(len(c.table) for c in copied)
    for table in copied:
        print(f"  {table.table:<{width}}  {table.rows:>9,} rows  sha256 {table.checksum[:16]}")
    total = sum(c.rows for c in copied)
    print(
        f"copied {source} to {target}: {len(copied)} tables, {total:,} rows, schema version "
        f"{SCHEMA_VERSION}; every table's rows and checksum match the source"
    )
    return ExitStatus.OK
