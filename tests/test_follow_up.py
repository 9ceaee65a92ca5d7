"""The follow-up questionnaire weeks after the module, on a clock the test moves: who is
asked, the opt-out (the button, /nofollowup, /followup), reminders, the summary, /mydata and
/forgetme."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from analysis.scope import resolve_scope
from analysis.summary import compute_follow_up
from bot.screens import participant as screens
from bot.screens import privacy as privacy_screens
from conftest import ADMIN, COHORT_END, FACILITATORS, Harness
from core import callbacks
from core.schedule import Event

CODE = "RS-LDN-0314"
PRE = ("Education", "Clinician", "2", "3", "2", screens.SUBMIT)
POST = ("Yes", "5", "4", "4", "4", "4", screens.SKIP, screens.SUBMIT)
# used_in_practice, helped, hindered, the three ratings again, the comment, then Submit.
LATER = (
    "Yes, several times",
    "Support from my manager or team",
    "Not enough time",
    "4",
    "5",
    "3",
    screens.SKIP,
    screens.SUBMIT,
)
FOLLOW_UP_OPENS = COHORT_END + timedelta(weeks=8)  # schedule.follow_up_after's default
FOLLOW_UP_CLOSES = FOLLOW_UP_OPENS + timedelta(days=14)  # follow_up_open_for's default


async def join_and_answer(bot: Harness, user: int, *, post: bool = True) -> None:
    """Join, answer pre; then, at the module's end, the pushed post questionnaire."""
    await bot.send(user, f"/start {CODE}")
    await bot.tap(user, screens.AGREE)
    for label in PRE:
        await bot.tap(user, label)
    if post:
        await answer_post(bot, user)


async def answer_post(bot: Harness, user: int) -> None:
    await bot.tap(user, screens.START_POST)
    for label in POST:
        await bot.tap(user, label)


def kinds(done: list[Event]) -> list[str]:
    return [e.kind for e in done if e.cohort == CODE]


def sent(bot: Harness, user: int, words: str) -> int:
    """How many messages with these words the bot sent this user (later edits aside)."""
    return sum(
        str(call.get("chat_id")) == str(user) and words in str(call.get("text"))
        for call in bot.fake.calls_of("sendMessage")
    )


def pushes(bot: Harness, user: int) -> int:
    return sent(bot, user, "Some weeks ago you took part")


def reminders(bot: Harness, user: int) -> int:
    return sent(bot, user, "how have you used")


def follow_up_posts(bot: Harness) -> tuple[int, int, int]:
    """The follow-up summary as the channel shows it: (messages, albums, documents)."""
    messages = bot.fake.messages(FACILITATORS)
    texts = sum("Follow-up summary" in str(m.get("text")) and CODE in m["text"] for m in messages)
    albums = {
        m.get("media_group_id") or m["message_id"]
        for m in messages
        if m.get("photo") and "Follow-up charts" in str(m.get("caption", ""))
    }
    documents = [m for m in messages if m.get("document") and "follow-up" in str(m["document"])]
    return texts, len(albums), len(documents)


async def to_post(bot: Harness) -> None:
    bot.clock.now = COHORT_END
    assert "post_push" in kinds(await bot.run_due())


