"""What every part of the running bot shares: the config, the database, the key and the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.config import Config
from core.storage import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """What the handlers need, built once at start-up."""

    # The file's settings with every cohort in effect, stored ones included (core.cohorts).
    config: Config
    db: Database
    pseudonym_key: bytes
    clock: Callable[[], datetime] = utc_now
    # One lifecycle run at a time: jobs and admin commands may both trigger one.
    lifecycle_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The config as loaded from the file, with only its own cohorts.
    file_config: Config = field(init=False)

    def __post_init__(self) -> None:
        self.file_config = self.config

    def now(self) -> datetime:
        return self.clock()
