"""Cohorts run from the chat, through the real Application and the simulated Bot API:
created by dialogue and in one line, joined by the card's link, moved, cancelled, and
refused to everyone who may not run them."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from bot.screens import admin as admin_screens
from bot.screens import cohorts as cohort_screens
from bot.screens import participant as screens
from bot.screens import privacy as privacy_screens
from conftest import ADMIN, BOTH_ENGINES, Clock, Harness, write_config
from core.config import load_config
from core.schedule import Event
from core.storage import Target

# Each test runs on SQLite and on PostgreSQL (a real server).
pytestmark = BOTH_ENGINES

FACILITATOR = 501
OTHER_FACILITATOR = 502
PARTICIPANT = 7001
LINK = "https://t.me/feedback_test_bot?start="
# The harness clock starts at 10:00 UTC on 14 March 2026; these cohorts run that afternoon.
TODAY = "2026-03-14"
PRE = ("Education", "Clinician", "2", "3", "2", screens.SUBMIT)
POST = ("Yes", "5", "4", "4", "4", "4", screens.SKIP, screens.SUBMIT)


def staff_config(tmp_path: Path, database: Target) -> Path:
    path = write_config(tmp_path, database=database)
    text = path.read_text().replace(
        "admins = [999]", f"admins = [999]\nfacilitators = [{FACILITATOR}, {OTHER_FACILITATOR}]"
    )
    path.write_text(text)
    return path


@pytest.fixture
async def bot(tmp_path: Path, clock: Clock, database: Target) -> AsyncIterator[Harness]:
    harness = Harness(load_config(staff_config(tmp_path, database)), clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def stored(bot: Harness) -> list[tuple[Any, ...]]:
    return bot.rows(
        "SELECT c.code, c.module, c.site, c.start_at, c.end_at, s.created_by, s.archived_at"
        " FROM stored_cohorts s JOIN cohorts c ON c.code = s.code ORDER BY c.code"
    )


def file_of(bot: Harness, message: dict[str, Any]) -> bytes:
    file_id = (
        message["photo"][-1]["file_id"] if "photo" in message else message["document"]["file_id"]
    )
    return bot.fake.files[file_id].data


def decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def messages_since(bot: Harness, user: int, count: int) -> list[dict[str, Any]]:
    return bot.fake.messages(user)[count:]


async def one_line(bot: Harness, user: int, line: str) -> str:
    """Send a /newcohort one-liner; return the code of the cohort it made."""
    before = {row[0] for row in stored(bot)}
    await bot.send(user, f"/newcohort {line}")
    made = {row[0] for row in stored(bot)} - before
    assert len(made) == 1, bot.fake.messages(user)[-3:]
    return made.pop()


async def join_and_answer_pre(bot: Harness, user: int, code: str) -> None:
    await bot.send(user, f"/start {code}")
    await bot.tap(user, screens.AGREE)
    for label in PRE:
        await bot.tap(user, label)
    assert "Thank you" in bot.text(user)


def push_job_in(bot: Harness, code: str) -> float:
    """Seconds until the named JobQueue job of the cohort's push runs (on the real clock)."""
    assert bot.app is not None and bot.app.job_queue is not None
    jobs = [j for j in bot.app.job_queue.jobs() if j.name == f"event:{code}:post_push"]
    assert len(jobs) == 1
    return float((jobs[0].job.trigger.run_date - datetime.now(UTC)).total_seconds())


def kinds(done: list[Event], code: str) -> list[str]:
    return [e.kind for e in done if e.cohort == code]


def summaries(bot: Harness, code: str) -> int:
    return sum("Evaluation summary" in t and code in t for t in bot.channel_texts())


