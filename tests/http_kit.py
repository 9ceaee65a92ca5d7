"""Running `feedback-bot run` as a separate process against the simulated Bot API over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim import config as sim_config
from sim.config import CohortSpec
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer
from sim.testing.process import BotProcess

TOKEN = "424242:HTTP-TEST-token-abcdefghijklmnopqrstuv"
KEY = "http-test-pseudonym-key-0123456789"


class Watcher:
    """Lets a test wait until the bot has made a call that satisfies a condition."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def until(self, condition: Callable[[], bool], within: float = 30) -> None:
        if not await self.fake.wait_until(condition, within):
            recent = [
                (m, p.get("chat_id"), str(p.get("text", ""))[:40]) for m, p in self.fake.calls[-8:]
            ]
            raise AssertionError(f"the bot did not get there; its last calls: {recent}")


def write_config(
    directory: Path,
    server: BotApiServer,
    *,
    ends_in: timedelta = timedelta(hours=2),
    **options: Any,
) -> Path:
    """A config with one Risk Support cohort that started an hour ago, in UTC."""
    now = datetime.now(UTC).replace(microsecond=0)
    cohort = CohortSpec("RS-HTTP-1", now - timedelta(hours=1), now + ends_in, site="Leeds")
    return sim_config.write_config(
        directory,
        [cohort],
        api_base_url=server.base_url,
        api_base_file_url=server.base_file_url,
        admins=[1],
        **options,
    )


def point_at(
    config: Path,
    base: str,
    target: Path | None = None,
    *,
    startup_timeout: str | None = None,
) -> None:
    """Aim the config at another Bot API address (and optionally give up sooner), in its
    place or as a copy at `target`."""
    lines = []
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith("api_base_url"):
            line = f'api_base_url = "{base}/bot"'
        elif line.startswith("api_base_file_url"):
            line = f'api_base_file_url = "{base}/file/bot"'
        lines.append(line)
        if line == "[bot]" and startup_timeout:
            lines.append(f'startup_timeout = "{startup_timeout}"')
    (target or config).write_text("\n".join(lines) + "\n", encoding="utf-8")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_process(config: Path) -> BotProcess:
    """`feedback-bot run` on this config, with the test token and pseudonym key."""
    return BotProcess(config, TOKEN, KEY)


def last_text(fake: FakeTelegram, user: int) -> str:
    messages = fake.messages(user)
    return str(messages[-1].get("text", "")) if messages else ""
