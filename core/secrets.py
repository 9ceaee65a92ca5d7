"""The secrets the bot knows of, how to keep them out of every line it writes, and which
pseudonym keys are good enough to be one.

`redact` is the one step every message passes through before it reaches a terminal, a log
line or a chat (bot/logs.py wraps stdout and stderr of every command with it, formats each
log record with it, and the admins' notifier sends nothing without it). It does not trust any
library to keep a secret out of its error messages: it removes

- every secret in the environment (the bot token, also the part after its colon, which is
  the secret half; the pseudonym key; a database password), and any passed to it;
- a password inside a URL (`postgresql://user:password@host/db`), whoever wrote the URL;
- anything shaped like a bot token (`123456789:AAH…`), so a stale token in a message or a
  file name goes too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
PSEUDONYM_KEY_ENV = "FEEDBACK_PSEUDONYM_KEY"
# PostgreSQL's own variable; read by libpq and its Python drivers, never by our config.
DATABASE_PASSWORD_ENV = "PGPASSWORD"
SECRET_ENVS = (TOKEN_ENV, PSEUDONYM_KEY_ENV, DATABASE_PASSWORD_ENV)

REDACTED = "[REDACTED]"

# Shorter strings are not replaced: a one-letter "secret" would blank out half of every line.
MIN_SECRET_LENGTH = 4
# A bot token: the bot's numeric id, a colon, then 35 characters (30 or more, to be safe).
TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
# scheme://user:password@host — the password is whatever lies between the colon and the @.
URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s/@]+(?=@)")

MIN_KEY_LENGTH = 32
MIN_KEY_DISTINCT = 10
KEY_RECIPE = (
    "make one with: python3 -c 'import secrets; print(secrets.token_hex(32))' "
    "(or: openssl rand -hex 32)"
)
# The example environment file's placeholders; any key still saying so was never set.
PLACEHOLDER_WORDS = ("replace-with", "change-me", "changeme")


def environment_secrets() -> list[str]:
    """The secrets set in the environment, with the token's secret half on its own."""
    found: list[str] = []
    for name in SECRET_ENVS:
        value = os.environ.get(name, "").strip()
        if not value:
            continue
        found.append(value)
        if name == TOKEN_ENV and ":" in value:
            found.append(value.split(":", 1)[1])
    return found


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """`text` without any secret: those in the environment, `extra`, URL passwords and
    anything shaped like a bot token."""
    known = {s for s in (*environment_secrets(), *extra) if len(s) >= MIN_SECRET_LENGTH}
    for secret in sorted(known, key=len, reverse=True):  # the whole token before its half
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = URL_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)
    return TOKEN_SHAPE.sub(REDACTED, text)


def pseudonym_key_problem(key: str) -> str | None:
    """Why `key` is no secret (never quoting it), or None when it will do."""
    if not key:
        return f"set {PSEUDONYM_KEY_ENV} to a long random secret for pseudonymous ids"
    if any(word in key.lower() for word in PLACEHOLDER_WORDS):
        return f"{PSEUDONYM_KEY_ENV} is still the placeholder of feedback-bot.env.example"
    if len(key) < MIN_KEY_LENGTH:
        return (
            f"{PSEUDONYM_KEY_ENV} is too short to be a secret ({len(key)} characters; "
            f"at least {MIN_KEY_LENGTH} needed)"
        )
    if len(set(key)) < MIN_KEY_DISTINCT:
        return (
            f"{PSEUDONYM_KEY_ENV} is too predictable to be a secret (only {len(set(key))} "
            f"different characters; at least {MIN_KEY_DISTINCT} needed)"
        )
    return None


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bot token (never quoting it), or None when it may be one."""
    if not token:
        return f"set {TOKEN_ENV} to the bot token from @BotFather"
    if any(word in token.lower() for word in PLACEHOLDER_WORDS):
        return f"{TOKEN_ENV} is still the placeholder of feedback-bot.env.example"
    return None


def environment_problems(only_set: bool = False) -> list[str]:
    """What is wrong with the two secrets in the environment (never quoting them);
    `only_set`: say nothing about a secret that is not set at all."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").strip()
    problems = []
    if token or not only_set:
        problems.append(token_problem(token))
    if key or not only_set:
        problem = pseudonym_key_problem(key)
        problems.append(f"{problem}; {KEY_RECIPE}" if problem else None)
    return [p for p in problems if p is not None]
