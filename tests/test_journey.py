"""A participant's whole journey through the real bot, checked in the chat and the database."""

from __future__ import annotations

from bot.screens import participant as screens
from conftest import Harness

ALICE = 1001
BOB = 1002


async def join(bot: Harness, user: int, code: str = "RS-LDN-0314") -> None:
    await bot.send(user, f"/start {code}")
    assert "what happens to your answers" in bot.text(user)
    await bot.tap(user, screens.AGREE)


async def test_full_pre_questionnaire(bot: Harness) -> None:
    await bot.send(ALICE, "/start RS-LDN-0314")
    assert "Do you agree to take part?" in bot.text(ALICE)
    assert bot.rows("SELECT * FROM participants") == []  # nothing before consent
    await bot.tap(ALICE, screens.AGREE)
    assert "Question 1 of 5" in bot.text(ALICE)
    assert "Which sector do you work in?" in bot.text(ALICE)
    assert screens.SKIP not in bot.buttons(ALICE)  # profile questions are required
    question_message = bot.last(ALICE)["message_id"]

    await bot.tap(ALICE, "Education")
    assert "Question 2 of 5" in bot.text(ALICE)
    await bot.tap(ALICE, "School nurse")
    assert "Question 3 of 5" in bot.text(ALICE)
    assert "1 = not at all confident · 5 = very confident" in bot.text(ALICE)
    assert bot.buttons(ALICE) == ["1", "2", "3", "4", "5", screens.BACK, screens.SKIP]
    await bot.tap(ALICE, "2")
    await bot.tap(ALICE, screens.SKIP)
    await bot.tap(ALICE, "4")
    assert "Your pre-module answers" in bot.text(ALICE)
    assert "Sector: <b>Education</b>" not in bot.text(ALICE)  # text arrives rendered
    assert "Sector: Education" in bot.text(ALICE)
    assert "skipped" in bot.text(ALICE)
    await bot.tap(ALICE, screens.SUBMIT)
    assert "Thank you" in bot.text(ALICE)
    # Every step edited the one question message in place.
    assert bot.last(ALICE)["message_id"] == question_message

    assert bot.answers(ALICE) == {
        "sector": "Education",
        "role": "School nurse",
        "conf_support": "2",
        "conf_explain": None,
        "thrive_knowledge": "4",
    }
    submitted = bot.rows("SELECT submitted_at FROM responses WHERE phase = 'pre'")
    assert submitted and submitted[0][0] is not None


async def test_one_tap_costs_at_most_two_calls(bot: Harness) -> None:
    await join(bot, ALICE)
    await bot.tap(ALICE, "Education")
    before = len(bot.fake.calls)
    await bot.tap(ALICE, "Clinician")
    methods = [method for method, _ in bot.fake.calls[before:]]
    assert sorted(methods) == ["answerCallbackQuery", "editMessageText"]


async def test_back_changes_previous_answer_then_continues(bot: Harness) -> None:
    await join(bot, ALICE)
    await bot.tap(ALICE, "Education")
    await bot.tap(ALICE, "Clinician")
    await bot.tap(ALICE, screens.BACK)
    assert "Question 2 of 5" in bot.text(ALICE)
    assert screens.CHECK + "Clinician" in bot.buttons(ALICE)  # the current answer is marked
    await bot.tap(ALICE, screens.BACK)
    assert "Question 1 of 5" in bot.text(ALICE)
    assert screens.BACK not in bot.buttons(ALICE)
    await bot.tap(ALICE, "Commissioning")
    # Changing an earlier answer returns to the first unanswered question.
    assert "Question 3 of 5" in bot.text(ALICE)
    assert bot.answers(ALICE) == {"sector": "Commissioning", "role": "Clinician"}


async def test_back_from_review(bot: Harness) -> None:
    await join(bot, ALICE)
    for label in ("Education", "Clinician", "3", "3", "3"):
        await bot.tap(ALICE, label)
    await bot.tap(ALICE, screens.BACK)
    assert "Question 5 of 5" in bot.text(ALICE)
    await bot.tap(ALICE, "5")
    assert "Your pre-module answers" in bot.text(ALICE)
    assert bot.answers(ALICE)["thrive_knowledge"] == "5"


async def test_resume_after_restart(bot: Harness) -> None:
    await join(bot, ALICE)
    await bot.tap(ALICE, "Education")
    await bot.tap(ALICE, "Clinician")
    await bot.tap(ALICE, "4")
    await bot.restart()
    await bot.send(ALICE, "/resume")
    assert "Question 4 of 5" in bot.text(ALICE)
    await bot.tap(ALICE, screens.SKIP)
    await bot.tap(ALICE, "2")
    await bot.tap(ALICE, screens.SUBMIT)
    assert len(bot.answers(ALICE)) == 5


