"""The one call the bot and the command line make: a scope's summary, messages and charts."""

from __future__ import annotations

from analysis.charts import summary_charts
from analysis.compute import ModuleSummary, summarise
from analysis.load import load_frames
from analysis.render_telegram import render_telegram
from analysis.scope import Scope
from core.config import Config


def compute_summary(config: Config, scope: Scope) -> ModuleSummary:
    """Load a scope's answers from the configured database and compute its figures."""
    module = config.modules[scope.module]
    frames = load_frames(config.bot.database, module, scope.codes)
    return summarise(
        frames,
        module,
        scope,
        min_cell_size=config.analysis.min_cell_size,
        show_comments=config.analysis.show_comments,
    )


def build_summary(
    config: Config, scope: Scope, *, charts: bool = True
) -> tuple[ModuleSummary, list[str], list[tuple[str, bytes]]]:
    """The summary, its one Telegram HTML message (in a list) and its PNG charts.

    Blocking (SQLite, pandas, matplotlib): the bot calls it through asyncio.to_thread.
    """
    summary = compute_summary(config, scope)
    messages = [render_telegram(summary)]
    return summary, messages, summary_charts(summary) if charts else []
