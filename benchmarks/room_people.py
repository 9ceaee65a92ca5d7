"""The room benchmark's participants: each taps through the questionnaire and times every step.

A ``Recorder`` follows the simulated Telegram through its call observers: it counts the bot's
calls per kind of tap, notes when each button stops spinning, and wakes a participant as soon
as the bot's next screen reaches their chat. Participants are the kit's (``sim.participant``)
with a stopwatch: they pick buttons by their callback data, so they drive our bot and the bare
one alike.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.participant import Button, Participant, Screen
from sim.telegram.api import FakeTelegram, JSONDict
from sim.testing.audit import Tapped

CODE = "RS-LDN-0314"
QUESTIONS = 8
SKIP_CHANCE = 0.05  # a participant skips an optional question now and then
DOUBLE_TAP_GAP = 0.15  # seconds between the two taps of a double tap
VISIBLE_WRITES = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto")


@dataclass
class Recorder:
    """Counts the bots' calls per kind of tap and wakes a participant when a screen shows;
    follows the fake through its call observers."""

    clock: Callable[[], float]
    waiters: dict[int, asyncio.Future[float]] = field(default_factory=dict)
    chat_kind: dict[int, str] = field(default_factory=dict)
    query_kind: dict[str, str] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)  # callback query id -> when
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tap kind, method)
    flooded: Counter[str] = field(default_factory=Counter)  # answered 429, by tap kind
    visible_writes: int = 0  # successful sends and edits (what Telegram's limits count)
    # CPU of the simulation itself (the fake answering, the simulated users acting).
    sim_cpu: float = 0.0
    _started: float = 0.0

    def install(self, fake: FakeTelegram) -> None:
        fake.before_call.append(self._before)
        fake.after_call.append(self._after)

    def _before(self, method: str, params: JSONDict) -> None:
        self._started = time.thread_time()  # only getUpdates suspends inside the fake

    def _after(self, method: str, params: JSONDict, status: int, body: JSONDict) -> None:
        if method == "getUpdates":
            return
        self.sim_cpu += time.thread_time() - self._started
        chat, query = params.get("chat_id"), params.get("callback_query_id")
        kind = self.query_kind.get(str(query), "other") if query else "setup"
        kind = self.chat_kind.get(chat, "setup") if isinstance(chat, int) else kind
        if status == 429:
            self.flooded[kind] += 1
        else:
            self.calls[(kind, method)] += 1
        if status == 200 and query is not None:
            self.answered.setdefault(str(query), self.clock())
        self.visible_writes += status == 200 and method in VISIBLE_WRITES
        if status == 200 and method in ("sendMessage", "editMessageText"):
            waiter = self.waiters.pop(chat, None) if isinstance(chat, int) else None
            if waiter is not None and not waiter.done():
                waiter.set_result(self.clock())


@dataclass
class Tap:
    kind: str  # join, consent, answer, submit
    sent: float
    shown: float | None  # when the next screen appeared; None if it never did
    query: str | None = None


@dataclass
class Person:
    user_id: int
    taps: list[Tap] = field(default_factory=list)
    answers: list[Tapped] = field(default_factory=list)
    finished: bool = False
    problem: str | None = None


@dataclass
class Load:
    participants: int
    pace: float  # mean think time before each tap; 0: tap as soon as the screen shows
    join_spread: float  # joins are spread uniformly over this many seconds
    step_timeout: float
    seed: int
    double_taps: float = 0.0  # share of taps sent twice, DOUBLE_TAP_GAP apart


def choose(screen: Screen, rng: random.Random) -> tuple[str, Button] | None:
    """What a participant taps: I agree, Submit, or an answer (rarely Skip)."""
    agree, skip = screen.consent(True), screen.skip
    if agree or screen.submit:
        return ("consent", agree) if agree else ("submit", screen.submit)  # type: ignore[return-value]
    if not screen.answers:
        return None
    return "answer", skip if skip and rng.random() < SKIP_CHANCE else rng.choice(screen.answers)


class Room:
    """Simulated participants acting on a FakeTelegram, one task each."""

    def __init__(self, fake: FakeTelegram, recorder: Recorder, load: Load) -> None:
        self.fake, self.recorder, self.load = fake, recorder, load

    def sim(self, action: Callable[[], Any]) -> Any:
        """Run a simulated user's action on the fake, counting its CPU as simulation cost."""
        started = time.thread_time()
        try:
            return action()
        finally:
            self.recorder.sim_cpu += time.thread_time() - started

    def double_tap(self, again: Callable[[], JSONDict]) -> None:
        self.recorder.query_kind[self.sim(again)["callback_query"]["id"]] = "double"

    async def think(self, rng: random.Random) -> None:
        pace = self.load.pace
        await asyncio.sleep(rng.uniform(0.5 * pace, 1.5 * pace) if pace > 0 else 0)

    async def participant(self, user: int) -> Person:
        timed: TimedParticipant = self.sim(lambda: TimedParticipant(self, user))
        return await timed.run()


