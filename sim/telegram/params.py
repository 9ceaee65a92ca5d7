"""How a Bot API call's parameters arrive (all strings on the wire) and are read back.

``Params`` gives typed access that fails the way Telegram fails ("Bad Request: invalid
message_id specified"), so a bot bug in a parameter shows as the error Telegram would give.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sim.telegram.faults import bad_request
from sim.telegram.state import JSONDict, UploadedFiles

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
        "disable_notification",
        "drop_pending_updates",
        "entities",
        "limit",
        "link_preview_options",
        "media",
        "message_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "timeout",
    }
)


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


class Params:
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
