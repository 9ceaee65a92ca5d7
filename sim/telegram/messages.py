"""How the bot's messages are made and changed, as Telegram makes and changes them."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sim.telegram.faults import ApiError, bad_request
from sim.telegram.state import JSONDict, StoredFile, document_json, photo_sizes

MAX_CALLBACK_DATA_BYTES = 64


def not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def validate_inline_keyboard(rows: Any) -> None:
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


def with_extras(
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


def apply_edit(
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


def media_content(
    kind: str, stored: StoredFile, caption: str, entities: list[JSONDict]
) -> JSONDict:
    content: JSONDict = (
        {"photo": photo_sizes(stored)} if kind == "photo" else {"document": document_json(stored)}
    )
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content
