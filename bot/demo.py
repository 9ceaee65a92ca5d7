"""`feedback-bot demo`: the whole product offline, with simulated participants.

The real Application, handlers, storage, scheduler (PTB's JobQueue) and analysis run in
this process. Only two things are stand-ins: Telegram (the in-process simulated Bot API)
and the clock, which runs thousands of times faster than real time so that a module day
and the week after it pass in seconds.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App, build_application
from bot.sim.telegram import FakeTelegram
from bot.sim.transport import SimulatedRequest
from core.config import Config, load_config

TOKEN = "100200300:DEMO-token-not-a-real-one"
CODE = "RS-DEMO-0314"
CHANNEL = -1001234500000
ADMIN = 42
SPEED = 600.0  # virtual seconds per real second: 10 minutes pass every second
QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"
COMMENTS = (
    "The disintegration grid was really useful for our team meetings.",
    "More time for case discussion, please.",
    "Great to hear how other agencies manage shared risk.",
    "Slides in advance would help.",
    "Very relevant to my role in the school.",
    "Would like a follow-up session on AMBIT.",
)


@dataclass
class DemoClock:
    """Virtual time: runs `speed` times faster than real time, and can jump ahead while
    nobody is doing anything (the night after the module, the days before a reminder)."""

    origin: datetime
    speed: float = SPEED
    started: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.started) * self.speed)

    def jump_to(self, moment: datetime) -> None:
        if moment > self():
            self.origin, self.started = moment, time.monotonic()


def write_demo_config(out: Path, database: Path, start: datetime) -> Path:
    end = start + timedelta(hours=7)
    path = out / "config.toml"
    path.write_text(
        f"""# Written by `feedback-bot demo`: a Risk Support cohort on a simulated day.
[bot]
api_base_url = "http://127.0.0.1:9/bot"   # not used: the demo's Telegram is simulated
admins = [{ADMIN}]
facilitators_chat = {CHANNEL}
database = "{database}"
timezone = "Europe/London"

[analysis]
min_cell_size = 3
show_comments = true

[schedule]
pre_opens_before = "14d"
post_open_for = "36h"
reminders = ["8h", "24h"]

[[modules]]
id = "risk-support"
title = "Risk Support"
questionnaire = "{QUESTIONNAIRES / "risk-support.toml"}"

[[cohorts]]
code = "{CODE}"
module = "risk-support"
site = "London"
start = {start.strftime("%Y-%m-%dT%H:%M:%SZ")}
end = {end.strftime("%Y-%m-%dT%H:%M:%SZ")}
""",
        encoding="utf-8",
    )
    return path


class Room:
    """The simulated Telegram side: lets participants wait for the bot's replies."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.transcripts: dict[int, list[str]] = {}

    def last_text(self, user: int) -> str:
        messages = self.fake.messages(user)
        return str(messages[-1].get("text", "")) if messages else ""

    def buttons(self, user: int) -> list[str]:
        messages = self.fake.messages(user)
        return [b for row in FakeTelegram.buttons(messages[-1]) for b in row] if messages else []

    async def until(self, condition: Callable[[], bool], within: float = 60) -> bool:
        return await self.fake.wait_until(condition, within)

    def _log(self, user: int, action: str) -> None:
        """Keep what the participant did and what the bot showed next, for the transcript."""
        log = self.transcripts.setdefault(user, [])
        log.append(f"👤 {action}")
        buttons = "  ".join(f"[{b}]" for b in self.buttons(user))
        log.append(
            "🤖 "
            + self.last_text(user).replace("\n", "\n   ")
            + (f"\n   {buttons}" if buttons else "")
        )

    async def tap(self, user: int, label: str) -> bool:
        """Tap a button under the latest message and wait for the bot to change the chat."""
        if label not in self.buttons(user):
            return False  # the screen changed under the participant's thumb
        before = (self.last_text(user), len(self.fake.messages(user)))
        self.fake.tap(user, self.fake.last_message(user)["message_id"], button_text=label)
        await self.until(lambda: (self.last_text(user), len(self.fake.messages(user))) != before)
        self._log(user, f"taps [{label}]")
        return True

    async def send(self, user: int, text: str) -> None:
        before = len(self.fake.messages(user))
        self.fake.user(user)
        self.fake.send_text(user, text)
        await self.until(lambda: len(self.fake.messages(user)) > before)
        self._log(user, f"types: {text}")


