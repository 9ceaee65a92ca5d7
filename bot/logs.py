"""What a command writes for people: log lines and terminal output, never with a secret.

At the default levels a record's exception is shown as one line (its type and message);
tracebacks appear only at DEBUG. `--log-format json` writes one JSON object per line for
log collectors. Secrets are removed from the final text by `core.secrets.redact`, so
nothing a library puts in a message, an argument or an exception (httpx logs URLs that
contain the bot token; PTB's InvalidToken repeats it) can carry one out. Every command's
stdout and stderr go through `RedactingStream` as well (`redacted_output`), which also
covers argparse's messages and a traceback printed on the way out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, TextIO

from core.secrets import redact

FORMATS = ("text", "json")


def one_line(exc: BaseException) -> str:
    """`Type: message` on a single line, for logs and messages that must stay short."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def iso_time(record: logging.LogRecord) -> str:
    """Local time with its UTC offset, e.g. 2026-03-14T09:00:00.123+00:00."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class OperatorFormatter(logging.Formatter):
    """Text or JSON lines; tracebacks only when asked for; secrets always removed."""

    def __init__(
        self, *, secrets: Iterable[str] = (), tracebacks: bool = False, json_lines: bool = False
    ) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]
        self.tracebacks = tracebacks
        self.json_lines = json_lines

    def _exception(self, record: logging.LogRecord) -> str | None:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return None
        if self.tracebacks:
            return self.formatException(record.exc_info)  # type: ignore[arg-type]
        return one_line(exc)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        exception = self._exception(record)
        if not self.tracebacks:
            message = " ".join(message.split())
        if self.json_lines:
            entry: dict[str, str] = {
                "time": iso_time(record),
                "level": record.levelname,
                "logger": record.name,
                "message": redact(message, self.secrets),
            }
            if exception is not None:
                entry["exception"] = redact(exception, self.secrets)
            return redact(json.dumps(entry, ensure_ascii=False), self.secrets)
        line = f"{iso_time(record)} {record.levelname} {record.name}: {message}"
        if exception is not None:
            line += ("\n" if self.tracebacks else " — ") + exception
        return redact(line, self.secrets)


def configure_logging(
    level: str = "INFO", secrets: list[str] | None = None, log_format: str = "text"
) -> None:
    """Log to stderr; route uncaught exceptions through the same redacting formatter."""
    level = level.upper()
    tracebacks = level == "DEBUG"
    handler = logging.StreamHandler()
    handler.setFormatter(
        OperatorFormatter(
            secrets=secrets or [], tracebacks=tracebacks, json_lines=log_format == "json"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO; redacted anyway, but noisy.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB logs every failed start-up attempt itself; our own line per attempt says more.
    logging.getLogger("telegram.ext._utils.networkloop").setLevel(
        logging.DEBUG if tracebacks else logging.CRITICAL
    )
    # Library warnings go through the same one-line, redacting formatter.
    logging.captureWarnings(True)
    crash = logging.getLogger("bot.crash")

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        crash.critical("uncaught exception", exc_info=(kind, value, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


class RedactingStream:
    """A text stream that passes whole lines through `redact` before writing them on.

    Lines are held until their newline (or a flush), so a secret written in pieces is
    still seen whole.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            complete, newline, rest = self._pending.rpartition("\n")
            if newline:
                self._pending = rest
                self.stream.write(redact(complete + newline))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.stream.write(redact(self._pending))
                self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding …: the stream's own
        return getattr(self.stream, name)


@contextlib.contextmanager
def redacted_output() -> Iterator[None]:
    """Route sys.stdout and sys.stderr through `RedactingStream` while a command runs."""
    saved = sys.stdout, sys.stderr
    out, err = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a closed pipe must not hide the real outcome
            out.flush()
        with contextlib.suppress(Exception):
            err.flush()
        sys.stdout, sys.stderr = saved