async def test_admin_creates_a_cohort_by_dialogue_and_gets_the_card(bot: Harness) -> None:
    await bot.send(ADMIN, "/newcohort")
    assert "which module" in bot.text(ADMIN)
    assert bot.buttons(ADMIN) == ["Risk Support", "Getting Help", cohort_screens.CANCEL]
    await bot.tap(ADMIN, "Risk Support")
    assert "Type the site" in bot.text(ADMIN)
    await bot.send(ADMIN, "Manchester")
    assert "When?" in bot.text(ADMIN)
    await bot.send(ADMIN, "2 Apr 9:30–16:30")
    assert "RS-MAN-0402" in bot.text(ADMIN)
    await bot.tap(ADMIN, cohort_screens.USE_CODE.format(code="RS-MAN-0402"))
    confirm = bot.text(ADMIN)
    for detail in ("Risk Support", "Manchester", "Thu 02 Apr 2026 09:30–16:30", "RS-MAN-0402"):
        assert detail in confirm
    assert bot.buttons(ADMIN) == [cohort_screens.CREATE, cohort_screens.CANCEL]
    assert stored(bot) == []  # nothing before Create
    seen = len(bot.fake.messages(ADMIN))
    confirmation = bot.last(ADMIN)["message_id"]
    await bot.tap(ADMIN, cohort_screens.CREATE)
    kept = next(m for m in bot.fake.messages(ADMIN) if m["message_id"] == confirmation)
    assert kept["text"].endswith("✅ Created.") and not bot.fake.buttons(kept)

    assert stored(bot) == [
        (
            "RS-MAN-0402",
            "risk-support",
            "Manchester",
            "2026-04-02T09:30:00+00:00",
            "2026-04-02T16:30:00+00:00",
            "admin 999",
            None,
        )
    ]
    sent = messages_since(bot, ADMIN, seen)
    link = f"{LINK}RS-MAN-0402"
    assert link in sent[0]["text"]
    qr, card = sent[1], sent[2]
    assert decoded(file_of(bot, qr)) == [link]
    card_png = Image.open(io.BytesIO(file_of(bot, card)))
    assert card_png.size == (1748, 2480)  # A5 at 300 dpi
    assert card["document"]["file_name"] == "RS-MAN-0402-card-A5.png"
    assert decoded(file_of(bot, card)) == [link]

    # The card again, any time.
    await bot.send(ADMIN, "/card rs-man-0402")
    assert decoded(file_of(bot, bot.fake.messages(ADMIN)[-2])) == [link]


async def test_the_dialogue_survives_a_restart_and_a_typed_code(bot: Harness) -> None:
    await bot.send(ADMIN, "/newcohort")
    await bot.tap(ADMIN, "Getting Help")
    await bot.send(ADMIN, "Leeds")
    await bot.restart()
    await bot.send(ADMIN, "2026-04-02 09:30 16:30")
    await bot.send(ADMIN, "bad code!")
    assert "2 to 20 letters" in bot.text(ADMIN)
    await bot.send(ADMIN, "RS-LDN-0314")  # a config cohort's code
    assert "already taken" in bot.text(ADMIN)
    await bot.send(ADMIN, "gh-leeds-spring")
    assert "GH-LEEDS-SPRING" in bot.text(ADMIN)
    await bot.restart()
    await bot.tap(ADMIN, cohort_screens.CREATE)
    assert [row[0] for row in stored(bot)] == ["GH-LEEDS-SPRING"]
    # A second tap (double tap, stale client) on the finished dialogue changes nothing.
    message = next(
        m for m in bot.fake.messages(ADMIN) if "Create this cohort" in str(m.get("text"))
    )
    await bot.forge(ADMIN, "co:y", message["message_id"])
    assert len(stored(bot)) == 1
    assert "That step is over" in bot.toasts()[-1]


async def test_cancel_in_the_dialogue_creates_nothing(bot: Harness) -> None:
    await bot.send(ADMIN, "/newcohort")
    await bot.tap(ADMIN, "Risk Support")
    await bot.send(ADMIN, "/cancel")
    assert "nothing was created" in bot.text(ADMIN)
    await bot.send(ADMIN, "Leeds")  # no longer part of a dialogue
    assert stored(bot) == [] and bot.rows("SELECT * FROM cohort_drafts") == []


