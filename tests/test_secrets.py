"""One redaction step for everything people read, and pseudonym keys that are secrets."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import OperatorFormatter, RedactingStream
from cli.main import main
from core.secrets import REDACTED, pseudonym_key_problem, redact

TOKEN = "5566778899:AAFsecretHalfOfTheToken0123456789abcd"
KEY = "b3f1c9e07a4d2e8f6a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5"
PASSWORD = "s3cret-db-pass"


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)


def test_every_secret_in_the_environment_is_removed(secrets_set: None) -> None:
    half = TOKEN.split(":")[1]
    text = (
        f"The token `{TOKEN}` was rejected; https://api.telegram.org/bot{TOKEN}/getMe; "
        f"half {half}; key={KEY}; password {PASSWORD}"
    )
    cleaned = redact(text)
    for secret in (TOKEN, half, KEY, PASSWORD):
        assert secret not in cleaned
    assert cleaned.startswith(f"The token `{REDACTED}` was rejected")


def test_secrets_not_in_the_environment_are_caught_by_their_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "FEEDBACK_PSEUDONYM_KEY", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    stale = "123456789:AAHstaleTokenFromAnOldMessage0123456789"
    assert redact(f"GET /bot{stale}/getUpdates") == f"GET /bot{REDACTED}/getUpdates"
    assert (
        redact("could not connect to postgresql://bot:pa55word@db.example:5432/feedback")
        == f"could not connect to postgresql://bot:{REDACTED}@db.example:5432/feedback"
    )
    # What is not a secret stays as it was: times, ports, paths, pseudonyms.
    plain = (
        "2026-03-14T09:00:07.412+00:00 Bot API at http://127.0.0.1:8081 not reachable; "
        "participant p-0123456789abcdef; /var/lib/feedback-bot/feedback.db"
    )
    assert redact(plain) == plain
    assert redact("a secret given by the caller", ["given by the"]) == f"a secret {REDACTED} caller"


def test_output_written_in_pieces_is_redacted_whole(secrets_set: None) -> None:
    sink = io.StringIO()
    stream = RedactingStream(sink)  # type: ignore[arg-type]
    stream.write("token: " + TOKEN[:12])
    stream.write(TOKEN[12:] + " and the key ")
    stream.write(KEY + "\nnext line, no newline yet")
    assert sink.getvalue() == f"token: {REDACTED} and the key {REDACTED}\n"
    stream.flush()
    assert sink.getvalue().endswith("next line, no newline yet")


def test_log_lines_are_redacted_with_the_same_step(secrets_set: None) -> None:
    formatter = OperatorFormatter()
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "key %s", (KEY,), (None, exc, None))
    line = formatter.format(record)
    assert TOKEN not in line and KEY not in line and TOKEN.split(":")[1] not in line
    assert line.count(REDACTED) == 2


def test_a_command_never_prints_a_secret_it_is_given(
    secrets_set: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Whatever echoes an argument back (here argparse's own error) goes through redact too.
    with pytest.raises(SystemExit):
        main(["backup", "--config", f"{KEY}.toml", "--out", TOKEN, "--bogus", PASSWORD])
    captured = capsys.readouterr()
    for secret in (TOKEN, KEY, PASSWORD):
        assert secret not in captured.out + captured.err
    assert "unrecognized arguments" in captured.err


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "set FEEDBACK_PSEUDONYM_KEY"),
        ("replace-with-64-hex-characters", "still the placeholder"),
        ("REPLACE-WITH-a-long-random-secret-of-your-own-0123", "still the placeholder"),
        ("0123456789abcdef", "too short to be a secret (16 characters; at least 32 needed)"),
        ("abababababababababababababababababab", "too predictable"),
        (KEY, None),
        ("Zk3_vQ9-2mXwL7pT0bNc5rHs8yJd4fGa", None),  # 32 characters of base64
    ],
)
def test_which_pseudonym_keys_are_secrets(key: str, problem: str | None) -> None:
    found = pseudonym_key_problem(key)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        assert not key or key not in found  # never quoted back