async def test_follow_up_goes_to_those_who_finished_and_did_not_opt_out(bot: Harness) -> None:
    for user in (5001, 5002, 5003, 5004, 5005):
        await join_and_answer(bot, user, post=False)
    await to_post(bot)
    for user in (5001, 5002, 5003):
        await answer_post(bot, user)
    # The thank-you says when the follow-up comes, with a button to say no to it.
    assert "In about 8 weeks (around 9 May)" in bot.text(5001)
    assert bot.buttons(5001) == [screens.NO_FOLLOW_UP]
    await bot.tap(5003, screens.NO_FOLLOW_UP)
    assert "You have opted out of the follow-up" in bot.text(5003)
    assert bot.buttons(5003) == [screens.FOLLOW_UP_AFTER_ALL]
    await bot.tap(5005, screens.START_POST)
    await bot.tap(5005, "Yes")  # started the post questionnaire, never submitted it
    # 5004 never starts it.

    bot.clock.now = COHORT_END + timedelta(days=2)
    assert "summary" in kinds(await bot.run_due())
    bot.clock.now = FOLLOW_UP_OPENS - timedelta(minutes=1)
    assert kinds(await bot.run_due()) == []
    bot.clock.now = FOLLOW_UP_OPENS
    assert kinds(await bot.run_due()) == ["follow_up_push"]
    assert [pushes(bot, u) for u in (5001, 5002, 5003, 5004, 5005)] == [1, 1, 0, 0, 0]
    assert bot.buttons(5001) == [screens.START_POST]

    await bot.tap(5001, screens.START_POST)
    assert "follow-up questionnaire" in bot.text(5001)
    assert "Question 1 of 7" in bot.text(5001)  # no profile questions again
    for label in LATER:
        await bot.tap(5001, label)
    assert "That was the last questionnaire" in bot.text(5001)
    assert bot.answers(5001, "follow_up") == {
        "used_in_practice": "Yes, several times",
        "helped": "Support from my manager or team",
        "hindered": "Not enough time",
        "conf_support": "4",
        "conf_explain": "5",
        "thrive_knowledge": "3",
        "comment": None,
    }
    # Those it is not for cannot start it either, by any route.
    await bot.send(5004, "/resume")
    assert "no questionnaire open" in bot.text(5004) or "not open" in bot.text(5004)
    assert bot.answers(5004, "follow_up") == {}

    bot.clock.advance(hours=1)  # the first reminder: the post questionnaire's 1h
    assert kinds(await bot.run_due()) == ["follow_up_reminder_1"]
    assert [reminders(bot, u) for u in (5001, 5002, 5003, 5004, 5005)] == [0, 1, 0, 0, 0]
    await bot.tap(5002, screens.CONTINUE_POST)
    for label in LATER:
        await bot.tap(5002, label)
    bot.clock.advance(days=1)
    assert kinds(await bot.run_due()) == ["follow_up_reminder_2"]
    assert [reminders(bot, u) for u in (5001, 5002, 5003, 5004, 5005)] == [0, 1, 0, 0, 0]

    assert follow_up_posts(bot) == (0, 0, 0)
    bot.clock.now = FOLLOW_UP_CLOSES
    assert kinds(await bot.run_due()) == ["follow_up_summary"]
    assert follow_up_posts(bot) == (1, 1, 1)
    message = next(t for t in bot.channel_texts() if "Follow-up summary" in t)
    assert "Asked: 2" in message and "Follow-up responses: 2 (100% of those asked)" in message
    assert len(message) <= 4096
    document = next(
        m
        for m in bot.fake.messages(FACILITATORS)
        if m.get("document") and "follow-up" in str(m["document"])
    )
    html = bot.fake.files[document["document"]["file_id"]].data
    assert b"Weeks later: the follow-up" in html
    assert kinds(await bot.run_due()) == []
    assert follow_up_posts(bot) == (1, 1, 1)
    # Closed: a late tap changes nothing.
    await bot.send(5002, "/resume")
    assert bot.answers(5002, "follow_up")["conf_support"] == "4"


async def test_opting_out_later_is_honoured_at_once(bot: Harness) -> None:
    for user in (5101, 5102):
        await join_and_answer(bot, user, post=False)
    await to_post(bot)
    for user in (5101, 5102):
        await answer_post(bot, user)
    await bot.send(5101, "/mydata")
    assert "Follow-up questionnaire: you will be asked" in bot.text(5101)
    bot.clock.now = FOLLOW_UP_OPENS
    await bot.run_due()
    await bot.tap(5101, screens.START_POST)
    await bot.tap(5101, LATER[0])
    question = bot.last(5101)["message_id"]
    await bot.send(5101, "/nofollowup")
    assert bot.text(5101).startswith("Done: no follow-up questionnaire for Risk Support")
    # The questionnaire on screen takes no more answers.
    await bot.tap(5101, LATER[1], message_id=question)
    assert bot.toasts()[-1] == screens.REFUSAL_TOASTS[screens.Refusal.NOT_ASKED]
    assert bot.answers(5101, "follow_up") == {"used_in_practice": "Yes, several times"}
    bot.clock.advance(hours=1)
    await bot.run_due()
    assert reminders(bot, 5101) == 0 and reminders(bot, 5102) == 1
    await bot.send(5101, "/mydata")
    assert "Follow-up questionnaire: you opted out" in "\n".join(
        str(m.get("text")) for m in bot.fake.messages(5101)[-2:]
    )
    # /followup undoes it: the follow-up is theirs to answer again.
    await bot.send(5101, "/followup")
    assert "you will be asked the follow-up questionnaire after all" in bot.text(5101)
    await bot.send(5101, "/resume")
    assert "Question 2 of 7" in bot.text(5101)


async def test_forgetme_after_the_follow_up_leaves_every_later_report(bot: Harness) -> None:
    users = (5201, 5202, 5203, 5204)
    for user in users:
        await join_and_answer(bot, user, post=False)
    await to_post(bot)
    for user in users:
        await answer_post(bot, user)
    bot.clock.now = FOLLOW_UP_OPENS
    await bot.run_due()
    for user in users:
        await bot.tap(user, screens.START_POST)
        for label in LATER:
            await bot.tap(user, label)
    scope = resolve_scope(bot.config, cohort=CODE)
    before = compute_follow_up(bot.config, scope)
    assert before is not None and before.respondents == 4 and before.asked == 4

    await bot.send(5204, "/forgetme")
    await bot.tap(5204, privacy_screens.ERASE)
    assert bot.rows(
        "SELECT count(*) FROM answers a JOIN participants p ON p.id = a.participant_id"
        " WHERE p.telegram_id = 5204"
    ) == [(0,)]
    after = compute_follow_up(bot.config, scope)
    assert after is not None and (after.respondents, after.asked) == (3, 3)
    bot.clock.now = FOLLOW_UP_CLOSES
    await bot.run_due()
    message = next(t for t in bot.channel_texts() if "Follow-up summary" in t)
    assert "Asked: 3" in message and "Follow-up responses: 3" in message