def _rating(rng: random.Random, mean: float) -> str:
    return str(min(5, max(1, round(rng.gauss(mean, 0.8)))))


@dataclass
class Person:
    """One simulated participant with a temperament the seed decides."""

    user: int
    rng: random.Random
    declines: bool
    pauses: bool  # stops half-way through the pre questionnaire and resumes later
    post_after: int  # 0: answers the push at once, 1 or 2: only after that reminder, 3: never
    base: float = 2.8
    pre_done: asyncio.Event = field(default_factory=asyncio.Event)
    post_done: asyncio.Event = field(default_factory=asyncio.Event)

    def choose(self, text: str, buttons: list[str]) -> str:
        """Pick a button for the question on screen, the way a person might."""
        options = [b for b in buttons if b not in ("⬅ Back", "Skip")]
        if "Which sector" in text:
            return self.rng.choices(options, [30, 22, 20, 14, 6, 8][: len(options)])[0]
        if "What is your role" in text:
            return self.rng.choices(options, [44, 8, 16, 14, 12, 6][: len(options)])[0]
        if "meet your expectations" in text:
            return self.rng.choices(options, [78, 17, 5][: len(options)])[0]
        if "Skip" in buttons and self.rng.random() < 0.07:
            return "Skip"
        mean = 4.3 if "relevant" in text else 3.6 if "was new to you" in text else self.base
        value = _rating(self.rng, mean)
        return value if value in buttons else "✓ " + value


async def answer_questionnaire(room: Room, person: Person, stop_after: int | None = None) -> None:
    """Answer what the bot shows until the review, then submit."""
    answered = 0
    for _ in range(40):
        text, buttons = room.last_text(person.user), room.buttons(person.user)
        if "✅ Submit" in buttons:
            await room.tap(person.user, "✅ Submit")
            return
        if "Type your answer" in text:
            if person.rng.random() < 0.35:
                await room.send(person.user, person.rng.choice(COMMENTS))
            else:
                await room.tap(person.user, "Skip")
            continue
        if not buttons or "Question" not in text:
            return  # closed, or something else came first
        if stop_after is not None and answered >= stop_after:
            return
        choice = person.choose(text, buttons)
        if answered == 2 and person.rng.random() < 0.2 and "⬅ Back" in buttons:
            # A slip: an answer tapped by mistake, then Back to put it right.
            await room.tap(person.user, choice)
            await room.tap(person.user, "⬅ Back")
            choice = person.choose(room.last_text(person.user), room.buttons(person.user))
        if not await room.tap(person.user, choice):
            continue
        answered += 1


async def take_part(room: Room, person: Person) -> None:
    """One participant's week: join, answer pre, and (maybe) answer post when asked."""
    try:
        await room.send(person.user, f"/start {CODE}")
        if person.declines:
            await room.tap(person.user, "No thanks")
            return
        await room.tap(person.user, "I agree")
        if person.pauses:
            await answer_questionnaire(room, person, stop_after=2)
            await asyncio.sleep(person.rng.uniform(0.5, 2.0))  # back an hour or two later
            await room.send(person.user, "/resume")
        await answer_questionnaire(room, person)
        person.pre_done.set()
        if person.post_after == 3:
            return
        # Answer the push at once, or only after the first or the second reminder.
        wanted, count = ("Thank you for taking part", 1)
        if person.post_after:
            wanted, count = "A reminder", person.post_after

        def arrived() -> bool:
            texts = [str(m.get("text", "")) for m in room.fake.messages(person.user)]
            return sum(wanted in t for t in texts) >= count

        if not await room.until(arrived, 300):
            return
        person.base += 0.8  # the module helped
        label = "Start ▶" if person.post_after == 0 else "Continue ▶"
        if await room.tap(person.user, label):
            await answer_questionnaire(room, person)
    except Exception as exc:  # a simulated person must never take the demo down
        print(f"participant {person.user} stopped: {exc!r}", file=sys.stderr)
    finally:
        person.pre_done.set()
        person.post_done.set()


