"""The update queue behind getUpdates: long polling, offsets and redelivery."""

from __future__ import annotations

import asyncio
import copy
import itertools
from dataclasses import dataclass
from typing import Any

from sim.telegram.faults import ApiError

JSONDict = dict[str, Any]


@dataclass
class _Queued:
    update: JSONDict
    # A redelivered update may have an id below the confirmed offset; it is handed out once
    # regardless, the way Telegram re-sends updates whose confirmation it never received.
    redelivery: bool = False


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    """Updates waiting for the bot, confirmed by the offset of its next getUpdates."""

    def __init__(self) -> None:
        self._updates: list[_Queued] = []
        self._ids = itertools.count(1)
        self._poller: asyncio.Future[None] | None = None
        self._allowed: list[str] | None = None

    def new(self, kind: str, payload: JSONDict) -> JSONDict:
        """Queue a fresh update of ``kind`` carrying a copy of ``payload``."""
        return self.enqueue({"update_id": next(self._ids), kind: copy.deepcopy(payload)})

    def enqueue(self, update: JSONDict, *, redelivery: bool = False) -> JSONDict:
        """Queue an update for getUpdates and wake a waiting long poll."""
        self._updates.append(_Queued(update, redelivery))
        self.release()
        return update

    def drain(self) -> list[JSONDict]:
        """Pop every queued update, for tests that call ``application.process_update`` directly."""
        drained = [item.update for item in self._updates]
        self._updates.clear()
        return drained

    def release(self) -> None:
        """Let a waiting getUpdates return now."""
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)

    def clear(self) -> None:
        self._updates.clear()

    async def get_updates(
        self, offset: int | None, limit: int, wait: float, allowed: Any
    ) -> list[JSONDict]:
        """Answer one getUpdates call: confirm, hand out a batch, or wait up to ``wait`` seconds."""
        older = self._poller
        if older is not None and not older.done():
            # Telegram ends the older long poll when a second one arrives.
            older.set_exception(
                ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            )
            self._poller = None
        if isinstance(allowed, list):
            self._allowed = [str(kind) for kind in allowed] or None
        self._confirm(offset)
        limit = min(max(limit, 1), 100)
        batch = self._take_batch(limit)
        if batch or wait <= 0:
            return batch
        await self._wait(wait)
        return self._take_batch(limit)

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            # Negative offsets keep only the last -offset updates, as documented.
            self._updates = self._updates[offset:]
            return
        self._updates = [
            item for item in self._updates if item.update["update_id"] >= offset or item.redelivery
        ]

    def _take_batch(self, limit: int) -> list[JSONDict]:
        if self._allowed:
            allowed = set(self._allowed)
            self._updates = [i for i in self._updates if _update_type(i.update) in allowed]
        batch = self._updates[:limit]
        for item in batch:
            item.redelivery = False  # delivered; from now on the offset confirms it
        return [item.update for item in batch]

    async def _wait(self, seconds: float) -> None:
        poller: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poller = poller
        try:
            await asyncio.wait_for(poller, seconds)
        except TimeoutError:
            pass
        finally:
            if self._poller is poller:
                self._poller = None
