"""An in-memory Telegram Bot API: the server side a bot talks to, plus the users it talks with.

``FakeTelegram`` answers Bot API calls the way Telegram does (same JSON shapes, same error
descriptions for the mistakes bots commonly make) and lets tests act as users: send text,
tap inline buttons, edit messages. It does no I/O; ``transport.SimulatedRequest`` plugs it into
python-telegram-bot in-process and ``server.BotApiServer`` exposes it over loopback HTTP.

Deliberate simplifications (documented so nobody relies on them):
* HTML formatting is parsed into plain text + entities like Telegram does; MarkdownV2 is only
  checked for unescaped reserved characters and stored verbatim.
* Inline-mode messages (``inline_message_id``) are not supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]
UploadedFiles = dict[str, tuple[str, bytes]]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Telegram stops accepting answerCallbackQuery some seconds after the tap; the client shows a
# spinner until then. 15 s is the commonly observed window.
CALLBACK_ANSWER_WINDOW = 15.0
SUPERGROUP_ID_LIMIT = -1_000_000_000_000

FAULT_KINDS = frozenset(
    {"server_error", "bad_gateway", "timeout", "timeout_after_delivery", "flood"}
)

# Parameters whose wire form is JSON. PTB (and HTTP form posts) send every value as a string,
# so these are decoded by name; free-text parameters such as ``text`` are never decoded.
_JSON_PARAMS = frozenset(
    {
        "allow_sending_without_reply",
        "allowed_updates",
        "cache_time",
        "caption_entities",
        "chat_id",
        "commands",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "entities",
        "from_chat_id",
        "has_spoiler",
        "limit",
        "link_preview_options",
        "max_connections",
        "media",
        "message_id",
        "message_ids",
        "message_thread_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "timeout",
        "user_id",
    }
)

# Methods that post or change a visible message; only these count towards flood limits.
_RATE_LIMITED = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "copymessage",
        "forwardmessage",
    }
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Content keys that copyMessage/forwardMessage carry over from the source message.
_CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "sticker",
    "voice",
    "caption",
    "caption_entities",
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


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def decode_params(params: dict[str, Any]) -> JSONDict:
    """Undo the string encoding that form posts and PTB's ``json_parameters`` apply."""
    decoded: JSONDict = {}
    for name, value in params.items():
        if isinstance(value, str) and name in _JSON_PARAMS:
            # "@channel" chat ids and other non-JSON strings stay as they are.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        decoded[name] = value
    return decoded


# --------------------------------------------------------------------------- HTML parsing

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']*))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']*))?")
_CHAR_REF_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED_CHAR_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Formatted text that Telegram would refuse with "can't parse entities"."""


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]
    language: str | None = None


class _HtmlParser:
    """Turns Telegram-flavoured HTML into (plain text, entities), refusing what Telegram refuses."""

    def __init__(self, source: str):
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of ``out``
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._char_ref()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _byte_offset(self) -> int:
        return len(self.source[: self.pos].encode())

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _char_ref(self) -> None:
        match = _CHAR_REF_RE.match(self.source, self.pos)
        if match is None:
            raise EntityParseError(
                f"Character entity expected at byte offset {self._byte_offset()}"
            )
        ref = match.group(1)
        if ref.startswith(("#x", "#X")):
            self._emit(chr(int(ref[2:], 16)))
        elif ref.startswith("#"):
            self._emit(chr(int(ref[1:])))
        elif ref in _NAMED_CHAR_REFS:
            self._emit(_NAMED_CHAR_REFS[ref])
        else:
            raise EntityParseError(
                f'Unsupported HTML entity "&{ref};" at byte offset {self._byte_offset()}'
            )
        self.pos = match.end()

    def _tag(self) -> None:
        match = _TAG_RE.match(self.source, self.pos)
        if match is None:
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {self._byte_offset()}"
            )
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if name not in _HTML_ENTITY_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset()}'
            )
        if closing:
            self._close(name)
        else:
            self._open(name, _parse_attrs(raw_attrs))
        self.pos = match.end()

    def _open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(_OpenTag(name, self.offset, attrs))

    def _close(self, name: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        tag = self.stack.pop()
        if tag.name != name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self._byte_offset()}, expected "</{tag.name}>",'
                f' found "</{name}>"'
            )
        if name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
            css = tag.attrs.get("class", "")
            if css.startswith("language-"):
                self.stack[-1].language = css.removeprefix("language-")
            return
        entity = self._entity(tag)
        if entity is not None:
            self.entities.append(entity)

    def _entity(self, tag: _OpenTag) -> JSONDict | None:
        length = self.offset - tag.offset
        if length == 0:
            return None  # Telegram drops empty entities
        entity: JSONDict = {"type": _HTML_ENTITY_TYPES[tag.name], "offset": tag.offset}
        entity["length"] = length
        if tag.name == "a":
            if "href" not in tag.attrs:
                return None
            entity["url"] = tag.attrs["href"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
        return entity


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[match.group(1).lower()] = value
    return attrs


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into plain text and entities; raises ``EntityParseError``."""
    return _HtmlParser(source).parse()