async def test_forged_and_early_follow_up_taps_change_nothing(bot: Harness) -> None:
    """Follow-up buttons from people it is not for, or before their time: a kind refusal
    and nothing stored; /nofollowup from a stranger changes nothing either."""
    await join_and_answer(bot, 5301, post=False)  # pre only
    await join_and_answer(bot, 5302, post=False)
    await bot.send(5303, "/nofollowup")  # never joined
    assert bot.text(5303).startswith("There is no follow-up questionnaire still to come")
    await to_post(bot)
    await answer_post(bot, 5302)
    # Before the post questionnaire is submitted, the opt-out button is no use.
    await bot.forge(5301, callbacks.encode(callbacks.FollowUpChoice(CODE, False)))
    assert bot.rows("SELECT count(*) FROM follow_up_opt_outs") == [(0,)]
    bot.clock.now = FOLLOW_UP_OPENS
    await bot.run_due()
    assert pushes(bot, 5301) == 0 and pushes(bot, 5302) == 1
    # 5301 never submitted post: forged follow-up answers and a Begin are refused.
    for action in (
        callbacks.Begin(CODE, "follow_up"),
        callbacks.Answer(CODE, "follow_up", "used_in_practice", "0"),
        callbacks.Submit(CODE, "follow_up"),
        callbacks.Answer("GH-LDN-0314", "follow_up", "used_in_practice", "0"),
    ):
        await bot.forge(5301, callbacks.encode(action))
    assert bot.toasts()[-4:-1] == [screens.REFUSAL_TOASTS[screens.Refusal.NOT_ASKED]] * 3
    assert bot.answers(5301, "follow_up") == {}
    # 5302 may answer, but only the question on screen, and a skip of a required one is
    # refused.
    await bot.tap(5302, screens.START_POST)
    await bot.forge(
        5302, callbacks.encode(callbacks.Answer(CODE, "follow_up", "used_in_practice", "-"))
    )
    await bot.forge(5302, callbacks.encode(callbacks.Answer(CODE, "follow_up", "helped", "1")))
    assert bot.answers(5302, "follow_up") == {}
    await bot.tap(5302, LATER[0])
    assert bot.answers(5302, "follow_up") == {"used_in_practice": "Yes, several times"}
    # After it closes, nothing more is taken.
    bot.clock.now = FOLLOW_UP_CLOSES
    await bot.run_due()
    await bot.tap(5302, LATER[1])
    assert bot.answers(5302, "follow_up") == {"used_in_practice": "Yes, several times"}
    assert bot.toasts()[-1] == screens.REFUSAL_TOASTS[screens.Refusal.CLOSED]


