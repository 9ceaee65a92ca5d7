"""The cohort's life after the module, on a clock the test moves: push, reminders, summary."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.screens import participant as screens
from conftest import ADMIN, BOTH_ENGINES, COHORT_END, FACILITATORS, Clock, Harness, write_config
from core.config import load_config
from core.schedule import Event
from core.storage import Target

# Each test runs on SQLite and on PostgreSQL (a real server).
pytestmark = BOTH_ENGINES

CODE = "RS-LDN-0314"
PRE = ("Education", "Clinician", "2", "3", "2", screens.SUBMIT)
POST = ("Yes", "5", "4", "4", "4", "4", screens.SKIP, screens.SUBMIT)


async def join_and_answer_pre(bot: Harness, user: int, sector: str = "Education") -> None:
    await bot.send(user, f"/start {CODE}")
    await bot.tap(user, screens.AGREE)
    for label in (sector, *PRE[1:]):
        await bot.tap(user, label)


async def answer_post(bot: Harness, user: int) -> None:
    for label in POST:
        await bot.tap(user, label)
    assert "Thank you" in bot.text(user)


def kinds(done: list[Event]) -> list[str]:
    """What was done for the Risk Support cohort (the config has a second cohort too)."""
    return [e.kind for e in done if e.cohort == CODE]


def summary_count(bot: Harness) -> int:
    return sum("Evaluation summary" in t and CODE in t for t in bot.channel_texts())


def summary_shape(bot: Harness, chat: int = FACILITATORS) -> tuple[int, int, int]:
    """The cohort's summary as the chat shows it: (messages, albums, documents)."""
    messages = bot.fake.messages(chat)
    texts = sum("Evaluation summary" in str(m.get("text")) and CODE in m["text"] for m in messages)
    # An album's caption sits on its first photo; its other photos share its group id.
    albums = {
        m.get("media_group_id") or m["message_id"]
        for m in messages
        if m.get("photo") and CODE in str(m.get("caption", ""))
    }
    documents = [m for m in messages if m.get("document") and CODE in str(m.get("caption", ""))]
    return texts, len(albums), len(documents)


async def test_whole_lifecycle_of_a_short_cohort(bot: Harness) -> None:
    users = [4001, 4002, 4003, 4004]
    for user in users:
        await join_and_answer_pre(bot, user)
    await bot.send(4005, f"/start {CODE}")
    await bot.tap(4005, screens.DECLINE)

    assert kinds(await bot.run_due()) == []  # nothing is due during the module
    bot.clock.now = COHORT_END
    done = await bot.run_due()
    assert kinds(done) == ["post_push"]
    for user in users:
        assert "Thank you for taking part" in bot.text(user)
        assert bot.buttons(user) == [screens.START_POST]
    assert bot.fake.messages(4005)[-1]["text"].startswith("No problem")  # declined: left alone

    # Two answer straight away, from the pushed message.
    for user in users[:2]:
        await bot.tap(user, screens.START_POST)
        assert "post-module questionnaire" in bot.text(user)
        await answer_post(bot, user)

    bot.clock.advance(hours=1)  # the first reminder (1h in the test config)
    assert kinds(await bot.run_due()) == ["reminder_1"]
    for user in users[2:]:
        assert "A reminder" in bot.text(user)
    for user in users[:2]:
        assert "A reminder" not in bot.text(user)  # only those who have not finished
    await bot.tap(4003, screens.CONTINUE_POST)
    await answer_post(bot, 4003)

    bot.clock.advance(days=1)
    assert kinds(await bot.run_due()) == ["reminder_2"]
    assert "A reminder" in bot.text(4004) and "A reminder" not in bot.text(4003)

    assert summary_count(bot) == 0
    bot.clock.now = COHORT_END + timedelta(days=2)  # post closes (post_open_for = 2d)
    assert kinds(await bot.run_due()) == ["summary"]
    assert summary_count(bot) == 1
    assert summary_shape(bot) == (1, 1, 1)  # one message, one album, one document
    message = next(t for t in bot.channel_texts() if "Evaluation summary" in t)
    assert "Risk Support" in message
    # Plain-language findings. Three pairs rating alike: their means and mean changes are
    # shown (the disclosure policy always shows a mean of three), and so are the counts
    # they imply (3, 0 and 0: zero may be shown), but no test: that needs 10 pairs.
    assert "people took part" in message
    assert "Average ratings rose from before to after on all three items" in message
    assert "higher 3 (100%), the same 0 (0%), lower 0 (0%)" in message
    assert "Tests need at least 10 people who answered both times" in message
    # The findings come first; the statistics are folded into an expandable quote.
    post = next(
        m for m in bot.fake.messages(FACILITATORS) if "Evaluation summary" in str(m.get("text"))
    )
    quote = next(e for e in post["entities"] if e["type"] == "expandable_blockquote")
    assert "took part" in message[: quote["offset"]]
    assert "Statistics" in message[quote["offset"] :] and "Wilcoxon" not in message
    assert len(message) <= 4096
    photos = [m for m in bot.fake.messages(FACILITATORS) if m.get("photo")]
    assert len(photos) >= 3  # the charts, as one album
    document = next(m for m in bot.fake.messages(FACILITATORS) if m.get("document"))
    assert document["document"]["file_name"] == f"report-{CODE}.html"
    html = bot.fake.files[document["document"]["file_id"]].data
    assert b"Headline findings" in html and b"Risk Support" in html
    # Later ticks post nothing more, and the closed questionnaire takes no answers.
    assert kinds(await bot.run_due()) == []
    assert summary_count(bot) == 1
    await bot.tap(4004, screens.CONTINUE_POST)
    assert "has closed" in bot.toasts()[-1]


