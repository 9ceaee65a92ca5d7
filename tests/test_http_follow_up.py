"""The follow-up weeks later, in real time, with `feedback-bot run` as a process over HTTP.

Durations are seconds instead of weeks. Five people answer before and after the module;
one says no to the follow-up, one never submits the post questionnaire. The follow-up is
pushed once to the three it is for, a reminder reaches only those who have not finished
it, the bot is killed with SIGKILL between the push and the close and started again, and
the follow-up summary reaches the channel exactly once. Its figures are then checked
against a computation of our own on `feedback-bot export`'s CSV.
"""

from __future__ import annotations

import asyncio
import csv
import math
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bot.screens import participant as screens
from http_kit import TOKEN, bot_process, write_config
from report_data import exported
from sim.participant import Participant
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer

pytestmark = pytest.mark.e2e

CHANNEL = -1009000000002
CODE = "RS-HTTP-1"
A, B, C, D, E = 7001, 7002, 7003, 7004, 7005
RATINGS = {  # conf_support, conf_explain, thrive_knowledge: before, after, at the follow-up
    A: (("2", "3", "2"), ("4", "4", "3"), ("4", "5", "3")),
    B: (("3", "2", "2"), ("4", "3", "4"), ("3", "3", "4")),
    C: (("1", "2", "3"), ("3", "3", "3"), ()),
    D: (("2", "2", "2"), (), ()),
    E: (("2", "1", "3"), ("3", "4", "4"), ("5", "3", "2")),
}
USED = {A: "Yes, several times", B: "Not yet", E: "Yes, once or twice"}
HELPED = {A: "Support from my manager or team", B: "Other", E: "Time set aside to practise"}
HINDERED = {A: "Not enough time", B: "No suitable case yet", E: "Not enough time"}
TRACKED = ("conf_support", "conf_explain", "thrive_knowledge")
LABELS = {
    "conf_support": "Confidence supporting families in the risk support group",
    "conf_explain": "Confidence explaining risk support to a third party",
    "thrive_knowledge": "Knowledge of the THRIVE framework",
}


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(FakeTelegram(TOKEN), hold_seconds=2) as srv:
        yield srv


async def answer(person: Participant, labels: tuple[str, ...]) -> None:
    """Tap these buttons of the newest message in turn, each once the bot has shown it."""
    for label in labels:
        screen = person.screen()
        button = next(
            (b for b in screen.buttons if b.label.removeprefix(screens.CHECK) == label), None
        )
        assert button is not None, (label, screen.text)
        assert await person.tap(button), label


def pre(user: int) -> tuple[str, ...]:
    return ("Education", "Clinician", *RATINGS[user][0], screens.SUBMIT)


def post(user: int) -> tuple[str, ...]:
    return ("Yes", "5", "4", *RATINGS[user][1], screens.SKIP, screens.SUBMIT)


def later(user: int) -> tuple[str, ...]:
    return (
        USED[user],
        HELPED[user],
        HINDERED[user],
        *RATINGS[user][2],
        screens.SKIP,
        screens.SUBMIT,
    )


def sent(fake: FakeTelegram, user: int, words: str) -> int:
    """Messages with these words the bot sent to this user (edits later aside)."""
    return sum(
        str(call.get("chat_id")) == str(user) and words in str(call.get("text"))
        for call in fake.calls_of("sendMessage")
    )


def channel(fake: FakeTelegram, words: str) -> list[dict[str, object]]:
    """The channel's posts (texts, or captions of photos and files) with these words."""
    return [
        m for m in fake.messages(CHANNEL) if words in str(m.get("text") or m.get("caption") or "")
    ]


