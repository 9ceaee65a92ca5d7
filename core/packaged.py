"""Files shipped inside the package: the built-in questionnaires and the example config.

They are read through importlib.resources, so they are found the same way in a checkout and
in an installed wheel; paths relative to this file or the current folder work only in a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

# A `questionnaire = "builtin:NAME"` in a config names a questionnaire shipped with the bot.
BUILTIN_PREFIX = "builtin:"
EXAMPLE_CONFIG = "config.example.toml"


def _data() -> Traversable:
    return files("core") / "data"


def builtin_questionnaires() -> list[str]:
    """The names usable after `builtin:`, e.g. ["getting-help", "risk-support"]."""
    folder = _data() / "questionnaires"
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def builtin_questionnaire(name: str) -> Traversable | None:
    """The shipped questionnaire called `name` (with or without .toml), or None."""
    stem = name.strip().removesuffix(".toml")
    if stem not in builtin_questionnaires():
        return None
    return _data() / "questionnaires" / f"{stem}.toml"


def example_config() -> str:
    """The text of the example config, the same as config.example.toml in a checkout."""
    return (_data() / EXAMPLE_CONFIG).read_text(encoding="utf-8")
