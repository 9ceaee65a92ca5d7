"""A ``FakeTelegram`` served over real HTTP on loopback, compatible with the Bot API wire format.

Point a bot at it with ``base_url``/``base_file_url`` (PTB: ``Bot(token, base_url=...,
base_file_url=...)``). Tests in another process drive the simulated users through the small
JSON control API under ``/_sim/``.

Lives with the tests because it needs aiohttp, a test-only dependency. Run standalone from a
checkout: ``python tests/sim_server.py --port 8081 --token 123:ABC``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sim.telegram import FakeTelegram, JSONDict, SimulatedTimeout, UploadedFiles

# Room for 50 MB documents, Telegram's own upload limit for bots.
_MAX_BODY_BYTES = 60 * 1024 * 1024

# Control-API actions a remote test may invoke: name -> FakeTelegram method accepting JSON kwargs.
_USER_ACTIONS = frozenset(
    {
        "user",
        "send_text",
        "send_sticker",
        "send_photo",
        "send_voice",
        "send_document",
        "edit_text",
        "tap",
        "forge_tap",
        "channel_post",
        "block",
        "unblock",
        "duplicate",
    }
)


def _json_error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BotApiServer:
    """Serves ``fake`` at ``/bot<token>/<method>``, files at ``/file/bot<token>/<path>``."""

    def __init__(self, fake: FakeTelegram, *, hold_seconds: float = 30.0):
        self.fake = fake
        # How long a "timeout" fault keeps a request unanswered (cut short by stop()).
        self.hold_seconds = hold_seconds
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._host = ""
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Bot API base URL without the token, as PTB's ``base_url`` expects."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve; ``port=0`` picks a free port (read it back from ``port``)."""
        if not _is_loopback(host):
            raise ValueError(f"the simulator only binds loopback addresses, not {host!r}")
        self._stopping = asyncio.Event()  # fresh, in case of a restart after stop()
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_get("/_sim/{query}", self._control_read)
        app.router.add_post("/_sim/{action}", self._control_action)
        # A short shutdown grace: held and long-polling requests must not delay stop().
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._host, self._port = self._runner.addresses[0][:2]

    async def stop(self) -> None:
        self._stopping.set()
        self.fake.release_long_poll()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ Bot API routes

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.fake.token:
            return _json_error(401, "Unauthorized")
        try:
            params, files = await _read_params(request)
        except ValueError:  # includes json.JSONDecodeError
            return _json_error(400, "Bad Request: can't parse request body")
        try:
            status, body = await self.fake.call(request.match_info["method"], params, files)
        except SimulatedTimeout:
            await self._hold()
            return _json_error(504, "Gateway Timeout (simulated)")
        return web.json_response(body, status=status)

    async def _hold(self) -> None:
        """Keep the request unanswered so the client runs into its own timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.hold_seconds)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = None
        if request.match_info["token"] == self.fake.token:
            stored = self.fake.file_by_path(request.match_info["path"])
        if stored is None:
            return _json_error(404, "Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # ------------------------------------------------------------------ control API

    async def _control_read(self, request: web.Request) -> web.Response:
        readers: dict[str, Callable[[], Any]] = {
            "messages": lambda: self.fake.messages(
                int(request.query["chat_id"]),
                include_user=request.query.get("include_user") in ("1", "true"),
            ),
            "calls": lambda: [
                [name, params]
                for name, params in self.fake.calls
                if name.lower() == request.query.get("method", name).lower()
            ],
            "callback_answers": lambda: self.fake.callback_answers,
            "updates": self.fake.pending_updates,
            "flood_count": lambda: self.fake.flood_count,
        }
        reader = readers.get(request.match_info["query"])
        if reader is None:
            return _json_error(404, "Not Found")
        try:
            return _control_ok(reader())
        except (KeyError, ValueError) as error:
            return _json_error(400, f"bad query: {error!r}")

    async def _control_action(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise TypeError("the request body must be a JSON object")
            if action == "fault":
                self.fake.inject_fault(**body)
                return _control_ok(True)
            if action not in _USER_ACTIONS:
                return _json_error(404, "Not Found")
            if isinstance(body.get("data"), str) and action == "send_document":
                body["data"] = body["data"].encode()
            return _control_ok(getattr(self.fake, action)(**body))
        except (AssertionError, TypeError, ValueError, KeyError) as error:
            return _json_error(400, str(error))


def _control_ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def _read_params(request: web.Request) -> tuple[JSONDict, UploadedFiles]:
    """Collect parameters the way Telegram does: query string, JSON, urlencoded or multipart."""
    params: JSONDict = dict(request.query)
    files: UploadedFiles = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = (value.filename, value.file.read())
        else:
            params[name] = value
    return params, files


# --------------------------------------------------------------------------- standalone


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Simulated Telegram Bot API on loopback.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="feedback_test_bot")
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 like Telegram")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(args.token, args.bot_username, enforce_limits=args.enforce_limits)
    server = BotApiServer(fake)
    await server.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # First stdout line is the base URL, so a parent process can read it back.
    print(server.base_url, flush=True)
    print(f"file base URL: {server.base_file_url}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()


__all__ = ["BotApiServer", "main"]
