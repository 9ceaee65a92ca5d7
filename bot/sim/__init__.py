"""A simulated Telegram Bot API for tests, benchmarks and the offline demo.

* ``FakeTelegram`` - the Bot API state machine plus helpers that act as Telegram users.
* ``SimulatedRequest`` - plugs a ``FakeTelegram`` into python-telegram-bot in-process.

The same fake over HTTP on loopback (``BotApiServer``) needs aiohttp, a test-only dependency,
so it lives with the tests: tests/sim_server.py.
"""

from __future__ import annotations

from bot.sim.telegram import ApiError, FakeTelegram, SimulatedTimeout, StoredFile
from bot.sim.transport import SimulatedRequest

__all__ = [
    "ApiError",
    "FakeTelegram",
    "SimulatedRequest",
    "SimulatedTimeout",
    "StoredFile",
]
