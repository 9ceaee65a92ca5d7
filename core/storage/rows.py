"""What the units of work hand back: plain rows, and timestamps as the database keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc_text(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO-8601 text so they sort and compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    cohort: str
    telegram_id: int | None
    pseudonym: str


@dataclass(frozen=True)
class StoredCohortRow:
    code: str
    module: str
    site: str
    start_at: str
    end_at: str
    facilitators_chat: int | None
    facilitators: str
    created_by: str
    created_at: str
    changed_by: str | None
    changed_at: str | None
    archived_at: str | None


@dataclass(frozen=True)
class ResponseRow:
    participant_id: int
    phase: str
    started_at: str
    submitted_at: str | None
    position: str | None
    message_id: int | None


@dataclass(frozen=True)
class UnconfirmedSend:
    """A send to a group or channel that may have put a message of the bot's in the chat."""

    since_id: int
    until_id: int | None
    post_id: int | None


@dataclass(frozen=True)
class PostContent:
    """One message (text), one album (photos) or one file (document) of a batch: what the
    outbox stores of a post, and sends."""

    kind: str  # "text" | "photos" | "document"
    body: str  # the HTML text, or the caption of the album's first photo or of the file
    files: list[tuple[str, bytes]]
    marker: str | None = None  # callback data of the text's export button


@dataclass(frozen=True)
class OutboxRow:
    id: int
    batch: str
    seq: int
    chat_id: int
    kind: str
    body: str
    marker: str | None
    attempts: int
    uncertain: int
    files: list[tuple[str, bytes]]
