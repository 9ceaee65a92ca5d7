"""`feedback-bot check` and `example-config`: the config, before the bot runs on it."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

from cli.cohort import catalogue_lines
from cli.options import command, load_listing_problems
from core.cohorts import entries_of, merged
from core.config import Config
from core.packaged import example_config
from core.secrets import environment_problems
from core.storage import DatabaseUnavailable, stored_cohort_rows
from core.storage import check as check_database


def register(subparsers: Any) -> None:
    """Add `check` and `example-config` to the `feedback-bot` parser."""
    command(
        subparsers,
        "check",
        cmd_check,
        help="validate the config and questionnaire files",
        description="Validate the config and every questionnaire file, listing each problem "
        "with its file, key and what was expected; then list the cohorts, from the file and "
        "the database. Reads only: it never creates or changes the database. A pseudonym key "
        "or bot token set in the environment is checked too.",
    )
    command(
        subparsers,
        "example-config",
        cmd_example_config,
        help="print the example config, to save as config.toml and edit",
        description="Print the example config shipped with the package, every key explained.",
        config=None,
    )


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the config and every questionnaire file."""
    config = load_listing_problems(args.config)
    if config is None:
        return 1
    database_problem = None
    try:
        rows = stored_cohort_rows(config.bot.database)
        check_database(config.bot.database)  # PostgreSQL: migrated, writable for this role?
    except DatabaseUnavailable as exc:
        rows, database_problem = [], str(exc)
    found = entries_of(config, rows)
    stored = sum(entry.origin == "stored" for entry in found)
    questions = sum(
        len(m.questionnaire(phase).questions) for m in config.modules.values() for phase in m.phases
    )
    where = f" ({len(found) - stored} in the file, {stored} in the database)" if stored else ""
    print(
        f"{args.config}: OK — {len(config.modules)} module(s), {questions} question(s), "
        f"{len(found)} cohort(s){where}; database {config.bot.database}"
    )
    for module in config.modules.values():
        paired = ", ".join(q.id for q in module.paired_questions) or "none"
        follow_up = "no follow-up"
        if module.follow_up is not None:
            tracked = ", ".join(q.id for q in module.tracked_questions) or "none"
            follow_up = (
                f"follow-up: {len(module.follow_up.questions)} question(s), "
                f"at three points: {tracked}"
            )
        print(
            f"  module {module.id} ({module.title}): {module.source}; compared pre/post: "
            f"{paired}; {follow_up}"
        )
    print("\n".join(catalogue_lines(config, found)))
    for line in nothing_to_try_note(merged(config, rows), args.config, datetime.now(UTC)):
        print(line)
    # Only secrets that are set: `check` is often run where the service's environment is not.
    weak = environment_problems(only_set=True)
    if database_problem:
        weak.append(database_problem)
    for problem in weak:
        print(f"  problem: {problem}")
    # A code in both the file and the database: the file's cohort hides the stored one.
    clashing = [row.code for row in rows if row.code in config.cohorts]
    return 1 if clashing or weak else 0


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


def cmd_example_config(args: argparse.Namespace) -> int:
    """Print the example config shipped with the package."""
    sys.stdout.write(example_config())
    return 0
