"""The one path every message to a group or channel takes, so the bot knows its own ids there.

When a post's answer is lost, the outbox looks for the post by editing the messages after
the place it was sent to (`bot.outbox`), and it must never edit a message of the bot's
that is not that post: a reply to /status typed in the facilitators' group, a join card, a
summary sent there directly. So every send to a group or channel is written down twice:
before the request, as a send of unknown outcome, and once Telegram answers, as the ids of
the messages it made (`own_messages` and `unconfirmed_sends` in `core.storage`). A send
whose answer never came stays "of unknown outcome", and the outbox does not look where
such a message may be.

This sits in the request layer. python-telegram-bot sends every Bot API call through one
`BaseRequest` (its public extension point, under every Bot method), so `reply_text`, a
photo, a media group or a method added later cannot go around it, and the handlers stay as
they are. Sends to one chat take turns (a lock per chat), and the outbox holds that lock
while it looks, so no message of the bot's is on its way there meanwhile.

Private chats (positive ids) pass straight through: nothing is looked for there.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import httpx
from telegram import Bot
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from core.storage import Database

# The outbox post being sent, if any: the outbox records that send's outcome itself.
_post: ContextVar[int | None] = ContextVar("outbox_post", default=None)

# The request never reached Telegram: it could not connect, or waited for a connection.
_NEVER_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError)


@contextmanager
def sending_post(post_id: int) -> Iterator[None]:
    """Mark the sends made inside as the outbox post `post_id`."""
    token = _post.set(post_id)
    try:
        yield
    finally:
        _post.reset(token)


def certainly_undelivered(exc: BaseException) -> bool:
    """Whether a failed request certainly put nothing in the chat; a read timeout or a
    dropped connection may come after Telegram carried it out."""
    return isinstance(exc.__cause__, _NEVER_SENT)


def _group_of_new_message(url: str, request_data: RequestData | None) -> int | None:
    """The group or channel a call puts a new message in; None for any other call."""
    method = url.rsplit("/", 1)[-1]
    if (
        request_data is None
        or method == "sendChatAction"  # only shows "typing…"
        or not method.startswith(("send", "forward", "copy"))
    ):
        return None
    try:
        chat_id = int(str(request_data.parameters.get("chat_id")))
    except ValueError:
        return None  # "@channelname": the bot addresses its chats by id
    return chat_id if chat_id < 0 else None


def _message_ids(status: int, payload: bytes) -> list[int]:
    """The ids of the messages a successful answer made (a media group makes several)."""
    if not 200 <= status <= 299:
        return []
    result = BaseRequest.parse_json_payload(payload).get("result")
    items = result if isinstance(result, list) else [result]
    return [int(i["message_id"]) for i in items if isinstance(i, dict) and "message_id" in i]


class Timeouts(NamedTuple):
    """The four timeouts PTB passes with every call, in `do_request`'s order."""

    read: ODVInput[float]
    write: ODVInput[float]
    connect: ODVInput[float]
    pool: ODVInput[float]


class Exchange(BaseRequest):
    """A `BaseRequest` that answers each call in `exchange`: PTB's `do_request` with its
    timeouts as one value. The ledger and the simulated Telegram (`sim.telegram`) are both
    one, so that signature is written once."""

    __slots__ = ()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeouts = Timeouts(read_timeout, write_timeout, connect_timeout, pool_timeout)
        return await self.exchange(url, method, request_data, timeouts)

    @abc.abstractmethod
    async def exchange(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        """The call's HTTP status and body."""


class LedgerRequest(Exchange):
    """The bot's `BaseRequest`: the real one (HTTP, or a simulated Telegram), with every
    message sent to a group or channel recorded in the database."""

    __slots__ = ("_db", "_inner", "_locks")

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner
        self._db: Database | None = None
        self._locks: dict[int, asyncio.Lock] = {}

    def attach(self, db: Database | None) -> None:
        """Record into `db` from now on; None while the database is not open."""
        self._db = db

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """Held while a message goes to the chat, and by the outbox while it looks there."""
        return self._locks.setdefault(chat_id, asyncio.Lock())

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def exchange(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        async def call() -> tuple[int, bytes]:
            return await self._inner.do_request(url, method, request_data, *timeouts)

        chat_id = _group_of_new_message(url, request_data)
        db = self._db
        if chat_id is None or db is None:
            return await call()
        async with self.chat_lock(chat_id):
            async with db.write() as tx:
                send = await tx.ledger.open_send(chat_id, _post.get())
            try:
                status, payload = await call()
            except Exception as exc:
                if certainly_undelivered(exc):
                    async with db.write() as tx:
                        await tx.ledger.drop_send(send)
                raise  # anything else may have been delivered: the row stays
            message_ids = _message_ids(status, payload)
            async with db.write() as tx:
                if message_ids:
                    await tx.ledger.send_answered(send, chat_id, message_ids)
                else:
                    await tx.ledger.drop_send(send)  # refused (4xx, 5xx, 429): nothing was made
            return status, payload


def ledger_of(bot: Bot) -> LedgerRequest:
    """The ledger of a bot made by `bot.app.build_application`."""
    request = bot.request
    if not isinstance(request, LedgerRequest):
        raise TypeError("this bot's sends are not recorded: build it with build_application")
    return request
