"""`/report … channel` asked for more than once: each request is posted once, none is lost
and none repeated.

The test clock stands still, as a real one does within a second: two requests "at the same
moment" are exactly that. The channel is read as its members would read it.
"""

from __future__ import annotations

from typing import Any

from bot.screens import admin as admin_screens
from bot.screens import participant as screens
from conftest import ADMIN, BOTH_ENGINES, FACILITATORS, Harness
from sim.telegram.api import FakeTelegram

# The outbox is the lifecycle's: each test runs on SQLite and on PostgreSQL.
pytestmark = BOTH_ENGINES

RS = "RS-LDN-0314"
QUARTER = "all cohorts starting from 1 January 2026 to 31 March 2026"
YEAR = "all cohorts starting from 1 January 2026 to 31 December 2026"


async def respond(bot: Harness, user: int, code: str = RS) -> None:
    """Join a cohort and give one answer: enough for a summary to be posted."""
    await bot.send(user, f"/start {code}")
    await bot.tap(user, screens.AGREE)
    await bot.tap(user, bot.buttons(user)[0])


def fail_next(fake: FakeTelegram, method: str, chat: int, kind: str) -> None:
    """The next `method` call to `chat` fails with `kind` before Telegram carries it out."""
    armed = True

    def before(name: str, params: dict[str, Any]) -> None:
        nonlocal armed
        if armed and name == method and params.get("chat_id") == chat:
            armed = False
            fake.inject_fault(method, kind)

    fake.before_call.append(before)


def summaries(bot: Harness, label: str = f"cohort {RS}") -> int:
    """How many summary messages of this scope the channel shows."""
    return sum(
        text.startswith("📊 Evaluation summary") and label in text for text in bot.channel_texts()
    )


def reports_files(bot: Harness) -> int:
    return sum(bool(m.get("document")) for m in bot.fake.messages(FACILITATORS))


async def ticks(bot: Harness, count: int = 4) -> None:
    """The lifecycle job's ticks, each after any retry's backoff has passed."""
    for _ in range(count):
        await bot.run_due()
        bot.clock.advance(minutes=11)


async def test_two_different_reports_asked_in_the_same_second_are_both_posted(
    bot: Harness,
) -> None:
    await respond(bot, 4401)
    await bot.send(ADMIN, "/report risk-support 2026-Q1 channel")
    assert bot.text(ADMIN) == admin_screens.REPORT_QUEUED
    await bot.send(ADMIN, "/report risk-support 2026 channel")  # the clock has not moved
    assert bot.text(ADMIN) == admin_screens.REPORT_QUEUED
    await ticks(bot)
    assert summaries(bot, QUARTER) == 1
    assert summaries(bot, YEAR) == 1
    assert reports_files(bot) == 2


async def test_the_same_report_asked_twice_while_the_first_is_in_doubt_is_posted_twice(
    bot: Harness,
) -> None:
    await respond(bot, 4411)
    await bot.run_due()  # the hello: a message of the bot's to look from
    # The first report's message arrives, but its answer is lost: the bot cannot know yet.
    fail_next(bot.fake, "sendMessage", FACILITATORS, "timeout_after_delivery")
    await bot.send(ADMIN, f"/report {RS} channel")
    assert bot.text(ADMIN) == admin_screens.REPORT_QUEUED
    await bot.send(ADMIN, f"/report {RS} channel")  # asked again, the clock has not moved
    assert bot.text(ADMIN) == admin_screens.REPORT_QUEUED
    await ticks(bot)
    # Two requests, two summaries: the first found where it was sent, not sent again.
    assert summaries(bot) == 2
    assert reports_files(bot) == 2
    assert not any("edit_date" in m for m in bot.fake.messages(FACILITATORS))
    assert bot.rows("SELECT DISTINCT state FROM outbox WHERE batch LIKE 'report:%'") == [("sent",)]


async def test_one_request_handed_over_twice_is_posted_once(bot: Harness) -> None:
    await respond(bot, 4421)
    bot.fake.user(ADMIN)
    request = bot.fake.send_text(ADMIN, f"/report {RS} channel")
    await bot.deliver()
    await ticks(bot)
    assert summaries(bot) == 1
    # Telegram hands the same update over again (its confirmation was lost in a crash).
    bot.fake.duplicate(request)
    await bot.deliver()
    await ticks(bot)
    assert summaries(bot) == 1
