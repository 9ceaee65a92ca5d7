"""What the bot has shown, followed call by call, for simulations that measure or audit it.

Reading ``FakeTelegram.messages`` deep-copies whole chats; a simulation that checks after
every call instead follows the bot's answers through the fake's call observers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Literal

from sim.participant import Screen
from sim.telegram.api import FakeTelegram, JSONDict

# What a participant makes of a tap: the questionnaire moved on with a plain acknowledgement;
# a toast refused it; acknowledged but the next step never came; nothing came at all.
Outcome = Literal["accepted", "refused", "unseen", "lost"]


class Watch:
    """Each chat's messages as last sent or edited, callback answers and update delivery."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.chats: dict[int, dict[int, Screen]] = {}  # in the order first seen
        self.buttons_shown: list[tuple[int, int, str]] = []  # (chat, message, data), ever
        self.acks: dict[str, str | None] = {}  # callback query id -> toast (None: plain ack)
        self.ack_attempts: Counter[str] = Counter()
        self.startups = 0  # deleteWebhook calls: PTB makes one as polling starts
        self.confirmed = 0  # the highest getUpdates offset: updates below it were taken
        self.batches = 0  # getUpdates answers that handed out at least one callback query
        self.handed_out: Counter[int] = Counter()  # update id -> getUpdates answers with it
        # Called once when getUpdates is about to hand out callback queries.
        self.on_batch: Callable[[], None] | None = None
        fake.before_call.append(self._before)
        fake.after_call.append(self._after)

    def _before(self, method: str, params: JSONDict) -> None:
        if method == "getUpdates" and params.get("offset") is not None:
            # Seen as the poll starts: what it confirms is already in the bot's queue.
            self.confirmed = max(self.confirmed, int(params["offset"]))

    def _after(self, method: str, params: JSONDict, status: int, body: JSONDict) -> None:
        if method == "deleteWebhook":
            self.startups += 1
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            self.ack_attempts[query_id] += 1
            if status == 200:
                self.acks[query_id] = str(params["text"]) if params.get("text") else None
        result = body.get("result") if status == 200 else None
        if method == "getUpdates" and isinstance(result, list):
            self.handed_out.update(int(update["update_id"]) for update in result)
            if any("callback_query" in update for update in result):
                self.batches += 1
                if self.on_batch is not None:
                    self.on_batch()
                    self.on_batch = None
        for message in result if isinstance(result, list) else [result]:
            if isinstance(message, dict) and "message_id" in message and "chat" in message:
                chat_id, screen = int(message["chat"]["id"]), Screen.of(message)
                self.chats.setdefault(chat_id, {})[screen.message_id] = screen
                self.buttons_shown += [(chat_id, screen.message_id, b.data) for b in screen.buttons]

    async def until(self, condition: Callable[[], bool], within: float) -> bool:
        return await self.fake.wait_until(condition, within)

    async def until_above(self, read: Callable[[], int], floor: int, within: float) -> bool:
        """Wait until ``read()`` exceeds ``floor``."""
        return await self.fake.wait_until(lambda: read() > floor, within)

    def newest_id(self, chat_id: int) -> int:
        return max(self.chats.get(chat_id, {}), default=0)

    def chat(self, chat_id: int) -> list[Screen]:
        """The chat's messages in the order they were sent."""
        messages = self.chats.get(chat_id, {})
        return [messages[i] for i in sorted(messages)]

    def redelivered(self) -> int:
        """Updates handed out by more than one getUpdates answer."""
        return sum(1 for n in self.handed_out.values() if n > 1)

    def handled_twice(self) -> int:
        """Callback queries the bot tried to answer more than once."""
        return sum(1 for n in self.ack_attempts.values() if n > 1)

    async def outcome(
        self, query_id: str, moved: Callable[[], bool], within: float
    ) -> tuple[Outcome, bool]:
        """How the tap ``query_id`` turned out, waiting up to ``within`` for each sign; and
        whether the screen moved on before any acknowledgement could be seen."""
        acks = self.acks
        if not await self.until(lambda: query_id in acks or moved(), within):
            return "lost", False
        if query_id not in acks:
            # Moved on before the toast arrived: the two are sent concurrently.
            if await self.until(lambda: query_id in acks, 1.0):
                return ("refused" if acks[query_id] else "accepted"), False
            return "accepted", True
        if acks[query_id]:
            return "refused", False
        return ("accepted" if await self.until(moved, within) else "unseen"), False
