"""`feedback-bot report`, `export` and `import`: the answers in and out of the database."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.exits import ExitStatus
from cli.options import Command, command, with_config
from core.cohorts import with_stored_cohorts
from core.config import Config
from core.outputs import check_folder, check_new_file, check_new_files, new_file, write_new
from core.storage import respondents_in
from core.storage.reads import exists as database_exists

if TYPE_CHECKING:
    from analysis.scope import Scope


def register(subparsers: Any) -> None:
    """Add `report`, `export` and `import` to the `feedback-bot` parser."""
    from analysis.importer import DATE_MARGIN

    report = command(
        subparsers,
        "report",
        cmd_report,
        help="write a summary: Markdown report, charts, Telegram text, exports",
        description="Write the summary of a cohort, a site or a module into --out: "
        "report.html, report.md, the chart PNGs, telegram.html, answers.csv and answers.xlsx; "
        "print the headline figures. Files already in --out are not overwritten without "
        "--force. A scope nobody has answered yet gets one line and no files, as /report "
        "does in the chat.",
    )
    _scope_arguments(report)
    report.add_argument("--out", required=True, type=Path, help="folder to write into")
    report.add_argument(
        "--open", action="store_true", help="open report.html in the default web browser"
    )
    report.add_argument(
        "--force", action="store_true", help="overwrite the report's files if --out has them"
    )

    export = command(
        subparsers,
        "export",
        cmd_export,
        help="export answers in the long format",
        description="Write every answer of a cohort, a site or a module to --out, as CSV "
        "(the long format `import` reads back) or XLSX (four sheets). Participants appear "
        "only as pseudonymous ids. An existing --out is not overwritten without --force.",
    )
    _scope_arguments(export)
    export.add_argument(
        "--format", required=True, choices=["csv", "xlsx"], help="file format: csv or xlsx"
    )
    export.add_argument("--out", required=True, type=Path, help="file to write")
    export.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    importer = command(
        subparsers,
        "import",
        cmd_import,
        help="import answers from a CSV file in the export's long format",
        description="Add answers collected on paper or a web form, in the long format "
        "`export` writes. Every row is checked first; if any is wrong, or would change an "
        "answer already stored (a participant's own answer from the chat, say), all of them "
        "are listed by line and nothing is imported. Importing the same file again changes "
        "nothing.",
    )
    importer.add_argument("answers", type=Path, help="CSV file (see `feedback-bot export`)")
    importer.add_argument(
        "--allow-dates-outside-window",
        action="store_true",
        help="import answers dated before their cohort's pre questionnaire opens, more than "
        f"{DATE_MARGIN.days} days after its post questionnaire closes, or in the future "
        "(refused otherwise)",
    )
    importer.add_argument(
        "--replace",
        action="store_true",
        help="replace stored answers that the file gives differently (refused otherwise)",
    )


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--cohort", metavar="CODE", help="one cohort, by its join code")
    which.add_argument("--module", metavar="ID", help="a module across all its cohorts")
    parser.add_argument("--site", metavar="NAME", help="only the cohorts at this site")
    parser.add_argument(
        "--since",
        metavar="DATE",
        type=_day,
        help="with --module: only cohorts starting on this day (YYYY-MM-DD) or later",
    )
    parser.add_argument(
        "--until",
        metavar="DATE",
        type=_day,
        help="with --module: only cohorts starting on this day (YYYY-MM-DD) or earlier",
    )


def _day(text: str) -> date:
    """A day on the command line, as ISO 8601 (argparse names the option when it fails)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a day such as 2026-03-31, not {text!r}"
        ) from None


def _progress(message: str) -> None:
    """Progress on stderr, so stdout carries only the results."""
    print(message, file=sys.stderr, flush=True)


