"""A handler that fails reaches the admins: once per kind a minute, by pseudonym, no secrets.

The failure is real: another program renames a table under the running bot, so the
participant's next tap fails inside the handler's SQL, through the real Application.
"""

from __future__ import annotations

import logging
import re

import pytest

from bot import notify
from bot.screens import participant as screens
from conftest import ADMIN, KEY, SORRY, TOKEN, Harness, table_missing
from core.journey import pseudonym

ALICE = 1001


async def join(bot: Harness, user: int) -> None:
    await bot.send(user, "/start RS-LDN-0314")
    await bot.tap(user, screens.AGREE)
    assert "Question 1 of 5" in bot.text(user)


def shown(bot: Harness, user: int, message_id: int) -> str:
    """The text a message shows now (questions are edited in place)."""
    return next(
        str(m.get("text", "")) for m in bot.fake.messages(user) if m["message_id"] == message_id
    )


def admin_texts(bot: Harness) -> list[str]:
    return [str(m.get("text", "")) for m in bot.fake.messages(ADMIN)]


async def test_a_failing_handler_is_reported_once_a_minute(bot: Harness) -> None:
    bot.fake.user(ADMIN)  # the admin has opened a chat with the bot
    await join(bot, ALICE)
    question = bot.last(ALICE)["message_id"]
    with table_missing(bot, "answers"):
        await bot.tap(ALICE, "Education", message_id=question)
        assert bot.text(ALICE) == SORRY
        reports = admin_texts(bot)
        assert len(reports) == 1
        report = reports[0]
        assert "Error while handling update" in report
        assert re.search(r"update \d+ ", report)
        assert pseudonym(KEY, ALICE) in report
        assert not re.search(rf"\b{ALICE}\b", report)  # the participant only by pseudonym
        assert "no such table" in report
        assert TOKEN not in report and KEY.decode() not in report

        # The same failure again within the minute: the participant hears, the admins don't.
        await bot.tap(ALICE, "Education", message_id=question)
        assert [m.get("text") for m in bot.fake.messages(ALICE)].count(SORRY) == 2
        assert len(admin_texts(bot)) == 1

    # Once the table is back, the participant carries on where they were.
    await bot.tap(ALICE, "Education", message_id=question)
    assert "Question 2 of 5" in shown(bot, ALICE, question)
    assert bot.answers(ALICE) == {"sector": "Education"}


async def test_unreachable_admin_chat_costs_one_warning_line(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # The admin never opened a chat with the bot: Telegram answers "chat not found".
    await join(bot, ALICE)
    question = bot.last(ALICE)["message_id"]
    caplog.set_level(logging.INFO)
    with table_missing(bot, "answers"):
        await bot.tap(ALICE, "Education", message_id=question)
    with table_missing(bot, "participants"):
        await bot.send(ALICE, "/mydata")  # a second, different kind of error
    assert [m.get("text") for m in bot.fake.messages(ALICE)].count(SORRY) == 2
    attempts = [
        c
        for c in bot.fake.calls
        if c[0] == "sendMessage" and c[1].get("chat_id") in (ADMIN, str(ADMIN))
    ]
    assert len(attempts) == 2  # both kinds were reported, both failed

    warnings = [
        r for r in caplog.records if r.name == "bot.notify" and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1
    assert "could not reach the admins' chat" in warnings[0].getMessage()
    assert warnings[0].exc_info is None

    # And the bot keeps running.
    await bot.tap(ALICE, "Education", message_id=question)
    assert "Question 2 of 5" in shown(bot, ALICE, question)


async def test_the_same_kind_is_reported_again_after_a_minute(bot: Harness) -> None:
    bot.fake.user(ADMIN)
    assert bot.app is not None
    seconds = [1000.0]
    # The application's notifier, with a clock the test moves instead of waiting a minute.
    bot.app.bot_data[notify.NOTIFIER_KEY] = notify.AdminNotifier(
        bot.app.bot, ADMIN, [TOKEN], clock=lambda: seconds[0]
    )
    await join(bot, ALICE)
    question = bot.last(ALICE)["message_id"]
    with table_missing(bot, "answers"):
        await bot.tap(ALICE, "Education", message_id=question)
        seconds[0] += 59
        await bot.tap(ALICE, "Education", message_id=question)
        assert len(admin_texts(bot)) == 1
        seconds[0] += 2  # a minute and a second after the first report
        await bot.tap(ALICE, "Education", message_id=question)
        assert len(admin_texts(bot)) == 2
