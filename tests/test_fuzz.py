"""Hypothesis fuzzing of the real handlers: hostile, stale, replayed and shuffled updates.

Several participants and a couple of group chats send random sequences of updates through
the real PTB ``Application`` (the real update processor, the real handlers, a real SQLite
file) while the clock moves from the pre window through the post window to closed, and on
to the follow-up weeks later. After
every delivered batch the test checks that

* no exception reached PTB's error handlers (the bot's own handler logs "error handling
  update"; a recording handler is added next to it);
* every callback query was answered (a replayed one may fail with "query is too old");
* the database keeps its invariants: one answer per participant, phase and question; every
  stored value valid for its question; NULL only for optional ones; nothing stored for
  people who never tapped "I agree"; no answer outside its phase's window and none after
  the submission; profile questions answered in one phase only; follow-up answers only
  from people who had submitted the post questionnaire; submitted responses complete;
  ``PRAGMA integrity_check`` ok and ``PRAGMA foreign_key_check`` empty.

Building an Application costs more than a hundred updates, so one is built per test run
and reused: every example gets a fresh ``FakeTelegram`` (swapped in behind the request
object) and an emptied database. Seeded rounds of examples run until 10,000 updates have
been fed (about half a minute on 2 cores); ``FUZZ_UPDATES=200000 pytest tests/test_fuzz.py``
runs longer, ``FUZZ_SEED`` explores other sequences.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    precondition,
    rule,
)
from telegram import Update

from bot.app import App, build_application
from bot.screens import participant as screens
from bot.screens import privacy as privacy_screens
from conftest import COHORT_END, COHORT_START, KEY, TOKEN, Clock, Harness, write_config
from core import callbacks
from core.config import Config, load_config
from core.questionnaire import Module, Question
from core.storage import parse_utc
from sim.harness import opened
from sim.telegram.api import FakeTelegram, JSONDict
from sim.telegram.transport import SimulatedRequest
from sim.testing.audit import stored_copies
from sim.testing.watch import Watch

USERS = (7001, 7002, 7003, 7004)
FACILITATORS = -1001000000001  # the facilitators' channel in conftest's config
OTHER_CHANNEL = -1003000000001
GROUP = -1002000000077  # a group some participants are in
GROUPS = (GROUP, -4000077)
CODES = ("RS-LDN-0314", "GH-LDN-0314")
MIN_UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
ROUND_EXAMPLES = 25  # examples per seeded round; rounds run until MIN_UPDATES are fed
STEPS = int(os.environ.get("FUZZ_STEPS", "120"))  # rules per example at most
SEED = int(os.environ.get("FUZZ_SEED", "314"))


# --------------------------------------------------------------------------- the shared bot


@dataclass
class World:
    """One Application for the whole run; a fresh Telegram and empty tables per example."""

    config: Config
    clock: Clock
    runner: asyncio.Runner
    request: SimulatedRequest
    app: App
    db: sqlite3.Connection
    errors: list[str] = field(default_factory=list)
    updates_fed: int = 0
    examples: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    bot_seconds: float = 0.0
    check_seconds: float = 0.0

    async def record_error(self, update: object, context: Any) -> None:
        self.errors.append(f"{type(context.error).__name__}: {context.error} (update {update})")

    async def wipe(self) -> None:
        """Forget every chat: empty every table except the schema's record and the configured
        cohorts, and drop PTB's per-chat and per-user data (the new Telegram reuses ids)."""
        for chat_id in list(self.app.chat_data):
            self.app.drop_chat_data(chat_id)
        for user_id in list(self.app.user_data):
            self.app.drop_user_data(user_id)
        names = [
            row[0]
            for row in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if row[0] not in ("schema_migrations", "cohorts")
        ]
        # The auditor's own connection: foreign keys are off on it, so any order works.
        with self.db:
            for name in names:
                self.db.execute(f'DELETE FROM "{name}"')


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    # Every answer is committed with synchronous=FULL; on tmpfs the fsyncs cost nothing.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as directory:
        yield from _world(Path(directory))


