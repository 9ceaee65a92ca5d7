"""Bad input gets a kind answer and changes nothing; no answer already given is lost."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.screens import participant as screens
from conftest import Harness

ALICE = 2001
MALLORY = 2002
GROUP = -1002000000001


async def join(bot: Harness, user: int = ALICE) -> None:
    await bot.send(user, "/start RS-LDN-0314")
    await bot.tap(user, screens.AGREE)


async def test_double_tap_stores_once_and_does_not_skip_a_question(bot: Harness) -> None:
    await join(bot)
    message_id = bot.last(ALICE)["message_id"]
    # Two taps on the same button arrive before the first edit reaches the phone.
    bot.fake.tap(ALICE, message_id, button_text="Education")
    bot.fake.tap(ALICE, message_id, data="a:RS-LDN-0314:pre:sector:2")
    edits = len(bot.fake.calls_of("editMessageText"))
    await bot.deliver()
    assert bot.answers(ALICE) == {"sector": "Education"}
    # The second tap costs no edit: the message already shows the next question.
    assert len(bot.fake.calls_of("editMessageText")) == edits + 1
    assert "Question 2 of 5" in bot.text(ALICE)
    assert "already been answered" in bot.toasts()[-1]
    # Every callback query was answered, so no client keeps spinning.
    assert len(bot.fake.callback_answers) == len(bot.fake.calls_of("answerCallbackQuery"))


async def test_redelivered_update_changes_nothing(bot: Harness) -> None:
    await join(bot)
    update = bot.fake.tap(ALICE, bot.last(ALICE)["message_id"], button_text="Education")
    await bot.deliver()
    await bot.tap(ALICE, "Clinician")
    bot.fake.duplicate(update)  # Telegram redelivers after a crash
    await bot.deliver()
    assert bot.answers(ALICE) == {"sector": "Education", "role": "Clinician"}
    assert "Question 3 of 5" in bot.text(ALICE)


async def test_stale_button_on_old_message(bot: Harness) -> None:
    await join(bot)
    old = bot.last(ALICE)["message_id"]
    await bot.tap(ALICE, "Education")
    await bot.send(ALICE, "/resume")  # a new message now shows question 2
    # The old message's buttons were retired; a forged replay of its data is refused.
    await bot.forge(ALICE, "a:RS-LDN-0314:pre:sector:0", message_id=old)
    assert bot.answers(ALICE) == {"sector": "Education"}
    assert "already been answered" in bot.toasts()[-1]


@pytest.mark.parametrize(
    "data",
    [
        "",
        "garbage",
        "a:RS-LDN-0314:pre:role:99",  # not the current question
        "a:RS-LDN-0314:pre:sector:99",  # no such option
        "a:RS-LDN-0314:pre:sector:-",  # required: cannot skip
        "a:NOPE-1:pre:sector:0",  # unknown cohort
        "a:GH-LDN-0314:pre:sector:0",  # a cohort this user never joined
        "a:RS-LDN-0314:post:sector:0",  # post is not open yet
        "s:RS-LDN-0314:pre",  # submit before the review
        "k:RS-LDN-0314:pre:sector",  # back from the first question
        "x" * 64,
        "a:RS-LDN-0314:pre:sector:0'; DROP TABLE answers;--",
    ],
)
async def test_forged_callback_data_changes_nothing(bot: Harness, data: str) -> None:
    await join(bot)
    before = bot.text(ALICE)
    await bot.forge(ALICE, data)
    assert bot.answers(ALICE) == {}
    assert bot.text(ALICE) == before
    assert bot.toasts()[-1]  # a short explanation, not silence


async def test_someone_elses_button_data(bot: Harness) -> None:
    await join(bot)
    await bot.send(MALLORY, "/help")
    # Mallory replays Alice's button data in his own chat: he is not a participant.
    await bot.forge(MALLORY, "a:RS-LDN-0314:pre:sector:0")
    assert bot.rows("SELECT count(*) FROM answers") == [(0,)]
    assert "join first" in bot.toasts()[-1]


async def test_text_when_buttons_expected(bot: Harness) -> None:
    await join(bot)
    await bot.send(ALICE, "Education I think")
    # The question is shown again at the bottom of the chat, with a nudge to the buttons.
    assert "Please answer with the buttons" in bot.text(ALICE)
    assert "Question 1 of 5" in bot.text(ALICE)
    assert bot.answers(ALICE) == {}


async def test_sticker_photo_voice_get_a_polite_reprompt(bot: Harness) -> None:
    bot.clock.advance(hours=8)
    await join(bot)
    for label in ("Education", "Clinician", "Yes", "5", "4", "4", "4", "5"):
        await bot.tap(ALICE, label)
    assert "Anything else" in bot.text(ALICE)
    for kind in ("sticker", "photo", "voice"):
        bot.fake.send_media(ALICE, kind)
        await bot.deliver()
        assert "please type it as a message" in bot.fake.calls_of("sendMessage")[-1]["text"]
    assert "comment" not in bot.answers(ALICE, "post")


async def test_oversized_text_is_refused_kindly(bot: Harness) -> None:
    bot.clock.advance(hours=8)
    await join(bot)
    for label in ("Education", "Clinician", "Yes", "5", "4", "4", "4", "5"):
        await bot.tap(ALICE, label)
    await bot.send(ALICE, "x" * 1001)
    assert "the limit is 1000" in bot.fake.calls_of("sendMessage")[-1]["text"]
    assert "comment" not in bot.answers(ALICE, "post")
    await bot.send(ALICE, "y" * 1000)
    assert bot.answers(ALICE, "post")["comment"] == "y" * 1000


async def test_closed_questionnaire_stores_nothing(bot: Harness) -> None:
    await join(bot)
    bot.clock.advance(days=5)  # pre closed at the cohort's end, post closed 2 days later
    await bot.tap(ALICE, "Education")
    assert bot.answers(ALICE) == {}
    assert "has closed" in bot.toasts()[-1]
    await bot.send(ALICE, "/resume")
    assert "not open" in bot.text(ALICE)


async def test_submitted_questionnaire_cannot_change(bot: Harness) -> None:
    await join(bot)
    for label in ("Education", "Clinician", "3", "3", "3", screens.SUBMIT):
        await bot.tap(ALICE, label)
    await bot.forge(ALICE, "k:RS-LDN-0314:pre:")
    await bot.forge(ALICE, "a:RS-LDN-0314:pre:conf_support:5")
    assert bot.answers(ALICE)["conf_support"] == "3"
    assert "already submitted" in bot.toasts()[-1]


async def test_group_chat_collects_nothing(bot: Harness) -> None:
    bot.fake.user(ALICE)
    bot.fake.send_text(ALICE, "/start RS-LDN-0314", chat_id=GROUP)
    bot.fake.send_text(ALICE, "RS-LDN-0314", chat_id=GROUP)
    await bot.deliver()
    group_messages = bot.fake.messages(GROUP)
    assert len(group_messages) == 1
    assert "message me privately" in group_messages[0]["text"]
    assert bot.rows("SELECT count(*) FROM participants") == [(0,)]


async def test_edited_message_is_ignored(bot: Harness) -> None:
    bot.clock.advance(hours=8)
    await join(bot)
    for label in ("Education", "Clinician", "Yes", "5", "4", "4", "4", "5"):
        await bot.tap(ALICE, label)
    bot.fake.user(ALICE)
    sent = bot.fake.send_text(ALICE, "first version")
    await bot.deliver()
    bot.fake.edit_text(ALICE, sent["message"]["message_id"], "edited version")
    await bot.deliver()
    assert bot.answers(ALICE, "post")["comment"] == "first version"


async def test_handler_failure_is_reported_kindly(bot: Harness) -> None:
    await join(bot)
    bot.fake.inject_fault("editMessageText", "server_error")
    await bot.tap(ALICE, "Education")
    # The answer was committed before the failing edit; the participant is told kindly.
    assert bot.answers(ALICE) == {"sector": "Education"}
    assert "Your answers so far are saved" in bot.text(ALICE)
    assert "Traceback" not in bot.text(ALICE)
    await bot.send(ALICE, "/resume")
    assert "Question 2 of 5" in bot.text(ALICE)


async def test_update_without_user_is_harmless(bot: Harness) -> None:
    assert bot.app is not None
    raw = bot.fake.channel_post(-1003000000001, "hello")
    bot.fake.drain_updates()
    update = Update.de_json(raw, bot.app.bot)
    await bot.app.process_update(update)
    assert bot.fake.messages(-1003000000001) == []


async def test_tap_on_live_message_left_behind_by_a_crash_catches_up(bot: Harness) -> None:
    await join(bot)
    message_id = bot.last(ALICE)["message_id"]
    # The answer was stored, but the bot died before editing the message.
    bot.fake.inject_fault("editMessageText", "timeout")
    await bot.tap(ALICE, "Education")
    await bot.restart()
    assert "Question 1 of 5" in bot.text(ALICE) or "went wrong" in bot.text(ALICE)
    # The participant taps again on what they still see: the message catches up.
    await bot.forge(ALICE, "a:RS-LDN-0314:pre:sector:2", message_id=message_id)
    live = next(m for m in bot.fake.messages(ALICE) if m["message_id"] == message_id)
    assert "Question 2 of 5" in live["text"]
    assert bot.answers(ALICE) == {"sector": "Education"}
