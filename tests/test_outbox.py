"""Every post exactly once, and the delivery probe never touches a message it did not post.

A post whose answer is lost (a timeout after delivery) may be in the chat, so before sending
it again the bot looks for it. These tests put other messages where it looks — a second
batch to the same chat, the bot's own reply to a command typed in the group — and read the
chat as its members would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.screens import admin as admin_screens
from bot.screens import participant as screens
from conftest import ADMIN, BOTH_ENGINES, COHORT_END, FACILITATORS, TOKEN, Clock, Harness
from core.config import Config
from core.storage import PostContent, Target, open_database
from sim.telegram.api import FakeTelegram
from sim.testing import audit

# Each test runs on SQLite and on PostgreSQL (a real server).
pytestmark = BOTH_ENGINES

RS = "RS-LDN-0314"
GH = "GH-LDN-0314"
QUARTER = "all cohorts starting from 1 January 2026 to 31 March 2026"
YEAR = "all cohorts starting from 1 January 2026 to 31 December 2026"


async def respond(bot: Harness, user: int, code: str = RS) -> None:
    """Join a cohort and give one answer: enough for a summary to be posted."""
    await bot.send(user, f"/start {code}")
    await bot.tap(user, screens.AGREE)
    await bot.tap(user, bot.buttons(user)[0])


def fail_next(fake: FakeTelegram, method: str, chat: int, kind: str) -> None:
    """The next `method` call to `chat` fails with the simulated fault `kind`."""
    armed = True

    def before(name: str, params: dict[str, Any]) -> None:
        nonlocal armed
        if armed and name == method and params.get("chat_id") == chat:
            armed = False
            fake.inject_fault(method, kind)

    fake.before_call.append(before)


def lose_next_answer(fake: FakeTelegram, method: str, chat: int) -> None:
    """The next `method` call to `chat` is carried out, but its answer never comes back."""
    fail_next(fake, method, chat, "timeout_after_delivery")


def label(message: dict[str, Any]) -> str:
    """What a member of the chat sees in one message, in a word or two."""
    text = str(message.get("text") or message.get("caption") or "")
    code = next((c for c in (RS, GH) if c in text), "")
    if text.startswith("✅ Module Feedback Bot"):
        return "hello"
    if text.startswith("📊 Evaluation summary"):
        return f"summary {code}"
    if message.get("photo"):
        return f"charts {code}"
    if message.get("document"):
        return f"report {code}"
    return text.split("\n", 1)[0][:30]


def chat_shape(fake: FakeTelegram, chat: int = FACILITATORS) -> list[str]:
    """The chat's messages as labels, an album's photos as one."""
    shown: list[str] = []
    albums: set[str] = set()
    for message in fake.messages(chat):
        album = message.get("media_group_id")
        if album is not None:
            if album in albums:
                continue
            albums.add(album)
        shown.append(label(message))
    return shown


async def ticks(bot: Harness, count: int = 8) -> None:
    """The lifecycle job's ticks, each after any retry's backoff has passed."""
    for _ in range(count):
        await bot.run_due()
        bot.clock.advance(minutes=11)


def summary(code: str) -> list[str]:
    return [f"summary {code}", f"charts {code}", f"report {code}"]


def untouched(fake: FakeTelegram, chat: int = FACILITATORS) -> bool:
    """No message in the chat was ever changed (a probe's matching edit changes nothing)."""
    return not any("edit_date" in m for m in fake.messages(chat))


async def test_two_reports_in_a_row_are_each_posted_once(bot: Harness) -> None:
    await respond(bot, 4301)
    await respond(bot, 4302, GH)
    await bot.run_due()  # the hello: a message of the bot's to look from
    lose_next_answer(bot.fake, "sendMessage", FACILITATORS)
    await bot.send(ADMIN, f"/report {RS} channel")
    bot.clock.advance(minutes=1)
    # Another report to the same chat (the same one asked twice: further down).
    await bot.send(ADMIN, f"/report {GH} channel")
    await ticks(bot)
    # The first report's message arrived although the bot never heard so; the second
    # report waited for it to be found, then followed it whole.
    assert chat_shape(bot.fake) == ["hello", *summary(RS), *summary(GH)]
    assert untouched(bot.fake)
    assert bot.fake.calls_of("editMessageText")  # it was looked for, not sent again
    states = bot.rows("SELECT DISTINCT state FROM outbox WHERE batch LIKE 'report:%'")
    assert states == [("sent",)]


async def test_two_cohorts_ending_together_each_get_one_summary(bot: Harness) -> None:
    await respond(bot, 4311, RS)
    await respond(bot, 4312, GH)
    await bot.run_due()
    lose_next_answer(bot.fake, "sendMessage", FACILITATORS)
    bot.clock.now = COHORT_END + timedelta(days=2)  # both post questionnaires close now
    await ticks(bot)
    assert chat_shape(bot.fake) == ["hello", *summary(RS), *summary(GH)]
    assert untouched(bot.fake)


@pytest.fixture
async def group_bot(config: Config, clock: Clock) -> AsyncIterator[Harness]:
    """The bot with a supergroup as the facilitators' chat, where admins type commands."""
    fake = FakeTelegram(TOKEN)
    fake.group(FACILITATORS, "Facilitators")
    harness = Harness(config, clock, fake)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def status_in_group(bot: Harness) -> dict[str, Any]:
    """An admin types /status in the facilitators' group; the bot's reply."""
    bot.fake.send_text(ADMIN, "/status", chat_id=FACILITATORS)
    await bot.deliver()
    reply = bot.fake.messages(FACILITATORS)[-1]
    assert RS in reply["text"] and "joined" in reply["text"]
    return reply


async def test_a_reply_in_the_group_is_never_overwritten_by_the_probe(group_bot: Harness) -> None:
    bot = group_bot
    await respond(bot, 4321)
    await bot.run_due()
    reply = await status_in_group(bot)  # after the hello: where the probe will look
    lose_next_answer(bot.fake, "sendMessage", FACILITATORS)
    bot.clock.now = COHORT_END + timedelta(days=2)
    await ticks(bot)
    messages = bot.fake.messages(FACILITATORS)
    assert messages[1] == reply  # unchanged: same text, never edited
    assert chat_shape(bot.fake) == ["hello", label(reply), *summary(RS)]
    assert untouched(bot.fake)
    # Every message the bot put in the group is in its ledger, whichever way it was sent.
    ledger = bot.rows("SELECT message_id FROM own_messages WHERE chat_id = ?", (FACILITATORS,))
    assert {row[0] for row in ledger} == {m["message_id"] for m in messages}


async def test_a_reply_of_unknown_fate_is_not_probed_either(
    group_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A reply whose own answer was lost is the bot's, but its id is unknown: rather than
    edit where it may be, the summary is sent again (the one case of a repeat)."""
    bot = group_bot
    await respond(bot, 4331)
    await bot.run_due()
    lose_next_answer(bot.fake, "sendMessage", FACILITATORS)
    bot.fake.send_text(ADMIN, "/status", chat_id=FACILITATORS)
    await bot.deliver()  # the reply arrives; the bot never learns its id
    reply = bot.fake.messages(FACILITATORS)[-1]
    lose_next_answer(bot.fake, "sendMessage", FACILITATORS)
    bot.clock.now = COHORT_END + timedelta(days=2)
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        await ticks(bot)
    assert bot.fake.messages(FACILITATORS)[1] == reply
    assert untouched(bot.fake)
    assert chat_shape(bot.fake) == ["hello", label(reply), "summary RS-LDN-0314", *summary(RS)]
    assert any("cannot be looked for" in r.message for r in caplog.records)


@pytest.mark.parametrize("fault", ["timeout_after_delivery", "timeout"])
async def test_report_in_the_admins_chat_around_a_lost_answer(bot: Harness, fault: str) -> None:
    """/report here sends at once: a part whose answer is lost is not sent again (it may
    be there), the rest still follows, and the admin is told plainly what to check."""
    await respond(bot, 4341)
    bot.fake.inject_fault("sendMessage", fault)
    await bot.send(ADMIN, f"/report {RS}")
    shown = chat_shape(bot.fake, ADMIN)
    arrived = [f"summary {RS}"] if fault == "timeout_after_delivery" else []
    assert shown == [*arrived, f"charts {RS}", f"report {RS}", shown[-1]]
    note = bot.text(ADMIN)
    assert note.startswith("Telegram did not confirm the summary message")
    assert f"send /report {RS} again" in note
    assert not any("Sorry" in label(m) for m in bot.fake.messages(ADMIN))


async def test_a_chat_takes_one_batch_at_a_time_and_a_refused_one_ends(database: Target) -> None:
    db = await open_database(database)
    now = COHORT_END
    try:
        async with db.write() as tx:
            for batch in ("A", "B"):
                posts = [PostContent("text", f"{batch}{seq}", []) for seq in range(2)]
                assert await tx.outbox.add_batch(batch, -100, posts, now)
            await tx.outbox.add_batch("C", -200, [PostContent("text", "C0", [])], now)
            # A batch is stored once: a second one of the same name adds nothing.
            assert not await tx.outbox.add_batch("A", -100, [PostContent("text", "A9", [])], now)
        async with db.read() as tx:
            due = await tx.outbox.due(now)
        assert [p.body for p in due] == ["A0", "C0"]
        async with db.write() as tx:
            await tx.outbox.failed(due[0].id, "Bad Request: chat not found")
        async with db.read() as tx:
            assert [p.body for p in await tx.outbox.due(now)] == ["B0", "C0"]
    finally:
        await db.close()
    states = dict(audit.rows(database, "SELECT body, state FROM outbox"))
    assert states == {
        "A0": "failed",
        "A1": "failed",  # it would have followed A0: never sent alone
        "B0": "pending",
        "B1": "pending",
        "C0": "pending",
    }


# -- /report … channel asked for more than once: each request posted once, none lost, none
# repeated. The test clock stands still, as a real one does within a second: two requests
# "at the same moment" are exactly that.


def summaries(bot: Harness, label: str = f"cohort {RS}") -> int:
    """How many summary messages of this scope the channel shows."""
    return sum(
        text.startswith("📊 Evaluation summary") and label in text for text in bot.channel_texts()
    )


def reports_files(bot: Harness) -> int:
    return sum(bool(m.get("document")) for m in bot.fake.messages(FACILITATORS))


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
