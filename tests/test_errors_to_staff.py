"""A staff command that fails tells the admin or facilitator what failed, not a participant's
"/resume"; a participant whose tap fails the same way keeps their reassurance.

The failure is real: another program moves a table away under the running bot, so the
handler's SQL fails inside the real Application.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.screens import participant as screens
from conftest import ADMIN, SORRY, Clock, Harness, table_missing, write_config
from core.config import load_config
from core.storage import Target

FACILITATOR = 501
ALICE = 1001

# What an admin is told when their /status fails.
STATUS_FAILED = (
    "Sorry — /status failed on my side (OperationalError). It is logged, and the admins get a "
    "report of it. Try it again in a minute; if it fails again, the error report in the "
    "admins' chat and the bot's log say why (--log-level debug adds the traceback)."
)


@pytest.fixture
async def bot(tmp_path: Path, clock: Clock, database: Target) -> AsyncIterator[Harness]:
    """The usual bot, with a facilitator beside the admin."""
    path = write_config(tmp_path, database=database)
    path.write_text(
        path.read_text().replace(
            "admins = [999]", f"admins = [999]\nfacilitators = [{FACILITATOR}]"
        )
    )
    harness = Harness(load_config(path), clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def texts(bot: Harness, user: int) -> list[str]:
    return [str(m.get("text", "")) for m in bot.fake.messages(user)]


async def test_an_admins_failed_command_says_what_failed_and_what_to_try(bot: Harness) -> None:
    bot.fake.user(ADMIN)
    with table_missing(bot, "windows"):
        await bot.send(ADMIN, "/status")
    seen = texts(bot, ADMIN)
    told = [t for t in seen if t.startswith("Sorry")]
    assert told == [STATUS_FAILED]
    assert not any("/resume" in t for t in seen)
    # The admins' report itself still comes (the admin is the admins' chat here).
    assert any("Error while handling update" in t for t in seen)
    # Once the table is back, the command works.
    await bot.send(ADMIN, "/status")
    assert "Open cohorts" in bot.text(ADMIN)


async def test_a_facilitators_failed_command_points_them_to_the_admins(bot: Harness) -> None:
    bot.fake.user(ADMIN)
    with table_missing(bot, "cohort_drafts"):
        await bot.send(FACILITATOR, "/newcohort")
    assert texts(bot, FACILITATOR) == [
        "Sorry — /newcohort failed on my side (OperationalError). It is logged, and the "
        "admins get a report of it. Try it again in a minute; if it fails again, please tell "
        "the programme team's admins what you tried: they have the report."
    ]
    assert any("Error while handling update" in t for t in texts(bot, ADMIN))


# A facilitator trying the questionnaire out is a participant too: their tap broke a
# participant's handler, so they get the participants' reassurance.
@pytest.mark.parametrize("user", [ALICE, FACILITATOR], ids=["participant", "facilitator"])
async def test_a_failed_tap_in_the_questionnaire_keeps_the_participants_message(
    bot: Harness, user: int
) -> None:
    await bot.send(user, "/start RS-LDN-0314")
    await bot.tap(user, screens.AGREE)
    question = bot.last(user)["message_id"]
    with table_missing(bot, "answers"):
        await bot.tap(user, "Education", message_id=question)
    assert bot.text(user) == SORRY


async def test_a_reply_telegram_did_not_confirm_may_be_there(bot: Harness) -> None:
    # Telegram carries the /status reply out, but its answer never comes back.
    bot.fake.user(ADMIN)
    bot.fake.inject_fault("sendMessage", "timeout_after_delivery")
    await bot.send(ADMIN, "/status")
    seen = texts(bot, ADMIN)
    assert seen[0].startswith("Open cohorts")  # it did arrive
    assert [t for t in seen if t.startswith("Sorry")] == [
        "Sorry — Telegram did not confirm my answer to /status (TimedOut), so part of it may "
        "be missing above. It is logged. If something is missing, try it again in a minute."
    ]


async def test_in_a_group_a_failed_command_adds_nothing_to_the_chat(bot: Harness) -> None:
    group = -1002000000009
    bot.fake.group(group, "Course team")
    bot.fake.user(ADMIN)
    with table_missing(bot, "windows"):
        bot.fake.send_text(ADMIN, "/status", chat_id=group)
        await bot.deliver()
    assert texts(bot, group) == []  # the bot says nothing there; the admins' report has it
    assert any("Error while handling update" in t for t in texts(bot, ADMIN))
