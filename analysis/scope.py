"""What a summary covers: one cohort, one site of a module, or a module across cohorts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.config import Cohort, Config


class ScopeError(ValueError):
    """The requested cohort, module or site does not exist or does not fit together."""


class NoCohortsInPeriod(ScopeError):
    """The module has cohorts, but none starts within --since and --until."""


@dataclass(frozen=True)
class CohortInfo:
    """The facts about a cohort a summary shows."""

    code: str
    site: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scope:
    """A module and the cohorts of it a summary covers."""

    module: str
    cohorts: tuple[CohortInfo, ...]
    label: str  # e.g. "cohort RS-LDN-0314", "all cohorts at London"
    # The dates a module-wide scope was limited to (--since, --until), by the day each
    # cohort starts in bot.timezone; (None, None): every cohort.
    period: tuple[date | None, date | None] = (None, None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.cohorts)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.site for c in self.cohorts))


def resolve_scope(
    config: Config,
    *,
    cohort: str | None = None,
    module: str | None = None,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Scope:
    """The scope named on a command line or in a chat command; ScopeError if it is not valid.

    `since` and `until` (a module only) keep the cohorts that start on those days or
    between them, in the bot's time zone.
    """
    if (cohort is None) == (module is None):
        raise ScopeError("name either a cohort or a module")
    if cohort is not None and (since is not None or until is not None):
        raise ScopeError("--since and --until choose cohorts of a module; name the module")
    if since is not None and until is not None and since > until:
        raise ScopeError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    if cohort is not None:
        found = config.cohort(cohort)
        if found is None:
            known = ", ".join(sorted(config.cohorts)) or "none configured"
            raise ScopeError(f"no cohort with code {cohort!r} (known: {known})")
        if site is not None and found.site.casefold() != site.strip().casefold():
            raise ScopeError(f"cohort {found.code} is at {found.site}, not {site}")
        info = _info(found, config)
        return Scope(found.module, (info,), f"cohort {found.code}")
    assert module is not None
    if module not in config.modules:
        known = ", ".join(sorted(config.modules))
        raise ScopeError(f"no module with id {module!r} (known: {known})")
    tz = config.bot.timezone
    chosen = [
        c
        for c in config.cohorts.values()
        if c.module == module and (site is None or c.site.casefold() == site.strip().casefold())
    ]
    if not chosen:
        where = f" at {site}" if site is not None else ""
        raise ScopeError(f"module {module!r} has no cohorts{where} in the configuration")
    chosen = [
        c
        for c in chosen
        if (since is None or c.start.astimezone(tz).date() >= since)
        and (until is None or c.start.astimezone(tz).date() <= until)
    ]
    when = period_words(since, until)
    if not chosen:
        where = f" at {site}" if site is not None else ""
        raise NoCohortsInPeriod(f"module {module!r} has no cohorts{where} starting {when}")
    chosen.sort(key=lambda c: (c.start, c.code))
    infos = tuple(_info(c, config) for c in chosen)
    label = f"all cohorts at {chosen[0].site}" if site is not None else "all cohorts"
    if since is not None or until is not None:
        label = f"{label} starting {when}"
    return Scope(module, infos, label, (since, until))


def _info(cohort: Cohort, config: Config) -> CohortInfo:
    """A cohort's facts, its times in the bot's time zone (the days a report names)."""
    tz = config.bot.timezone
    return CohortInfo(
        cohort.code, cohort.site, cohort.start.astimezone(tz), cohort.end.astimezone(tz)
    )


def day_words(day: date) -> str:
    """ "1 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def period_words(since: date | None, until: date | None) -> str:
    """ "from 1 January 2026 to 31 March 2026", "from 1 January 2026", "until …"."""
    if since is not None and until is not None:
        return f"from {day_words(since)} to {day_words(until)}"
    if since is not None:
        return f"from {day_words(since)}"
    if until is not None:
        return f"until {day_words(until)}"
    return "at any time"
