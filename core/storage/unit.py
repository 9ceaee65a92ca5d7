"""A unit of work (`Tx`) and what hands them out (`Database`), whichever the engine.

Each unit of work is one transaction, `Database.write()` or `.read()`, handing out a `Tx`:
the statements of every domain on that transaction's connection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager

from core.storage.cohorts import Cohorts, Drafts
from core.storage.outbox import Ledger, Outbox
from core.storage.participants import Answers, Participants, Responses
from core.storage.privacy import Privacy
from core.storage.schedule import (
    Deliveries,
    Events,
    FollowUps,
    ModuleReports,
    Status,
    Windows,
)
from core.storage.sql import Sql
from core.storage.target import Target


class Tx:
    """One unit of work: the statements of each domain, on one transaction's connection."""

    __slots__ = (
        "answers",
        "cohorts",
        "deliveries",
        "drafts",
        "events",
        "follow_up",
        "ledger",
        "module_reports",
        "outbox",
        "participants",
        "privacy",
        "responses",
        "sql",
        "status",
        "windows",
    )

    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.cohorts = Cohorts(sql)
        self.drafts = Drafts(sql)
        self.participants = Participants(sql)
        self.responses = Responses(sql)
        self.answers = Answers(sql)
        self.windows = Windows(sql)
        self.events = Events(sql)
        self.module_reports = ModuleReports(sql)
        self.deliveries = Deliveries(sql)
        self.follow_up = FollowUps(sql)
        self.status = Status(sql)
        self.outbox = Outbox(sql)
        self.ledger = Ledger(sql)
        self.privacy = Privacy(sql)


class Database(ABC):
    """The database a running bot (or a command) works in, one unit of work at a time."""

    target: Target

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed on success, rolled back on any error."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A consistent read: every statement in it sees one snapshot."""
