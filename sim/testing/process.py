"""`feedback-bot run` as a child process (`python -m cli run`), for tests and benchmarks that
kill it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path


class BotProcess:
    """The real bot in its own process, logging to bot.log beside its config."""

    def __init__(
        self, config: Path, token: str, pseudonym_key: str, log: Path | None = None
    ) -> None:
        self.config = config
        self.env = dict(os.environ, TELEGRAM_BOT_TOKEN=token, FEEDBACK_PSEUDONYM_KEY=pseudonym_key)
        self.log = log or config.parent / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None
        self._killed: asyncio.subprocess.Process | None = None  # by kill_now

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "cli",
                "run",
                "--config",
                str(self.config),
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def stop(self, sig: int, within: float = 30) -> int:
        """Send `sig` and return the exit status (negative: killed by that signal)."""
        assert self.proc is not None
        # Never a second signal after kill_now: signalling a process that has died but is
        # not yet collected makes subprocess reap it behind asyncio's back, which then
        # reports exit status 255 (seen on a busy machine).
        if self.proc.returncode is None and self._killed is not self.proc:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), within)
        self.proc = None
        return code

    def logged(self, text: str) -> bool:
        """Whether the bot's log holds `text` (by any incarnation)."""
        return self.log.exists() and text in self.log.read_text(errors="replace")

    def times_logged(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text) if self.log.exists() else 0

    async def until_logged(self, text: str, within: float = 30, *, more_than: int = 0) -> bool:
        """Wait until the log holds `text` more than `more_than` times; False if `within`
        seconds pass first. For lines no Bot API call follows (a bot standing by calls
        nothing): waiting on the simulated Bot API's calls would wait for another bot's
        next long poll."""
        deadline = asyncio.get_running_loop().time() + within
        while self.times_logged(text) <= more_than:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    def kill_now(self) -> None:
        """SIGKILL at once, from inside a Bot API call (`stop` collects the exit status)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            self._killed = self.proc

    async def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.proc = None