async def test_start_again_resumes_and_retires_old_keyboard(bot: Harness) -> None:
    await join(bot, ALICE)
    await bot.tap(ALICE, "Education")
    old = bot.last(ALICE)["message_id"]
    await bot.send(ALICE, "/start")
    assert "Question 2 of 5" in bot.text(ALICE)
    old_message = next(m for m in bot.fake.messages(ALICE) if m["message_id"] == old)
    assert "reply_markup" not in old_message or not old_message["reply_markup"].get(
        "inline_keyboard"
    )
    # The deep link again does the same: no second consent, no second participant.
    await bot.send(ALICE, "/start RS-LDN-0314")
    assert "Question 2 of 5" in bot.text(ALICE)
    assert bot.rows("SELECT count(*) FROM participants") == [(1,)]


async def test_start_then_type_code(bot: Harness) -> None:
    await bot.send(ALICE, "/start")
    assert "cohort code" in bot.text(ALICE)
    await bot.send(ALICE, "rs-ldn-0314")
    assert "Do you agree to take part?" in bot.text(ALICE)


async def test_unknown_code(bot: Harness) -> None:
    await bot.send(ALICE, "/start NOPE-123")
    assert "I don't know the cohort code" in bot.text(ALICE)
    await bot.send(ALICE, "XX-99")
    assert "I don't know the cohort code <code>XX-99</code>" in str(bot.fake.calls[-1][1]["text"])
    assert bot.rows("SELECT * FROM participants") == []


async def test_declined_consent_keeps_nothing(bot: Harness) -> None:
    await bot.send(ALICE, "/start RS-LDN-0314")
    await bot.tap(ALICE, screens.DECLINE)
    assert "nothing about you has been stored" in bot.text(ALICE)
    for table in ("participants", "consents", "responses", "answers"):
        assert bot.rows(f"SELECT count(*) FROM {table}") == [(0,)]


async def test_post_questionnaire_asks_profile_only_if_not_given(bot: Harness) -> None:
    await join(bot, ALICE)
    for label in ("Education", "Clinician", "3", "3", "3", screens.SUBMIT):
        await bot.tap(ALICE, label)
    bot.clock.advance(hours=8)  # the cohort has ended: post is open
    await bot.send(ALICE, "/resume")
    assert "post-module questionnaire" in bot.text(ALICE)
    assert "Question 1 of 7" in bot.text(ALICE)
    assert "Did the module meet your expectations?" in bot.text(ALICE)
    # Bob never did the pre questionnaire: his post starts with the profile questions.
    await join(bot, BOB)
    assert "Question 1 of 9" in bot.text(BOB)
    assert "Which sector" in bot.text(BOB)


async def test_free_text_comment(bot: Harness) -> None:
    bot.clock.advance(hours=8)
    await join(bot, ALICE)
    for label in ("Education", "Clinician", "Yes", "5", "4", "4", "4", "5"):
        await bot.tap(ALICE, label)
    assert "Anything else" in bot.text(ALICE)
    await bot.send(ALICE, "Great day <b>really</b> & useful")
    assert "Your post-module answers" in bot.text(ALICE)
    assert "Great day &lt;b&gt;really&lt;/b&gt; &amp; useful" in str(
        bot.fake.calls_of("sendMessage")[-1]["text"]
    )
    assert bot.answers(ALICE, "post")["comment"] == "Great day <b>really</b> & useful"
    await bot.tap(ALICE, screens.SUBMIT)
    assert "Thank you" in bot.text(ALICE)


async def test_two_participants_interleaved(bot: Harness) -> None:
    await join(bot, ALICE)
    await join(bot, BOB)
    await bot.tap(ALICE, "Education")
    await bot.tap(BOB, "Commissioning")
    await bot.tap(BOB, "Commissioner")
    await bot.tap(ALICE, "Youth worker")
    assert bot.answers(ALICE) == {"sector": "Education", "role": "Youth worker"}
    assert bot.answers(BOB) == {"sector": "Commissioning", "role": "Commissioner"}
    assert "Question 3 of 5" in bot.text(ALICE) and "Question 3 of 5" in bot.text(BOB)


async def test_help(bot: Harness) -> None:
    await bot.send(ALICE, "/help")
    assert "/resume" in bot.text(ALICE)