def _resolve(args: argparse.Namespace, config: Config) -> Any:
    from analysis.scope import NoCohortsInPeriod, ScopeError, resolve_scope

    try:
        return resolve_scope(
            config,
            cohort=args.cohort,
            module=args.module,
            site=args.site,
            since=args.since,
            until=args.until,
        )
    except NoCohortsInPeriod as exc:
        if args.command != "report":
            print(f"error: {exc}", file=sys.stderr)
            return None
        # A period with no cohorts is a question with nothing to answer, as a module
        # nobody has answered yet.
        print(f"Nothing to report: {exc}; nothing was written to {args.out}.", file=sys.stderr)
        return ExitStatus.NOTHING_TO_REPORT
    except ScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _with_scope(run: Callable[[argparse.Namespace, Config, Scope], int]) -> Command:
    """A command over the cohorts its arguments name: `run` gets the config, with the
    cohorts stored in the database (made from the chat) as well, and the scope; or the
    command ends with the exit status that says why there is none."""

    @with_config
    @functools.wraps(run)
    def scoped(args: argparse.Namespace, config: Config) -> int:
        config = with_stored_cohorts(config)
        scope = _resolve(args, config)
        if isinstance(scope, int):
            return scope
        return ExitStatus.USAGE if scope is None else run(args, config, scope)

    return scoped


@_with_scope
def cmd_report(args: argparse.Namespace, config: Config, scope: Scope) -> int:
    """Write the summary files for a cohort, a site or a module and print the headline."""
    # Imported here: pandas and matplotlib are slow to import and `check`/`run` skip them.
    from analysis.charts import chart_set, follow_up_chart_set, paper_charts
    from analysis.exports import csv_bytes, load_long, xlsx_bytes
    from analysis.render_html import render_report
    from analysis.render_markdown import render_markdown
    from analysis.render_telegram import render_follow_up_telegram, render_telegram
    from analysis.summary import compute_summary, report_follow_up

    started = time.perf_counter()
    out: Path = args.out
    if not database_exists(config.bot.database):
        print(f"error: database not found: {config.bot.database}", file=sys.stderr)
        return ExitStatus.DATABASE
    if respondents_in(config.bot.database, scope.codes) == 0:
        # As /report in the chat: four empty charts and "n = 0" help no one.
        name = scope.codes[0] if args.cohort else f"module {scope.module}, {scope.label}"
        print(
            f"No responses yet for {name}: there is nothing to summarise; nothing was "
            f"written to {out}.",
            file=sys.stderr,
        )
        return ExitStatus.NOTHING_TO_REPORT
    check_folder(out)  # before the work: a path that cannot be written is known now
    _progress(f"Loading and computing the summary of {scope.module}, {scope.label} …")
    summary = compute_summary(config, scope)
    # Weeks later, once there are follow-up answers: a section of its own in each file.
    follow_up = report_follow_up(config, scope)
    drawn = chart_set(summary)
    if follow_up is not None:
        drawn += follow_up_chart_set(follow_up)
    files = [f"{chart.name}.png" for chart in drawn]
    files += ["report.html", "report.md", "telegram.html", "answers.csv", "answers.xlsx"]
    if follow_up is not None:
        files.append("follow-up-telegram.html")
    check_new_files(out, files, args.force)
    _progress("Drawing the charts …")
    charts = [(f"{chart.name}.png", chart.png()) for chart in drawn]
    html = render_report(summary, drawn, paper_charts(summary, follow_up), follow_up)
    markdown = render_markdown(summary, [name for name, _ in charts], follow_up)
    module = config.modules[scope.module]
    long = load_long(config.bot.database, module, scope.codes)
    written = [
        *charts,
        ("report.html", html.encode()),
        ("report.md", markdown.encode()),
        ("telegram.html", render_telegram(summary).encode()),
        ("answers.csv", csv_bytes(long)),
        ("answers.xlsx", xlsx_bytes(long, module, summary, follow_up)),
    ]
    if follow_up is not None:
        written.append(("follow-up-telegram.html", render_follow_up_telegram(follow_up).encode()))
    _progress(f"Writing {len(written)} files into {out} …")
    for name, data in written:
        write_new(out / name, data, args.force)
    _progress(f"Done in {time.perf_counter() - started:.1f} s; {len(written)} files in {out}")
    print(headline(summary))
    if follow_up is not None:
        print(follow_up_headline(follow_up))
    if args.open:
        import webbrowser

        if not webbrowser.open((out / "report.html").resolve().as_uri()):
            _progress(f"No web browser found; open {out / 'report.html'} yourself.")
    return 0


