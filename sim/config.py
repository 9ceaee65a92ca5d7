"""One way to write a bot config for simulations: the demo, the tests and the benchmarks.

Everything is written as TOML and read back by the real ``core.config.load_config``, so a
simulation runs on exactly what an operator's file would give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.packaged import BUILTIN_PREFIX

# A Bot API address nothing listens on: in-process simulations never use it.
UNUSED_API = "http://127.0.0.1:9"

TomlValue = str | int | bool | timedelta | datetime | Path | Sequence[str] | Sequence[int]


@dataclass(frozen=True)
class CohortSpec:
    code: str
    start: datetime
    end: datetime
    module: str = "risk-support"
    site: str = "London"


@dataclass(frozen=True)
class ModuleSpec:
    id: str
    questionnaire: Path | str  # a file, or "builtin:NAME" for one shipped with the bot
    title: str | None = None


def shipped(*module_ids: str) -> list[ModuleSpec]:
    """Modules using the questionnaires shipped with the bot (``risk-support`` by default)."""
    return [ModuleSpec(m, BUILTIN_PREFIX + m) for m in module_ids or ("risk-support",)]


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def toml_value(value: TomlValue) -> str:
    """``value`` as TOML: datetimes in UTC with a Z, durations as the config's "7d" strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, timedelta):
        return f'"{_duration(value)}"'
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(toml_value(item) for item in value) + "]"


def _table(header: str, values: Mapping[str, TomlValue | None]) -> str:
    lines = [header]
    lines += [f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"


def config_toml(
    cohorts: Sequence[CohortSpec],
    *,
    modules: Sequence[ModuleSpec] | None = None,
    schedule: Mapping[str, TomlValue] | None = None,
    analysis: Mapping[str, TomlValue] | None = None,
    comment: str = "",
    extra: str = "",
    **bot: TomlValue | None,
) -> str:
    """A whole config: ``[bot]`` from the keyword arguments, then schedule, modules, cohorts.

    ``bot`` defaults to an unused Bot API address and ``feedback.db`` beside the config;
    ``extra`` is appended verbatim (a test's own tables).
    """
    bot_table: dict[str, TomlValue | None] = {
        "api_base_url": f"{UNUSED_API}/bot",
        "api_base_file_url": f"{UNUSED_API}/file/bot",
        "database": "feedback.db",
    }
    bot_table.update(bot)
    parts = [f"# {comment}\n" if comment else "", _table("[bot]", bot_table)]
    if schedule:
        parts.append(_table("[schedule]", schedule))
    if analysis:
        parts.append(_table("[analysis]", analysis))
    for module in modules if modules is not None else shipped():
        values: dict[str, TomlValue | None] = {
            "id": module.id,
            "title": module.title,
            "questionnaire": module.questionnaire,
        }
        parts.append(_table("[[modules]]", values))
    for cohort in cohorts:
        values = {
            "code": cohort.code,
            "module": cohort.module,
            "site": cohort.site,
            "start": cohort.start,
            "end": cohort.end,
        }
        parts.append(_table("[[cohorts]]", values))
    return "\n".join(parts) + extra


def write_config(folder: Path, cohorts: Sequence[CohortSpec], **options: object) -> Path:
    """Write ``config_toml(cohorts, **options)`` to ``folder/config.toml`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(config_toml(cohorts, **options), encoding="utf-8")  # type: ignore[arg-type]
    return path
