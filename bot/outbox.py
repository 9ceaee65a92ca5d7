"""Posting to facilitators' chats exactly once, through an outbox kept in the database.

A post is stored before it is sent, sent in order within its batch, and marked sent in
the same place. Failures that certainly did not deliver (5xx, 429, refused connections)
are retried with backoff. A timeout is ambiguous — the message may have arrived — so
before sending again the bot looks for it: it re-applies the same content as an edit to
the message ids after the last one it knows in that chat, and Telegram answers "message
is not modified" exactly when that message is already there. Photos and documents are
looked for the same way, by re-applying their caption.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from core.services import Services
from core.storage import OutboxRow

log = logging.getLogger(__name__)
# The label of the button under a summary (tests read it from here).
EXPORT = "📥 Export data"

MAX_ATTEMPTS = 10
# How many probes of an ambiguous send come back empty before it is sent again: a
# server may deliver a timed-out request late, so give it time to show up.
PROBES_BEFORE_RESEND = 2
PROBE_SPAN = 5
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class PostContent:
    """One message (text), one album (photos) or one file (document) of a batch."""

    kind: str  # "text" | "photos" | "document"
    body: str  # the HTML text, or the caption of the album's first photo or of the file
    files: list[tuple[str, bytes]]
    marker: str | None = None  # callback data of the text's export button


def export_keyboard(marker: str) -> InlineKeyboardMarkup:
    """The button under a summary that sends an admin its answers; marker is its data.

    Built from the stored row alone, so a probe after a timeout re-applies exactly what
    was sent.
    """
    return InlineKeyboardMarkup([[InlineKeyboardButton(EXPORT, callback_data=marker)]])


async def enqueue(
    svc: Services, batch: str, chat_id: int, posts: list[PostContent], now: datetime
) -> bool:
    """Store a batch of posts once; False if the batch was queued before."""
    async with svc.db.write() as tx:
        if await tx.batch_exists(batch):
            return False
        for seq, post in enumerate(posts):
            await tx.enqueue_post(
                batch, seq, chat_id, post.kind, post.body, post.marker, post.files, now
            )
    return True


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2**attempts, 600))


def _certainly_undelivered(exc: TimedOut) -> bool:
    """A connect or pool timeout never reached the server; a read timeout may have."""
    return isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)


async def send_post(bot: Bot, chat_id: int, post: PostContent) -> list[int]:
    """Send one post to a chat now; returns the ids of the messages it became.

    The outbox sends through it, and so does /report when it answers in the admin's chat.
    """
    if post.kind == "text":
        markup = export_keyboard(post.marker) if post.marker else None
        message = await bot.send_message(
            chat_id, post.body, reply_markup=markup, read_timeout=20, write_timeout=20
        )
        return [message.message_id]
    caption = post.body[:CAPTION_LIMIT]
    if post.kind == "document":
        name, data = post.files[0]
        document = await bot.send_document(
            chat_id, data, filename=name, caption=caption, read_timeout=60, write_timeout=60
        )
        return [document.message_id]
    if len(post.files) == 1:
        # A media group needs two photos at least.
        photo = await bot.send_photo(
            chat_id, post.files[0][1], caption=caption, read_timeout=60, write_timeout=60
        )
        return [photo.message_id]
    media = [
        InputMediaPhoto(data, filename=name, caption=caption if i == 0 else None)
        for i, (name, data) in enumerate(post.files)
    ]
    messages = await bot.send_media_group(chat_id, media, read_timeout=60, write_timeout=60)
    return [m.message_id for m in messages]


async def _send(bot: Bot, post: OutboxRow) -> list[int]:
    content = PostContent(post.kind, post.body, post.files, post.marker)
    return await send_post(bot, post.chat_id, content)


async def _same_content_at(bot: Bot, post: OutboxRow, message_id: int) -> bool | None:
    """True if the message is this post, False if it is something else, None if absent."""
    try:
        if post.kind == "text":
            markup = export_keyboard(post.marker) if post.marker else None
            await bot.edit_message_text(post.body, post.chat_id, message_id, reply_markup=markup)
        else:
            await bot.edit_message_caption(
                post.chat_id, message_id, caption=post.body[:CAPTION_LIMIT]
            )
    except BadRequest as exc:
        reason = str(exc).lower()
        if "not modified" in reason:
            return True
        if "not found" in reason:
            return None
        return False
    # The edit went through: that message was not this post, and has been changed. Only a
    # message of someone else's that the bot may edit can get here; say so loudly.
    log.warning("probe edited message %s in chat %s", message_id, post.chat_id)
    return False


async def _find_delivered(bot: Bot, post: OutboxRow, after: int) -> list[int] | None:
    """Look for an earlier delivery of this post among the messages after `after`."""
    for message_id in range(after + 1, after + 1 + PROBE_SPAN):
        found = await _same_content_at(bot, post, message_id)
        if found is None:
            return None
        if found:
            # An album's other photos follow its first one.
            return list(range(message_id, message_id + max(1, len(post.files))))
    return None


async def flush(
    bot: Bot, svc: Services, report: Callable[[str], Awaitable[Any]] | None = None
) -> int:
    """Send every post that is due, each batch in order; returns how many were sent."""
    sent = 0
    while True:
        async with svc.db.read() as tx:
            posts = await tx.due_posts(svc.now())
        # A batch's next part becomes due only once the one before it is sent.
        round_sent = 0
        blocked_batches: set[str] = set()
        for post in posts:
            if post.batch in blocked_batches:
                continue
            if await _deliver(bot, svc, post, report):
                round_sent += 1
            else:
                blocked_batches.add(post.batch)
        sent += round_sent
        if round_sent == 0:
            return sent


async def _deliver(
    bot: Bot, svc: Services, post: OutboxRow, report: Callable[[str], Awaitable[Any]] | None
) -> bool:
    async with svc.db.read() as tx:
        cursor = await tx.chat_cursor(post.chat_id)
    try:
        if post.uncertain:
            # With no earlier message known in the chat there is nothing to search from
            # (only a batch's first part, the one-line header, can be in that position).
            found = await _find_delivered(bot, post, cursor) if cursor is not None else None
            if found is not None:
                await _mark_sent(svc, post, found)
                log.info("post %s/%s had arrived after all", post.batch, post.seq)
                return True
            if post.uncertain <= PROBES_BEFORE_RESEND:
                await _retry(svc, post, "not found yet after a timeout", uncertain=True)
                return False
        async with svc.db.write() as tx:
            await tx.post_in_flight(post.id)
        message_ids = await _send(bot, post)
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        await _retry(svc, post, str(exc), delay=timedelta(seconds=seconds + 1))
        return False
    except TimedOut as exc:
        await _retry(svc, post, f"timed out: {exc}", uncertain=not _certainly_undelivered(exc))
        return False
    except (BadRequest, Forbidden) as exc:
        async with svc.db.write() as tx:
            await tx.post_failed(post.id, str(exc))
        log.error("post %s/%s refused by Telegram: %s", post.batch, post.seq, exc)
        if report:
            await report(f"A post to chat {post.chat_id} was refused by Telegram: {exc}")
        return False
    except NetworkError as exc:
        await _retry(svc, post, str(exc))
        return False
    await _mark_sent(svc, post, message_ids)
    return True


async def _mark_sent(svc: Services, post: OutboxRow, message_ids: list[int]) -> None:
    async with svc.db.write() as tx:
        await tx.post_sent(post.id, message_ids, svc.now())
        await tx.advance_chat_cursor(post.chat_id, max(message_ids))


async def _retry(
    svc: Services,
    post: OutboxRow,
    error: str,
    *,
    uncertain: bool = False,
    delay: timedelta | None = None,
) -> None:
    attempt = post.attempts + 1
    log.warning("post %s/%s not sent (attempt %s): %s", post.batch, post.seq, attempt, error)
    async with svc.db.write() as tx:
        if post.attempts + 1 >= MAX_ATTEMPTS:
            await tx.post_failed(post.id, error)
            return
        level = post.uncertain + 1 if uncertain else 0
        await tx.post_retry(post.id, error, svc.now() + (delay or backoff(post.attempts)), level)
