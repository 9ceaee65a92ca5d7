"""A summary as posts for a chat (the message, the album of charts, the report as a file),
and the answers as files (blocking: run in a thread).

pandas, scipy and matplotlib take seconds to import; they are imported here on first use,
in the worker thread, so that the bot answers participants at once after a restart.
"""

from __future__ import annotations

from datetime import date
from html import escape

from analysis.scope import resolve_scope
from core.config import Config
from core.storage import PostContent

ALBUM_LIMIT = 10  # photos in one media group


def summary_posts(
    config: Config,
    cohort: str | None,
    module: str | None,
    marker: str | None,
    since: date | None = None,
    until: date | None = None,
) -> list[PostContent]:
    """Three posts at most: the summary message (with the export button), the charts as
    one album, and the HTML report as a document. `since` and `until` limit a module's
    report to the cohorts starting in that period (see analysis.scope.resolve_scope).

    Every post can be looked for after a timeout: the message by its text and button,
    the album and the document by their captions, which differ from each other.
    """
    from analysis.charts import PRINT_WIDTH, chart_set, follow_up_chart_set
    from analysis.render_html import PAPER_CHARTS, render_report
    from analysis.render_telegram import render_telegram
    from analysis.summary import compute_summary, report_follow_up

    scope = resolve_scope(config, cohort=cohort, module=module, since=since, until=until)
    summary = compute_summary(config, scope)
    charts = chart_set(summary)
    where = f"{escape(summary.title)}, {escape(scope.label)}"
    posts = [PostContent("text", render_telegram(summary), [], marker)]
    if charts:
        # One album: a summary never takes more than three posts.
        files = [(f"{c.name}.png", c.png()) for c in charts[:ALBUM_LIMIT]]
        posts.append(PostContent("photos", f"Charts — {where}", files))
    paper = chart_set(summary, PRINT_WIDTH, PAPER_CHARTS)
    # A cohort's report asked for after its follow-up (/report) carries that section too.
    follow_up = report_follow_up(config, scope)
    if follow_up is not None:
        charts = charts + follow_up_chart_set(follow_up)
        paper = paper + follow_up_chart_set(follow_up, PRINT_WIDTH, PAPER_CHARTS)
    report = render_report(summary, charts, paper, follow_up).encode("utf-8")
    stem = (cohort or module or "summary").replace("/", "-")
    if since is not None or until is not None:
        stem += "".join(f"-{day.isoformat()}" if day else "-" for day in (since, until))
    caption = f"📄 Evaluation report — {where}. Open it in a browser; it prints on A4."
    posts.append(PostContent("document", caption, [(f"report-{stem}.html", report)]))
    return posts


def follow_up_posts(config: Config, cohort: str, marker: str | None) -> list[PostContent]:
    """The follow-up summary as posts, in the summary's shape: the message (with the export
    button), its charts as one album, and the cohort's report, now with its follow-up
    section, as a document. Captions differ from the summary's, so every post can be looked
    for after a timeout."""
    from analysis.charts import PRINT_WIDTH, chart_set, follow_up_chart_set
    from analysis.render_html import PAPER_CHARTS, render_report
    from analysis.render_telegram import render_follow_up_telegram
    from analysis.summary import compute_follow_up, compute_summary

    scope = resolve_scope(config, cohort=cohort)
    follow_up = compute_follow_up(config, scope)
    if follow_up is None:
        raise ValueError(f"cohort {cohort} has no follow-up answers to summarise")
    summary = compute_summary(config, scope)
    later = follow_up_chart_set(follow_up)
    where = f"{escape(summary.title)}, {escape(scope.label)}"
    posts = [PostContent("text", render_follow_up_telegram(follow_up), [], marker)]
    if later:
        files = [(f"{c.name}.png", c.png()) for c in later[:ALBUM_LIMIT]]
        posts.append(PostContent("photos", f"Follow-up charts — {where}", files))
    charts = chart_set(summary) + later
    paper = chart_set(summary, PRINT_WIDTH, PAPER_CHARTS) + follow_up_chart_set(
        follow_up, PRINT_WIDTH, PAPER_CHARTS
    )
    report = render_report(summary, charts, paper, follow_up).encode("utf-8")
    caption = (
        f"📄 Evaluation report with the follow-up — {where}. Open it in a browser; it prints on A4."
    )
    name = f"report-{cohort.replace('/', '-')}-follow-up.html"
    posts.append(PostContent("document", caption, [(name, report)]))
    return posts


def export_files(
    config: Config,
    cohort: str | None,
    module: str | None,
    since: date | None = None,
    until: date | None = None,
) -> list[tuple[str, bytes]]:
    """The answers of a scope as CSV and XLSX files (long format, a wide sheet, a codebook
    and the report's figures in a summary sheet). `since` and `until` limit a module's to
    the cohorts starting in that period, as its report is, and the file names say so as the
    report's does. Blocking: run it in a thread."""
    from analysis.exports import csv_bytes, load_long, xlsx_bytes
    from analysis.summary import compute_summary, report_follow_up

    scope = resolve_scope(config, cohort=cohort, module=module, since=since, until=until)
    module_def = config.modules[scope.module]
    long = load_long(config.bot.database, module_def, scope.codes)
    stem = (cohort or module or "answers").replace("/", "-")
    if since is not None or until is not None:
        stem += "".join(f"-{day.isoformat()}" if day else "-" for day in (since, until))
    summary = compute_summary(config, scope)
    follow_up = report_follow_up(config, scope)
    return [
        (f"{stem}-answers.csv", csv_bytes(long)),
        (f"{stem}-answers.xlsx", xlsx_bytes(long, module_def, summary, follow_up)),
    ]
