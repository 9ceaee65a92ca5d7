"""What the simulated Telegram holds: chats with their messages, and stored files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.telegram.entities import utf16_len

JSONDict = dict[str, Any]
UploadedFiles = dict[str, tuple[str, bytes]]

__all__ = ["Chat", "JSONDict", "StoredFile", "UploadedFiles", "utf16_len"]


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
class Chat:
    info: JSONDict
    messages: dict[int, JSONDict] = field(default_factory=dict)  # insertion order = send order
    # Ids of the bot's own messages: in channels neither side has "from", so keep it explicit.
    from_bot: set[int] = field(default_factory=set)
    next_message_id: int = 1

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
        return self.messages.get(message_id)


def inline_rows(message: JSONDict) -> list[list[JSONDict]]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [list(row) for row in rows]


def photo_sizes(stored: StoredFile) -> list[JSONDict]:
    # One size is enough: real Telegram adds smaller thumbnails, bots use photo[-1].
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 800,
            "height": 600,
            "file_size": stored.size,
        }
    ]


def document_json(stored: StoredFile) -> JSONDict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.filename,
        "mime_type": stored.mime_type,
        "file_size": stored.size,
    }


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


def guess_mime(filename: str) -> str:
    return _MIME_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")