_MDV2_ALWAYS_ESCAPED = frozenset("#+-={}.!")


def check_markdown_v2(source: str) -> None:
    """Reject unescaped reserved characters, the MarkdownV2 mistake bots make most often."""
    pos, in_code = 0, False
    while pos < len(source):
        char = source[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "`":
            in_code = not in_code
        elif source.startswith("](", pos) and not in_code:
            # Inside a link URL only ')' and '\' are special; skip to the closing parenthesis.
            end = source.find(")", pos + 2)
            pos = len(source) if end < 0 else end + 1
            continue
        elif char in _MDV2_ALWAYS_ESCAPED and not in_code:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        pos += 1


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram strips leading/trailing whitespace from messages and shifts entities along."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------- state records


@dataclass
class StoredFile:
    """A file Telegram holds: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    mime_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Fault:
    kind: str
    remaining: int
    options: JSONDict


@dataclass
class _Queued:
    update: JSONDict
    # A redelivered update may have an id below the confirmed offset; it is handed out once
    # regardless, the way Telegram re-sends updates whose confirmation it never received.
    redelivery: bool = False


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


@dataclass
class _Chat:
    info: JSONDict
    messages: dict[int, JSONDict] = field(default_factory=dict)  # insertion order = send order
    deleted: set[int] = field(default_factory=set)
    # Ids of the bot's own messages: in channels neither side has "from", so keep it explicit.
    from_bot: set[int] = field(default_factory=set)
    next_message_id: int = 1
    reply_keyboard: JSONDict | None = None
    bucket: _TokenBucket | None = None

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def type(self) -> str:
        return str(self.info["type"])

    def allocate_message_id(self) -> int:
        # Users and the bot share one message-id sequence per chat, as in Telegram.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live(self, message_id: int) -> JSONDict | None:
        if message_id in self.deleted:
            return None
        return self.messages.get(message_id)


class _Params:
    """Typed access to decoded call parameters, failing the way Telegram fails."""

    def __init__(self, values: JSONDict, files: UploadedFiles):
        self.values = values
        self.files = files

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def req_int(self, name: str) -> int:
        value = self.values.get(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return self._as_int(name, value)

    def opt_int(self, name: str) -> int | None:
        value = self.values.get(name)
        return None if value is None else self._as_int(name, value)

    def opt_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def opt_str(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def opt_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)

    @staticmethod
    def _as_int(name: str, value: Any) -> int:
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None


Handler = Callable[[_Params], Awaitable[Any]]


# --------------------------------------------------------------------------- the fake


class FakeTelegram:
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
        self.enforce_limits = enforce_limits
        self.calls: list[tuple[str, JSONDict]] = []
        self.callback_answers: list[JSONDict] = []
        self.flood_count = 0
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.settings: dict[str, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self._clock = clock
        self._users: dict[int, JSONDict] = {}
        self._blocked: set[int] = set()
        self._chats: dict[int, _Chat] = {}
        self._updates: list[_Queued] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._media_group_ids = itertools.count(1)
        self._open_queries: dict[str, float] = {}  # callback query id -> creation time
        self._faults: dict[str, deque[Fault]] = {}
        self._poller: asyncio.Future[None] | None = None
        self._changed: asyncio.Condition | None = None
        self._webhook_url = ""
        self._allowed_updates: list[str] | None = None
        self._global_bucket = _TokenBucket(30, 30, 30, clock())
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }

    def _handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
            "setMyDescription": self._remember("setMyDescription"),
            "setMyShortDescription": self._remember("setMyShortDescription"),
            "setMyName": self._remember("setMyName"),
            "setChatMenuButton": self._remember("setChatMenuButton"),
            "setMyDefaultAdministratorRights": self._remember("setMyDefaultAdministratorRights"),
            "close": self._ok,
            "logOut": self._ok,
        }

    # ------------------------------------------------------------------ the API entry point

    async def call(
        self, method: str, params: dict[str, Any], files: UploadedFiles | None = None
    ) -> tuple[int, JSONDict]:
        """Handle one Bot API call; returns (HTTP status, JSON body) as Telegram would."""
        try:
            return await self._call(method, params, files)
        finally:
            await self._notify()

    async def _notify(self) -> None:
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
        fault = self._take_fault(method.lower())
        if fault is not None and fault.kind != "timeout_after_delivery":
            return self._fault_answer(fault)
        if known is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = await known[1](_Params(values, files or {}))
            answer: tuple[int, JSONDict] = 200, {"ok": True, "result": copy.deepcopy(result)}
        except ApiError as error:
            answer = error.status, error.body()
        if fault is not None:  # timeout_after_delivery: applied, but the answer is lost
            raise SimulatedTimeout(f"{name}: answer lost after delivery")
        return answer

    def calls_of(self, method: str) -> list[JSONDict]:
        """Parameters of every call to ``method`` (case-insensitive), in call order."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    # ------------------------------------------------------------------ fault injection

    def inject_fault(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
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
        self._faults.setdefault(key, deque()).append(Fault(kind, times, dict(options)))

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue and method != "getupdates":
            queue = self._faults.get("*")
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.popleft()
        return fault

    @staticmethod
    def _fault_answer(fault: Fault) -> tuple[int, JSONDict]:
        if fault.kind == "timeout":
            raise SimulatedTimeout("request lost before delivery")
        if fault.kind == "flood":
            error = flood_error(int(fault.options.get("retry_after", 1)))
        elif fault.kind == "bad_gateway":
            error = ApiError(502, "Bad Gateway")
        else:
            error = ApiError(500, "Internal Server Error")
        return error.status, error.body()

    # ------------------------------------------------------------------ flood limits

    def _check_limits(self, chat: _Chat) -> None:
        """Answer 429 like Telegram when the bot exceeds its documented sending rates."""
        if not self.enforce_limits:
            return
        now = self._clock()
        if chat.bucket is None:
            # About one message per second per private chat (small burst allowed), and
            # 20 messages per minute per group or channel.
            rate, burst = (1.0, 3.0) if chat.type == "private" else (20 / 60, 20.0)
            chat.bucket = _TokenBucket(burst, rate, burst, now)
        wait = max(chat.bucket.wait_time(now), self._global_bucket.wait_time(now))
        if wait > 0:
            self.flood_count += 1
            raise flood_error(max(1, math.ceil(wait)))
        chat.bucket.take()
        self._global_bucket.take()

    # ------------------------------------------------------------------ update queue

    def next_update_id(self) -> int:
        """Allocate a fresh update id (for tests that build their own update dicts)."""
        return next(self._update_ids)

    def enqueue(self, update: JSONDict, *, redelivery: bool = False) -> JSONDict:
        """Queue an update for getUpdates and wake a waiting long poll."""
        self._updates.append(_Queued(update, redelivery))
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)
        return update

    def pending_updates(self) -> list[JSONDict]:
        """Copies of the queued (not yet confirmed) updates, oldest first."""
        return [copy.deepcopy(item.update) for item in self._updates]

    def drain_updates(self) -> list[JSONDict]:
        """Pop every queued update, for tests that call ``application.process_update`` directly."""
        drained = [item.update for item in self._updates]
        self._updates.clear()
        return drained

    def duplicate(self, update: JSONDict) -> JSONDict:
        """Deliver ``update`` again with the same update_id, as Telegram does after a lost ack."""
        return self.enqueue(copy.deepcopy(update), redelivery=True)

    @property
    def is_long_polling(self) -> bool:
        """Whether a getUpdates call is currently waiting for updates."""
        return self._poller is not None and not self._poller.done()

    def release_long_poll(self) -> None:
        """Let a waiting getUpdates return now (used when a server shuts down)."""
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            # Negative offsets keep only the last -offset updates, as documented.
            self._updates = self._updates[offset:]
            return
        self._updates = [
            item for item in self._updates if item.update["update_id"] >= offset or item.redelivery
        ]

    def _take_batch(self, limit: int) -> list[JSONDict]:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            self._updates = [i for i in self._updates if _update_type(i.update) in allowed]
        batch = self._updates[:limit]
        for item in batch:
            item.redelivery = False  # delivered; from now on the offset confirms it
        return [item.update for item in batch]

    async def _wait_for_updates(self, seconds: float) -> None:
        poller: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poller = poller
        try:
            await asyncio.wait_for(poller, seconds)
        except TimeoutError:
            pass
        finally:
            if self._poller is poller:
                self._poller = None

    # ------------------------------------------------------------------ users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> JSONDict:
        """Register (or update) a user who has started the bot; creates their private chat."""
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
            self._users[user_id] = user
        elif first_name is not None:
            user["first_name"] = first_name
        for key, value in (
            ("username", username),
            ("language_code", language_code),
            ("last_name", last_name),
        ):
            if value is not None:
                user[key] = value
        self._private_chat(user)
        return user

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them answers 403 from now on."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def _known_user(self, user_id: int) -> JSONDict:
        return self._users.get(user_id) or self.user(user_id)

    def _private_chat(self, user: JSONDict) -> _Chat:
        chat = self._chats.get(user["id"])
        if chat is None:
            info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    info[key] = user[key]
            chat = self._chats[user["id"]] = _Chat(info)
        return chat

    def _group_chat(self, chat_id: int, chat_type: str | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id >= 0:
                raise ValueError(f"group and channel ids are negative, got {chat_id}")
            if chat_type is None:
                chat_type = "supergroup" if chat_id < SUPERGROUP_ID_LIMIT else "group"
            info = {"id": chat_id, "type": chat_type, "title": f"{chat_type.title()} {chat_id}"}
            chat = self._chats[chat_id] = _Chat(info)
        return chat

    def _chat_of(self, user_id: int, chat_id: int | None) -> tuple[JSONDict, _Chat]:
        user = self._known_user(user_id)
        chat = self._private_chat(user) if chat_id in (None, user_id) else None
        return user, chat or self._group_chat(int(chat_id or 0))

    def _user_message(self, chat: _Chat, user: JSONDict | None, content: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": chat.allocate_message_id(),
            "date": int(time.time()),
            "chat": chat.info,
        }
        if user is not None:
            message["from"] = user
        else:
            message["sender_chat"] = chat.info
        message.update(content)
        chat.messages[message["message_id"]] = message
        return message

    def _new_update(self, kind: str, payload: JSONDict) -> JSONDict:
        update = {"update_id": self.next_update_id(), kind: copy.deepcopy(payload)}
        return self.enqueue(update)

    # ------------------------------------------------------------------ acting as users

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> JSONDict:
        """The user sends ``text`` (to the bot's private chat, or to group ``chat_id``)."""
        user, chat = self._chat_of(user_id, chat_id)
        return self._new_update("message", self._user_message(chat, user, _user_text(text)))

    def channel(self, chat_id: int, title: str | None = None) -> JSONDict:
        """Create a channel with the bot as an admin, so the bot can post in it."""
        chat = self._group_chat(chat_id, "channel")
        if title is not None:
            chat.info["title"] = title
        return dict(chat.info)

    def channel_post(self, chat_id: int, text: str) -> JSONDict:
        """A post in channel ``chat_id`` (the bot must be a member to see it)."""
        chat = self._group_chat(chat_id, "channel")
        return self._new_update("channel_post", self._user_message(chat, None, {"text": text}))

    def send_sticker(self, user_id: int, chat_id: int | None = None) -> JSONDict:
        user, chat = self._chat_of(user_id, chat_id)
        stored = self._store_file("sticker", "sticker.webp", "image/webp", b"RIFF\0\0\0\0WEBP")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "file_size": stored.size,
        }
        return self._new_update("message", self._user_message(chat, user, {"sticker": sticker}))

    def send_photo(
        self, user_id: int, caption: str | None = None, chat_id: int | None = None
    ) -> JSONDict:
        user, chat = self._chat_of(user_id, chat_id)
        stored = self._store_file("photo", "photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0fake-jpeg")
        content: JSONDict = {"photo": _photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self._new_update("message", self._user_message(chat, user, content))

    def send_voice(self, user_id: int, chat_id: int | None = None) -> JSONDict:
        user, chat = self._chat_of(user_id, chat_id)
        stored = self._store_file("voice", "voice.ogg", "audio/ogg", b"OggS fake-voice")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": 3,
            "mime_type": stored.mime_type,
            "file_size": stored.size,
        }
        return self._new_update("message", self._user_message(chat, user, {"voice": voice}))

    def send_document(
        self,
        user_id: int,
        filename: str = "notes.txt",
        data: bytes = b"simulated document",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSONDict:
        user, chat = self._chat_of(user_id, chat_id)
        stored = self._store_file("document", filename, _guess_mime(filename), data)
        content: JSONDict = {"document": _document_json(stored)}
        if caption:
            content["caption"] = caption
        return self._new_update("message", self._user_message(chat, user, content))

    def edit_text(self, user_id: int, message_id: int, new_text: str) -> JSONDict:
        """The user edits their own earlier text message in the private chat."""
        _, chat = self._chat_of(user_id, None)
        message = chat.live(message_id)
        if message is None or message.get("from", {}).get("id") != user_id:
            raise AssertionError(f"user {user_id} has no message {message_id} to edit")
        message.pop("entities", None)
        message.update(_user_text(new_text), edit_date=int(time.time()))
        return self._new_update("edited_message", message)

    def tap(
        self,
        user_id: int,
        message_id: int,
        button_text: str | None = None,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> JSONDict:
        """The user taps an inline button (by visible text or callback_data) under a message."""
        if (button_text is None) == (data is None):
            raise ValueError("pass exactly one of button_text or data")
        _, chat = self._chat_of(user_id, chat_id)
        message = self._bot_message_for_tap(chat, message_id)
        buttons = [b for row in _inline_rows(message) for b in row]
        for button in buttons:
            if button_text is not None and button.get("text") != button_text:
                continue
            if data is not None and button.get("callback_data") != data:
                continue
            if "callback_data" not in button:
                raise AssertionError(f"button {button.get('text')!r} has no callback_data")
            return self.forge_tap(user_id, message_id, button["callback_data"], chat_id=chat_id)
        wanted = f"text {button_text!r}" if button_text is not None else f"data {data!r}"
        available = [(b.get("text"), b.get("callback_data")) for b in buttons]
        raise AssertionError(
            f"no button with {wanted} under message {message_id} in chat {chat.id}; "
            f"available (text, data): {available}"
        )

    def forge_tap(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> JSONDict:
        """A callback query with arbitrary data, as a modified client could send."""
        user, chat = self._chat_of(user_id, chat_id)
        message = self._bot_message_for_tap(chat, message_id)
        query_id = str(4_000_000_000_000_000_000 + next(self._query_ids))
        self._open_queries[query_id] = self._clock()
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat.id) * 1_000_003 + self.bot_id),
            "data": data,
        }
        return self._new_update("callback_query", query)

    def _bot_message_for_tap(self, chat: _Chat, message_id: int) -> JSONDict:
        message = chat.live(message_id)
        if message is None or message_id not in chat.from_bot:
            raise AssertionError(f"no live bot message {message_id} in chat {chat.id}")
        return message

    # ------------------------------------------------------------------ reading state

    def messages(self, chat_id: int, *, include_user: bool = False) -> list[JSONDict]:
        """The chat as users see it now: the bot's messages (edits applied, deleted ones gone).

        ``include_user=True`` also lists the messages users sent.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(message)
            for message_id, message in chat.messages.items()
            if message_id not in chat.deleted and (include_user or message_id in chat.from_bot)
        ]

    def last_message(self, chat_id: int) -> JSONDict:
        """The bot's most recent visible message in the chat."""
        visible = self.messages(chat_id)
        if not visible:
            raise AssertionError(f"the bot has no visible message in chat {chat_id}")
        return visible[-1]

    def deleted_messages(self, chat_id: int) -> list[JSONDict]:
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [copy.deepcopy(chat.messages[i]) for i in sorted(chat.deleted)]

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Texts of the reply keyboard currently shown in the chat, if any."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.reply_keyboard is None:
            return None
        return [
            [b if isinstance(b, str) else b["text"] for b in row]
            for row in chat.reply_keyboard["keyboard"]
        ]

    @staticmethod
    def buttons(message: JSONDict) -> list[list[str]]:
        """Texts of the inline keyboard rows under ``message``."""
        return [[button["text"] for button in row] for row in _inline_rows(message)]

    @staticmethod
    def button_data(message: JSONDict) -> dict[str, str]:
        """Visible text -> callback_data of the inline callback buttons under ``message``."""
        return {
            button["text"]: button["callback_data"]
            for row in _inline_rows(message)
            for button in row
            if "callback_data" in button
        }

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """The file getFile announced at ``file_path`` (what the file download URL serves)."""
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    # ------------------------------------------------------------------ shared helpers

    def _store_file(self, kind: str, filename: str, mime_type: str, data: bytes) -> StoredFile:
        number = next(self._file_ids)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"SIM{kind.upper()}{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{kind}s/file_{number}.{suffix}",
            filename=filename,
            mime_type=mime_type,
            data=data,
        )
        self.files[stored.file_id] = stored
        return stored

    def _resolve_chat(self, p: _Params, name: str = "chat_id") -> _Chat:
        raw = p.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        chat: _Chat | None
        if isinstance(raw, str) and raw.startswith("@"):
            username = raw.removeprefix("@")
            matches = (c for c in self._chats.values() if c.info.get("username") == username)
            chat = next(matches, None)
        else:
            chat = self._chats.get(p.req_int(name))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: _Params) -> _Chat:
        chat = self._resolve_chat(p)
        if chat.type == "private" and chat.id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(self, chat: _Chat, message: JSONDict) -> JSONDict:
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
        self, p: _Params, text_key: str, entities_key: str, limit: int, *, required: bool
    ) -> tuple[str, list[JSONDict]]:
        """Parse text/caption like Telegram: formatting first, then emptiness and length."""
        raw = p.opt_str(text_key) or ""
        parse_mode = (p.opt_str("parse_mode") or "").lower()
        if parse_mode not in ("", "html", "markdown", "markdownv2"):
            raise bad_request(f"unsupported parse_mode {p.opt_str('parse_mode')!r}")
        entities: list[JSONDict] = list(p.get(entities_key) or [])
        try:
            if parse_mode == "html" and not entities:
                raw, entities = parse_html(raw)
            elif parse_mode == "markdownv2" and not entities:
                check_markdown_v2(raw)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        text, entities = _trim(raw, entities)
        what = "message text" if text_key == "text" else "message caption"
        if required and not text:
            raise bad_request(f"{what} is empty")
        # UTF-16 length is at least the character count, so this never accepts what
        # Telegram would refuse.
        if utf16_len(text) > limit:
            raise bad_request(f"{what} is too long")
        return text, entities

    @staticmethod
    def _inline_markup(p: _Params) -> JSONDict | None:
        """Validate reply_markup; returns the inline keyboard to attach to the message, if any."""
        markup = p.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline_keyboard(markup["inline_keyboard"])
            return markup if markup["inline_keyboard"] else None
        return None

    @staticmethod
    def _show_reply_keyboard(p: _Params, chat: _Chat) -> None:
        """Reply keyboards live in the chat, not in the message; only sends change them."""
        markup = p.get("reply_markup")
        if not isinstance(markup, dict):
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _reply_target(self, p: _Params, chat: _Chat) -> JSONDict | None:
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

    def _editable(self, p: _Params) -> tuple[_Chat, JSONDict]:
        if p.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the simulator")
        chat = self._resolve_chat(p)
        message_id = p.req_int("message_id")
        message = chat.live(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message_id not in chat.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    # ------------------------------------------------------------------ method handlers

    async def _ok(self, p: _Params) -> bool:
        return True

    def _remember(self, method: str) -> Handler:
        """Handler for settings that only change how clients show the bot: stored, not acted on."""

        async def handler(p: _Params) -> bool:
            self.settings[method] = dict(p.values)
            return True

        return handler

    async def _get_me(self, p: _Params) -> JSONDict:
        return self.bot_user

    async def _get_updates(self, p: _Params) -> list[JSONDict]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        older = self._poller
        if older is not None and not older.done():
            # Telegram ends the older long poll when a second one arrives.
            older.set_exception(
                ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            )
            self._poller = None
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self._confirm(p.opt_int("offset"))
        limit = min(max(p.opt_int("limit") or 100, 1), 100)
        batch = self._take_batch(limit)
        wait = p.opt_float("timeout") or 0.0
        if batch or wait <= 0:
            return batch
        await self._wait_for_updates(wait)
        return self._take_batch(limit)

    async def _set_webhook(self, p: _Params) -> bool:
        self._webhook_url = p.opt_str("url") or ""
        return True

    async def _delete_webhook(self, p: _Params) -> bool:
        self._webhook_url = ""
        if p.opt_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: _Params) -> JSONDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _command_key(p: _Params) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.opt_str("language_code") or ""

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("commands is empty")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is empty or too long")
        self.commands[self._command_key(p)] = commands
        return True

    async def _get_my_commands(self, p: _Params) -> list[JSONDict]:
        return self.commands.get(self._command_key(p), [])

    async def _delete_my_commands(self, p: _Params) -> bool:
        self.commands.pop(self._command_key(p), None)
        return True

    async def _send_message(self, p: _Params) -> JSONDict:
        chat = self._writable_chat(p)
        text, entities = self._formatted(p, "text", "entities", MAX_TEXT_LENGTH, required=True)
        markup = self._inline_markup(p)
        reply_to = self._reply_target(p, chat)
        self._check_limits(chat)
        self._show_reply_keyboard(p, chat)
        message = _with_extras({"text": text}, entities=entities, markup=markup, reply_to=reply_to)
        return self._bot_message(chat, message)

    async def _edit_message_text(self, p: _Params) -> JSONDict:
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
            raise _not_modified()
        self._check_limits(chat)
        return _apply_edit(message, {"text": text}, entities, "entities", markup)

    async def _edit_message_caption(self, p: _Params) -> JSONDict:
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
            raise _not_modified()
        self._check_limits(chat)
        message.pop("caption", None)
        content = {"caption": caption} if caption else {}
        return _apply_edit(message, content, entities, "caption_entities", markup)

    async def _edit_message_reply_markup(self, p: _Params) -> JSONDict:
        chat, message = self._editable(p)
        markup = self._inline_markup(p)
        if markup == message.get("reply_markup"):
            raise _not_modified()
        self._check_limits(chat)
        return _apply_edit(message, {}, None, "entities", markup)

    async def _delete_message(self, p: _Params) -> bool:
        chat = self._resolve_chat(p)
        message_id = p.req_int("message_id")
        if chat.live(message_id) is None:
            raise bad_request("message to delete not found")
        chat.deleted.add(message_id)
        return True

    async def _answer_callback_query(self, p: _Params) -> bool:
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

    async def _send_photo(self, p: _Params) -> JSONDict:
        return await self._send_file(p, "photo")

    async def _send_document(self, p: _Params) -> JSONDict:
        return await self._send_file(p, "document")

    async def _send_file(self, p: _Params, kind: str) -> JSONDict:
        chat = self._writable_chat(p)
        stored = self._input_file(p.get(kind), p.files, kind, default_name=kind)
        caption, entities = self._formatted(
            p, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        markup = self._inline_markup(p)
        reply_to = self._reply_target(p, chat)
        self._check_limits(chat)
        self._show_reply_keyboard(p, chat)
        content = _media_content(kind, stored, caption, entities)
        message = _with_extras(content, markup=markup, reply_to=reply_to)
        return self._bot_message(chat, message)

    async def _send_media_group(self, p: _Params) -> list[JSONDict]:
        chat = self._writable_chat(p)
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media group must contain 2-10 items")
        kinds = {str(item.get("type")) for item in media if isinstance(item, dict)}
        if len(kinds) != 1 and "document" in kinds:
            raise bad_request("document can't be mixed with other media types")
        prepared = [self._media_item(item, p.files) for item in media]
        reply_to = self._reply_target(p, chat)
        self._check_limits(chat)
        group_id = str(10_000_000_000 + next(self._media_group_ids))
        sent = []
        for content in prepared:
            content["media_group_id"] = group_id
            sent.append(self._bot_message(chat, _with_extras(content, reply_to=reply_to)))
        return sent

    def _media_item(self, item: Any, files: UploadedFiles) -> JSONDict:
        if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
            raise bad_request("unsupported media type in media group (simulator: photo/document)")
        kind = str(item["type"])
        stored = self._input_file(item.get("media"), files, kind, default_name=kind)
        # Each item carries its own caption/parse_mode/caption_entities, like a sendPhoto call.
        caption, entities = self._formatted(
            _Params(item, {}), "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        return _media_content(kind, stored, caption, entities)

    def _input_file(
        self, value: Any, files: UploadedFiles, kind: str, *, default_name: str
    ) -> StoredFile:
        """Resolve a file parameter: a multipart upload, attach://name, a file_id or a URL."""
        upload: tuple[str, bytes] | None = None
        if value is None:
            upload = files.get(kind)
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
        elif isinstance(value, str) and value in self.files:
            return self.files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or default_name
            return self._store_file(kind, name, _guess_mime(name), b"")
        elif value is not None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if upload is None:
            raise bad_request(f"there is no {kind} in the request")
        filename, data = upload
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return self._store_file(kind, filename or default_name, _guess_mime(filename), data)

    async def _copy_message(self, p: _Params) -> JSONDict:
        source = self._source_message(p)
        chat = self._writable_chat(p)
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        if p.has("caption") and "text" not in content:
            caption, entities = self._formatted(
                p, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
            )
            content.pop("caption_entities", None)
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        markup = self._inline_markup(p)
        self._check_limits(chat)
        self._show_reply_keyboard(p, chat)
        sent = self._bot_message(chat, _with_extras(content, markup=markup))
        return {"message_id": sent["message_id"]}

    async def _forward_message(self, p: _Params) -> JSONDict:
        source = self._source_message(p)
        chat = self._writable_chat(p)
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        content["forward_origin"] = _forward_origin(source)
        self._check_limits(chat)
        return self._bot_message(chat, content)

    def _source_message(self, p: _Params) -> JSONDict:
        source_chat = self._resolve_chat(p, "from_chat_id")
        message = source_chat.live(p.req_int("message_id"))
        if message is None:
            raise bad_request("message to copy not found")
        return message

    async def _send_chat_action(self, p: _Params) -> bool:
        self._writable_chat(p)
        if p.opt_str("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _get_chat(self, p: _Params) -> JSONDict:
        chat = self._resolve_chat(p)
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, p: _Params) -> JSONDict:
        self._resolve_chat(p)
        user_id = p.req_int("user_id")
        if user_id == self.bot_id:
            return {"status": "member", "user": self.bot_user}
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return {"status": "member", "user": user}

    async def _get_file(self, p: _Params) -> JSONDict:
        stored = self.files.get(p.opt_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }


# --------------------------------------------------------------------------- pure helpers


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _user_text(text: str) -> JSONDict:
    """A user's text message; clients mark a leading /command with a bot_command entity."""
    content: JSONDict = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return content


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _inline_rows(message: JSONDict) -> list[list[JSONDict]]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [list(row) for row in rows]


def _validate_inline_keyboard(rows: Any) -> None:
    """Refuse keyboards Telegram refuses; the 64-byte callback_data limit bites bots often."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text must be non-empty")
        actions = [k for k in button if k != "text"]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")


def _with_extras(
    content: JSONDict,
    *,
    entities: list[JSONDict] | None = None,
    markup: JSONDict | None = None,
    reply_to: JSONDict | None = None,
) -> JSONDict:
    if entities:
        content["entities"] = entities
    if markup is not None:
        content["reply_markup"] = markup
    if reply_to is not None:
        content["reply_to_message"] = reply_to
    return content


def _apply_edit(
    message: JSONDict,
    content: JSONDict,
    entities: list[JSONDict] | None,
    entities_key: str,
    markup: JSONDict | None,
) -> JSONDict:
    """Apply an edit in place. An edit without reply_markup removes the inline keyboard,
    exactly as on Telegram (a classic source of vanishing buttons)."""
    message.update(content)
    if entities is not None:
        message.pop(entities_key, None)
        if entities:
            message[entities_key] = entities
    message.pop("reply_markup", None)
    if markup is not None:
        message["reply_markup"] = markup
    message["edit_date"] = int(time.time())
    return message


def _photo_sizes(stored: StoredFile) -> list[JSONDict]:
    return [
        {
            "file_id": f"{stored.file_id}{suffix}",
            "file_unique_id": f"{stored.file_unique_id}{suffix}",
            "width": width,
            "height": height,
            "file_size": stored.size,
        }
        # One size is enough: real Telegram adds smaller thumbnails, bots use photo[-1].
        for suffix, width, height in (("", 800, 600),)
    ]


def _document_json(stored: StoredFile) -> JSONDict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.filename,
        "mime_type": stored.mime_type,
        "file_size": stored.size,
    }


def _media_content(
    kind: str, stored: StoredFile, caption: str, entities: list[JSONDict]
) -> JSONDict:
    content: JSONDict = (
        {"photo": _photo_sizes(stored)} if kind == "photo" else {"document": _document_json(stored)}
    )
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


def _forward_origin(source: JSONDict) -> JSONDict:
    if "from" in source:
        return {"type": "user", "date": source["date"], "sender_user": source["from"]}
    chat = source["chat"]
    if chat["type"] == "channel":
        return {
            "type": "channel",
            "date": source["date"],
            "chat": chat,
            "message_id": source["message_id"],
        }
    return {"type": "chat", "date": source["date"], "sender_chat": chat}


_MIME_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "txt": "text/plain",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _guess_mime(filename: str) -> str:
    return _MIME_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")
