"""What a summary covers: one cohort, one site of a module, or a module across cohorts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.config import Config


class ScopeError(ValueError):
    """The requested cohort, module or site does not exist or does not fit together."""


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

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.cohorts)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.site for c in self.cohorts))


def resolve_scope(
    config: Config, *, cohort: str | None = None, module: str | None = None, site: str | None = None
) -> Scope:
    """The scope named on a command line or in a chat command; ScopeError if it is not valid."""
    if (cohort is None) == (module is None):
        raise ScopeError("name either a cohort or a module")
    if cohort is not None:
        found = config.cohort(cohort)
        if found is None:
            known = ", ".join(sorted(config.cohorts)) or "none configured"
            raise ScopeError(f"no cohort with code {cohort!r} (known: {known})")
        if site is not None and found.site.casefold() != site.strip().casefold():
            raise ScopeError(f"cohort {found.code} is at {found.site}, not {site}")
        info = CohortInfo(found.code, found.site, found.start, found.end)
        return Scope(found.module, (info,), f"cohort {found.code}")
    assert module is not None
    if module not in config.modules:
        known = ", ".join(sorted(config.modules))
        raise ScopeError(f"no module with id {module!r} (known: {known})")
    chosen = [
        c
        for c in config.cohorts.values()
        if c.module == module and (site is None or c.site.casefold() == site.strip().casefold())
    ]
    if not chosen:
        where = f" at {site}" if site is not None else ""
        raise ScopeError(f"module {module!r} has no cohorts{where} in the configuration")
    chosen.sort(key=lambda c: (c.start, c.code))
    infos = tuple(CohortInfo(c.code, c.site, c.start, c.end) for c in chosen)
    label = f"all cohorts at {chosen[0].site}" if site is not None else "all cohorts"
    return Scope(module, infos, label)
