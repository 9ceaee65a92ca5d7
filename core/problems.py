"""Configuration problems reported with the file, the key and what was expected."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config or questionnaire file."""

    file: Path
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else str(self.file)
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """Raised when a config or questionnaire file has one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_toml(file: Path | Traversable, what: str) -> dict[str, Any]:
    """A config or questionnaire file's TOML; a missing, unreadable or invalid file is one
    problem naming it (`what`: "config file", "questionnaire file")."""
    path = Path(str(file))
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem(path, "", f"{what} not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(path, "", f"not valid TOML: {exc}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(path, "", f"cannot be read: {exc}")]) from None