class TimedParticipant(Participant):
    """The kit's participant with a stopwatch: it taps without waiting the kit's way, and the
    ``Recorder`` wakes it, with the time, as soon as its next screen shows."""

    def __init__(self, room: Room, user_id: int) -> None:
        super().__init__(room.fake, user_id, within=room.load.step_timeout)
        self.room = room

    async def act(self, kind: str, deliver: Callable[[], JSONDict], again: Any = None) -> Tap:
        """Tap (or send), then wait for the bot's next screen; ``again``: a second, quick tap."""
        loop, recorder = asyncio.get_running_loop(), self.room.recorder
        waiter = recorder.waiters[self.user_id] = loop.create_future()
        recorder.chat_kind[self.user_id] = kind
        sent, update = loop.time(), self.room.sim(deliver)
        query = update["callback_query"]["id"] if "callback_query" in update else None
        if query is not None:
            recorder.query_kind[query] = kind
        if again is not None:
            loop.call_later(DOUBLE_TAP_GAP, self.room.double_tap, again)
        try:
            shown: float | None = await asyncio.wait_for(waiter, self.within)
        except TimeoutError:
            shown = None
        return Tap(kind, sent, shown, query)

    async def run(self) -> Person:
        """Join, agree, answer every question and submit, timing each step."""
        # Separate generators keep think times identical for both bots whatever they show.
        room, user, seed = self.room, self.user_id, self.room.load.seed
        think, pick, double = (random.Random(seed * m + user) for m in (1_000_003, 7_919, 104_729))
        person, fake = Person(user), self.fake
        await asyncio.sleep(think.uniform(0, room.load.join_spread))
        tap = await self.act("join", lambda: fake.send_text(user, f"/start {CODE}"))
        person.taps.append(tap)
        for _ in range(3 * (QUESTIONS + 2)):
            if tap.shown is None:
                person.problem = f"no next screen within {self.within:.0f} s"
                return person
            screen: Screen = room.sim(self.screen)
            choice = choose(screen, pick)
            if choice is None:
                person.finished = not screen.buttons and "Thank you" in screen.text
                person.problem = None if person.finished else f"stopped at {screen.text[:50]!r}"
                return person
            kind, button = choice
            await room.think(think)
            # The second tap of a double tap carries the same data whatever the message shows.
            forge = functools.partial(fake.forge_tap, user, screen.message_id, button.data)
            again = forge if double.random() < room.load.double_taps else None
            tap = await self.act(kind, forge, again)
            person.taps.append(tap)
            if kind == "answer":  # accepted if the next question showed
                shown = tap.shown and room.sim(lambda: self.screen().text)
                accepted = bool(shown) and shown != screen.text
                answer = Tapped(user, CODE, "pre", str(screen.question), button.value, accepted)
                person.answers.append(answer)
        person.problem = "too many taps"
        return person
