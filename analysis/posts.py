"""A summary as posts for a chat (the message, the album of charts, the report as a file),
and the answers as files (blocking: run in a thread).

pandas, scipy and matplotlib take seconds to import; they are imported here on first use,
in the worker thread, so that the bot answers participants at once after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from analysis.scope import resolve_scope
from core.config import Config
from core.storage import PostContent

if TYPE_CHECKING:
    from analysis.chart_layout import Chart
    from analysis.released import FollowUpSummary, ModuleSummary

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
    from analysis.charts import chart_set, follow_up_chart_set
    from analysis.render_telegram import render_telegram
    from analysis.summary import compute_summary, report_follow_up

    scope = resolve_scope(config, cohort=cohort, module=module, since=since, until=until)
    summary = compute_summary(config, scope)
    charts = chart_set(summary)
    where = f"{escape(summary.title)}, {escape(scope.label)}"
    posts = [PostContent("text", render_telegram(summary), [], marker)]
    posts += _album(charts, f"Charts — {where}")
    # A cohort's report asked for after its follow-up (/report) carries that section too.
    follow_up = report_follow_up(config, scope)
    if follow_up is not None:
        charts = charts + follow_up_chart_set(follow_up)
    report = _report(summary, charts, follow_up)
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
    from analysis.charts import chart_set, follow_up_chart_set
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
    posts += _album(later, f"Follow-up charts — {where}")
    report = _report(summary, chart_set(summary) + later, follow_up)
    caption = (
        f"📄 Evaluation report with the follow-up — {where}. Open it in a browser; it prints on A4."
    )
    name = f"report-{cohort.replace('/', '-')}-follow-up.html"
    posts.append(PostContent("document", caption, [(name, report)]))
    return posts


def _album(charts: Sequence[Chart], caption: str) -> list[PostContent]:
    """The charts as one album, or no post without charts: a summary never takes more
    than three posts."""
    if not charts:
        return []
    files = [(f"{c.name}.png", c.png()) for c in charts[:ALBUM_LIMIT]]
    return [PostContent("photos", caption, files)]


def _report(
    summary: ModuleSummary, charts: Sequence[Chart], follow_up: FollowUpSummary | None
) -> bytes:
    """report.html with these charts, and those that span a page laid out again for A4."""
    from analysis.charts import paper_charts
    from analysis.render_html import render_report

    return render_report(summary, charts, paper_charts(summary, follow_up), follow_up).encode()


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
