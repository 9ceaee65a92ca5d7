"""What every part of the running bot shares: the config, the database, the key and the clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from core.config import Config
from core.storage import Database


class Clock(Protocol):
    """Where the bot reads the time. The job queue waits in real time, so it divides a delay
    on this clock by ``speed`` (clock seconds per real second: 1 except in the demo)."""

    @property
    def speed(self) -> float: ...

    def __call__(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    speed = 1.0

    def __call__(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Services:
    """What the handlers need, built once at start-up."""

    # The file's settings with every cohort in effect, stored ones included (core.cohorts).
    config: Config
    db: Database
    pseudonym_key: bytes = field(repr=False)  # a secret: never in a repr or a log
    clock: Clock = field(default_factory=SystemClock)
    # One lifecycle run at a time: jobs and admin commands may both trigger one.
    lifecycle_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The config as loaded from the file, with only its own cohorts.
    file_config: Config = field(init=False)

    def __post_init__(self) -> None:
        self.file_config = self.config

    def now(self) -> datetime:
        return self.clock()