def headline(summary: Any) -> str:
    """The headline figures as plain text lines."""
    from analysis import phrases
    from analysis.over_time import over_time_sentences

    lines = [f"{summary.title} — {summary.scope.label}"]
    lines += phrases.response_lines(summary)
    over_time = over_time_sentences(summary)
    if over_time:
        lines.append("Over time: " + " ".join(over_time))
    sentence = phrases.expectations_sentence(summary)
    if sentence:
        lines.append(sentence)
    lines += [f"{m.label} ({m.phase}): {phrases.mean_text(m.mean)}" for m in summary.means]
    for item in summary.changes:
        lines.append(
            f"{item.label}: {phrases.mean_text(item.pre)} → {phrases.mean_text(item.post)}"
        )
        lines.append("  " + phrases.change_sentence(item, summary.min_cell_size))
    for found in summary.profiles:
        items = phrases.groups_sentence(found, summary.min_cell_size)
        lines.append(f"By {found.label.lower()} (n = {found.n}): {items}")
    return "\n".join(lines)


def follow_up_headline(summary: Any) -> str:
    """The follow-up's figures as plain text lines."""
    from analysis import phrases

    lines = ["Follow-up (weeks later):"]
    lines += phrases.follow_up_response_lines(summary)
    sentence = phrases.used_sentence(summary)
    if sentence:
        lines.append(sentence)
    for item in summary.items:
        lines.append(f"{item.label}: {phrases.points_text(item)}")
    lines += ["  " + line for line in phrases.follow_up_statistics_lines(summary)]
    return "\n".join(lines)


@_with_scope
def cmd_export(args: argparse.Namespace, config: Config, scope: Scope) -> int:
    """Write every answer of a cohort or module as CSV or XLSX."""
    from analysis.exports import iter_long, load_long, write_csv, xlsx_bytes
    from analysis.summary import compute_summary, report_follow_up

    module = config.modules[scope.module]
    out: Path = args.out
    if not database_exists(config.bot.database):
        print(f"error: database not found: {config.bot.database}", file=sys.stderr)
        return ExitStatus.DATABASE
    check_new_file(out, args.force)
    if args.format == "csv":
        # Streamed: a module's millions of answers never sit in memory at once.
        with new_file(out, args.force, text=True) as file:
            count = write_csv(iter_long(config.bot.database, module, scope.codes), file)
    else:
        long = load_long(config.bot.database, module, scope.codes)
        summary = compute_summary(config, scope)
        follow_up = report_follow_up(config, scope)
        write_new(out, xlsx_bytes(long, module, summary, follow_up), args.force)
        count = len(long)
    print(f"{count} answer(s) written to {out}")
    return 0


@with_config
def cmd_import(args: argparse.Namespace, config: Config) -> int:
    """Validate a CSV of answers and import it; on any bad row, import nothing."""
    config = with_stored_cohorts(config)
    from analysis.importer import AnswersWouldChange, import_file

    if not args.answers.is_file():
        print(f"error: file not found: {args.answers}", file=sys.stderr)
        return ExitStatus.USAGE
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        # Only for long imports, and only saying what is under way: the closing line,
        # after the commit, is the one that says what was imported.
        now = time.perf_counter()
        if now - last[0] > 1 and done < total:
            last[0] = now
            _progress(f"{stage}: {done} of {total} participant(s) …")

    try:
        problems, result = import_file(
            config,
            args.answers,
            progress,
            allow_dates_outside_window=args.allow_dates_outside_window,
            replace=args.replace,
        )
    except AnswersWouldChange as refused:
        changes = refused.changes
        print(
            f"{args.answers}: {len(changes)} answer(s) would change what is stored; "
            "nothing was imported:",
            file=sys.stderr,
        )
        for change in changes:
            print(f"  {change}", file=sys.stderr)
        print(
            "If the file is right, import it again with --replace to replace those answers.",
            file=sys.stderr,
        )
        return ExitStatus.USAGE
    if problems:
        print(f"{args.answers}: {len(problems)} problem(s); nothing was imported:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if any(p.date for p in problems):
            print(
                "If those dates are right, import again with --allow-dates-outside-window.",
                file=sys.stderr,
            )
        return ExitStatus.USAGE
    assert result is not None
    print(
        f"{args.answers}: {result.rows} answer(s) of {result.participants} participant(s): "
        f"{result.added} added, {result.unchanged} unchanged, {result.replaced} replaced."
    )
    return 0
