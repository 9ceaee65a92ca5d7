"""Turns the analysis package's summary into posts for a chat (blocking: run in a thread).

pandas, scipy and matplotlib take seconds to import; they are imported here on first use,
in the worker thread, so that the bot answers participants at once after a restart.
"""

from __future__ import annotations

from html import escape

from analysis.scope import resolve_scope
from bot.outbox import PostContent
from core.config import Config

ALBUM_LIMIT = 10  # photos in one media group


def summary_posts(
    config: Config, cohort: str | None, module: str | None, marker: str | None
) -> list[PostContent]:
    """A short header, the summary's messages (the last with the export button), the charts.

    The header comes first and alone so that, in a chat the bot has never posted in, the
    only message whose delivery cannot be checked after a timeout is that one line.
    """
    from analysis.summary import build_summary

    scope = resolve_scope(config, cohort=cohort, module=module)
    summary, messages, charts = build_summary(config, scope)
    title = config.modules[scope.module].title
    header = f"📊 <b>Evaluation summary</b> — {escape(title)}, {escape(scope.label)}"
    posts = [PostContent("text", header, [])]
    for index, message in enumerate(messages):
        last = index == len(messages) - 1
        posts.append(PostContent("text", message, [], marker if last else None))
    caption = f"Charts — {escape(title)}, {escape(scope.label)}"
    for start in range(0, len(charts), ALBUM_LIMIT):
        posts.append(PostContent("photos", caption, charts[start : start + ALBUM_LIMIT]))
    del summary
    return posts


def export_files(config: Config, cohort: str | None, module: str | None) -> list[tuple[str, bytes]]:
    """The answers of a scope as CSV and XLSX files (long format, plus a wide sheet)."""
    from analysis.exports import csv_bytes, load_long, xlsx_bytes

    scope = resolve_scope(config, cohort=cohort, module=module)
    module_def = config.modules[scope.module]
    long = load_long(config.bot.database, module_def, scope.codes)
    stem = cohort or module or "answers"
    return [
        (f"{stem}-answers.csv", csv_bytes(long)),
        (f"{stem}-answers.xlsx", xlsx_bytes(long, module_def)),
    ]
