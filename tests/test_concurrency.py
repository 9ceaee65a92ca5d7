"""A room answers at once: people run concurrently, one person's taps stay in order."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.screens import participant as screens
from conftest import Harness

ROOM = list(range(3001, 3041))


async def join(bot: Harness, user: int) -> None:
    await bot.send(user, "/start RS-LDN-0314")
    await bot.tap(user, screens.AGREE)


async def deliver_concurrently(bot: Harness, raw_updates: list[dict[str, Any]]) -> None:
    """Hand updates to the real update processor all at once, as the polling loop does."""
    assert bot.app is not None
    app = bot.app
    updates = [Update.de_json(raw, app.bot) for raw in raw_updates]
    await asyncio.gather(
        *(app.update_processor.process_update(u, app.process_update(u)) for u in updates)
    )


def hold_edits_for(bot: Harness, chat_id: int) -> asyncio.Event:
    """Make the bot's message edits in one chat wait until the returned event is set."""
    gate = asyncio.Event()
    real_call = bot.fake.call

    async def call(method: str, params: dict[str, Any], files: Any = None) -> Any:
        if method == "editMessageText" and str(params.get("chat_id")) == str(chat_id):
            await gate.wait()
        return await real_call(method, params, files)

    bot.fake.call = call  # type: ignore[method-assign]
    return gate


async def test_one_persons_quick_taps_are_handled_in_order(bot: Harness) -> None:
    await join(bot, 3001)
    await join(bot, 3002)
    message_id = bot.last(3001)["message_id"]
    # Three taps sent faster than the bot answers: each names the question it answers.
    taps = [
        bot.fake.forge_tap(3001, message_id, "a:RS-LDN-0314:pre:sector:2"),
        bot.fake.forge_tap(3001, message_id, "a:RS-LDN-0314:pre:role:0"),
        bot.fake.forge_tap(3001, message_id, "a:RS-LDN-0314:pre:conf_support:4"),
    ]
    other = bot.fake.tap(3002, bot.last(3002)["message_id"], button_text="Commissioning")
    bot.fake.drain_updates()
    gate = hold_edits_for(bot, 3001)
    handling = asyncio.create_task(deliver_concurrently(bot, taps))
    await asyncio.sleep(0)  # let the three taps start, in arrival order
    # Someone else's tap, arriving later, is handled completely meanwhile ...
    await deliver_concurrently(bot, [other])
    assert bot.answers(3002) == {"sector": "Commissioning"}
    # ... while 3001's later taps wait for the first one to finish instead of racing it.
    assert bot.answers(3001) == {"sector": "Education"}
    gate.set()
    await handling
    assert bot.answers(3001) == {"sector": "Education", "role": "Clinician", "conf_support": "4"}
    assert "Question 4 of 5" in bot.text(3001)


async def test_a_slow_participant_does_not_hold_up_the_room(bot: Harness) -> None:
    await join(bot, 3001)
    await join(bot, 3002)
    gate = hold_edits_for(bot, 3001)
    slow = bot.fake.tap(3001, bot.last(3001)["message_id"], button_text="Education")
    fast = bot.fake.tap(3002, bot.last(3002)["message_id"], button_text="Commissioning")
    bot.fake.drain_updates()
    held = asyncio.create_task(deliver_concurrently(bot, [slow]))
    await deliver_concurrently(bot, [fast])
    # 3002 moved on while 3001's edit is still waiting on the network.
    assert "Question 2 of 5" in bot.text(3002)
    assert not held.done()
    gate.set()
    await held
    assert "Question 2 of 5" in bot.text(3001)


async def test_whole_room_at_once_stores_every_answer_exactly_once(bot: Harness) -> None:
    for user in ROOM:
        await join(bot, user)
    # Everyone taps their answer to question 1, and half of them double-tap.
    taps = []
    for user in ROOM:
        message_id = bot.last(user)["message_id"]
        taps.append(bot.fake.tap(user, message_id, button_text="Education"))
        if user % 2:
            taps.append(bot.fake.tap(user, message_id, button_text="Education"))
    bot.fake.drain_updates()
    await deliver_concurrently(bot, taps)
    rows = bot.rows("SELECT participant_id, count(*) FROM answers GROUP BY participant_id")
    assert len(rows) == len(ROOM)
    assert all(count == 1 for _, count in rows)
    assert all("Question 2 of 5" in bot.text(user) for user in ROOM)
