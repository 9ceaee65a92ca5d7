"""A simulated participant: reads the bot's screens by their callback data and taps buttons.

Buttons are recognised by decoding their callback data with ``core.flow`` (an answer, Back,
Submit, I agree, Start), never by their labels, so renaming a button in ``bot.screens``
changes nothing here. The stored form of an answer is the button's label without
``screens.CHECK``, the mark before the answer already given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.screens import participant as screens
from core import callbacks
from sim.telegram.api import FakeTelegram, JSONDict
from sim.telegram.state import inline_rows

A = TypeVar(
    "A",
    callbacks.Answer,
    callbacks.Back,
    callbacks.Submit,
    callbacks.Consent,
    callbacks.Begin,
    callbacks.FollowUpChoice,
)


@dataclass(frozen=True)
class Button:
    label: str
    data: str

    @property
    def action(self) -> callbacks.Action | None:
        return callbacks.decode(self.data)

    @property
    def value(self) -> str | None:
        """What tapping this answer button stores: its option or rating, None for Skip."""
        action = self.action
        if isinstance(action, callbacks.Answer) and action.value == callbacks.SKIP:
            return None
        return self.label.removeprefix(screens.CHECK)


@dataclass(frozen=True)
class Screen:
    """A bot message as the participant's phone shows it."""

    message_id: int
    text: str
    buttons: tuple[Button, ...] = ()

    @classmethod
    def of(cls, message: JSONDict | None) -> Screen:
        if message is None:
            return cls(0, "")
        buttons = tuple(
            Button(str(b["text"]), str(b["callback_data"]))
            for row in inline_rows(message)
            for b in row
            if "callback_data" in b
        )
        text = str(message.get("text") or message.get("caption") or "")
        return cls(int(message["message_id"]), text, buttons)

    def find(self, kind: type[A]) -> list[tuple[Button, A]]:
        """The buttons whose callback data decodes to an action of ``kind``."""
        return [(b, action) for b in self.buttons if isinstance(action := b.action, kind)]

    def first(self, kind: type[A]) -> Button | None:
        found = self.find(kind)
        return found[0][0] if found else None

    def consent(self, agreed: bool) -> Button | None:
        return next((b for b, c in self.find(callbacks.Consent) if c.agreed == agreed), None)

    @property
    def answers(self) -> list[Button]:
        """The answer buttons of the question on screen (Skip excluded)."""
        return [b for b, a in self.find(callbacks.Answer) if a.value != callbacks.SKIP]

    @property
    def skip(self) -> Button | None:
        return next((b for b, a in self.find(callbacks.Answer) if a.value == callbacks.SKIP), None)

    @property
    def back(self) -> Button | None:
        return self.first(callbacks.Back)

    @property
    def submit(self) -> Button | None:
        return self.first(callbacks.Submit)

    @property
    def begin(self) -> Button | None:
        return self.first(callbacks.Begin)

    @property
    def question(self) -> str | None:
        """The id of the question on screen, from its answer or Back buttons."""
        for _, action in self.find(callbacks.Answer):
            return action.question
        for _, back in self.find(callbacks.Back):
            return back.question or None
        return None

    @property
    def phase(self) -> str | None:
        """The questionnaire on screen (pre, post or follow_up), from its buttons."""
        for button in self.buttons:
            action = button.action
            if isinstance(
                action, callbacks.Answer | callbacks.Back | callbacks.Submit | callbacks.Begin
            ):
                return action.phase
        return None

    @property
    def follow_up_choice(self) -> Button | None:
        """The button under the thank-you for the post questionnaire (no follow-up, or yes
        after all)."""
        return next((b for b, _ in self.find(callbacks.FollowUpChoice)), None)

    @property
    def cohort(self) -> str | None:
        for button in self.buttons:
            action = button.action
            if isinstance(
                action,
                callbacks.Answer
                | callbacks.Back
                | callbacks.Submit
                | callbacks.Consent
                | callbacks.Begin,
            ):
                return action.cohort
        return None

    @property
    def asks_for_text(self) -> bool:
        """A free-text question: answered by typing, with only Back or Skip to tap."""
        return self.question is not None and not self.answers and self.submit is None


class Participant:
    """One user in a ``FakeTelegram`` chat who waits for the bot's reply to every action."""

    def __init__(self, fake: FakeTelegram, user_id: int, *, within: float = 60) -> None:
        self.fake = fake
        self.user_id = user_id
        self.within = within
        self._lines: list[str] = []
        self._seen = 0  # the bot's messages in this chat the transcript has accounted for
        fake.user(user_id)

    @property
    def transcript(self) -> list[str]:
        """What the participant did and what the bot showed, including the messages the bot
        sent on its own (the post-module push, the reminders), in order."""
        return self._lines + self._unprompted()

    def _unprompted(self) -> list[str]:
        """The bot's messages that arrived since the participant last did anything."""
        messages = self.fake.messages(self.user_id)[self._seen :]
        return [f"🤖 (sent by the bot on its own) {self._shown(Screen.of(m))}" for m in messages]

    def _catch_up(self) -> None:
        self._lines += self._unprompted()
        self._seen = self.count()

    def screen(self) -> Screen:
        """The bot's newest message in this chat."""
        messages = self.fake.messages(self.user_id)
        return Screen.of(messages[-1] if messages else None)

    def count(self) -> int:
        """How many messages the bot has sent to this participant."""
        return self.fake.bot_message_count(self.user_id)

    def texts(self) -> list[str]:
        return [str(m.get("text", "")) for m in self.fake.messages(self.user_id)]

    async def until(self, condition: Callable[[], bool], within: float | None = None) -> bool:
        return await self.fake.wait_until(condition, self.within if within is None else within)

    async def send(self, text: str) -> bool:
        """Type ``text`` and wait for the bot's next message."""
        self._catch_up()
        before = self.count()
        self.fake.send_text(self.user_id, text)
        arrived = await self.until(lambda: self.count() > before)
        self._log(f"types: {text}")
        return arrived

    async def tap(self, button: Button | None) -> bool:
        """Tap ``button`` under the newest message and wait until the chat changes.

        False when the button is gone (the screen changed under the participant's thumb).
        """
        screen = self.screen()
        if button is None or button not in screen.buttons:
            return False
        self._catch_up()
        before = (screen, self.count())
        self.fake.tap(self.user_id, screen.message_id, data=button.data)
        await self.until(lambda: (self.screen(), self.count()) != before)
        self._log(f"taps [{button.label}]")
        return True

    def _log(self, action: str) -> None:
        """What the participant did and what the bot showed next, for a transcript."""
        self._lines += [f"👤 {action}", f"🤖 {self._shown(self.screen())}"]
        self._seen = self.count()

    @staticmethod
    def _shown(screen: Screen) -> str:
        labels = "  ".join(f"[{b.label}]" for b in screen.buttons)
        return screen.text.replace("\n", "\n   ") + (f"\n   {labels}" if labels else "")
