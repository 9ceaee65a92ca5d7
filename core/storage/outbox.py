"""Posts to facilitators' chats, and what the bot knows of its own messages there.

The outbox holds each post until it is sent, in order within its batch; a chat takes one
batch at a time. The ledger (own messages and sends of unknown outcome) is what the
outbox's delivery probe reads to look only where a post in doubt can be, never at a
message of the bot's that is not that post (bot/outbox.py and bot/ledger.py say how).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.storage.rows import OutboxRow, PostContent, UnconfirmedSend, utc_text
from core.storage.sql import Sql


class Outbox:
    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def add_batch(
        self, batch: str, chat_id: int, posts: list[PostContent], now: datetime
    ) -> bool:
        """Store a batch of posts, to go out in this order; False (and nothing stored) if a
        batch of that name was stored before. The key (batch, seq) decides, so two units of
        work storing one batch at once store it once."""
        for seq, post in enumerate(posts):
            row = await self.sql.one(
                "INSERT INTO outbox (batch, seq, chat_id, kind, body, marker, next_attempt_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (batch, seq) DO NOTHING RETURNING id",
                (
                    batch,
                    seq,
                    chat_id,
                    post.kind,
                    post.body,
                    post.marker,
                    utc_text(now),
                    utc_text(now),
                ),
            )
            if row is None:
                assert seq == 0, "a batch is stored whole, in one transaction"
                return False
            await self.sql.many(
                "INSERT INTO outbox_files (outbox_id, position, name, data) VALUES (?, ?, ?, ?)",
                [(row[0], i, name, data) for i, (name, data) in enumerate(post.files)],
            )
        return True

    async def due(self, now: datetime) -> list[OutboxRow]:
        """Pending posts whose turn has come: due, every earlier post of the batch sent, and
        no older batch still going out to the same chat (a chat takes one batch at a time, so
        no other post lands where one in doubt is being looked for)."""
        rows = await self.sql.all(
            "SELECT o.id, o.batch, o.seq, o.chat_id, o.kind, o.body, o.marker, o.attempts,"
            " o.uncertain FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.batch = o.batch AND e.seq < o.seq"
            "   AND e.state != 'sent')"
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.chat_id = o.chat_id"
            "   AND e.batch != o.batch AND e.state = 'pending' AND e.id < o.id)"
            " ORDER BY o.id",
            (utc_text(now),),
        )
        posts = []
        for row in rows:
            files = await self.sql.all(
                "SELECT name, data FROM outbox_files WHERE outbox_id = ? ORDER BY position",
                (row[0],),
            )
            post_id, batch, seq, chat_id, kind, body, marker, attempts, uncertain = row
            posts.append(
                OutboxRow(
                    post_id,
                    batch,
                    seq,
                    chat_id,
                    kind,
                    body,
                    marker,
                    attempts,
                    uncertain,
                    files=[(name, bytes(data)) for name, data in files],
                )
            )
        return posts

    async def sent(self, post_id: int, message_ids: list[int], now: datetime) -> None:
        await self.sql.run(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_ids = ?, error = NULL,"
            " attempts = attempts + 1 WHERE id = ?",
            (utc_text(now), ",".join(map(str, message_ids)), post_id),
        )

    async def retry(self, post_id: int, error: str, next_attempt: datetime, misses: int) -> None:
        """Schedule another attempt; misses: looks for an earlier attempt that found nothing
        (kept in the column named uncertain)."""
        await self.sql.run(
            "UPDATE outbox SET attempts = attempts + 1, error = ?, next_attempt_at = ?,"
            " uncertain = ? WHERE id = ?",
            (error, utc_text(next_attempt), misses, post_id),
        )

    async def failed(self, post_id: int, error: str) -> None:
        """Give up on a post, and on the rest of its batch, which would follow it."""
        await self.sql.run(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
            (error, post_id),
        )
        await self.sql.run(
            "UPDATE outbox SET state = 'failed', error = 'not sent: an earlier part failed'"
            " WHERE state = 'pending' AND batch = (SELECT batch FROM outbox WHERE id = ?)"
            " AND seq > (SELECT seq FROM outbox WHERE id = ?)",
            (post_id, post_id),
        )


class Ledger:
    """The bot's own messages in groups and channels, and its sends there of unknown outcome."""

    __slots__ = ("sql",)

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    async def newest_own(self, chat_id: int) -> int | None:
        row = await self.sql.one(
            "SELECT max(message_id) FROM own_messages WHERE chat_id = ?", (chat_id,)
        )
        return int(row[0]) if row and row[0] is not None else None

    async def own_after(self, chat_id: int, after: int) -> set[int]:
        rows = await self.sql.all(
            "SELECT message_id FROM own_messages WHERE chat_id = ? AND message_id > ?",
            (chat_id, after),
        )
        return {int(row[0]) for row in rows}

    async def record_own(self, chat_id: int, message_ids: Iterable[int]) -> None:
        await self.sql.many(
            "INSERT INTO own_messages (chat_id, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(chat_id, message_id) for message_id in message_ids],
        )

    async def open_send(self, chat_id: int, post_id: int | None) -> int:
        """Record a send about to start; the newest own message is where it can land after."""
        row = await self.sql.one(
            "INSERT INTO unconfirmed_sends (chat_id, since_id, post_id) VALUES (?,"
            " (SELECT coalesce(max(message_id), 0) FROM own_messages WHERE chat_id = ?), ?)"
            " RETURNING id",
            (chat_id, chat_id, post_id),
        )
        assert row is not None
        return int(row[0])

    async def send_answered(self, send_id: int, chat_id: int, message_ids: list[int]) -> None:
        """Telegram answered a send with these messages; sends of unknown outcome before it
        landed, if at all, below them. A plain send is done with. An outbox post's stays in
        doubt until the outbox records the post sent (`post_placed`): if the bot dies in
        between, the post is looked for, and found, before it is sent again."""
        await self.sql.run(
            "UPDATE unconfirmed_sends SET until_id = ?"
            " WHERE chat_id = ? AND until_id IS NULL AND id != ?",
            (min(message_ids), chat_id, send_id),
        )
        plain = await self.sql.run(
            "DELETE FROM unconfirmed_sends WHERE id = ? AND post_id IS NULL", (send_id,)
        )
        if plain == 1:
            await self.record_own(chat_id, message_ids)

    async def drop_send(self, send_id: int) -> None:
        """A send that certainly put nothing in the chat (Telegram refused it, or the request
        never reached it)."""
        await self.sql.run("DELETE FROM unconfirmed_sends WHERE id = ?", (send_id,))

    async def unconfirmed(self, chat_id: int) -> list[UnconfirmedSend]:
        rows = await self.sql.all(
            "SELECT since_id, until_id, post_id FROM unconfirmed_sends WHERE chat_id = ?"
            " ORDER BY id",
            (chat_id,),
        )
        return [UnconfirmedSend(*row) for row in rows]

    async def post_placed(self, post_id: int, chat_id: int, message_ids: list[int]) -> None:
        """Where an outbox post is now known to be: its messages are the bot's own, and no
        attempt of it is in doubt any more."""
        await self.record_own(chat_id, message_ids)
        await self.sql.run("DELETE FROM unconfirmed_sends WHERE post_id = ?", (post_id,))
