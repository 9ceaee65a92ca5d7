"""Simulated Telegram users: they start the bot, post, tap buttons and read their chats.

A mixin of ``FakeTelegram``: users act on the same chats the Bot API methods write to, and
every action queues the update Telegram would send the bot.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable

from sim.telegram.polling import UpdateQueue
from sim.telegram.state import (
    Chat,
    JSONDict,
    StoredFile,
    document_json,
    guess_mime,
    inline_rows,
    photo_sizes,
    utf16_len,
)

SUPERGROUP_ID_LIMIT = -1_000_000_000_000


def _user_text(text: str) -> JSONDict:
    """A user's text message; clients mark a leading /command with a bot_command entity."""
    content: JSONDict = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return content


# What users send besides text: a file name, and the fields Telegram adds for the kind.
_MEDIA: dict[str, tuple[str, JSONDict]] = {
    "sticker": (
        "sticker.webp",
        {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        },
    ),
    "photo": ("photo.jpg", {}),
    "voice": ("voice.ogg", {"duration": 3}),
    "document": ("notes.txt", {}),
}


class SimulatedUsers:
    """What users do; the state they act on is ``FakeTelegram``'s."""

    bot_id: int
    files: dict[str, StoredFile]
    updates: UpdateQueue
    _users: dict[int, JSONDict]
    _blocked: set[int]
    _chats: dict[int, Chat]
    _open_queries: dict[str, float]
    _query_ids: itertools.count[int]

    _file_ids: itertools.count[int]
    _clock: Callable[[], float]

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

    def _private_chat(self, user: JSONDict) -> Chat:
        chat = self._chats.get(user["id"])
        if chat is None:
            info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    info[key] = user[key]
            chat = self._chats[user["id"]] = Chat(info)
        return chat

    def _group_chat(self, chat_id: int, chat_type: str | None = None) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id >= 0:
                raise ValueError(f"group and channel ids are negative, got {chat_id}")
            if chat_type is None:
                chat_type = "supergroup" if chat_id < SUPERGROUP_ID_LIMIT else "group"
            info = {"id": chat_id, "type": chat_type, "title": f"{chat_type.title()} {chat_id}"}
            chat = self._chats[chat_id] = Chat(info)
        return chat

    def _chat_of(self, user_id: int, chat_id: int | None) -> tuple[JSONDict, Chat]:
        user = self._known_user(user_id)
        chat = self._private_chat(user) if chat_id in (None, user_id) else None
        return user, chat or self._group_chat(int(chat_id or 0))

    def _user_message(self, chat: Chat, user: JSONDict | None, content: JSONDict) -> JSONDict:
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

    # ------------------------------------------------------------------ acting as users

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> JSONDict:
        """The user sends ``text`` (to the bot's private chat, or to group ``chat_id``)."""
        user, chat = self._chat_of(user_id, chat_id)
        return self.updates.new("message", self._user_message(chat, user, _user_text(text)))

    def channel(self, chat_id: int, title: str | None = None) -> JSONDict:
        """Create a channel with the bot as an admin, so the bot can post in it."""
        chat = self._group_chat(chat_id, "channel")
        if title is not None:
            chat.info["title"] = title
        return dict(chat.info)

    def group(self, chat_id: int, title: str | None = None) -> JSONDict:
        """Create a supergroup the bot is in, where people type commands and the bot posts."""
        chat = self._group_chat(chat_id, "supergroup")
        if title is not None:
            chat.info["title"] = title
        return dict(chat.info)

    def channel_post(self, chat_id: int, text: str) -> JSONDict:
        """A post in channel ``chat_id`` (the bot must be a member to see it)."""
        chat = self._group_chat(chat_id, "channel")
        return self.updates.new("channel_post", self._user_message(chat, None, {"text": text}))

    def send_media(
        self, user_id: int, kind: str, caption: str | None = None, chat_id: int | None = None
    ) -> JSONDict:
        """The user sends a sticker, photo, voice message or document (``kind``)."""
        user, chat = self._chat_of(user_id, chat_id)
        filename, extra = _MEDIA[kind]
        stored = self._store_file(kind, filename, guess_mime(filename), f"a {kind}".encode())
        item = photo_sizes(stored) if kind == "photo" else {**document_json(stored), **extra}
        content: JSONDict = {kind: item, **({"caption": caption} if caption else {})}
        return self.updates.new("message", self._user_message(chat, user, content))

    def edit_text(self, user_id: int, message_id: int, new_text: str) -> JSONDict:
        """The user edits their own earlier text message in the private chat."""
        _, chat = self._chat_of(user_id, None)
        message = chat.live(message_id)
        if message is None or message.get("from", {}).get("id") != user_id:
            raise AssertionError(f"user {user_id} has no message {message_id} to edit")
        message.pop("entities", None)
        message.update(_user_text(new_text), edit_date=int(time.time()))
        return self.updates.new("edited_message", message)

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
        buttons = [b for row in inline_rows(message) for b in row]
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
        return self.updates.new("callback_query", query)

    def _bot_message_for_tap(self, chat: Chat, message_id: int) -> JSONDict:
        message = chat.live(message_id)
        if message is None or message_id not in chat.from_bot:
            raise AssertionError(f"no live bot message {message_id} in chat {chat.id}")
        return message

    # ------------------------------------------------------------------ reading state

    def messages(self, chat_id: int) -> list[JSONDict]:
        """The chat as users see it now: the bot's messages, edits applied."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(message)
            for message_id, message in chat.messages.items()
            if message_id in chat.from_bot
        ]

    def bot_message_count(self, chat_id: int) -> int:
        """How many messages of the bot's the chat holds: ``len(messages(chat_id))`` without
        copying them, for simulations that check after every call."""
        chat = self._chats.get(chat_id)
        return len(chat.from_bot) if chat is not None else 0

    def last_message(self, chat_id: int) -> JSONDict:
        """The bot's most recent visible message in the chat."""
        visible = self.messages(chat_id)
        if not visible:
            raise AssertionError(f"the bot has no visible message in chat {chat_id}")
        return visible[-1]

    @staticmethod
    def buttons(message: JSONDict) -> list[list[str]]:
        """Texts of the inline keyboard rows under ``message``."""
        return [[button["text"] for button in row] for row in inline_rows(message)]

    @staticmethod
    def button_data(message: JSONDict) -> dict[str, str]:
        """Visible text -> callback_data of the inline callback buttons under ``message``."""
        return {
            button["text"]: button["callback_data"]
            for row in inline_rows(message)
            for button in row
            if "callback_data" in button
        }