async def test_restart_between_scheduling_and_firing(bot: Harness) -> None:
    await join_and_answer_pre(bot, 4101)
    await bot.restart()
    bot.clock.now = COHORT_END + timedelta(minutes=5)
    await bot.restart()  # down across the moment the push fell due
    assert kinds(await bot.run_due()) == ["post_push"]
    assert (
        sum("Thank you for taking part" in str(m.get("text")) for m in bot.fake.messages(4101)) == 1
    )
    await bot.restart()
    assert kinds(await bot.run_due()) == []
    assert (
        sum("Thank you for taking part" in str(m.get("text")) for m in bot.fake.messages(4101)) == 1
    )


async def test_summary_due_while_down_is_posted_once_on_start(bot: Harness) -> None:
    await join_and_answer_pre(bot, 4201)
    await bot.stop()
    bot.clock.now = COHORT_END + timedelta(days=3)  # everything fell due while down
    await bot.start()
    assert bot.app is not None
    names = [job.name for job in bot.app.job_queue.jobs()] if bot.app.job_queue else []
    assert f"event:{CODE}:summary" in names  # rebuilt from the database at start-up
    done = set(kinds(await bot.run_due()))
    # Too late to message participants, but the summary still goes out, once.
    assert done == {"post_push", "reminder_1", "reminder_2", "summary"}
    assert not any(
        "Thank you for taking part" in str(m.get("text")) for m in bot.fake.messages(4201)
    )
    assert summary_count(bot) == 1
    await bot.restart()
    await bot.run_due()
    assert summary_count(bot) == 1


@pytest.mark.parametrize(
    "fault", ["server_error", "bad_gateway", "timeout", "timeout_after_delivery", "flood"]
)
async def test_channel_post_failures_still_give_exactly_one_summary(
    bot: Harness, fault: str
) -> None:
    await join_and_answer_pre(bot, 4301)
    bot.clock.now = COHORT_END
    await bot.run_due()
    await bot.tap(4301, screens.START_POST)
    await answer_post(bot, 4301)
    bot.clock.now = COHORT_END + timedelta(days=2)
    for method in ("sendMessage", "sendMediaGroup", "sendDocument"):
        bot.fake.inject_fault(method, fault, times=2, retry_after=1)
    # Each tick gives the batch's first unsent post one attempt; a post may need five (two
    # timeouts, two looks for it, then the send), and posts go out in order.
    for _ in range(20):  # the job's ticks, each after the backoff has passed
        await bot.run_due()
        bot.clock.advance(minutes=11)
    assert summary_shape(bot) == (1, 1, 1)
    assert sum(1 for m in bot.fake.messages(FACILITATORS) if m.get("photo")) >= 3
    first, second = bot.fake.messages(FACILITATORS)[:2]
    assert first["text"].startswith("✅ Module Feedback Bot is connected")
    assert second["text"].startswith("📊 Evaluation summary")


