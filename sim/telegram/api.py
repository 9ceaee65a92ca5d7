"""The Bot API methods the bot calls, answered from in-memory state the way Telegram does.

``FakeTelegram`` keeps chats, messages and files (``state``), answers the twelve methods
the bot and PTB call (the table in ``_handlers``; parameters read by ``params``, messages
made by ``messages``) with Telegram's JSON shapes and error descriptions, and lets tests act
as users (``users``), inject faults and flood limits (``faults``) and long-poll (``polling``).
It does no I/O: ``transport.SimulatedRequest`` plugs it into python-telegram-bot in-process;
``sim.testing.http_server`` serves it over HTTP.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sim.telegram.entities import EntityParseError, parse_html, trim, utf16_len
from sim.telegram.faults import ApiError, Faults, FloodLimits, SimulatedTimeout, bad_request
from sim.telegram.messages import (
    apply_edit,
    media_content,
    not_modified,
    validate_inline_keyboard,
    with_extras,
)
from sim.telegram.params import Params, decode_params
from sim.telegram.polling import UpdateQueue
from sim.telegram.state import (
    Chat,
    JSONDict,
    StoredFile,
    UploadedFiles,
    guess_mime,
)
from sim.telegram.users import SimulatedUsers

__all__ = ["ApiError", "FakeTelegram", "JSONDict", "SimulatedTimeout", "StoredFile"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Telegram stops accepting answerCallbackQuery some seconds after the tap; the client shows a
# spinner until then. 15 s is the commonly observed window.
CALLBACK_ANSWER_WINDOW = 15.0

Handler = Callable[[Params], Awaitable[Any]]


class FakeTelegram(SimulatedUsers):
    """Telegram's side of the Bot API, held in memory, plus helpers that act as its users."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "feedback_test_bot",
        *,
        enforce_limits: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Feedback Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[tuple[str, JSONDict]] = []
        self.callback_answers: list[JSONDict] = []
        self.files: dict[str, StoredFile] = {}
        self.updates = UpdateQueue()
        self.faults = Faults()
        self.limits = FloodLimits(clock, enforce_limits)
        self._clock = clock
        self._users: dict[int, JSONDict] = {}
        self._blocked: set[int] = set()
        self._chats: dict[int, Chat] = {}
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._media_group_ids = itertools.count(1)
        self._open_queries: dict[str, float] = {}  # callback query id -> creation time
        self._changed: asyncio.Condition | None = None
        # Observers of every call (benchmarks measure through these): before it is applied
        # with its decoded parameters, and after with the answer (status 0: lost in transit).
        self.before_call: list[Callable[[str, JSONDict], None]] = []
        self.after_call: list[Callable[[str, JSONDict, int, JSONDict], None]] = []
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }

    def _handlers(self) -> dict[str, Handler]:
        """Every method the bot (and PTB on its behalf) calls; anything else is a 404."""
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._set_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
        }

    # ------------------------------------------------------------------ the API entry point

    async def call(
        self, method: str, params: dict[str, Any], files: UploadedFiles | None = None
    ) -> tuple[int, JSONDict]:
        """Handle one Bot API call; returns (HTTP status, JSON body) as Telegram would."""
        try:
            return await self._call(method, params, files)
        finally:
            await self.notify()

    async def notify(self) -> None:
        """Wake everyone in ``wait_until`` to check their condition again."""
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def wait_until(self, condition: Callable[[], bool], within: float = 30) -> bool:
        """Wait until the bot's calls make `condition` true; False if `within` passes first.

        Checked after every call the bot makes, so a test or a simulated participant can
        wait for the bot's reply without sleeping.
        """
        if self._changed is None:
            self._changed = asyncio.Condition()
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(condition), within)
        except TimeoutError:
            return False
        return True

    async def _call(
        self, method: str, params: dict[str, Any], files: UploadedFiles | None
    ) -> tuple[int, JSONDict]:
        known = self._methods.get(method.lower())
        name = known[0] if known else method
        values = decode_params(params)
        self.calls.append((name, values))
        for before in self.before_call:
            before(name, values)
        try:
            answer = await self._answer(name, known, values, files)
        except SimulatedTimeout:
            self._observe(name, values, 0, {})
            raise
        self._observe(name, values, *answer)
        return answer

    def _observe(self, name: str, values: JSONDict, status: int, body: JSONDict) -> None:
        for after in self.after_call:
            after(name, values, status, body)

    async def _answer(
        self,
        name: str,
        known: tuple[str, Handler] | None,
        values: JSONDict,
        files: UploadedFiles | None,
    ) -> tuple[int, JSONDict]:
        fault = self.faults.take(name.lower())
        if fault is not None and not fault.after_delivery:
            return fault.answer()
        if known is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = await known[1](Params(values, files or {}))
            answer: tuple[int, JSONDict] = 200, {"ok": True, "result": copy.deepcopy(result)}
        except ApiError as error:
            answer = error.status, error.body()
        if fault is not None:  # applied, but the answer is lost
            raise SimulatedTimeout(f"{name}: answer lost after delivery")
        return answer

    def calls_of(self, method: str) -> list[JSONDict]:
        """Parameters of every call to ``method`` (case-insensitive), in call order."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def inject_fault(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``kind`` (see ``Faults``)."""
        self.faults.inject(method, kind, times, **options)

    @property
    def flood_count(self) -> int:
        """429 answers given so far (only with ``enforce_limits``)."""
        return self.limits.floods

    # ------------------------------------------------------------------ the update queue

    def drain_updates(self) -> list[JSONDict]:
        """Pop every queued update, for tests that call ``application.process_update`` directly."""
        return self.updates.drain()

    def duplicate(self, update: JSONDict) -> JSONDict:
        """Deliver ``update`` again with the same update_id, as Telegram does after a lost ack."""
        return self.updates.enqueue(copy.deepcopy(update), redelivery=True)

    def release_long_poll(self) -> None:
        """Let a waiting getUpdates return now (used when a server shuts down)."""
        self.updates.release()

    # ------------------------------------------------------------------ method handlers

    async def _get_me(self, p: Params) -> JSONDict:
        return self.bot_user

    async def _get_updates(self, p: Params) -> list[JSONDict]:
        return await self.updates.get_updates(
            p.opt_int("offset"),
            p.opt_int("limit") or 100,
            p.opt_float("timeout") or 0.0,
            p.get("allowed_updates"),
        )

    def _resolve_chat(self, p: Params, name: str = "chat_id") -> Chat:
        raw = p.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        chat = self._chats.get(p.req_int(name))  # the bot addresses chats by id only
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: Params) -> Chat:
        chat = self._resolve_chat(p)
        if chat.type == "private" and chat.id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(self, chat: Chat, message: JSONDict) -> JSONDict:
        """Store a new message from the bot in ``chat`` and return it."""
        stored: JSONDict = {
            "message_id": chat.allocate_message_id(),
            "date": int(time.time()),
            "chat": chat.info,
        }
        if chat.type == "channel":
            stored["sender_chat"] = chat.info
        else:
            stored["from"] = self.bot_user
        stored.update(message)
        chat.messages[stored["message_id"]] = stored
        chat.from_bot.add(stored["message_id"])
        return stored

    def _formatted(
        self, p: Params, text_key: str, entities_key: str, limit: int, *, required: bool
    ) -> tuple[str, list[JSONDict]]:
        """Parse text/caption like Telegram: formatting first, then emptiness and length."""
        raw = p.opt_str(text_key) or ""
        parse_mode = (p.opt_str("parse_mode") or "").lower()
        if parse_mode not in ("", "html"):
            # The bot formats with HTML only; anything else here is a mistake worth a failure.
            raise bad_request(f"unsupported parse_mode {p.opt_str('parse_mode')!r} (simulator)")
        entities: list[JSONDict] = list(p.get(entities_key) or [])
        try:
            if parse_mode == "html" and not entities:
                raw, entities = parse_html(raw)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        text, entities = trim(raw, entities)
        what = "message text" if text_key == "text" else "message caption"
        if required and not text:
            raise bad_request(f"{what} is empty")
        # UTF-16 length is at least the character count, so this never accepts what
        # Telegram would refuse.
        if utf16_len(text) > limit:
            raise bad_request(f"{what} is too long")
        return text, entities

    @staticmethod
    def _inline_markup(p: Params) -> JSONDict | None:
        """Validate reply_markup; returns the inline keyboard to attach to the message, if any."""
        markup = p.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            validate_inline_keyboard(markup["inline_keyboard"])
            return markup if markup["inline_keyboard"] else None
        return None

    def _reply_target(self, p: Params, chat: Chat) -> JSONDict | None:
        target = p.get("reply_parameters") or {}
        message_id = target.get("message_id") if isinstance(target, dict) else None
        message_id = message_id or p.opt_int("reply_to_message_id")
        if message_id is None:
            return None
        replied = chat.live(int(message_id))
        if replied is None:
            lenient = p.opt_bool("allow_sending_without_reply") or bool(
                isinstance(target, dict) and target.get("allow_sending_without_reply")
            )
            if lenient:
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in replied.items() if k != "reply_to_message"}

    def _editable(self, p: Params) -> tuple[Chat, JSONDict]:
        chat = self._resolve_chat(p)
        message_id = p.req_int("message_id")
        message = chat.live(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message_id not in chat.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    # ------------------------------------------------------------------ method handlers

    async def _delete_webhook(self, p: Params) -> bool:
        if p.opt_bool("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _set_my_commands(self, p: Params) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("commands is empty")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is empty or too long")
        return True  # menus change only what clients show: tests read them from ``calls``

    async def _send_message(self, p: Params) -> JSONDict:
        chat = self._writable_chat(p)
        text, entities = self._formatted(p, "text", "entities", MAX_TEXT_LENGTH, required=True)
        markup = self._inline_markup(p)
        reply_to = self._reply_target(p, chat)
        self.limits.check(chat.id, chat.type == "private")
        message = with_extras({"text": text}, entities=entities, markup=markup, reply_to=reply_to)
        return self._bot_message(chat, message)

    async def _edit_message_text(self, p: Params) -> JSONDict:
        chat, message = self._editable(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p, "text", "entities", MAX_TEXT_LENGTH, required=True)
        markup = self._inline_markup(p)
        if (text, entities, markup) == (
            message["text"],
            message.get("entities", []),
            message.get("reply_markup"),
        ):
            raise not_modified()
        self.limits.check(chat.id, chat.type == "private")
        return apply_edit(message, {"text": text}, entities, "entities", markup)

    async def _edit_message_caption(self, p: Params) -> JSONDict:
        chat, message = self._editable(p)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(
            p, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        markup = self._inline_markup(p)
        if (caption, entities, markup) == (
            message.get("caption", ""),
            message.get("caption_entities", []),
            message.get("reply_markup"),
        ):
            raise not_modified()
        self.limits.check(chat.id, chat.type == "private")
        message.pop("caption", None)
        content = {"caption": caption} if caption else {}
        return apply_edit(message, content, entities, "caption_entities", markup)

    async def _edit_message_reply_markup(self, p: Params) -> JSONDict:
        chat, message = self._editable(p)
        markup = self._inline_markup(p)
        if markup == message.get("reply_markup"):
            raise not_modified()
        self.limits.check(chat.id, chat.type == "private")
        return apply_edit(message, {}, None, "entities", markup)

    async def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.opt_str("callback_query_id") or ""
        text = p.opt_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        created = self._open_queries.pop(query_id, None)
        if created is None or self._clock() - created > CALLBACK_ANSWER_WINDOW:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": p.opt_bool("show_alert"),
                "url": p.opt_str("url"),
                "cache_time": p.opt_int("cache_time"),
            }
        )
        return True

    async def _send_photo(self, p: Params) -> JSONDict:
        return await self._send_file(p, "photo")

    async def _send_document(self, p: Params) -> JSONDict:
        return await self._send_file(p, "document")

    async def _send_file(self, p: Params, kind: str) -> JSONDict:
        chat = self._writable_chat(p)
        stored = self._input_file(p.get(kind), p.files, kind, default_name=kind)
        caption, entities = self._formatted(
            p, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        markup = self._inline_markup(p)
        reply_to = self._reply_target(p, chat)
        self.limits.check(chat.id, chat.type == "private")
        content = media_content(kind, stored, caption, entities)
        message = with_extras(content, markup=markup, reply_to=reply_to)
        return self._bot_message(chat, message)

    async def _send_media_group(self, p: Params) -> list[JSONDict]:
        chat = self._writable_chat(p)
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media group must contain 2-10 items")
        kinds = {str(item.get("type")) for item in media if isinstance(item, dict)}
        if len(kinds) != 1 and "document" in kinds:
            raise bad_request("document can't be mixed with other media types")
        prepared = [self._media_item(item, p.files) for item in media]
        reply_to = self._reply_target(p, chat)
        self.limits.check(chat.id, chat.type == "private")
        group_id = str(10_000_000_000 + next(self._media_group_ids))
        sent = []
        for content in prepared:
            content["media_group_id"] = group_id
            sent.append(self._bot_message(chat, with_extras(content, reply_to=reply_to)))
        return sent

    def _media_item(self, item: Any, files: UploadedFiles) -> JSONDict:
        if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
            raise bad_request("unsupported media type in media group (simulator: photo/document)")
        kind = str(item["type"])
        stored = self._input_file(item.get("media"), files, kind, default_name=kind)
        # Each item carries its own caption/parse_mode/caption_entities, like a sendPhoto call.
        caption, entities = self._formatted(
            Params(item, {}), "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        return media_content(kind, stored, caption, entities)

    def _input_file(
        self, value: Any, files: UploadedFiles, kind: str, *, default_name: str
    ) -> StoredFile:
        """Resolve a file parameter: an upload or attach://name (the bot always uploads)."""
        upload: tuple[str, bytes] | None = None
        if value is None:
            upload = files.get(kind)
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        else:
            raise bad_request("wrong file identifier/HTTP URL specified (simulator: uploads only)")
        if upload is None:
            raise bad_request(f"there is no {kind} in the request")
        filename, data = upload
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return self._store_file(kind, filename or default_name, guess_mime(filename), data)
