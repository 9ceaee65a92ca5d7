"""The analysis subcommands of `feedback-bot`: report, export, import."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from core.cohorts import with_stored_cohorts
from core.config import Config, load_config
from core.problems import ConfigError


def register(subparsers: Any) -> None:
    """Add the analysis subcommands to the `feedback-bot` parser."""
    from analysis.importer import DATE_MARGIN

    report = subparsers.add_parser(
        "report", help="write a summary: Markdown report, charts, Telegram text, exports"
    )
    _scope_arguments(report)
    report.add_argument("--out", required=True, type=Path, help="folder to write into")
    report.add_argument(
        "--open", action="store_true", help="open report.html in the default web browser"
    )
    report.set_defaults(func=cmd_report)

    export = subparsers.add_parser("export", help="export answers in the long format")
    _scope_arguments(export)
    export.add_argument(
        "--format", required=True, choices=["csv", "xlsx"], help="file format: csv or xlsx"
    )
    export.add_argument("--out", required=True, type=Path, help="file to write")
    export.set_defaults(func=cmd_export)

    importer = subparsers.add_parser(
        "import", help="import answers from a CSV file in the export's long format"
    )
    importer.add_argument("--config", required=True, help="config TOML file")
    importer.add_argument("answers", type=Path, help="CSV file (see `feedback-bot export`)")
    importer.add_argument(
        "--allow-dates-outside-window",
        action="store_true",
        help="import answers dated before their cohort's pre questionnaire opens, more than "
        f"{DATE_MARGIN.days} days after its post questionnaire closes, or in the future "
        "(refused otherwise)",
    )
    importer.set_defaults(func=cmd_import)


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="config TOML file")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--cohort", metavar="CODE", help="one cohort, by its join code")
    which.add_argument("--module", metavar="ID", help="a module across all its cohorts")
    parser.add_argument("--site", metavar="NAME", help="only the cohorts at this site")


def _config(path: str) -> Config | None:
    """The config with the cohorts stored in the database (made from the chat) as well."""
    try:
        return with_stored_cohorts(load_config(Path(path)))
    except ConfigError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return None


def _progress(message: str) -> None:
    """Progress on stderr, so stdout carries only the results."""
    print(message, file=sys.stderr, flush=True)


def _resolve(args: argparse.Namespace, config: Config) -> Any:
    from analysis.scope import ScopeError, resolve_scope

    try:
        return resolve_scope(config, cohort=args.cohort, module=args.module, site=args.site)
    except ScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _config_and_scope(args: argparse.Namespace) -> tuple[Config, Any] | int:
    """The config and the scope the arguments name, or the exit status that says why not."""
    config = _config(args.config)
    if config is None:
        return 1
    scope = _resolve(args, config)
    return 2 if scope is None else (config, scope)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the summary files for a cohort, a site or a module and print the headline."""
    found = _config_and_scope(args)
    if isinstance(found, int):
        return found
    config, scope = found
    # Imported here: pandas and matplotlib are slow to import and `check`/`run` skip them.
    from analysis.charts import PRINT_WIDTH, chart_set
    from analysis.exports import csv_bytes, load_long, xlsx_bytes
    from analysis.render_html import PAPER_CHARTS, render_report
    from analysis.render_markdown import render_markdown
    from analysis.render_telegram import render_telegram
    from analysis.summary import compute_summary

    started = time.perf_counter()
    _progress(f"Loading and computing the summary of {scope.module}, {scope.label} …")
    try:
        summary = compute_summary(config, scope)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _progress("Drawing the charts …")
    drawn = chart_set(summary)
    charts = [(f"{chart.name}.png", chart.png()) for chart in drawn]
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, data in charts:
        (out / name).write_bytes(data)
    paper = chart_set(summary, PRINT_WIDTH, PAPER_CHARTS)
    (out / "report.html").write_text(render_report(summary, drawn, paper), encoding="utf-8")
    (out / "report.md").write_text(
        render_markdown(summary, [name for name, _ in charts]), encoding="utf-8"
    )
    (out / "telegram.html").write_text(render_telegram(summary), "utf-8")
    _progress("Writing the exports …")
    module = config.modules[scope.module]
    long = load_long(config.bot.database, module, scope.codes)
    (out / "answers.csv").write_bytes(csv_bytes(long))
    (out / "answers.xlsx").write_bytes(xlsx_bytes(long, module, summary))
    _progress(f"Done in {time.perf_counter() - started:.1f} s; files in {out}")
    print(headline(summary))
    if args.open:
        import webbrowser

        if not webbrowser.open((out / "report.html").resolve().as_uri()):
            _progress(f"No web browser found; open {out / 'report.html'} yourself.")
    return 0


def headline(summary: Any) -> str:
    """The headline figures as plain text lines."""
    from analysis import phrases

    lines = [f"{summary.title} — {summary.scope.label}"]
    lines += phrases.response_lines(summary)
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


def cmd_export(args: argparse.Namespace) -> int:
    """Write every answer of a cohort or module as CSV or XLSX."""
    found = _config_and_scope(args)
    if isinstance(found, int):
        return found
    config, scope = found
    from analysis.exports import iter_long, load_long, write_csv, xlsx_bytes
    from analysis.summary import compute_summary

    module = config.modules[scope.module]
    out: Path = args.out
    if not config.bot.database.exists():
        print(f"error: database not found: {config.bot.database}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        # Streamed: a module's millions of answers never sit in memory at once.
        with out.open("w", encoding="utf-8-sig", newline="") as file:
            count = write_csv(iter_long(config.bot.database, module, scope.codes), file)
    else:
        long = load_long(config.bot.database, module, scope.codes)
        out.write_bytes(xlsx_bytes(long, module, compute_summary(config, scope)))
        count = len(long)
    print(f"{count} answer(s) written to {out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Validate a CSV of answers and import it; on any bad row, import nothing."""
    config = _config(args.config)
    if config is None:
        return 1
    from analysis.importer import import_file

    if not args.answers.exists():
        print(f"error: file not found: {args.answers}", file=sys.stderr)
        return 2
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1:
            last[0] = now
            _progress(f"Imported {done} of {total} participant(s)")

    problems, result = import_file(
        config, args.answers, progress, allow_dates_outside_window=args.allow_dates_outside_window
    )
    if problems:
        print(f"{args.answers}: {len(problems)} problem(s); nothing was imported:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if any(p.date for p in problems):
            print(
                "If those dates are right, import again with --allow-dates-outside-window.",
                file=sys.stderr,
            )
        return 1
    assert result is not None
    print(
        f"{result.rows} answer(s) from {result.participants} participant(s) checked; "
        f"{result.written} added or changed."
    )
    return 0