async def test_admin_open_and_close_survive_restart(bot: Harness) -> None:
    await bot.send(ADMIN, f"/close {CODE} pre")
    assert "now closed" in bot.text(ADMIN)
    await bot.restart()
    await bot.send(4401, f"/start {CODE}")
    assert "not open" in bot.text(4401)
    # The stored close counts when saying what opens next: the post questionnaire, at the
    # cohort's end (the configured pre window would still be open now).
    assert "They open on 14 March 2026 at 17:00" in bot.text(4401)
    await bot.send(ADMIN, f"/open {CODE} pre")
    await bot.send(4401, f"/start {CODE}")
    assert "Do you agree" in bot.text(4401)


async def test_admin_closing_post_early_posts_the_summary(bot: Harness) -> None:
    await join_and_answer_pre(bot, 4501)
    await bot.send(ADMIN, f"/open {CODE} post")
    await bot.run_due()
    assert "Thank you for taking part" in bot.text(4501)
    await bot.send(ADMIN, f"/close {CODE} post")
    await bot.run_due()
    assert summary_count(bot) == 1


async def test_status_cohorts_remind_report_export(bot: Harness) -> None:
    for user in (4601, 4602, 4603):
        await join_and_answer_pre(bot, user)
    await bot.send(4604, f"/start {CODE}")
    await bot.tap(4604, screens.AGREE)
    await bot.send(ADMIN, "/status")
    status = bot.text(ADMIN)
    assert CODE in status and "4 joined" in status and "pre 3/4" in status and "London" in status
    await bot.send(ADMIN, "/cohorts")
    assert "GH-LDN-0314" in bot.text(ADMIN) and "pre open" in bot.text(ADMIN)
    await bot.send(ADMIN, f"/remind {CODE}")
    assert "Reminder sent to 1 participant" in bot.text(ADMIN)
    assert "A reminder" in bot.text(4604)
    await bot.send(ADMIN, f"/report {CODE}")
    assert summary_shape(bot, ADMIN) == (1, 1, 1)  # the same three posts, in the admin's chat
    await bot.send(ADMIN, f"/export {CODE}")
    documents = [m["document"]["file_name"] for m in bot.fake.messages(ADMIN) if m.get("document")]
    assert documents == [f"report-{CODE}.html", f"{CODE}-answers.csv", f"{CODE}-answers.xlsx"]
    await bot.send(ADMIN, f"/report {CODE} channel")
    assert summary_count(bot) == 1