def _world(directory: Path) -> Iterator[World]:
    config = load_config(write_config(directory))
    clock = Clock()
    with asyncio.Runner() as runner:
        request = SimulatedRequest(FakeTelegram(TOKEN))
        # AIORateLimiter paces sends to Telegram's ~30 messages/s in real time, which would
        # make this test a benchmark of asyncio.sleep; the simulator enforces no limits here.
        app = build_application(
            config,
            TOKEN,
            KEY,
            clock=clock,
            request=request,
            get_updates_request=request,
            rate_limit=False,
        )
        running = AsyncExitStack()
        runner.run(running.enter_async_context(opened(app)))
        db = sqlite3.connect(config.bot.database)
        shared = World(config, clock, runner, request, app, db)
        app.add_error_handler(shared.record_error)
        try:
            yield shared
        finally:
            db.close()
            runner.run(running.aclose())


# --------------------------------------------------------------------------- strategies

RS = "RS-LDN-0314"
GH = "GH-LDN-0314"
QUESTION_IDS = sorted(
    {
        "sector",
        "role",
        "conf_support",
        "conf_explain",
        "thrive_knowledge",
        "met_expectations",
        "relevance",
        "new_info",
        "comment",
        "conf_goals",
        "conf_ending",
    }
)

# Strings over a small alphabet, drawn as one blob of bytes (cheaper than from_regex).
CODE_ALPHABET = "ABCDEFGHLNRSX0123456789-abcrs"
DATA_ALPHABET = "akgscxfy:-_RSGHLDN0123456789preost"
code_like = st.binary(min_size=2, max_size=21).map(
    lambda b: "".join(CODE_ALPHABET[x % len(CODE_ALPHABET)] for x in b)
)
near_codes = st.sampled_from(
    [
        RS,
        GH,
        "rs-ldn-0314",
        " RS-LDN-0314 ",
        "RS-LDN-0315",
        "RS-LDN-03144",
        "RS_LDN_0314",
        "RS-LDN-0314\n",
        "GH-LDN-0314 please",
        "НЕТ-КОДА",
        "A" * 20,
        "A" * 21,
    ]
)
long_texts = st.sampled_from([999, 1000, 1001, 3000, 4096]).flatmap(
    lambda n: st.sampled_from(["x" * n, " " * 5 + "é" * n + "\n", "🙂" * (n // 2)])
)
texts = st.one_of(
    near_codes,
    st.text(min_size=1, max_size=40),
    code_like,
    long_texts,
    st.sampled_from(["<b>bold</b> & <i>", "&amp; &lt;", "   ", "\u200b", "1", "5", "Skip"]),
)
payloads = st.one_of(near_codes, st.text(max_size=80), st.just("x" * 300))
commands = st.one_of(
    st.sampled_from(
        [
            "/start",
            "/resume",
            "/help",
            "/mydata",
            "/forgetme",
            "/nofollowup",
            "/followup",
            "/status",
            "/cohorts",
            "/nosuchcommand",
            "/start@feedback_test_bot",
            "/resume@other_bot",
        ]
    ),
    payloads.map(lambda p: f"/start {p}"),
    payloads.map(lambda p: f"/resume {p}"),
    st.sampled_from(["/report", "/export", "/open", "/close", "/remind"]).flatmap(
        lambda c: near_codes.map(lambda p: f"{c} {p} pre")
    ),
)

cohort_codes = st.sampled_from([RS, GH, "XX-NOPE-1", "RS-LDN-0315"])
phases = st.sampled_from(["pre", "post", "follow_up"])
question_ids = st.sampled_from([*QUESTION_IDS, "nope", "a" * 24])
button_values = st.sampled_from(
    ["0", "1", "2", "3", "4", "5", "6", "9", "00", "01", "05", "10", "99", "-"]
)
wellformed_data = st.one_of(
    st.builds(callbacks.Answer, cohort_codes, phases, question_ids, button_values),
    st.builds(callbacks.Back, cohort_codes, phases, st.one_of(st.just(""), question_ids)),
    st.builds(callbacks.Submit, cohort_codes, phases),
    st.builds(callbacks.Begin, cohort_codes, phases),
    st.builds(callbacks.Consent, cohort_codes, st.booleans()),
    st.builds(callbacks.FollowUpChoice, cohort_codes, st.booleans()),
).map(callbacks.encode)
random_data = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
    st.tuples(wellformed_data, st.text(max_size=8)).map("".join),
    st.tuples(st.text(max_size=8), wellformed_data).map("".join),
    st.binary(max_size=40).map(lambda b: "".join(DATA_ALPHABET[x % len(DATA_ALPHABET)] for x in b)),
)

chats = st.sampled_from([None, None, None, *GROUPS])
posts = st.one_of(
    st.tuples(st.just("text"), texts, chats),
    st.tuples(st.just("text"), commands, chats),
    st.tuples(st.just("edit"), texts, st.none()),
    st.tuples(st.sampled_from(["sticker", "voice"]), st.none(), chats),
    st.tuples(st.sampled_from(["photo", "document"]), st.one_of(st.none(), texts), chats),
    st.tuples(
        st.just("channel"),
        st.one_of(texts, commands),
        st.sampled_from([FACILITATORS, OTHER_CHANNEL]),
    ),
)

# Moments worth starting from: before the pre window, in it, at its end, in and after post.
ANCHORS = (
    COHORT_START - timedelta(days=8),
    COHORT_START - timedelta(days=7),
    COHORT_START + timedelta(hours=1),
    COHORT_END - timedelta(seconds=30),
    COHORT_END,
    COHORT_END + timedelta(days=1),
    COHORT_END + timedelta(days=2) - timedelta(seconds=30),
    COHORT_END + timedelta(days=2),
)
# The follow-up: eight weeks after the end, for fourteen days (the defaults).
FOLLOW_UP_OPENS = COHORT_END + timedelta(weeks=8)
FOLLOW_UP_CLOSES = FOLLOW_UP_OPENS + timedelta(days=14)
BOUNDARIES = (
    COHORT_START - timedelta(days=7),
    COHORT_END,
    COHORT_END + timedelta(days=2),
    FOLLOW_UP_OPENS,
    FOLLOW_UP_CLOSES,
)
STEPS_FORWARD = (
    timedelta(seconds=1),
    timedelta(seconds=20),
    timedelta(minutes=5),
    timedelta(hours=1),
    timedelta(hours=9),
    timedelta(days=1),
    timedelta(weeks=8),
)


# --------------------------------------------------------------------------- invariants


def valid_questions(module: Module, phase: str) -> dict[str, Question]:
    if phase == "follow_up":
        assert module.follow_up is not None
        return {q.id: q for q in module.follow_up.questions}
    own = module.pre.questions if phase == "pre" else module.post.questions
    return {q.id: q for q in (*module.profile_questions, *own)}


def value_ok(question: Question, value: str | None) -> bool:
    if value is None:
        return not question.required
    if question.kind == "rating":
        return value in ("1", "2", "3", "4", "5")
    if question.kind == "choice":
        return value in question.options
    return 0 < len(value) <= question.max_length and value == value.strip()


def window(config: Config, code: str, phase: str) -> tuple[datetime, datetime]:
    """When a phase is open by the product's rules (nobody in the fuzz is an admin, so no
    /open or /close moves it): pre from ``pre_opens_before`` until the module ends, post
    from then for ``post_open_for``."""
    cohort, schedule = config.cohorts[code], config.schedule
    if phase == "pre":
        return cohort.start - schedule.pre_opens_before, cohort.end
    if phase == "follow_up":
        opens = cohort.end + schedule.follow_up_after
        return opens, opens + schedule.follow_up_open_for
    return cohort.end, cohort.end + schedule.post_open_for


def check_database(world: World, consented: set[tuple[int, str]]) -> None:
    """The invariants the stored data must satisfy at every moment."""
    db, config = world.db, world.config
    overrides = db.execute("SELECT * FROM windows").fetchall()
    assert overrides == [], f"a non-admin changed a questionnaire window: {overrides}"
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert stored_copies(db) == 0, "answers stored twice"

    participants = {
        pid: (telegram_id, cohort)
        for pid, telegram_id, cohort in db.execute(
            "SELECT id, telegram_id, cohort FROM participants"
        )
    }
    with_consent = {row[0] for row in db.execute("SELECT participant_id FROM consents")}
    for pid, (telegram_id, cohort) in participants.items():
        assert (telegram_id, cohort) in consented, (
            f"user {telegram_id} stored in {cohort} without tapping 'I agree'"
        )
        assert pid in with_consent, f"participant {pid} has no consent record"

    submitted = {
        (pid, phase): parse_utc(at)
        for pid, phase, at in db.execute(
            "SELECT participant_id, phase, submitted_at FROM responses"
            " WHERE submitted_at IS NOT NULL"
        )
    }
    answered: dict[tuple[int, str], dict[str, str | None]] = {}
    profile_phases: dict[tuple[int, str], set[str]] = {}
    for pid, phase, question_id, value, at in db.execute(
        "SELECT participant_id, phase, question, value, answered_at FROM answers"
    ):
        telegram_id, code = participants[pid]
        cohort = config.cohorts[code]
        module = config.module_of(cohort)
        questions = valid_questions(module, phase)
        where = f"user {telegram_id} {code} {phase} {question_id}={value!r} at {at}"
        assert question_id in questions, f"not a question of this phase: {where}"
        question = questions[question_id]
        assert value_ok(question, value), f"invalid value: {where}"
        moment = parse_utc(at)
        opens, closes = window(config, code, phase)
        # answered_at is stored to the second, so it may read up to 1 s early.
        assert opens - timedelta(seconds=1) < moment < closes, f"outside its window: {where}"
        if (pid, phase) in submitted:
            assert moment <= submitted[(pid, phase)], f"changed after submission: {where}"
        if phase == "follow_up":
            post = submitted.get((pid, "post"))
            assert post is not None and post <= moment, f"follow-up without post: {where}"
        answered.setdefault((pid, phase), {})[question_id] = value
        if question.profile:
            profile_phases.setdefault((pid, question_id), set()).add(phase)
    asked_twice = {key: p for key, p in profile_phases.items() if len(p) > 1}
    assert not asked_twice, f"profile questions answered in both phases: {asked_twice}"

    for (pid, phase), at in submitted.items():
        telegram_id, code = participants[pid]
        cohort = config.cohorts[code]
        opens, closes = window(config, code, phase)
        assert opens - timedelta(seconds=1) < at < closes, f"submitted outside window: {pid}"
        module = config.module_of(cohort)
        mine = answered.get((pid, phase), {})
        other = answered.get((pid, "post" if phase == "pre" else "pre"), {})
        for question in valid_questions(module, phase).values():
            if not question.required:
                continue
            value = mine.get(question.id)
            if question.profile and value is None:
                value = other.get(question.id)
            assert value is not None, f"{pid} submitted {phase} without {question.id}"


# --------------------------------------------------------------------------- the machine


class BotFuzz(RuleBasedStateMachine):
    """Participants, bystanders and a modified client talking to the bot at once."""

    world: World  # set by the test before running the machine

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        world.examples += 1
        self.fake = FakeTelegram(TOKEN)
        self.fake.channel(FACILITATORS, "Facilitators")
        world.request.use(self.fake)
        world.errors.clear()
        world.runner.run(world.wipe())
        # What the bot shows, followed call by call (cheaper than the fake's deep copies),
        # and every button it ever showed, for stale and replayed taps later.
        self.watch = Watch(self.fake)
        self.screens = self.watch.chats  # chat -> bot message id -> screen
        self.keyboards = self.watch.buttons_shown
        self.delivered: list[JSONDict] = []
        self.user_texts: dict[int, list[int]] = {user: [] for user in USERS}
        self.consented: set[tuple[int, str]] = set()
        self.query_ids: set[str] = set()  # callback queries delivered to the bot

    # -------------------------------------------------------------- plumbing

    def _keyboards(self, chat_id: int) -> list[tuple[int, list[str]]]:
        """The bot's messages with buttons in this chat, as (message id, callback data)."""
        shown = self.screens.get(chat_id, {}).items()
        return [(i, [b.data for b in screen.buttons]) for i, screen in shown if screen.buttons]

    async def _feed(self, raw: list[JSONDict], concurrently: bool) -> None:
        app = self.world.app
        updates = [Update.de_json(item, app.bot) for item in raw]
        jobs = [app.update_processor.process_update(u, app.process_update(u)) for u in updates]
        if concurrently:
            await asyncio.gather(*jobs)
        else:
            for job in jobs:
                await job

    def _note_update(self, raw: JSONDict) -> None:
        kind = next(key for key in raw if key != "update_id")
        self.world.kinds[kind] = self.world.kinds.get(kind, 0) + 1
        query = raw.get("callback_query")
        if query is None:
            return
        self.query_ids.add(str(query["id"]))
        action = callbacks.decode(query.get("data"))
        private = query["message"]["chat"]["type"] == "private"
        if isinstance(action, callbacks.Consent) and action.agreed and private:
            self.consented.add((int(query["from"]["id"]), action.cohort))

    def deliver_all(
        self, order: str = "in order", concurrently: bool = False, audit: bool = True
    ) -> None:
        raw = self.fake.drain_updates()
        if not raw:
            return
        if order == "shuffled":
            random.Random(len(self.delivered)).shuffle(raw)
        elif order == "reversed":
            raw.reverse()
        for item in raw:
            self._note_update(item)
        started = time.perf_counter()
        self.world.runner.run(self._feed(raw, concurrently))
        self.world.bot_seconds += time.perf_counter() - started
        self.world.updates_fed += len(raw)
        self.delivered.extend(raw)
        self.check(audit)

    def check(self, audit: bool = True) -> None:
        assert not self.world.errors, "\n".join(self.world.errors)
        unanswered = self.query_ids - set(self.watch.ack_attempts)
        assert not unanswered, f"callback queries never answered: {sorted(unanswered)}"
        accepted = [a["callback_query_id"] for a in self.fake.callback_answers]
        assert len(accepted) == len(set(accepted)), "a callback query answered twice"
        for channel in (FACILITATORS, OTHER_CHANNEL):
            assert not self.screens.get(channel), f"the bot answered a post in {channel}"
        for group in GROUPS:
            shown = self.screens.get(group, {}).values()
            assert not any(s.buttons for s in shown), f"a questionnaire in group {group}"
        if not audit:
            return
        started = time.perf_counter()
        check_database(self.world, self.consented)
        self.world.check_seconds += time.perf_counter() - started

    # -------------------------------------------------------------- rules

    @initialize(anchor=st.sampled_from(ANCHORS), offset=st.integers(0, 3600))
    def set_clock(self, anchor: datetime, offset: int) -> None:
        self.world.clock.now = anchor + timedelta(seconds=offset)

    @rule(step=st.sampled_from(STEPS_FORWARD), boundary=st.sampled_from([None, *BOUNDARIES]))
    def advance_clock(self, step: timedelta, boundary: datetime | None) -> None:
        """Time passes, sometimes landing exactly on a window's edge; it never runs back."""
        now = self.world.clock.now + step
        self.world.clock.now = max(now, boundary) if boundary else now

    @rule(offset=st.integers(-60, 14 * 86400))
    def weeks_later(self, offset: int) -> None:
        """Weeks pass: the clock lands around or in the follow-up (it never runs back)."""
        moment = FOLLOW_UP_OPENS + timedelta(seconds=offset)
        self.world.clock.now = max(self.world.clock.now, moment)

    @rule(
        user=st.sampled_from(USERS),
        code=st.sampled_from(CODES),
        picks=st.lists(st.integers(0, 99), min_size=1, max_size=16),
        comment=texts,
    )
    def participate(self, user: int, code: str, picks: list[int], comment: str) -> None:
        """A cooperative participant: taps the newest keyboard again and again (or types
        the comment the question asks for), each tap handled before the next."""
        joined = False
        for pick in picks:
            shown = self._keyboards(user)
            screen = self.screens.get(user, {})
            latest = screen[max(screen)] if screen else None
            if latest and "Type your answer" in latest.text and pick % 3 == 0:
                self.fake.send_text(user, comment)
            elif shown:
                # Mostly forward (an answer, I agree, Submit); now and then Back or Skip.
                message_id, keyboard = shown[-1]
                forward = [d for d in keyboard if not d.startswith("k:")]
                forward = [d for d in forward if not d.endswith((":-", ":n"))] or forward
                choices = forward if forward and pick % 10 < 8 else keyboard
                self.fake.forge_tap(user, message_id, choices[pick % len(choices)])
            elif joined:
                break  # the code got no questionnaire (closed, say): nothing more to tap
            else:
                self.fake.send_text(user, f"/start {code}")
                joined = True
            self.deliver_all(audit=False)
        self.check()

    @rule(
        user=st.sampled_from(USERS),
        latest=st.booleans(),
        pick=st.integers(0, 1000),
        index=st.integers(0, 20),
        now=st.booleans(),
    )
    def tap_visible(self, user: int, latest: bool, pick: int, index: int, now: bool) -> None:
        """Tap any button the user can see (double taps when not delivered at once)."""
        shown = self._keyboards(user)
        if not shown:
            return
        message_id, keyboard = shown[-1] if latest else shown[pick % len(shown)]
        self.fake.forge_tap(user, message_id, keyboard[index % len(keyboard)])
        if now:
            self.deliver_all()

    @rule(
        user=st.sampled_from(USERS),
        datas=st.lists(st.one_of(wellformed_data, random_data), min_size=1, max_size=3),
        where=st.sampled_from(["private", "private", "group"]),
        pick=st.integers(0, 1000),
    )
    def forge(self, user: int, datas: list[str], where: str, pick: int) -> None:
        """A modified client sends callback data of its choosing under some bot message."""
        chat_id = user if where == "private" else GROUPS[pick % len(GROUPS)]
        messages = list(self.screens.get(chat_id, {}))
        for number, data in enumerate(datas):
            if messages:
                message_id = messages[(pick + number) % len(messages)]
                self.fake.forge_tap(user, message_id, data, chat_id=chat_id)

    @precondition(lambda self: bool(self.keyboards))
    @rule(
        picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=3),
        thief=st.one_of(st.none(), st.sampled_from(USERS)),
    )
    def tap_stale(self, picks: list[int], thief: int | None) -> None:
        """Replay buttons seen earlier: on their own (old) message, or in someone else's chat."""
        for pick in picks:
            chat_id, message_id, data = self.keyboards[pick % len(self.keyboards)]
            if thief is None:
                user = chat_id if chat_id > 0 else USERS[pick % len(USERS)]
                self.fake.forge_tap(user, message_id, data, chat_id=chat_id)
                continue
            messages = list(self.screens.get(thief, {}))
            if messages:
                self.fake.forge_tap(thief, messages[-1], data)

    @precondition(lambda self: bool(self.delivered))
    @rule(pick=st.integers(0, 10_000), times=st.integers(1, 3))
    def replay(self, pick: int, times: int) -> None:
        """Telegram redelivers an update (same update_id) after a lost confirmation."""
        update = self.delivered[-1 - pick % len(self.delivered)]
        for _ in range(times):
            self.fake.duplicate(update)

    @rule(user=st.sampled_from(USERS), code=st.sampled_from(CODES), now=st.booleans())
    def join(self, user: int, code: str, now: bool) -> None:
        self.fake.send_text(user, f"/start {code}")
        if now:
            self.deliver_all()

    @rule(
        user=st.sampled_from(USERS),
        what=st.lists(posts, min_size=1, max_size=3),
        pick=st.integers(0, 1000),
    )
    def send(self, user: int, what: list[tuple[str, str | None, int | None]], pick: int) -> None:
        """Anything else people post: text, commands, media, edits, channel posts."""
        for post in what:
            self._post(user, *post, pick)

    def _post(self, user: int, kind: str, text: str | None, chat_id: int | None, pick: int) -> None:
        if kind == "text":
            update = self.fake.send_text(user, text or "", chat_id=chat_id)
            if chat_id is None:
                self.user_texts[user].append(update["message"]["message_id"])
        elif kind == "edit" and self.user_texts[user]:
            sent = self.user_texts[user]
            self.fake.edit_text(user, sent[pick % len(sent)], text or "")
        elif kind in ("sticker", "photo", "voice", "document"):
            self.fake.send_media(user, kind, caption=text, chat_id=chat_id)
        elif kind == "channel":
            self.fake.channel_post(chat_id or FACILITATORS, text or "")

    @rule(
        order=st.sampled_from(["in order", "shuffled", "reversed"]),
        concurrently=st.booleans(),
    )
    def deliver(self, order: str, concurrently: bool) -> None:
        """Hand over what is queued: possibly out of order, possibly all at once."""
        self.deliver_all(order, concurrently)

    def teardown(self) -> None:
        self.deliver_all()
        self.check()
        stats = self.world.stats
        for name, sql in STATS_SQL.items():
            stats[name] = stats.get(name, 0) + self.world.db.execute(sql).fetchone()[0]


STATS_SQL = {
    "participants": "SELECT count(*) FROM participants",
    "answers": "SELECT count(*) FROM answers",
    "post answers": "SELECT count(*) FROM answers WHERE phase = 'post'",
    "comments": "SELECT count(*) FROM answers WHERE question = 'comment'",
    "submitted": "SELECT count(*) FROM responses WHERE submitted_at IS NOT NULL",
}


FUZZ_SETTINGS = settings(
    max_examples=ROUND_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,  # nothing written next to the sources
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)


def test_fuzz_updates_keep_the_database_sound(world: World) -> None:
    """Rounds of examples, each with a fixed seed (the same sequences on every CI run),
    until at least ``MIN_UPDATES`` updates have been fed to the bot."""
    BotFuzz.world = world
    started = time.perf_counter()
    rounds = 0
    while world.updates_fed < MIN_UPDATES:
        assert rounds < 50, "the machine stopped producing updates"
        run_round = get_state_machine_test(BotFuzz, settings=FUZZ_SETTINGS)
        seed(SEED * 1000 + rounds)(run_round)()
        rounds += 1
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz: {world.updates_fed} updates in {world.examples} examples ({rounds} rounds),"
        f" {elapsed:.1f} s; by kind {world.kinds}; stored {world.stats};"
        f" bot {world.bot_seconds:.1f} s, checks {world.check_seconds:.1f} s"
    )
    assert world.updates_fed >= MIN_UPDATES


