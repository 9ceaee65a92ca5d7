"""Which database `bot.database` names: an SQLite file (a path) or a PostgreSQL database (a
`postgresql://` URL), checked before anything connects.

A PostgreSQL password never comes from the config: libpq reads it from PGPASSWORD or a
password file (PGPASSFILE, ~/.pgpass), as every PostgreSQL tool does, so a URL that
carries one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

PG_SCHEMES = ("postgresql", "postgres")
PASSWORD_HELP = (
    "put no password in the URL: set PGPASSWORD in the bot's environment, or use a "
    "password file (PGPASSFILE, or ~/.pgpass of the bot's user)"
)
EXAMPLE_URL = "postgresql://feedback_bot@db.example.org:5432/feedback?sslmode=verify-full"


@dataclass(frozen=True)
class Postgres:
    """A PostgreSQL database, by a libpq URL without a password."""

    url: str

    def __str__(self) -> str:
        return self.url


Target = Path | Postgres


class TargetError(ValueError):
    """`bot.database` (or a command's database argument) names no usable database."""


def parse_target(text: str, base: Path) -> Target:
    """A path (relative to `base`), `sqlite://PATH`, or a `postgresql://` URL."""
    text = text.strip()
    if not text:
        raise TargetError("expected a file path for SQLite, or a postgresql:// URL")
    scheme, sep, rest = text.partition("://")
    if not sep:
        path = Path(text).expanduser()
        return path if path.is_absolute() else (base / path).resolve()
    if scheme.lower() == "sqlite":
        if not rest:
            raise TargetError(
                "expected sqlite://PATH, e.g. sqlite:///var/lib/feedback-bot/feedback.db"
            )
        return parse_target(rest, base)
    if scheme.lower() not in PG_SCHEMES:
        raise TargetError(
            f"{scheme}:// is not a database this bot can use: expected a file path for "
            f"SQLite, or a URL such as {EXAMPLE_URL}"
        )
    return Postgres(_checked_url(text))


def _checked_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise TargetError(f"the URL cannot be read ({exc}); expected e.g. {EXAMPLE_URL}") from None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.password is not None or "password" in query:
        raise TargetError(f"the URL carries a password; {PASSWORD_HELP}")
    if not parts.path.strip("/") and "dbname" not in query:
        raise TargetError(f"the URL names no database; expected e.g. {EXAMPLE_URL}")
    return url