@pytest.mark.parametrize(
    "command",
    [
        "/status",
        "/cohorts",
        f"/open {CODE} post",
        f"/close {CODE} pre",
        f"/remind {CODE}",
        f"/report {CODE}",
        f"/report {CODE} channel",
        f"/export {CODE}",
    ],
)
async def test_admin_commands_refused_for_others(
    bot: Harness, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    await join_and_answer_pre(bot, 4701)
    before = bot.rows("SELECT * FROM windows")
    await bot.send(4701, command)
    assert bot.text(4701) == "Sorry — this command is only for the programme team."
    assert bot.rows("SELECT * FROM windows") == before
    assert summary_count(bot) == 0
    assert not any(m.get("document") for m in bot.fake.messages(4701))
    assert any("refused admin command" in r.message and "4701" in r.message for r in caplog.records)


async def test_command_menus(bot: Harness) -> None:
    calls = bot.fake.calls_of("setMyCommands")
    default = next(c for c in calls if "scope" not in c)
    assert {c["command"] for c in default["commands"]} == {
        "start",
        "resume",
        "help",
        "mydata",
        "nofollowup",
        "forgetme",
    }
    admin_menu = next(c for c in calls if c.get("scope", {}).get("chat_id") == ADMIN)
    assert {"status", "report", "export"} <= {c["command"] for c in admin_menu["commands"]}


async def test_daily_digest_while_open(tmp_path: Path, clock: Clock, database: Target) -> None:
    path = write_config(tmp_path, database=database)
    text = path.read_text().replace(
        'reminders = ["1h", "1d"]', 'reminders = ["1h", "1d"]\ndaily_digest = "12:00"'
    )
    path.write_text(text)
    bot = Harness(load_config(path), clock)
    await bot.start()
    try:
        await join_and_answer_pre(bot, 4801)
        clock.now = COHORT_END.replace(hour=12)
        await bot.run_due()
        await bot.run_due()
        digests = [t for t in bot.channel_texts() if "Daily update" in t and CODE in t]
        assert digests == [
            f"🗓 Daily update — Risk Support, {CODE} (London)\n1 joined · pre-module: 1 submitted, "
            "0 in progress · post-module: 0 submitted, 0 in progress"
        ]
        clock.advance(days=1)  # the post questionnaire is open: another one
        await bot.run_due()
        assert sum("Daily update" in t and CODE in t for t in bot.channel_texts()) == 2
        clock.advance(days=2)  # all closed: no more
        await bot.run_due()
        assert sum("Daily update" in t and CODE in t for t in bot.channel_texts()) == 2
    finally:
        await bot.stop()


async def test_bot_dying_mid_post_never_posts_twice(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import outbox

    await join_and_answer_pre(bot, 4901)
    bot.clock.now = COHORT_END
    await bot.run_due()  # the greeting gives the channel a known message
    real_mark_sent = outbox._mark_sent

    class Died(Exception):
        pass

    async def die_after_delivery(*args: object) -> None:
        raise Died  # the message went out; the process ended before recording it

    monkeypatch.setattr(outbox, "_mark_sent", die_after_delivery)
    bot.clock.now = COHORT_END + timedelta(days=2)
    with pytest.raises(Died):
        await bot.run_due()
    monkeypatch.setattr(outbox, "_mark_sent", real_mark_sent)
    assert summary_count(bot) == 1  # the message went out ...
    await bot.restart()
    for _ in range(6):
        await bot.run_due()
        bot.clock.advance(minutes=11)
    assert summary_shape(bot) == (1, 1, 1)  # ... and is not sent again


@pytest.mark.parametrize("fault", ["timeout_after_delivery", "die_after_delivery"])
async def test_report_document_is_posted_once_around_a_timeout_or_restart(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    from bot import outbox

    await join_and_answer_pre(bot, 4951)
    bot.clock.now = COHORT_END
    await bot.run_due()
    bot.clock.now = COHORT_END + timedelta(days=2)
    if fault == "timeout_after_delivery":
        # The document arrives but the bot hears nothing back, twice.
        bot.fake.inject_fault("sendDocument", fault, times=2)
    else:
        real_mark_sent = outbox._mark_sent

        class Died(Exception):
            pass

        async def die_after_document(svc: object, post: outbox.OutboxRow, ids: list[int]) -> None:
            if post.kind == "document":
                raise Died  # delivered; the process ended before recording it
            await real_mark_sent(svc, post, ids)  # type: ignore[arg-type]

        monkeypatch.setattr(outbox, "_mark_sent", die_after_document)
        with pytest.raises(Died):
            await bot.run_due()
        monkeypatch.setattr(outbox, "_mark_sent", real_mark_sent)
        assert summary_shape(bot) == (1, 1, 1)
        await bot.restart()
    for _ in range(8):
        await bot.run_due()
        bot.clock.advance(minutes=11)
    assert summary_shape(bot) == (1, 1, 1)
    assert bot.fake.calls_of("editMessageCaption")  # the bot looked for it before resending
    states = bot.rows("SELECT kind, state FROM outbox WHERE batch = ?", (f"summary:{CODE}",))
    assert states == [("text", "sent"), ("photos", "sent"), ("document", "sent")]
