"""The operator's log format: one line per record by default, secrets never shown."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.logs import OperatorFormatter

SECRET = "987654:SECRET-token-in-an-exception"


def record_with_exception() -> logging.LogRecord:
    try:
        raise RuntimeError(f"The token `{SECRET}` was\nrejected by the server.")
    except RuntimeError as exc:
        return logging.LogRecord(
            "telegram.ext",
            logging.ERROR,
            __file__,
            1,
            "failed with %s",
            (SECRET,),
            (type(exc), exc, exc.__traceback__),
        )


def test_default_level_is_one_line_without_traceback_or_secret() -> None:
    line = OperatorFormatter(secrets=[SECRET]).format(record_with_exception())
    assert "\n" not in line
    assert SECRET not in line and "[REDACTED]" in line
    assert "Traceback" not in line
    assert "RuntimeError: The token `[REDACTED]` was rejected by the server." in line
    assert datetime.fromisoformat(line.split(" ", 1)[0]).utcoffset() is not None


def test_debug_shows_the_traceback_still_without_the_secret() -> None:
    text = OperatorFormatter(secrets=[SECRET], tracebacks=True).format(record_with_exception())
    assert "Traceback" in text
    assert SECRET not in text


def test_json_lines() -> None:
    line = OperatorFormatter(secrets=[SECRET], json_lines=True).format(record_with_exception())
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "ERROR" and entry["logger"] == "telegram.ext"
    assert entry["message"] == "failed with [REDACTED]"
    assert entry["exception"].startswith("RuntimeError: The token `[REDACTED]`")
    assert datetime.fromisoformat(entry["time"]).utcoffset() is not None
