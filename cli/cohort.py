"""`feedback-bot cohort add|list|edit|cancel|card|import`: the chat's cohort commands, for
a terminal. A running bot picks up what they change within its lifecycle tick (10 s)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.exits import ExitStatus
from bot.logs import one_line
from cli.options import command, with_config
from core import cohorts
from core.cohorts import COMMAND_LINE, CohortError, DuplicateCohort, Entry, ImportRow, NewCohort
from core.config import Cohort, Config, bot_token
from core.dates import DateError, parse_moment, parse_session
from core.outputs import check_new_files, write_new
from core.schedule import cancelled_events
from core.secrets import TOKEN_ENV
from core.services import Services
from core.storage import open_database, stored_cohort_rows

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add `cohort` and its subcommands to the `feedback-bot` parser."""
    cohort = command(
        subparsers,
        "cohort",
        None,
        "add, list, change, cancel or import cohorts",
        "The chat's cohort commands, for a terminal. Cohorts made here are stored in the "
        "database; a running bot picks the changes up within 10 seconds. `feedback-bot "
        "cohort COMMAND --help` describes each.",
        config=None,
    )
    sub = cohort.add_subparsers(dest="cohort_command", required=True, help="what to do")

    add = command(
        sub,
        "add",
        cmd_add,
        "create a cohort in the database",
        "Create a cohort in the database. The day and times are read forgivingly "
        '("2 Apr 9:30-16:30", "tomorrow 9:30-16:30"), in bot.timezone. A cohort with the same '
        "module, site and times as one already there is refused unless --allow-duplicate.",
    )
    add.add_argument("--module", required=True, help="module id, e.g. risk-support")
    add.add_argument("--site", required=True, help="where it runs, e.g. Manchester")
    add.add_argument("--when", required=True, help='day and times, e.g. "2 Apr 9:30-16:30"')
    add.add_argument("--code", help="join code (default: suggested, e.g. RS-MAN-0402)")
    add.add_argument(
        "--facilitator",
        type=int,
        action="append",
        default=[],
        metavar="USER_ID",
        help="a facilitator (from bot.facilitators) who runs it; repeatable",
    )
    add.add_argument("--chat", type=int, help="facilitators' chat for its summary")
    add.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="create it even if a cohort with the same module, site and times exists",
    )

    command(
        sub,
        "list",
        cmd_list,
        "every cohort, from the config file and the database",
        "List every cohort with where it comes from (the config file or the database) and, "
        "for stored ones, who made and changed them. Reads only.",
    )

    edit = command(
        sub,
        "edit",
        cmd_edit,
        "change a stored cohort's site or times",
        "Change a stored cohort's site or times. Before it starts anything may change; "
        "once it has started only its end can move, and only later.",
    )
    edit.add_argument("code", help="the cohort's code, e.g. RS-MAN-0402")
    edit.add_argument("--site", help="new site")
    edit.add_argument("--when", help="new day and times")
    edit.add_argument("--end", help='new end, e.g. "17:00" or "3 Apr 17:00"')

    cancel = command(
        sub,
        "cancel",
        cmd_cancel,
        "delete a cohort nobody joined, else archive it",
        "Cancel a stored cohort: one nobody joined is deleted; one with participants is "
        "archived (its questionnaires close, it gets no summary, its answers stay).",
    )
    cancel.add_argument("code", help="the cohort's code")

    card = command(
        sub,
        "card",
        cmd_card,
        "write the join card (A5 PNG) and QR code",
        "Write CODE-card-A5.png and CODE-qr.png into --out. The join link needs the bot's "
        "username: give it with --username, or it is asked of Telegram (getMe) with "
        "TELEGRAM_BOT_TOKEN. Existing files are not overwritten without --force.",
    )
    card.add_argument("code", help="the cohort's code")
    card.add_argument(
        "--username",
        help="the bot's username (default: asked of Telegram with getMe, "
        "using $TELEGRAM_BOT_TOKEN)",
    )
    card.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    card.add_argument(
        "--force", action="store_true", help="overwrite the card and QR code files if there"
    )

    importer = command(
        sub,
        "import",
        cmd_import,
        "add a term's cohorts from a CSV file, all or none",
        "Add cohorts from a CSV file with the columns module, site, when and optionally code "
        "and facilitators. All or nothing: any bad line is reported by its number and nothing "
        "is imported. Cohorts already there (same code, or same module, site and times) are "
        "left alone, so running it again is safe.",
    )
    importer.add_argument("file", type=Path, help="CSV: module,site,when[,code][,facilitators]")


