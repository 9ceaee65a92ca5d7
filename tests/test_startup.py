"""`feedback-bot run` as a separate process in every way start-up can fail, and recover.

Each case checks what an operator sees: the documented exit status, one clear line, no
traceback, and neither the bot token nor the pseudonym key anywhere in the output.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App, build_application
from bot.exits import ExitStatus
from bot.startup import StartupFailed, connect
from conftest import write_config as conftest_write_config
from core.config import load_config
from http_kit import (
    KEY,
    TOKEN,
    Watcher,
    bot_process,
    free_port,
    last_text,
    point_at,
    write_config,
)
from sim.telegram.api import FakeTelegram
from sim.telegram.transport import SimulatedRequest
from sim.testing.http_server import BotApiServer

pytestmark = pytest.mark.e2e

REJECTED = "987654:SECRET-rejected-token-abcdefghijklmnop"


def set_database(config: Path, database: str) -> None:
    text = config.read_text(encoding="utf-8").replace(
        'database = "feedback.db"', f'database = "{database}"'
    )
    config.write_text(text, encoding="utf-8")


async def run_bot(
    config: Path,
    *args: str,
    token: str = TOKEN,
    within: float = 60,
    prefix: Sequence[str] = (),
) -> tuple[int, str]:
    """Run `feedback-bot run` to its end (as another user, with a `prefix` such as sudo's);
    its exit status and all of its stdout+stderr."""
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=token, FEEDBACK_PSEUDONYM_KEY=KEY)
    proc = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "cli",
        "run",
        "--config",
        str(config),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")


def assert_clean(output: str, *secrets: str) -> None:
    for secret in (TOKEN, KEY, *secrets):
        assert secret not in output, "a secret leaked into the output"
    assert "Traceback" not in output


def final_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert lines, "no output at all"
    return lines[-1]


def pending_update(fake: FakeTelegram) -> None:
    """A message waiting for the bot, so that its first getUpdates returns at once instead
    of at the end of a long poll (10 s)."""
    fake.user(7001)
    fake.send_text(7001, "/help")


@pytest.fixture
async def api() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(FakeTelegram(TOKEN), hold_seconds=2) as server:
        yield server


async def test_rejected_token(tmp_path: Path, api: BotApiServer) -> None:
    config = write_config(tmp_path, api)
    code, output = await run_bot(config, token=REJECTED)
    assert code == ExitStatus.TOKEN_REJECTED == 3
    assert_clean(output, REJECTED, REJECTED.split(":")[1])
    line = final_line(output)
    assert "ERROR" in line and "rejected the bot token" in line and "TELEGRAM_BOT_TOKEN" in line
    assert len(output.strip().splitlines()) == 2  # "starting" and the reason


async def test_refused_connection_is_retried_then_gives_up(
    tmp_path: Path, api: BotApiServer
) -> None:
    config = write_config(tmp_path, api)
    point_at(config, f"http://127.0.0.1:{free_port()}", startup_timeout="4s")
    started = asyncio.get_running_loop().time()
    code, output = await run_bot(config)
    took = asyncio.get_running_loop().time() - started
    assert code == ExitStatus.API_UNREACHABLE == 4
    assert_clean(output)
    attempts = [line for line in output.splitlines() if "not reachable (attempt" in line]
    assert len(attempts) >= 3  # after 1 s, 2 s, then what is left of the 4 s
    assert all("WARNING" in line for line in attempts)
    assert "gave up reaching the Bot API" in final_line(output)
    assert 3.5 < took < 30


async def test_dns_failure_gives_up_with_its_own_status(tmp_path: Path, api: BotApiServer) -> None:
    config = write_config(tmp_path, api)
    point_at(config, "http://bot-api.invalid", startup_timeout="1s")
    code, output = await run_bot(config)
    assert code == ExitStatus.API_UNREACHABLE
    assert_clean(output)
    assert "gave up reaching the Bot API at http://bot-api.invalid" in final_line(output)


async def test_a_silent_server_times_out_and_gives_up(tmp_path: Path, api: BotApiServer) -> None:
    held: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    silent = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        config = write_config(tmp_path, api)
        point_at(config, f"http://127.0.0.1:{port}", startup_timeout="1s")
        code, output = await run_bot(config)
    finally:
        silent.close()
        for writer in held:
            writer.close()
    assert code == ExitStatus.API_UNREACHABLE
    assert_clean(output)
    assert "TimedOut" in final_line(output)


async def polls_despite_failures(tmp_path: Path, api: BotApiServer, method: str) -> str:
    """The clean log of a bot whose first two `method` calls fail with a server error: it
    reaches getUpdates all the same, and stops with exit status 0 on SIGTERM."""
    api.fake.inject_fault(method, "server_error", times=2)
    bot = bot_process(write_config(tmp_path, api))
    await bot.start()
    pending_update(api.fake)
    try:
        await Watcher(api.fake).until(
            lambda: any(m == "getUpdates" for m, _ in api.fake.calls), within=30
        )
        assert await bot.stop(signal.SIGTERM) == ExitStatus.OK
    finally:
        await bot.ensure_dead()
    output = bot.log.read_text()
    assert_clean(output)
    return output


async def test_server_errors_are_retried_and_the_bot_starts(
    tmp_path: Path, api: BotApiServer
) -> None:
    output = await polls_despite_failures(tmp_path, api, "getMe")
    assert output.count("not reachable (attempt") == 2
    assert "Internal Server Error" in output


async def test_webhook_removal_failing_is_retried_by_the_same_one_loop(
    tmp_path: Path, api: BotApiServer
) -> None:
    """getMe works but deleteWebhook fails twice: our loop (one line per attempt, with its
    wait) retries it, then PTB's bootstrap runs once, without a loop of its own."""
    output = await polls_despite_failures(tmp_path, api, "deleteWebhook")
    attempts = [line for line in output.splitlines() if "not reachable (attempt" in line]
    assert len(attempts) == 2 and "next try in 1 s" in attempts[0] and "in 2 s" in attempts[1]
    assert "reached the Bot API" in output and "on attempt 3" in output
    assert len(api.fake.calls_of("getMe")) == 1  # reached at once; only the webhook failed
    assert len(api.fake.calls_of("deleteWebhook")) == 4  # 3 in our loop, 1 in PTB's bootstrap


async def test_bot_api_up_20_seconds_late_bot_serves_without_restart(tmp_path: Path) -> None:
    port = free_port()
    fake = FakeTelegram(TOKEN)
    late = BotApiServer(fake, hold_seconds=2)
    # Write the config as if the server were there already: same address, later.
    await late.start(port=port)
    config = write_config(tmp_path, late)
    await late.stop()
    bot = bot_process(config)
    await bot.start()
    try:
        await asyncio.sleep(20)  # the outage being simulated, not a wait for the bot
        assert bot.proc is not None and bot.proc.returncode is None, "the bot gave up"
        await late.start(port=port)
        fake.user(7001)
        fake.send_text(7001, "/start RS-HTTP-1")
        await Watcher(fake).until(lambda: "Do you agree" in last_text(fake, 7001), within=60)
        assert await bot.stop(signal.SIGTERM) == ExitStatus.OK
    finally:
        await bot.ensure_dead()
        await late.stop()
    output = bot.log.read_text()
    assert_clean(output)
    assert "not reachable (attempt 1" in output
    assert "reached the Bot API" in output


@pytest.mark.parametrize("case", ["not a directory", "not a database", "a directory"])
async def test_unusable_database(tmp_path: Path, api: BotApiServer, case: str) -> None:
    config = write_config(tmp_path, api)
    if case == "not a directory":
        (tmp_path / "plain-file").write_text("x")
        set_database(config, "plain-file/feedback.db")
    elif case == "not a database":
        (tmp_path / "feedback.db").write_bytes(b"this is no SQLite file " * 200)
    else:
        (tmp_path / "feedback.db").mkdir()
    code, output = await run_bot(config)
    assert code == ExitStatus.DATABASE == 5
    assert_clean(output)
    line = final_line(output)
    assert "cannot start: database" in line
    assert not any(m == "getMe" for m, _ in api.fake.calls)  # it failed before the network


async def test_locked_database(tmp_path: Path, api: BotApiServer) -> None:
    config = write_config(tmp_path, api)
    holder = sqlite3.connect(tmp_path / "feedback.db", isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("CREATE TABLE other_program (x)")
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
        holder.execute("INSERT INTO other_program VALUES (1)")
        code, output = await run_bot(config)
    finally:
        holder.close()
    assert code == ExitStatus.DATABASE
    assert_clean(output)
    assert "locked by another program" in final_line(output)


async def test_missing_secret_and_bad_config_are_usage_errors(
    tmp_path: Path, api: BotApiServer
) -> None:
    config = write_config(tmp_path, api)
    code, output = await run_bot(config, token="")
    assert code == ExitStatus.USAGE == 2
    assert "TELEGRAM_BOT_TOKEN" in output
    assert_clean(output)
    point_at(config, api.root_url, startup_timeout="soon")
    code, output = await run_bot(config)
    assert code == ExitStatus.USAGE
    assert "bot.startup_timeout" in output and "expected a duration" in output
    assert_clean(output)
    code, output = await run_bot(config, "--log-format", "json")
    assert code == ExitStatus.USAGE
    [entry] = [json.loads(line) for line in output.strip().splitlines()]
    assert entry["level"] == "ERROR" and "bot.startup_timeout" in entry["message"]


async def test_json_log_lines(tmp_path: Path, api: BotApiServer) -> None:
    config = write_config(tmp_path, api)
    point_at(config, f"http://127.0.0.1:{free_port()}", startup_timeout="1s")
    code, output = await run_bot(config, "--log-format", "json")
    assert code == ExitStatus.API_UNREACHABLE
    assert_clean(output)
    entries = [json.loads(line) for line in output.strip().splitlines()]
    assert len(entries) >= 3
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        moment = datetime.fromisoformat(entry["time"])
        assert moment.utcoffset() is not None  # ISO 8601 with its UTC offset
    assert entries[-1]["level"] == "ERROR"
    assert "gave up reaching the Bot API" in entries[-1]["message"]


async def test_text_log_lines_carry_iso_timestamps_with_offset(
    tmp_path: Path, api: BotApiServer
) -> None:
    config = write_config(tmp_path, api)
    code, output = await run_bot(config, token=REJECTED)
    assert code == ExitStatus.TOKEN_REJECTED
    for line in output.strip().splitlines():
        stamp = line.split(" ", 1)[0]
        assert datetime.fromisoformat(stamp).utcoffset() is not None, line


async def test_debug_level_may_show_tracebacks_but_still_no_secrets(
    tmp_path: Path, api: BotApiServer
) -> None:
    config = write_config(tmp_path, api)
    code, output = await run_bot(config, "--log-level", "debug", token=REJECTED)
    assert code == ExitStatus.TOKEN_REJECTED
    for secret in (TOKEN, KEY, REJECTED, REJECTED.split(":")[1]):
        assert secret not in output


def as_unprivileged_user() -> list[str]:
    """Run the bot as `nobody` when the tests run as root (root may write anywhere)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop privileges")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def home_with_readonly_state(api: BotApiServer) -> Path:
    """A config readable by anyone, its database in a directory nobody but root may write.

    Not under tmp_path: pytest keeps that owner-only, and the bot's user must read the config.
    """
    home = Path(tempfile.mkdtemp(prefix="feedback-bot-"))
    home.chmod(0o755)
    config = write_config(home, api)
    config.chmod(0o644)
    state = home / "state"
    state.mkdir()
    state.chmod(0o555)
    set_database(config, "state/feedback.db")
    return config


async def test_database_directory_not_writable(api: BotApiServer) -> None:
    prefix = as_unprivileged_user()
    config = home_with_readonly_state(api)
    try:
        status, output = await run_bot(config, prefix=prefix)
    finally:
        shutil.rmtree(config.parent, ignore_errors=True)
    assert status == ExitStatus.DATABASE, output
    assert_clean(output)
    assert "permission denied" in final_line(output)
    assert "must be able to write there" in final_line(output)


def log_says(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text()


async def test_sigterm_while_waiting_for_the_bot_api_stops_cleanly(
    tmp_path: Path, api: BotApiServer
) -> None:
    config = write_config(tmp_path, api)
    point_at(config, f"http://127.0.0.1:{free_port()}", startup_timeout="5m")
    bot = bot_process(config)
    await bot.start()
    try:
        for _ in range(300):  # until the first failed attempt is logged (at most 30 s)
            if log_says(bot.log, "not reachable (attempt 1"):
                break
            await asyncio.sleep(0.1)
        assert await bot.stop(signal.SIGTERM, within=10) == ExitStatus.OK
    finally:
        await bot.ensure_dead()
    output = bot.log.read_text()
    assert_clean(output)
    assert "stopped before the Bot API could be reached" in final_line(output)


class VirtualTime:
    """A clock that moves only when the code under test sleeps: the backoff, measured."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def simulated_app(fake: FakeTelegram, tmp_path: Path) -> App:
    config = load_config(conftest_write_config(tmp_path))
    return build_application(
        config,
        fake.token,
        KEY.encode(),
        request=SimulatedRequest(fake),
        get_updates_request=SimulatedRequest(fake),
    )


async def test_backoff_doubles_up_to_30_seconds_then_gives_up(tmp_path: Path) -> None:
    fake = FakeTelegram(TOKEN)
    fake.inject_fault("getMe", "server_error", times=1000)
    time = VirtualTime()
    with pytest.raises(StartupFailed) as failed:
        await connect(
            simulated_app(fake, tmp_path),
            "https://api.example/bot",
            120,
            sleep=time.sleep,
            clock=time.clock,
        )
    assert failed.value.status == ExitStatus.API_UNREACHABLE
    assert time.waits == [1, 2, 4, 8, 16, 30, 30, 29]  # the last one: what was left of 120 s
    assert "after 9 attempt(s) in 120 s" in str(failed.value)
