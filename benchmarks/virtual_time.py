"""An event loop whose idle waits take no real time, for benchmarks of simulated rooms.

The loop's clock is the real monotonic clock plus an offset. When the loop would block
(every simulated person thinking, every request "on the wire") and no work is in flight in
another thread, the offset jumps to the next timer instead of waiting. CPU time is counted
in full, idle waits are skipped. Thread work the loop cannot see must be declared with
``VirtualTime.busy()`` (the benchmark wraps its database units of work in it); executor
jobs are tracked by the loop itself.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike


class VirtualTime:
    """The loop's clock offset, and the thread work the loop must wait for in real time."""

    def __init__(self) -> None:
        self.skipping = True
        self.offset = 0.0
        self.in_flight = 0
        self.thread_jobs = 0

    @contextmanager
    def busy(self) -> Iterator[None]:
        """While inside, the clock never skips: another thread is working for the loop."""
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def track(self, future: asyncio.Future[Any]) -> None:
        self.in_flight += 1
        self.thread_jobs += 1
        future.add_done_callback(self._done)

    def _done(self, _future: asyncio.Future[Any]) -> None:
        self.in_flight -= 1


class _SkippingSelector(selectors.BaseSelector):
    """A selector that, instead of blocking while the loop is idle, moves the clock forward."""

    def __init__(self, state: VirtualTime) -> None:
        self._inner = selectors.DefaultSelector()
        self._state = state

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        state = self._state
        if not state.skipping or state.in_flight or timeout is None or timeout <= 0:
            return self._inner.select(timeout)
        ready = self._inner.select(0)
        if not ready:
            state.offset += timeout  # nothing to do until the next timer: skip to it
        return ready

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._inner.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose idle waits take no real time (see the module docstring)."""

    def __init__(self, state: VirtualTime) -> None:
        self._virtual = state
        super().__init__(_SkippingSelector(state))

    def time(self) -> float:
        return time.monotonic() + self._virtual.offset

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        future = super().run_in_executor(executor, func, *args)
        self._virtual.track(future)
        return future