async def test_one_line_form_and_the_whole_life_of_a_moved_cohort(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, f"risk-support Milton Keynes {TODAY} 12:00 16:00")
    assert code == "RS-MIL-0314"
    link = f"{LINK}{code}"
    assert any(link in str(m.get("text")) for m in bot.fake.messages(ADMIN))
    # Participants join with the link (Telegram sends /start CODE) and answer.
    for user in (7101, 7102):
        await join_and_answer_pre(bot, user, code)
    await bot.restart()

    assert push_job_in(bot, code) == pytest.approx(6 * 3600, abs=60)  # 10:00 → 16:00

    # Before it starts, the end moves earlier than first set: the jobs follow at once.
    await bot.send(ADMIN, f"/editcohort {code} end 14:00")
    assert "16:00" in bot.text(ADMIN) and "14:00" in bot.text(ADMIN)
    assert stored(bot)[0][4] == "2026-03-14T14:00:00+00:00"
    assert push_job_in(bot, code) == pytest.approx(4 * 3600, abs=60)
    await bot.restart()

    bot.clock.now = datetime(2026, 3, 14, 13, 59, tzinfo=UTC)
    assert kinds(await bot.run_due(), code) == []
    bot.clock.now = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    assert kinds(await bot.run_due(), code) == ["post_push"]
    assert bot.buttons(7101) == [screens.START_POST]
    await bot.tap(7101, screens.START_POST)
    for label in POST:
        await bot.tap(7101, label)
    bot.clock.advance(hours=1)
    assert kinds(await bot.run_due(), code) == ["reminder_1"]
    assert "A reminder" in bot.text(7102) and "A reminder" not in bot.text(7101)
    bot.clock.now = datetime(2026, 3, 16, 13, 59, tzinfo=UTC)
    assert kinds(await bot.run_due(), code) == ["reminder_2"]
    assert summaries(bot, code) == 0
    bot.clock.now = datetime(2026, 3, 16, 14, 0, tzinfo=UTC)  # post closes 2 days after end
    assert kinds(await bot.run_due(), code) == ["summary"]
    bot.clock.now = datetime(2026, 3, 16, 16, 0, tzinfo=UTC)  # the first end, too late
    await bot.restart()
    assert kinds(await bot.run_due(), code) == []
    assert summaries(bot, code) == 1

    # /report and /export work for a chat-made cohort.
    await bot.send(ADMIN, f"/export {code}")
    names = [m["document"]["file_name"] for m in bot.fake.messages(ADMIN) if m.get("document")]
    assert f"{code}-answers.csv" in names


async def test_a_started_cohort_only_moves_its_end_later(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, f"risk-support Leeds {TODAY} 11:00 15:00")
    bot.clock.now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    before = stored(bot)
    for change in ("end 14:00", "site York", f"times {TODAY} 13:00 15:00"):
        await bot.send(ADMIN, f"/editcohort {code} {change}")
        assert "has started" in bot.text(ADMIN)
    assert stored(bot) == before
    await bot.send(ADMIN, f"/editcohort {code}")
    await bot.send(ADMIN, "end at tea time")
    assert "Give one time" in bot.text(ADMIN)
    await bot.send(ADMIN, "end 17:30")
    assert stored(bot)[0][4] == "2026-03-14T17:30:00+00:00"
    assert stored(bot)[0][5] == "admin 999"  # created by; changed_by shows in /cohorts
    await bot.send(ADMIN, "/cohorts")
    assert "changed by admin 999" in bot.text(ADMIN)


async def test_config_cohorts_are_read_only(bot: Harness) -> None:
    for command in ("/editcohort RS-LDN-0314 site York", "/cancelcohort RS-LDN-0314"):
        await bot.send(ADMIN, command)
        assert "config file" in bot.text(ADMIN)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("risk-support Leeds 31 Feb 09:00 12:00", "no such day"),
        ("risk-support Leeds someday 09:00 12:00", "could not find a date"),
        (f"juggling Leeds {TODAY} 12:00 16:00", "no module called “juggling”"),
        (f"risk-support Leeds {TODAY} 08:00 09:00", "in the past"),
        (f"risk-support Leeds {TODAY} 16:00 12:00", "end time must be after"),
        (f"risk-support L {TODAY} 12:00 16:00", "site should be"),
        ("risk-support Leeds", "Usage: /newcohort"),
    ],
)
async def test_bad_input_gets_one_clear_message_and_changes_nothing(
    bot: Harness, line: str, message: str
) -> None:
    seen = len(bot.fake.messages(ADMIN))
    await bot.send(ADMIN, f"/newcohort {line}")
    replies = messages_since(bot, ADMIN, seen)
    assert len(replies) == 1 and message in replies[0]["text"], replies
    assert stored(bot) == [] and len(bot.rows("SELECT * FROM cohorts")) == 2


