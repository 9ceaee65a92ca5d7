"""The simulation kit's safety nets can fail: the HTML check and the database audit."""

from __future__ import annotations

from bot.screens import participant as screens
from conftest import FACILITATORS, Harness
from sim.telegram.api import FakeTelegram
from sim.testing.audit import Tapped, audit_answers, read_stored

USER = 7301
CODE = "RS-LDN-0314"


async def test_html_telegram_would_refuse_is_refused() -> None:
    fake = FakeTelegram()
    fake.channel(FACILITATORS)
    send = {"chat_id": str(FACILITATORS), "parse_mode": "HTML"}
    for unescaped in ("a < b", "Q&A", "<b>bold", "<b>x</i>", "<div>x</div>"):
        status, body = await fake.call("sendMessage", {**send, "text": unescaped})
        assert status == 400 and "can't parse entities" in body["description"], unescaped
    status, body = await fake.call("sendMessage", {**send, "text": "<b>Q&amp;A</b> &lt;3"})
    assert status == 200
    assert body["result"]["text"] == "Q&A <3"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 3}]


async def test_the_audit_tells_lost_unseen_and_untapped_answers_apart(bot: Harness) -> None:
    await bot.send(USER, f"/start {CODE}")
    await bot.tap(USER, screens.AGREE)
    await bot.tap(USER, "Education")
    await bot.tap(USER, "Clinician")
    stored = read_stored(bot.config.bot.database)
    assert stored.answers[(USER, CODE, "pre")] == {"sector": "Education", "role": "Clinician"}

    def tap(question: str, value: str, accepted: bool) -> Tapped:
        return Tapped(USER, CODE, "pre", question, value, accepted)

    seen = [tap("sector", "Education", True), tap("role", "Clinician", True)]
    clean = audit_answers(stored, seen)
    assert (clean.as_last_accepted, clean.lost, clean.problems) == (2, 0, [])

    # The participant saw another value accepted later, or an answer nobody stored.
    lost = audit_answers(
        stored, [*seen, tap("role", "Other", True), tap("conf_support", "4", True)]
    )
    assert lost.lost == 2 and len(lost.problems) == 2
    # Stored although its tap was never seen taken (a kill before the reply, say).
    unseen = audit_answers(stored, [seen[0], tap("role", "Clinician", False)])
    assert unseen.never_seen_accepted == 1 and unseen.problems == []
    # Stored although nobody tapped that question at all.
    phantom = audit_answers(stored, seen[:1])
    assert phantom.phantom == 1 and "never tapped" in phantom.problems[0]