def _with_services(config: Config, work: Callable[[Services], Awaitable[T]]) -> T:
    async def run() -> T:
        db = await open_database(config.bot.database)
        try:
            # No pseudonym key is needed: changes here are recorded as the command line's.
            svc = Services(config, db, b"")
            await cohorts.refresh(svc)
            return await work(svc)
        finally:
            await db.close()

    return asyncio.run(run())


def _change(
    config: Config, work: Callable[[Services], Awaitable[T]], said: Callable[[T], str]
) -> int:
    """Carry out one change to the cohorts and print what it did; a refusal is one line
    on stderr and exit status 2."""
    try:
        done = _with_services(config, work)
    except (CohortError, DateError) as exc:
        return _fail(str(exc))
    print(said(done))
    return 0


def _fail(message: str, status: ExitStatus = ExitStatus.USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _describe(cohort: Cohort, config: Config) -> str:
    tz = config.bot.timezone
    start, end = cohort.start.astimezone(tz), cohort.end.astimezone(tz)
    return f"{cohort.code}: {cohort.module} at {cohort.site}, {start:%Y-%m-%d %H:%M}–{end:%H:%M}"


@with_config
def cmd_add(args: argparse.Namespace, config: Config) -> int:

    async def add(svc: Services) -> Cohort:
        module = cohorts.check_module(svc.config, args.module)
        start, end = parse_session(args.when, config.bot.timezone, svc.now())
        staff = tuple(args.facilitator)
        new = NewCohort(args.code or "", module, args.site, start, end, staff, args.chat)
        try:
            return await cohorts.create(
                svc, new, COMMAND_LINE, allow_duplicate=args.allow_duplicate
            )
        except DuplicateCohort as exc:
            twin = exc.twin
            raise CohortError(
                f"{_describe(twin.cohort, config)}{' (archived)' if twin.archived else ''} "
                "already has this module, site and times; nothing was created. Add "
                "--allow-duplicate to create another cohort like it"
            ) from None

    return _change(config, add, lambda cohort: f"created {_describe(cohort, config)}")


def catalogue(config: Config) -> list[Entry]:
    """Every cohort, from the file and the database, read without creating or migrating
    the database (`check` and `cohort list` only read)."""
    return cohorts.entries_of(config, stored_cohort_rows(config.bot.database))


def catalogue_lines(config: Config, found: list[Entry] | None = None) -> list[str]:
    """Every cohort and where it comes from, for `check` and `cohort list`."""
    if found is None:
        found = catalogue(config)
    lines = []
    for entry in found:
        if entry.origin == "config":
            source = f"config file {config.path.name}"
        else:
            source = f"database, created by {entry.created_by}"
            if entry.changed_by:
                source += f", changed by {entry.changed_by}"
            if entry.archived:
                source += ", archived"
        lines.append(f"  cohort {_describe(entry.cohort, config)} [{source}]")
    for code in cohorts.clashes(config):
        lines.append(f"  problem: {code} is in the config file and in the database; the file wins")
    return lines


@with_config
def cmd_list(args: argparse.Namespace, config: Config) -> int:
    lines = catalogue_lines(config)
    print("\n".join(lines) if lines else "no cohorts")
    return 0


@with_config
def cmd_edit(args: argparse.Namespace, config: Config) -> int:
    if args.site is None and args.when is None and args.end is None:
        return _fail("say what changes: --site, --when or --end")

    async def edit(svc: Services) -> tuple[Cohort, Cohort]:
        tz = config.bot.timezone
        start = end = None
        if args.when is not None:
            start, end = parse_session(args.when, tz, svc.now())
        if args.end is not None:
            current = (await cohorts.changeable(svc, args.code)).cohort
            today = svc.now().astimezone(tz).date()
            end = parse_moment(args.end, tz, current.end.astimezone(tz).date(), today)
        return await cohorts.edit(
            svc, args.code, COMMAND_LINE, site=args.site, start=start, end=end
        )

    def said(change: tuple[Cohort, Cohort]) -> str:
        before, after = change
        return f"changed {_describe(before, config)}\n     to {_describe(after, config)}"

    return _change(config, edit, said)


@with_config
def cmd_cancel(args: argparse.Namespace, config: Config) -> int:
    skipped = cancelled_events(config.schedule)

    async def cancel(svc: Services) -> str:
        return await cohorts.cancel(svc, args.code, COMMAND_LINE, skipped)

    return _change(config, cancel, lambda outcome: f"{args.code.upper()} {outcome}")


@with_config
def cmd_card(args: argparse.Namespace, config: Config) -> int:
    # Telegram's library only here: every other command starts without loading it.
    from telegram.error import InvalidToken, TelegramError

    from bot import cards

    merged = cohorts.with_stored_cohorts(config)
    cohort = merged.cohort(args.code)
    if cohort is None:
        return _fail(f"no cohort with the code {args.code}")
    names = [f"{cohort.code}-card-A5.png", f"{cohort.code}-qr.png"]
    # Before asking Telegram: a refusal should not wait for the network.
    check_new_files(args.out, names, args.force)
    username = args.username
    if username is None:
        token = bot_token()
        if token is None:
            return _fail(f"give --username, or set {TOKEN_ENV} to ask Telegram for it")
        from bot.startup import api_host

        host = api_host(config.bot.api_base_url)
        try:
            username = asyncio.run(_bot_username(config, token))
        except InvalidToken:  # its message repeats the token: never passed on
            return _fail(
                f"the Bot API at {host} rejected the bot token: check {TOKEN_ENV} "
                "(or give --username)",
                ExitStatus.TOKEN_REJECTED,
            )
        except TelegramError as exc:
            return _fail(
                f"could not ask the Bot API at {host} for the bot's username ({one_line(exc)}); "
                "give it with --username to make the card without Telegram",
                ExitStatus.API_UNREACHABLE,
            )
    link = cards.join_link(username.removeprefix("@"), cohort.code)
    title = config.modules[cohort.module].title
    facts = cards.CardFacts(title, cohort.site, cohort.start, cohort.end, cohort.code, link)
    card, qr = (args.out / name for name in names)
    write_new(card, cards.card_png(facts, config.bot.timezone), args.force)
    write_new(qr, cards.qr_png(link), args.force)
    print(f"{link}\n{card}\n{qr}")
    return 0


async def _bot_username(config: Config, token: str) -> str:
    from telegram import Bot

    async with Bot(token, base_url=config.bot.api_base_url) as bot:  # getMe on entering
        return bot.username


def read_import(path: Path) -> tuple[list[ImportRow], str | None]:
    """The CSV file's lines, or why it cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {(name or "").strip().lower() for name in reader.fieldnames or []}
            missing = {"module", "site", "when"} - header
            if missing:
                return [], f"line 1: missing column(s) {', '.join(sorted(missing))}"
            rows = []
            for record in reader:
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()}
                rows.append(
                    ImportRow(
                        reader.line_num,
                        row.get("module", ""),
                        row.get("site", ""),
                        row.get("when", ""),
                        row.get("code", ""),
                        row.get("facilitators", ""),
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], f"{path}: cannot be read: {exc}"
    return rows, None


@with_config
def cmd_import(args: argparse.Namespace, config: Config) -> int:

    rows, unreadable = read_import(args.file)

    async def run(svc: Services) -> cohorts.Imported:
        return await cohorts.import_rows(svc, rows, COMMAND_LINE)

    done = cohorts.Imported([], [], [unreadable]) if unreadable else _with_services(config, run)
    if done.problems:
        print(f"{args.file}: nothing imported; fix these and run it again:", file=sys.stderr)
        for problem in done.problems:
            print(f"  {problem}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"{args.file}: {len(done.created)} cohort(s) created, {len(done.present)} already there")
    for code in done.created:
        print(f"  created {code}")
    return 0