async def test_duplicate_code_and_bad_times_in_the_dialogue(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, "risk-support Manchester 2026-04-02 09:30 16:30")
    await bot.send(ADMIN, "/newcohort")
    await bot.tap(ADMIN, "Risk Support")
    await bot.send(ADMIN, "Manchester")
    seen = len(bot.fake.messages(ADMIN))
    await bot.send(ADMIN, "yesterday-ish")
    await bot.send(ADMIN, "2 Mar 2026 9:00-10:00")
    texts = [m["text"] for m in messages_since(bot, ADMIN, seen)]
    assert len(texts) == 2 and "could not find a date" in texts[0] and "past" in texts[1]
    # The same module, site and times as a cohort already there: refused, at once.
    await bot.send(ADMIN, "2 Apr 9:30–16:30")
    assert bot.text(ADMIN) == (
        f"{code} (Manchester, Thu 02 Apr 2026 09:30–16:30) already has this module, site and "
        "times. Type other times, or /cancel."
    )
    await bot.send(ADMIN, "2 Apr 10:00–16:30")
    assert "RS-MAN-0402-2" in bot.text(ADMIN)  # the first suggestion is taken
    await bot.send(ADMIN, code)
    assert bot.text(ADMIN) == f"The code {code} is already taken. Type another."
    assert [row[0] for row in stored(bot)] == [code]


async def test_cancel_deletes_an_empty_cohort_and_archives_one_with_answers(bot: Harness) -> None:
    empty = await one_line(bot, ADMIN, f"getting-help Leeds {TODAY} 12:00 16:00")
    await bot.send(ADMIN, f"/cancelcohort {empty}")
    assert "deleted" in bot.text(ADMIN)
    assert bot.rows("SELECT * FROM cohorts WHERE code = ?", (empty,)) == []

    code = await one_line(bot, ADMIN, f"risk-support Leeds {TODAY} 12:00 16:00")
    await join_and_answer_pre(bot, 7201, code)
    await bot.send(ADMIN, f"/cancelcohort {code}")
    assert "archived" in bot.text(ADMIN)
    assert stored(bot)[0][6] is not None
    await bot.send(7201, "/resume")
    assert "Thank you" not in bot.text(7201)  # nothing to answer: its questionnaires closed
    bot.clock.now = datetime(2026, 3, 20, tzinfo=UTC)
    await bot.run_due()
    assert summaries(bot, code) == 0
    pushed = [
        m for m in bot.fake.messages(7201) if "Thank you for taking part" in str(m.get("text"))
    ]
    assert pushed == []
    assert bot.answers(7201) != {}  # the data stays
    await bot.send(ADMIN, f"/cancelcohort {code}")
    assert "was cancelled" in bot.text(ADMIN)


async def test_facilitator_makes_and_sees_only_their_own_cohorts(bot: Harness) -> None:
    mine = await one_line(bot, FACILITATOR, f"risk-support Leeds {TODAY} 12:00 16:00")
    theirs = await one_line(bot, OTHER_FACILITATOR, f"getting-help York {TODAY} 12:00 16:00")
    admins = await one_line(bot, ADMIN, f"getting-help Hull {TODAY} 12:00 16:00")
    created_by = {row[0]: row[5] for row in stored(bot)}
    assert (
        created_by[mine].startswith("facilitator p-") and str(FACILITATOR) not in created_by[mine]
    )

    await bot.send(FACILITATOR, "/cohorts")
    listing = bot.text(FACILITATOR)
    assert mine in listing
    for other in (theirs, admins, "RS-LDN-0314", "GH-LDN-0314"):
        assert other not in listing
    await bot.send(ADMIN, "/cohorts")
    for code in (mine, theirs, admins, "RS-LDN-0314"):
        assert code in bot.text(ADMIN)

    await join_and_answer_pre(bot, 7301, mine)
    await bot.send(FACILITATOR, "/status")
    assert mine in bot.text(FACILITATOR) and "1 joined" in bot.text(FACILITATOR)
    assert theirs not in bot.text(FACILITATOR)
    await bot.send(FACILITATOR, f"/remind {mine}")
    assert "Reminder sent to 0 participant" in bot.text(FACILITATOR)  # 7301 submitted
    await bot.send(FACILITATOR, f"/card {mine}")
    assert decoded(file_of(bot, bot.fake.messages(FACILITATOR)[-2])) == [f"{LINK}{mine}"]
    await bot.send(FACILITATOR, f"/editcohort {mine} site Bradford")
    assert stored(bot)[[r[0] for r in stored(bot)].index(mine)][2] == "Bradford"