def _print(line: str, clock: DemoClock | None = None) -> None:
    stamp = f"[{clock().strftime('%a %d %b %H:%M')}] " if clock else ""
    print(f"{stamp}{line}", flush=True)


async def _wait_for(events: list[asyncio.Event], within: float) -> None:
    if events:
        await asyncio.wait([asyncio.create_task(e.wait()) for e in events], timeout=within)


async def run_demo(participants: int, seed: int, out: Path, database: Path | None) -> int:
    """Run the whole story of one cohort and write what it produced to `out`."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    database = (database or out / "feedback.db").resolve()
    origin = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    config = load_config(write_demo_config(out, database, origin + timedelta(minutes=30)))
    cohort = config.cohorts[CODE]
    schedule = config.schedule
    clock = DemoClock(origin)
    fake = FakeTelegram(TOKEN, "feedback_demo_bot")
    fake.channel(CHANNEL, "Risk Support facilitators")
    room = Room(fake)
    app = build_application(
        config,
        TOKEN,
        secrets.token_bytes(32),
        clock=clock,
        request=SimulatedRequest(fake),
        get_updates_request=SimulatedRequest(fake),
    )
    rng = random.Random(seed)
    people = [
        Person(
            user=700000 + i,
            rng=random.Random(rng.random()),
            declines=rng.random() < 0.08,
            pauses=rng.random() < 0.15,
            post_after=rng.choices([0, 1, 2, 3], [65, 18, 7, 10])[0],
            base=rng.gauss(2.8, 0.5),
        )
        for i in range(participants)
    ]
    _print(f"Module Feedback Bot demo: {participants} simulated participants (seed {seed})")
    _print(f"Output folder: {out}\n")
    started = time.monotonic()
    await app.initialize()
    assert app.post_init is not None and app.updater is not None
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        _print(
            f"The room joins {CODE} with the deep link t.me/feedback_demo_bot?start={CODE}", clock
        )
        tasks = [asyncio.create_task(take_part(room, p)) for p in people]
        await _progress(app, clock, "pre", [p.pre_done for p in people], within=90)

        async def jump(moment: datetime, what: str) -> None:
            clock.jump_to(moment)
            from bot.scheduler import reschedule

            await reschedule(app)  # the JobQueue fires what is now due
            _print(what, clock)

        await jump(cohort.end, "The module ends: the post-module questionnaire is pushed")
        first = [p.post_done for p in people if p.post_after == 0]
        await _progress(app, clock, "post", first, within=60)
        for number, delay in enumerate(schedule.reminders, start=1):
            await jump(cohort.end + delay, f"Reminder {number} goes to those who have not finished")
            late = [p.post_done for p in people if p.post_after == number]
            await _progress(app, clock, "post", late, within=60)
        await jump(
            cohort.end + schedule.post_open_for,
            "The post-module questionnaire closes: the summary job posts to the channel",
        )
        await room.until(lambda: _summary_arrived(fake), 120)
        await asyncio.wait(tasks, timeout=5)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
    elapsed = time.monotonic() - started
    await asyncio.to_thread(_write_outputs, fake, room, config, out, people[:4])
    _print_channel(fake)
    print(f"\nDone in {elapsed:.0f} s of real time. Everything is in {out}:")
    print(f"  channel.md          the channel's messages, with the charts ({out / 'charts'})")
    print("  report-*.html       the evaluation report the channel received as a file")
    print("  transcripts/        four participants' chats, tap by tap")
    print(f"  {CODE}-answers.csv / .xlsx   the exports (pseudonymous ids)")
    print(f"  {database.name:<19} the database ({database})")
    print(
        "Try: feedback-bot report --config "
        + str(out / "config.toml")
        + f" --cohort {CODE} --out {out / 'report'}"
    )
    return 0 if _summary_arrived(fake) else 1


async def _progress(
    app: App, clock: DemoClock, phase: str, done: list[asyncio.Event], within: float
) -> None:
    """Print the live counts every second until the participants of this stage are done."""
    from bot.context import services_of

    svc = services_of(app)
    deadline = time.monotonic() + within
    while True:
        waiting = asyncio.create_task(_wait_for(done, 1.0))
        await waiting
        async with svc.db.read() as tx:
            counts = await tx.cohort_counts(CODE)
        _print(
            f"  {phase}: {counts['joined']} joined, {counts[phase + '_started']} started, "
            f"{counts[phase + '_submitted']} submitted",
            clock,
        )
        if all(e.is_set() for e in done) or time.monotonic() > deadline:
            return


def _summary_arrived(fake: FakeTelegram) -> bool:
    messages = fake.messages(CHANNEL)
    return any("Evaluation summary" in str(m.get("text", "")) for m in messages) and any(
        m.get("document") for m in messages
    )


async def _report_progress(
    app: App, config: Config, clock: DemoClock, until: datetime, phase: str
) -> None:
    from bot.context import services_of

    svc = services_of(app)
    key = "pre" if phase == "pre-module" else "post"
    while clock() < until:
        await asyncio.sleep(0.5)
        async with svc.db.read() as tx:
            counts = await tx.cohort_counts(CODE)
        _print(
            f"{phase}: {counts['joined']} joined, {counts[key + '_started']} started, "
            f"{counts[key + '_submitted']} submitted",
            clock,
        )


def _write_outputs(
    fake: FakeTelegram, room: Room, config: Config, out: Path, sample: list[Person]
) -> None:
    from bot.summaries import export_files

    charts = out / "charts"
    charts.mkdir(exist_ok=True)
    lines = ["# What the facilitators' channel received\n"]
    for message in fake.messages(CHANNEL):
        if message.get("photo"):
            file_id = message["photo"][-1]["file_id"]
            stored = next(f for f in fake.files.values() if f.file_id == file_id)
            name = f"chart-{message['message_id']}.png"
            (charts / name).write_bytes(stored.data)
            lines.append(f"![{message.get('caption', 'chart')}](charts/{name})\n")
        elif message.get("document"):
            document = message["document"]
            stored = fake.files[document["file_id"]]
            (out / document["file_name"]).write_bytes(stored.data)
            lines.append(f"[{message.get('caption', 'report')}]({document['file_name']})\n")
        else:
            lines.append(str(message.get("text", "")) + "\n\n---\n")
    (out / "channel.md").write_text("\n".join(lines), encoding="utf-8")
    transcripts = out / "transcripts"
    transcripts.mkdir(exist_ok=True)
    for person in sample:
        lines = room.transcripts.get(person.user, [])
        path = transcripts / f"participant-{person.user}.txt"
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    for name, data in export_files(config, CODE, None):
        (out / name).write_bytes(data)


def _print_channel(fake: FakeTelegram) -> None:
    print("\n" + "=" * 72)
    print("The facilitators' channel received:")
    print("=" * 72)
    for message in fake.messages(CHANNEL):
        if message.get("photo"):
            print(f"[image] {message.get('caption', '')}".rstrip())
        elif message.get("document"):
            print(f"[file {message['document']['file_name']}] {message.get('caption', '')}")
        else:
            print(message.get("text", ""))
            print("-" * 72)


def main(participants: int, seed: int, out: Path | None, database: Path | None) -> int:
    folder = out or Path.cwd() / f"demo-output-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    try:
        return asyncio.run(run_demo(participants, seed, folder, database))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