# --------------------------------------------------------------------------- bugs it found
# Minimal reproductions of what the fuzz found (fixed in 2b7c18a), kept as regression tests.

PARTICIPANT = 7101


def record_errors(bot: Harness) -> list[str]:
    """Exceptions that reach PTB's error handlers (the bot's own one logs them)."""
    errors: list[str] = []

    async def record(update: object, context: Any) -> None:
        errors.append(f"{type(context.error).__name__}: {context.error}")

    assert bot.app is not None
    bot.app.add_error_handler(record)
    return errors


@pytest.mark.parametrize("button", [privacy_screens.KEEP, privacy_screens.ERASE])
async def test_second_tap_on_a_forgetme_button_is_harmless(bot: Harness, button: str) -> None:
    errors = record_errors(bot)
    await bot.send(PARTICIPANT, "/forgetme")
    message_id = bot.last(PARTICIPANT)["message_id"]
    # A double tap: both taps leave the phone before the first edit arrives.
    bot.fake.tap(PARTICIPANT, message_id, button_text=button)
    bot.fake.tap(PARTICIPANT, message_id, button_text=button)
    await bot.deliver()
    assert errors == []
    assert "went wrong" not in bot.text(PARTICIPANT)


@pytest.mark.parametrize("data", ["x:c:RS-LDN-0314", ""])
async def test_redelivered_tap_on_an_export_button_is_harmless(bot: Harness, data: str) -> None:
    # "" too: PTB hands a callback query without data to every patterned handler, and the
    # export button's is registered first.
    errors = record_errors(bot)
    await bot.send(PARTICIPANT, "/help")
    tap = bot.fake.forge_tap(PARTICIPANT, bot.last(PARTICIPANT)["message_id"], data)
    await bot.deliver()
    bot.fake.duplicate(tap)  # Telegram redelivers it after a crash
    await bot.deliver()
    assert errors == []
    assert "went wrong" not in bot.text(PARTICIPANT)


async def test_no_thanks_right_after_i_agree_keeps_nothing_or_says_so(bot: Harness) -> None:
    await bot.send(PARTICIPANT, "/start RS-LDN-0314")
    notice = bot.last(PARTICIPANT)["message_id"]
    # Changing one's mind quickly: both taps leave the phone before the notice is edited.
    bot.fake.tap(PARTICIPANT, notice, button_text=screens.AGREE)
    bot.fake.tap(PARTICIPANT, notice, button_text=screens.DECLINE)
    await bot.deliver()
    kept = bot.rows("SELECT count(*) FROM participants WHERE telegram_id = ?", (PARTICIPANT,))
    claims_nothing = "nothing about you has been stored" in bot.text(PARTICIPANT)
    assert not (kept[0][0] and claims_nothing), "told 'nothing stored' while consent is stored"