FACILITATOR_REFUSED = [
    "/export RS-LDN-0314",
    "/report RS-LDN-0314",
    "/open RS-LDN-0314 post",
    "/close RS-LDN-0314 pre",
    "/remind RS-LDN-0314",
    "/card RS-LDN-0314",
    "/editcohort RS-LDN-0314 site York",
    "/cancelcohort RS-LDN-0314",
    "/card {other}",
    "/editcohort {other} site York",
    "/cancelcohort {other}",
    "/remind {other}",
]
PARTICIPANT_REFUSED = [
    "/newcohort",
    "/newcohort risk-support Leeds 2026-03-14 12:00 16:00",
    "/cohorts",
    "/card {other}",
    "/editcohort {other} site York",
    "/cancelcohort {other}",
    "/status",
    "/remind {other}",
    "/export {other}",
    "/report {other}",
    "/open {other} post",
    "/close {other} pre",
]


@pytest.mark.parametrize(
    ("user", "command"),
    [(FACILITATOR, c) for c in FACILITATOR_REFUSED]
    + [(PARTICIPANT, c) for c in PARTICIPANT_REFUSED],
)
async def test_refusals_by_role_and_command(
    bot: Harness, user: int, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = await one_line(bot, OTHER_FACILITATOR, f"risk-support York {TODAY} 12:00 16:00")
    await join_and_answer_pre(bot, 7401, other)
    tables = ("cohorts", "stored_cohorts", "windows", "events", "cohort_drafts", "deliveries")
    before = {t: bot.rows(f"SELECT * FROM {t}") for t in tables}
    seen = len(bot.fake.messages(user))
    caplog.clear()
    await bot.send(user, command.format(other=other))
    replies = messages_since(bot, user, seen)
    assert len(replies) == 1
    assert not any(m.get("document") or m.get("photo") for m in replies)
    text = replies[0]["text"]
    assert "only for the programme team" in text or "No cohort of yours" in text, text
    assert {t: bot.rows(f"SELECT * FROM {t}") for t in tables} == before
    assert "A reminder" not in bot.text(7401)
    assert any("refused" in r.message and str(user) in r.message for r in caplog.records)


BUTTONS_REFUSED = [(FACILITATOR, f"{a}:{{other}}") for a in ("k", "e", "s")] + [
    (PARTICIPANT, data) for data in ("k:{other}", "e:{other}", "s:{other}", "m:risk-support", "y")
]


@pytest.mark.parametrize(("user", "data"), BUTTONS_REFUSED)
async def test_refused_buttons(
    bot: Harness, user: int, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = await one_line(bot, OTHER_FACILITATOR, f"getting-help York {TODAY} 12:00 16:00")
    await bot.send(user, "/help")
    seen = len(bot.fake.messages(user))
    caplog.clear()
    await bot.forge(user, "co:" + data.format(other=other))
    assert messages_since(bot, user, seen) == []
    assert bot.rows("SELECT * FROM cohort_drafts") == []
    assert "Sorry" in bot.toasts()[-1]
    assert any("refused" in r.message and str(user) in r.message for r in caplog.records)


async def test_command_menus_per_role(bot: Harness) -> None:
    calls = bot.fake.calls_of("setMyCommands")

    def menu(chat: int | None) -> set[str]:
        call = next(c for c in calls if c.get("scope", {}).get("chat_id") == chat)
        return {c["command"] for c in call["commands"]}

    default = next(c for c in calls if "scope" not in c)
    assert "newcohort" not in {c["command"] for c in default["commands"]}
    assert {"newcohort", "card", "cohorts", "status", "remind"} <= menu(FACILITATOR)
    assert not {"export", "report", "open", "close"} & menu(FACILITATOR)
    assert {"newcohort", "card", "export", "report", "open"} <= menu(ADMIN)


async def test_cohorts_buttons(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, f"risk-support Leeds {TODAY} 12:00 16:00")
    await bot.send(ADMIN, "/cohorts")
    listing = bot.last(ADMIN)
    assert f"{cohort_screens.CARD} {code}" in bot.buttons(
        ADMIN
    ) and cohort_screens.EDIT in bot.buttons(ADMIN)
    await bot.tap(ADMIN, f"{cohort_screens.CARD} {code}", listing["message_id"])
    assert decoded(file_of(bot, bot.fake.messages(ADMIN)[-2])) == [f"{LINK}{code}"]
    rows = [r for r in bot.fake.buttons(listing) if f"{cohort_screens.CARD} {code}" in r]
    assert rows == [[f"{cohort_screens.CARD} {code}", cohort_screens.EDIT, cohort_screens.STATUS]]
    bot.fake.tap(ADMIN, listing["message_id"], button_text=cohort_screens.EDIT)
    await bot.deliver()
    assert f"Change {code}" in bot.text(ADMIN)
    await bot.send(ADMIN, "times 2026-03-14 12:30 16:30")
    assert stored(bot)[0][3] == "2026-03-14T12:30:00+00:00"


async def test_the_same_session_is_not_made_twice_from_the_chat(bot: Harness) -> None:
    code = await one_line(bot, FACILITATOR, f"risk-support Leeds {TODAY} 12:00 16:00")
    seen = len(bot.fake.messages(ADMIN))
    await bot.send(ADMIN, f"/newcohort risk-support  LEEDS {TODAY} 12:00 16:00")
    assert [m["text"] for m in messages_since(bot, ADMIN, seen)] == [
        f"{code} (Leeds, Sat 14 Mar 2026 12:00–16:00) already has this module, site and "
        "times. Nothing was created."
    ]
    assert [row[0] for row in stored(bot)] == [code]


async def test_one_guard_says_which_staff_may(bot: Harness) -> None:
    for command in ("/report RS-LDN-0314", "/export RS-LDN-0314", "/open RS-LDN-0314 post"):
        await bot.send(FACILITATOR, command)
        assert bot.text(FACILITATOR) == admin_screens.ADMINS_ONLY
        await bot.send(PARTICIPANT, command)
        assert bot.text(PARTICIPANT) == admin_screens.REFUSAL
    # The admins' /status and /remind, on the facilitator's own cohorts only.
    await bot.send(FACILITATOR, "/status")
    assert bot.text(FACILITATOR) == admin_screens.NONE_OF_YOURS_OPEN
    await bot.send(ADMIN, "/status")
    assert "RS-LDN-0314" in bot.text(ADMIN) and "GH-LDN-0314" in bot.text(ADMIN)
    await bot.send(ADMIN, "/remind NO-SUCH")
    assert bot.text(ADMIN) == "No cohort of yours has the code NO-SUCH. See /cohorts."
    await bot.send(FACILITATOR, "/cancel")
    assert bot.text(FACILITATOR) == cohort_screens.NOTHING_TO_CANCEL


async def test_the_edit_button_in_a_group_points_to_a_private_chat(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, f"risk-support Leeds {TODAY} 12:00 16:00")
    group = -4002
    bot.fake.send_text(ADMIN, "/cohorts", chat_id=group)
    await bot.deliver()
    listing = bot.fake.messages(group)[-1]
    bot.fake.tap(ADMIN, listing["message_id"], button_text=cohort_screens.EDIT, chat_id=group)
    await bot.deliver()
    assert bot.fake.messages(group)[-1]["text"] == cohort_screens.PRIVATE_DIALOGUE.replace(
        "<code>", ""
    ).replace("</code>", "")
    assert bot.rows("SELECT * FROM cohort_drafts") == []
    assert code in listing["text"]


async def test_config_cohorts_can_list_their_facilitators(
    tmp_path: Path, clock: Clock, database: Target
) -> None:
    path = staff_config(tmp_path, database)
    text = path.read_text().replace(
        'site = "London"\n', f'site = "London"\nfacilitators = [{FACILITATOR}]\n', 1
    )
    path.write_text(text)
    harness = Harness(load_config(path), clock)
    await harness.start()
    try:
        await harness.send(FACILITATOR, "/cohorts")
        assert "RS-LDN-0314" in harness.text(FACILITATOR)
        assert "GH-LDN-0314" not in harness.text(FACILITATOR)
        assert "from the config file" in harness.text(FACILITATOR)
        assert cohort_screens.EDIT not in harness.buttons(FACILITATOR)  # read-only from the chat
    finally:
        await harness.stop()


async def test_in_a_group_only_the_one_line_form(bot: Harness) -> None:
    group = -4001
    bot.fake.user(ADMIN)
    bot.fake.send_text(ADMIN, "/newcohort", chat_id=group)
    await bot.deliver()
    assert "private chat" in str(bot.fake.messages(group)[-1]["text"])
    assert bot.rows("SELECT * FROM cohort_drafts") == []
    bot.fake.send_text(ADMIN, f"/newcohort risk-support Leeds {TODAY} 12:00 16:00", chat_id=group)
    await bot.deliver()
    assert [row[0] for row in stored(bot)] == ["RS-LEE-0314"]


async def test_a_day_old_dialogue_is_forgotten(bot: Harness) -> None:
    await bot.send(ADMIN, "/newcohort")
    await bot.tap(ADMIN, "Risk Support")
    bot.clock.advance(days=2)
    await bot.send(ADMIN, "RS-LDN-0314")  # now read as a participant's cohort code
    assert bot.text(ADMIN).startswith("Risk Support · London · RS-LDN-0314")  # privacy notice
    assert bot.rows("SELECT * FROM cohort_drafts") == []


async def test_privacy_works_for_a_chat_made_cohort(bot: Harness) -> None:
    code = await one_line(bot, ADMIN, f"risk-support Leeds {TODAY} 12:00 16:00")
    await join_and_answer_pre(bot, 7601, code)
    await bot.restart()
    await bot.send(7601, "/mydata")
    assert code in bot.text(7601)
    await bot.send(7601, "/forgetme")
    await bot.tap(7601, privacy_screens.ERASE)
    assert bot.answers(7601) == {}


async def test_typed_markup_is_quoted_not_obeyed(bot: Harness) -> None:
    await bot.send(ADMIN, "/newcohort <b>juggling Leeds 2026-03-14 12:00 16:00")
    assert "no module called “<b>juggling”" in bot.text(ADMIN)
    await bot.send(ADMIN, "/card <i>nope")
    assert "No cohort of yours has the code <i>nope" in bot.text(ADMIN)
    assert stored(bot) == []


async def test_a_term_of_cohorts_fits_in_one_message(bot: Harness) -> None:
    for day in range(15, 31):
        await one_line(bot, ADMIN, f"risk-support Newcastle upon Tyne 2026-03-{day} 09:00 17:00")
    await bot.send(ADMIN, "/cohorts")
    text = bot.text(ADMIN)
    assert len(text) < 4096
    assert "… and 6 more" in text
    # The two config cohorts (running now) come first, then the soonest ahead.
    assert text.index("RS-LDN-0314") < text.index("RS-NEW-0315") < text.index("RS-NEW-0324")
    assert "RS-NEW-0325" not in text


async def test_a_menu_that_fails_does_not_keep_the_others_from_theirs(
    tmp_path: Path, clock: Clock, database: Target
) -> None:
    harness = Harness(load_config(staff_config(tmp_path, database)), clock)
    harness.fake.inject_fault("setMyCommands", "bad_gateway", times=2)
    await harness.start()
    try:
        calls = harness.fake.calls_of("setMyCommands")
        admin = [c for c in calls if c.get("scope", {}).get("chat_id") == ADMIN]
        assert admin and "newcohort" in {c["command"] for c in admin[-1]["commands"]}
    finally:
        await harness.stop()
