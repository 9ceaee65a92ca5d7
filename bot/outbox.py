"""Posting to facilitators' chats exactly once, through an outbox kept in the database.

A post is stored before it is sent, sent in order within its batch, and marked sent in
the same place; a chat takes one batch at a time. Failures that certainly did not deliver
(5xx, 429, refused connections) are retried with backoff. A timeout is ambiguous: the
message may have arrived. Telegram offers no way to read a chat, so before sending again
the bot looks for the post by re-applying its content as an edit, and Telegram answers
"message is not modified" exactly when that message is the post (an album and a document
by their captions).

Where it looks, and why that touches no other message. Every message the bot sends to a
group or channel goes through one path, `bot.ledger`, which records before the request
the newest message of the bot's own in the chat (the post can only have landed after it)
and, once Telegram answers, the ids the bot's messages got. So the bot looks:
- after the place where the post was sent, not after the chat's newest message now (a
  second summary sent meanwhile would have moved that past it); and no other post goes to
  the chat while one there is in doubt, because a chat takes one batch at a time;
- only at ids that are not its own known messages: a reply to /status typed in the
  group, a join card or a report sent there directly is never edited, and someone else's
  message cannot be edited by the bot;
- while nothing else is on its way to the chat (the ledger's lock for that chat).
A message of the bot's whose own answer was lost has no known id; while one may lie where
the post would be, the bot does not look and sends the post again: a repeat is visible
and harmless, an overwritten message is lost. The other choice, letting a chat receive no
message at all while a post to it is in doubt, would hold up replies to commands.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.ledger import ledger_of, sending_post
from core.services import Services
from core.storage import OutboxRow, PostContent, UnconfirmedSend

log = logging.getLogger(__name__)
# The label of the button under a summary (tests read it from here).
EXPORT = "📥 Export data"

MAX_ATTEMPTS = 10
# How many looks for a post that may have arrived come back empty before it is sent again:
# a server may carry out a timed-out request late, so give it time to show up.
PROBES_BEFORE_RESEND = 2
PROBE_SPAN = 5
CAPTION_LIMIT = 1024


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
        return await tx.outbox.add_batch(batch, chat_id, posts, now)


def request_batch(request: str, asked_in: int, message_id: int) -> str:
    """The batch of one asking of a request: the command's own message names it, so the same
    update handed over twice (Telegram redelivers after a crash) is stored once, and two
    askings never share a name, however close together they come."""
    return f"{request}#{asked_in}:{message_id}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2**attempts, 600))


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


async def send_now(bot: Bot, chat_id: int, posts: list[PostContent]) -> list[PostContent]:
    """Send posts to a chat at once, outside the outbox (/report in the asker's own chat);
    returns those Telegram did not confirm. None is sent twice: one that timed out may have
    arrived, and the person who asked sees what did."""
    unconfirmed = []
    for post in posts:
        try:
            await send_post(bot, chat_id, post)
        except (NetworkError, RetryAfter) as exc:  # a timeout is a NetworkError too
            log.warning("a %s post to chat %s was not confirmed: %s", post.kind, chat_id, exc)
            unconfirmed.append(post)
    return unconfirmed


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
        return False  # someone else's message, which the bot cannot edit
    # The edit went through: a message the bot may edit but did not post (a channel admin
    # allowed to "edit messages of others"). Say so loudly.
    log.warning("probe edited message %s in chat %s", message_id, post.chat_id)
    return False


@dataclass(frozen=True)
class _Search:
    """What looking for an earlier attempt of a post found."""

    found: list[int] | None = None  # the message ids it arrived as
    # Not found where it would be: a request carried out late may still show up there.
    look_again: bool = False


def _place(sends: list[UnconfirmedSend], post: OutboxRow) -> tuple[int, bool] | None:
    """Where earlier attempts of the post may be: after which message of the bot's own, and
    whether another message of the bot's, of unknown place, may lie there too. None: no
    attempt of it can have reached Telegram."""
    own = [send.since_id for send in sends if send.post_id == post.id]
    if not own:
        return None
    after = min(own)
    doubtful = any(
        send.post_id != post.id and (send.until_id is None or send.until_id > after + 1)
        for send in sends
    )
    return after, doubtful


async def _look_for(bot: Bot, svc: Services, post: OutboxRow) -> _Search:
    """Look for an earlier attempt of this post in its chat, touching nothing else."""
    async with ledger_of(bot).chat_lock(post.chat_id):  # nothing goes to the chat meanwhile
        async with svc.db.read() as tx:
            place = _place(await tx.ledger.unconfirmed(post.chat_id), post)
            ours = await tx.ledger.own_after(post.chat_id, place[0]) if place else set()
        if place is None:
            return _Search()  # no attempt of it can have reached Telegram
        after, doubtful = place
        if after == 0:
            # The bot knew no message of its own in the chat: nowhere to start from (only
            # the first post there, normally the one-line hello, can be in that position).
            return _Search()
        if doubtful:
            log.warning(
                "post %s/%s cannot be looked for: a message of the bot's whose answer was "
                "lost may be where it would be; it is sent again",
                post.batch,
                post.seq,
            )
            return _Search()
        found = await _find_after(bot, post, after, ours)
        return _Search(found, look_again=found is None)


async def _find_after(bot: Bot, post: OutboxRow, after: int, ours: set[int]) -> list[int] | None:
    """Try the message ids after `after` that are not the bot's own known messages."""
    message_id, tried = after, 0
    while tried < PROBE_SPAN:
        message_id += 1
        if message_id in ours:
            continue  # another message of the bot's: never touched
        tried += 1
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
            posts = await tx.outbox.due(svc.now())
        # At most one post per chat is due at a time: a batch's next part becomes due once
        # the one before it is sent, and a chat's next batch once the one before it is done.
        round_sent = 0
        for post in posts:
            if await _deliver(bot, svc, post, report):
                round_sent += 1
        sent += round_sent
        if round_sent == 0:
            return sent


async def _deliver(
    bot: Bot, svc: Services, post: OutboxRow, report: Callable[[str], Awaitable[Any]] | None
) -> bool:
    try:
        search = await _look_for(bot, svc, post)
        if search.found:
            await _mark_sent(svc, post, search.found)
            log.info("post %s/%s had arrived after all", post.batch, post.seq)
            return True
        if search.look_again and post.uncertain + 1 < PROBES_BEFORE_RESEND:
            await _retry(svc, post, "not found yet after a timeout", misses=post.uncertain + 1)
            return False
        with sending_post(post.id):
            message_ids = await _send(bot, post)
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        await _retry(svc, post, str(exc), delay=timedelta(seconds=seconds + 1))
        return False
    except TimedOut as exc:
        await _retry(svc, post, f"timed out: {exc}")
        return False
    except (BadRequest, Forbidden) as exc:
        async with svc.db.write() as tx:
            await tx.outbox.failed(post.id, str(exc))
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
        await tx.outbox.sent(post.id, message_ids, svc.now())
        await tx.ledger.post_placed(post.id, post.chat_id, message_ids)


async def _retry(
    svc: Services,
    post: OutboxRow,
    error: str,
    *,
    misses: int = 0,
    delay: timedelta | None = None,
) -> None:
    attempt = post.attempts + 1
    log.warning("post %s/%s not sent (attempt %s): %s", post.batch, post.seq, attempt, error)
    async with svc.db.write() as tx:
        if post.attempts + 1 >= MAX_ATTEMPTS:
            await tx.outbox.failed(post.id, error)
            return
        await tx.outbox.retry(post.id, error, svc.now() + (delay or backoff(post.attempts)), misses)
