"""In-process transport that lets python-telegram-bot talk to a ``FakeTelegram``.

PTB routes every Bot API call through ``BaseRequest.do_request(url, method, request_data)``
and only then interprets the (status, bytes) pair, so plugging in here exercises PTB's real
error handling (BadRequest, RetryAfter, TimedOut, ...) without sockets. It plugs in as the
ledger does (``bot.ledger.Exchange``: the call with its timeouts as one value, which a
simulation ignores).
"""

from __future__ import annotations

import asyncio
import json
from typing import IO

from telegram.error import TimedOut
from telegram.request import RequestData

from bot.ledger import Exchange, Timeouts
from sim.telegram.api import FakeTelegram, SimulatedTimeout
from sim.telegram.state import UploadedFiles


class SimulatedRequest(Exchange):
    """A ``telegram.request.BaseRequest`` answered by a ``FakeTelegram`` in the same loop.

    A PTB ``Application`` needs two of these (one for getUpdates, one for everything else);
    both may wrap the same fake. ``latency`` adds a simulated round trip to every call, half
    before the fake applies it and half after, so benchmarks see realistic interleaving.
    """

    __slots__ = ("_fake", "_latency", "_read_timeout")

    def __init__(self, fake: FakeTelegram, latency: float = 0.0, read_timeout: float | None = 5.0):
        self._fake = fake
        self._latency = latency
        self._read_timeout = read_timeout

    @property
    def fake(self) -> FakeTelegram:
        return self._fake

    def use(self, fake: FakeTelegram) -> None:
        """Answer from another simulated Telegram from now on (a fresh one per fuzz example)."""
        self._fake = fake

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def exchange(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        # json_parameters is exactly what goes over the wire (every value a string), so the
        # fake decodes the same representation here as it does behind the HTTP server.
        params: dict[str, str] = dict(request_data.json_parameters) if request_data else {}
        files = _uploaded_files(request_data)
        await self._travel()
        try:
            status, body = await self._fake.call(api_method, params, files)
        except SimulatedTimeout as exc:
            # Real timeouts only surface after read_timeout; failing at once keeps tests fast.
            raise TimedOut(f"Simulated timeout calling {api_method}") from exc
        await self._travel()
        return status, json.dumps(body).encode()

    async def _travel(self) -> None:
        if self._latency > 0:
            await asyncio.sleep(self._latency / 2)


def _uploaded_files(request_data: RequestData | None) -> UploadedFiles:
    """Multipart parts as name -> (filename, bytes); PTB may hand over open file handles."""
    if request_data is None or not request_data.contains_files:
        return {}
    files: UploadedFiles = {}
    for name, (filename, content, _mime_type) in request_data.multipart_data.items():
        files[name] = (filename, _read(content))
    return files


def _read(content: bytes | IO[bytes]) -> bytes:
    return content if isinstance(content, bytes) else content.read()
