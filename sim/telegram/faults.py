"""What goes wrong on Telegram's side: error answers, injected faults and flood limits."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]

FAULT_KINDS = frozenset(
    {"server_error", "bad_gateway", "timeout", "timeout_after_delivery", "flood"}
)


class SimulatedTimeout(Exception):
    """The simulated network lost the request (or its answer): the client must time out."""


class ApiError(Exception):
    """A Bot API error answer; raised inside handlers and turned into a JSON body by ``call``."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def flood_error(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass
class Fault:
    kind: str
    remaining: int
    options: JSONDict

    @property
    def after_delivery(self) -> bool:
        """The call is applied, but its answer is lost on the way back."""
        return self.kind == "timeout_after_delivery"

    def answer(self) -> tuple[int, JSONDict]:
        """The error answer of a fault that strikes before the call is applied."""
        if self.kind == "timeout":
            raise SimulatedTimeout("request lost before delivery")
        if self.kind == "flood":
            error = flood_error(int(self.options.get("retry_after", 1)))
        elif self.kind == "bad_gateway":
            error = ApiError(502, "Bad Gateway")
        else:
            error = ApiError(500, "Internal Server Error")
        return error.status, error.body()


class Faults:
    """Faults queued per method by a test, taken one call at a time."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}

    def inject(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``kind``.

        ``"*"`` matches every method except getUpdates: a polling bot calls getUpdates
        continuously, so a wildcard would otherwise be consumed by whichever poll came first.
        Target getUpdates by name to fault it.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        key = method if method == "*" else method.lower()
        self._queues.setdefault(key, deque()).append(Fault(kind, times, dict(options)))

    def take(self, method: str) -> Fault | None:
        """The fault for this call of ``method`` (lower case), if one is queued."""
        queue = self._queues.get(method)
        if not queue and method != "getupdates":
            queue = self._queues.get("*")
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.popleft()
        return fault


@dataclass
class _TokenBucket:
    capacity: float
    per_second: float
    tokens: float
    stamp: float

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self) -> None:
        self.tokens -= 1


class FloodLimits:
    """Telegram's documented sending rates; a send or edit beyond them is answered 429."""

    def __init__(self, clock: Callable[[], float], enforce: bool) -> None:
        self.enforce = enforce
        self.floods = 0
        self._clock = clock
        self._overall = _TokenBucket(30, 30, 30, clock())
        self._chats: dict[int, _TokenBucket] = {}

    def check(self, chat_id: int, private: bool) -> None:
        """Count one visible write to ``chat_id``, or raise the 429 Telegram would answer."""
        if not self.enforce:
            return
        now = self._clock()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            # About one message per second per private chat (small burst allowed), and
            # 20 messages per minute per group or channel.
            rate, burst = (1.0, 3.0) if private else (20 / 60, 20.0)
            bucket = self._chats[chat_id] = _TokenBucket(burst, rate, burst, now)
        wait = max(bucket.wait_time(now), self._overall.wait_time(now))
        if wait > 0:
            self.floods += 1
            raise flood_error(max(1, math.ceil(wait)))
        bucket.take()
        self._overall.take()
