"""Faults at the Bot API while participants answer: no crash, no lost or doubled answer."""

from __future__ import annotations

import pytest

from bot.screens import participant as screens
from conftest import Harness

USER = 9101
CODE = "RS-LDN-0314"
SCRIPT = ("Education", "Clinician", "4", screens.SKIP, "2")
EXPECTED = {
    "sector": "Education",
    "role": "Clinician",
    "conf_support": "4",
    "conf_explain": None,
    "thrive_knowledge": "2",
}


async def answer_what_is_shown(bot: Harness, labels: list[str]) -> None:
    """Tap the next label if the screen offers it; after a lost screen, /resume first."""
    label = labels[0]
    if label not in bot.buttons(USER):
        await bot.send(USER, "/resume")
        if label not in bot.buttons(USER):
            # The answer went in before the failure: the next question is already current.
            labels.pop(0)
            return
    await bot.tap(USER, label)
    if bot.answers(USER).get(_question_of(label), "missing") != "missing":
        labels.pop(0)


def _question_of(label: str) -> str:
    index = SCRIPT.index(label)
    return list(EXPECTED)[index]


@pytest.mark.parametrize(
    "method", ["editMessageText", "answerCallbackQuery", "sendMessage", "editMessageReplyMarkup"]
)
@pytest.mark.parametrize(
    "fault", ["server_error", "bad_gateway", "timeout", "timeout_after_delivery", "flood"]
)
async def test_participant_finishes_despite_faults(bot: Harness, method: str, fault: str) -> None:
    await bot.send(USER, f"/start {CODE}")
    await bot.tap(USER, screens.AGREE)
    for _ in range(3):  # a fault now and then, all through the questionnaire
        bot.fake.inject_fault(method, fault, retry_after=1)
    labels = list(SCRIPT)
    for _ in range(30):
        if not labels:
            break
        await answer_what_is_shown(bot, labels)
    assert bot.answers(USER) == EXPECTED
    for _ in range(5):
        if screens.SUBMIT in bot.buttons(USER):
            await bot.tap(USER, screens.SUBMIT)
        if bot.rows("SELECT submitted_at FROM responses WHERE submitted_at IS NOT NULL"):
            break
        await bot.send(USER, "/resume")
    assert bot.rows("SELECT count(*) FROM responses WHERE submitted_at IS NOT NULL") == [(1,)]
    assert bot.rows("SELECT count(*) FROM answers") == [(len(EXPECTED),)]
    assert not any("Traceback" in str(m.get("text")) for m in bot.fake.messages(USER))


async def test_query_too_old_and_not_modified_are_harmless(bot: Harness) -> None:
    await bot.send(USER, f"/start {CODE}")
    await bot.tap(USER, screens.AGREE)
    update = bot.fake.tap(USER, bot.last(USER)["message_id"], button_text="Education")
    await bot.deliver()
    bot.fake.duplicate(update)  # its query is answered already: "query is too old"
    await bot.deliver()
    await bot.forge(USER, "a:RS-LDN-0314:pre:sector:2")  # would edit to identical content
    assert bot.answers(USER) == {"sector": "Education"}
    assert "Question 2 of 5" in bot.text(USER)
