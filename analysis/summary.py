"""The one call the bot and the command line make: a scope's summary, messages and charts."""

from __future__ import annotations

from dataclasses import replace

from analysis.charts import summary_charts
from analysis.compute import summarise, summarise_follow_up
from analysis.disclosure import Policy, release, release_follow_up
from analysis.load import FollowUpFrames, load_follow_up, load_frames
from analysis.released import FollowUpSummary, ModuleSummary
from analysis.render_telegram import render_telegram
from analysis.scope import Scope
from core.config import Config


def policy_of(config: Config) -> Policy:
    """The disclosure policy the config sets ([analysis])."""
    return Policy(config.analysis.min_cell_size, config.analysis.min_pairs_for_tests)


def compute_summary(config: Config, scope: Scope) -> ModuleSummary:
    """Load a scope's answers, compute its figures and keep what the policy lets a report show
    (a module-wide summary: with each cohort's follow-up outcomes, where it has them)."""
    module = config.modules[scope.module]
    frames = load_frames(config.bot.database, module, scope.codes)
    figures = summarise(frames, module, scope, show_comments=config.analysis.show_comments)
    summary = release(figures, policy_of(config))
    if len(scope.cohorts) > 1 and module.follow_up is not None:
        summary = replace(summary, follow_ups=cohort_follow_ups(config, scope))
    return summary


def cohort_follow_ups(config: Config, scope: Scope) -> tuple[FollowUpSummary, ...]:
    """Each cohort's own follow-up summary, in date order, for those with follow-up
    answers: read once for the whole scope, computed cohort by cohort exactly as the
    cohort's own report computes it."""
    module = config.modules[scope.module]
    frames = load_follow_up(config.bot.database, module, scope.codes)
    found = []
    for cohort in sorted(scope.cohorts, key=lambda c: (c.start, c.code)):
        own = FollowUpFrames(
            answers=frames.answers[frames.answers["cohort"] == cohort.code],
            people=frames.people[frames.people["cohort"] == cohort.code],
        )
        alone = Scope(scope.module, (cohort,), f"cohort {cohort.code}")
        figures = summarise_follow_up(
            own, module, alone, show_comments=config.analysis.show_comments
        )
        if figures.respondents:
            found.append(release_follow_up(figures, policy_of(config)))
    return tuple(found)


def compute_follow_up(config: Config, scope: Scope) -> FollowUpSummary | None:
    """The scope's follow-up summary as the policy releases it; None when its module has no
    follow-up questionnaire or nobody has answered one yet. Blocking: run it in a thread."""
    module = config.modules[scope.module]
    if module.follow_up is None:
        return None
    frames = load_follow_up(config.bot.database, module, scope.codes)
    figures = summarise_follow_up(
        frames, module, scope, show_comments=config.analysis.show_comments
    )
    if figures.respondents == 0:
        return None
    return release_follow_up(figures, policy_of(config))


def report_follow_up(config: Config, scope: Scope) -> FollowUpSummary | None:
    """The follow-up section of a cohort's report (its report.html, report.md, the XLSX
    summary sheet): the cohort's follow-up summary once there are follow-up answers. A
    report over several cohorts has none of its own here (the module-wide report gives
    each cohort's follow-up outcomes)."""
    if len(scope.cohorts) != 1:
        return None
    return compute_follow_up(config, scope)


def build_summary(
    config: Config, scope: Scope, *, charts: bool = True
) -> tuple[ModuleSummary, list[str], list[tuple[str, bytes]]]:
    """The summary, its one Telegram HTML message (in a list) and its PNG charts.

    Blocking (SQLite, pandas, matplotlib): the bot calls it through asyncio.to_thread.
    """
    summary = compute_summary(config, scope)
    messages = [render_telegram(summary)]
    return summary, messages, summary_charts(summary) if charts else []
