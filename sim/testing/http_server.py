"""A ``FakeTelegram`` served over real HTTP on loopback, compatible with the Bot API wire format.

Point a bot at it with ``base_url``/``base_file_url``: tests and the crash-loop benchmark run
``feedback-bot run`` as a child process against it and act as users on ``fake`` directly.
Test-only: it needs aiohttp, which the bot itself does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress

from aiohttp import web

from sim.telegram.api import FakeTelegram, JSONDict, SimulatedTimeout
from sim.telegram.state import UploadedFiles

# Room for 50 MB documents, Telegram's own upload limit for bots.
_MAX_BODY_BYTES = 60 * 1024 * 1024


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
    """Serves ``fake`` at ``/bot<token>/<method>`` (the bot downloads no files)."""

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