def test_migration_keeps_every_answer_and_admits_the_follow_up(tmp_path: Path) -> None:
    """A database from before the follow-up: its answers, responses and windows survive
    the rebuild of their tables, erasing a person still takes everything along, and the
    new phase can be stored."""
    from core.storage import MIGRATIONS, migrate

    conn = sqlite3.connect(tmp_path / "old.db")
    for migration in MIGRATIONS[:7]:
        conn.executescript(migration.sqlite)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    conn.executemany(
        "INSERT INTO schema_migrations VALUES (?, 'then')", [(v,) for v in range(1, 8)]
    )
    conn.executescript(
        "INSERT INTO cohorts VALUES ('RS-1', 'risk-support', 'Leeds', 'a', 'b');"
        "INSERT INTO participants VALUES (1, 'RS-1', 42, 'p-1', 'j', 'a'),"
        " (2, 'RS-1', 43, 'p-2', 'j', 'a');"
        "INSERT INTO responses VALUES (1, 'pre', 's', 'u', NULL, 7),"
        " (1, 'post', 's', NULL, 'q', 9);"
        "INSERT INTO answers VALUES (1, 'pre', 'conf', '4', 't'), (1, 'post', 'conf', NULL, 't'),"
        " (2, 'pre', 'conf', '2', 't');"
        "INSERT INTO windows VALUES ('RS-1', 'post', 'o', NULL, 999, 's');"
    )
    before = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("responses", "answers", "windows")
    }
    conn.commit()
    migrate(conn)
    for table, rows in before.items():
        assert conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() == rows
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO answers VALUES (1, 'follow_up', 'conf', '5', 't')")
    conn.execute("INSERT INTO follow_up_opt_outs VALUES (2, 't')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO answers VALUES (1, 'later', 'conf', '5', 't')")
    conn.execute("DELETE FROM participants")
    for table in ("responses", "answers", "follow_up_opt_outs"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


async def test_an_admin_opens_the_follow_up_early_and_it_is_pushed(bot: Harness) -> None:
    for user in (5401, 5402):
        await join_and_answer(bot, user, post=False)
    await to_post(bot)
    await answer_post(bot, 5401)
    bot.clock.now = COHORT_END + timedelta(days=3)
    await bot.run_due()
    await bot.send(ADMIN, f"/open {CODE} follow-up")
    assert bot.text(ADMIN).startswith(f"The follow-up questionnaire of {CODE} is now open until")
    assert kinds(await bot.run_due()) == ["follow_up_push"]  # what the rescheduled job does
    assert [pushes(bot, u) for u in (5401, 5402)] == [1, 0]
    await bot.send(ADMIN, "/status")
    assert f"{CODE} (follow-up open until" in bot.text(ADMIN)
    assert "follow-up 0/0" in bot.text(ADMIN)  # submitted/started
    await bot.send(ADMIN, "/open GH-LDN-0314 follow_up")
    assert bot.text(ADMIN).startswith("The follow-up questionnaire of GH-LDN-0314")


def fail_next_post(bot: Harness) -> None:
    """The next message to the facilitators' chat fails (a 5xx): its batch stays queued."""
    armed = True

    def before(name: str, params: dict[str, object]) -> None:
        nonlocal armed
        if armed and name == "sendMessage" and params.get("chat_id") == FACILITATORS:
            armed = False
            bot.fake.inject_fault("sendMessage", "server_error")

    bot.fake.before_call.append(before)


async def test_an_admin_posts_the_follow_up_summary_again(bot: Harness) -> None:
    for user in (5501, 5502, 5503):
        await join_and_answer(bot, user, post=False)
    await to_post(bot)
    for user in (5501, 5502, 5503):
        await answer_post(bot, user)
    bot.clock.now = FOLLOW_UP_OPENS
    await bot.run_due()
    await bot.send(ADMIN, f"/report {CODE} followup channel")
    assert bot.text(ADMIN) == (
        f"No follow-up answers yet for {CODE}: there is no follow-up summary to post."
    )
    for user in (5501, 5502, 5503):
        await bot.tap(user, screens.START_POST)
        for label in LATER:
            await bot.tap(user, label)
    bot.clock.now = FOLLOW_UP_CLOSES
    await bot.run_due()
    assert follow_up_posts(bot) == (1, 1, 1)  # as it closed

    # Asked for again (a facilitator lost it), twice, the first failing once: each request
    # posted once more, through the outbox.
    fail_next_post(bot)
    await bot.send(ADMIN, f"/report {CODE} followup channel")
    assert bot.text(ADMIN) == "The follow-up summary is on its way to the facilitators' chat."
    await bot.send(ADMIN, f"/report {CODE} follow-up channel")
    assert bot.text(ADMIN) == "The follow-up summary is on its way to the facilitators' chat."
    for _ in range(3):
        bot.clock.advance(minutes=11)
        await bot.run_due()
    assert follow_up_posts(bot) == (3, 3, 3)
    assert bot.rows(
        "SELECT count(DISTINCT batch), min(state), max(state) FROM outbox"
        " WHERE batch LIKE 'report:%:follow-up#%'"
    ) == [(2, "sent", "sent")]

    # In the admin's own chat: the message, the charts and the report with its section.
    await bot.send(ADMIN, f"/report {CODE} followup")
    messages = bot.fake.messages(ADMIN)
    assert any(str(m.get("text", "")).startswith("📈 Follow-up summary") for m in messages)
    names = [m["document"]["file_name"] for m in messages if m.get("document")]
    assert names == [f"report-{CODE}-follow-up.html"]
    # A module has no pooled follow-up summary: the usage says what there is.
    await bot.send(ADMIN, "/report risk-support followup")
    assert "/report <cohort> followup [channel]" in bot.text(ADMIN)


async def test_help_shows_staff_their_commands_and_admins_every_report(bot: Harness) -> None:
    await bot.send(ADMIN, "/help")
    text = bot.text(ADMIN)
    assert "For the programme team" in text
    assert "/report CODE followup — the cohort's follow-up summary" in text
    assert "/report <cohort|module> [period|followup] [channel] — post a summary" in text
    await bot.send(5601, "/help")
    assert "How this works" in bot.text(5601)
    assert "For the programme team" not in bot.text(5601)
    assert "/report" not in bot.text(5601)