async def wall_clock(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def test_follow_up_over_http_with_a_kill(tmp_path: Path, server: BotApiServer) -> None:
    fake = server.fake
    fake.channel(CHANNEL, "Facilitators")
    # Half as much again as a quiet machine needs: these tests share the cores with others.
    ends_in = timedelta(seconds=15)
    ends_at = datetime.now(UTC).replace(microsecond=0) + ends_in
    opens_at = ends_at + timedelta(seconds=18)
    closes_at = opens_at + timedelta(seconds=33)
    config = write_config(
        tmp_path,
        server,
        ends_in=ends_in,
        schedule={
            "post_open_for": "15s",
            "reminders": ["9s"],
            "follow_up_after": "18s",
            "follow_up_open_for": "33s",
            "follow_up_reminders": ["11s"],
        },
        # Every figure shown, so that each can be checked against the export.
        analysis={"min_cell_size": 1, "min_pairs_for_tests": 2},
        facilitators_chat=CHANNEL,
    )
    people = {user: Participant(fake, user, within=30) for user in RATINGS}
    bot = bot_process(config)
    await bot.start()
    try:
        for user, person in people.items():
            assert await person.send(f"/start {CODE}")
            await answer(person, (screens.AGREE, *pre(user)))
        assert datetime.now(UTC) < ends_at, "the room was too slow for the module's end"

        # The module ends: the post questionnaire is pushed; four of five submit it.
        for person in people.values():
            assert await person.until(lambda p=person: p.screen().begin is not None)
        for user in (A, B, C, E):
            await answer(people[user], (screens.START_POST, *post(user)))
            assert people[user].screen().buttons[0].label == screens.NO_FOLLOW_UP
        await answer(people[C], (screens.NO_FOLLOW_UP,))  # C says no to the follow-up
        assert "opted out" in people[C].screen().text

        # Weeks later (seconds here): pushed once, to A, B and E only.
        await wall_clock(opens_at)
        for user in (A, B, E):
            assert await people[user].until(lambda u=user: sent(fake, u, "Some weeks ago") == 1)
        await answer(people[A], (screens.START_POST, *later(A)))
        assert "That was the last questionnaire" in people[A].screen().text
        await answer(people[E], (screens.START_POST, *later(E)[:3]))  # E stops half-way

        # The reminder: only to those who have not finished it.
        for user in (B, E):
            assert await people[user].until(lambda u=user: sent(fake, u, "how have you used") == 1)
        await asyncio.sleep(1)  # the reminders recorded as sent

        # Killed between the push and the close, and started again.
        assert datetime.now(UTC) < closes_at - timedelta(seconds=8)
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
        await bot.start()
        assert await people[E].send("/resume")
        assert "Question 4 of 7" in people[E].screen().text  # nothing E gave was lost
        await answer(people[E], later(E)[3:])
        await answer(people[B], (screens.CONTINUE_POST, *later(B)))
        assert datetime.now(UTC) < closes_at, "the follow-up closed before the room finished"

        # It closes: the follow-up summary, exactly once, in the summary's shape.
        assert await fake.wait_until(
            lambda: channel(fake, "Evaluation report with the follow-up"), 40
        )
        await asyncio.sleep(2)  # anything more that would come
        assert await bot.stop(signal.SIGTERM) == 0
    finally:
        await bot.ensure_dead()

    assert [sent(fake, u, "Some weeks ago") for u in RATINGS] == [1, 1, 0, 0, 1]
    assert [sent(fake, u, "how have you used") for u in RATINGS] == [0, 1, 0, 0, 1]
    assert len(channel(fake, "Follow-up summary")) == 1
    assert len(channel(fake, "Follow-up charts")) == 1  # the album's first photo
    assert len(channel(fake, "Evaluation report with the follow-up")) == 1
    assert len(channel(fake, "Evaluation summary")) == 1  # the module's, weeks before
    message = str(channel(fake, "Follow-up summary")[0]["text"])

    # Every answer of the follow-up seen accepted is stored, once (the table's key).
    export = exported(config, CODE, tmp_path / "answers.csv")
    rows = list(csv.DictReader(export.read_text(encoding="utf-8-sig").splitlines()))
    later_rows = [r for r in rows if r["phase"] == "follow_up"]
    assert len(later_rows) == 3 * 7
    for name, expected in independent_figures(rows).items():
        assert expected in message, (name, expected, message)


def fmt(value: float, signed: bool = False) -> str:
    text = str(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if text == "-0.00":
        text = "0.00"
    if signed:
        text = (
            text.replace("-", "−")
            if text.startswith("-")
            else ("+" + text if text != "0.00" else text)
        )
    return text


def independent_figures(rows: list[dict[str, str]]) -> dict[str, str]:
    """The figures the follow-up message must show, computed from the export alone."""
    by: dict[tuple[str, str, str], str] = {
        (r["participant"], r["phase"], r["question"]): r["value"] for r in rows if r["value"]
    }
    people = sorted({r["participant"] for r in rows})
    expected: dict[str, str] = {}
    used = [
        v for (p, phase, q), v in by.items() if phase == "follow_up" and q == "used_in_practice"
    ]
    yes = sum(v.startswith("Yes") for v in used)
    share = int(Decimal(100 * yes / len(used)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    expected["used"] = f"{share}% have used it in practice since the module ({yes} of {len(used)}"
    for question in TRACKED:
        points = []
        for phase, word in (
            ("pre", "before"),
            ("post", "after"),
            ("follow_up", "at the follow-up"),
        ):
            values = [int(by[p, phase, question]) for p in people if (p, phase, question) in by]
            points.append(f"{fmt(sum(values) / len(values))} {word} (n = {len(values)})")
        expected[f"{question} points"] = f"{LABELS[question]}: " + ", ".join(points)
        for start, span in (("post", "after the module"), ("pre", "before the module")):
            pairs = [
                (int(by[p, start, question]), int(by[p, "follow_up", question]))
                for p in people
                if (p, start, question) in by and (p, "follow_up", question) in by
            ]
            diff = np.array([b - a for a, b in pairs], dtype=float)
            n = len(diff)
            mean = diff.mean()
            text = (
                f"{LABELS[question]}, {span} → follow-up: {n} matched pairs, "
                f"mean change {fmt(mean, True)}"
            )
            if diff.std() > 0:
                half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
                text += f" (95% CI {fmt(mean - half, True)} to {fmt(mean + half, True)})"
            expected[f"{question} {start}"] = text
    return expected
