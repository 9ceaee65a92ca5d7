"""The demo's world (`feedback-bot demo`): the whole product offline, with simulated participants.

The real Application, handlers, storage, scheduler (PTB's JobQueue) and analysis run in
this process. Only two things are stand-ins: Telegram (the in-process simulated Bot API)
and the clock, which runs hundreds of times faster than real time, and jumps ahead while
nobody is doing anything, so that a module day, the week after it and the follow-up eight
weeks later pass in seconds.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App
from cli import demo_module
from cli.demo_files import (
    CODE,
    FOLLOW_UP_REPORT_FILE,
    LIVE_DAY,
    MODULE_REPORT_FILE,
    PERIODS,
    REPORT_FILE,
    DemoFolder,
)
from core.config import Config, load_config
from core.storage import Target
from core.storage.manage import checkpoint
from sim.config import CohortSpec, ModuleSpec, TomlValue, config_toml
from sim.harness import simulated_app, started
from sim.participant import Button, Participant, Screen
from sim.telegram.api import FakeTelegram

TOKEN = "100200300:DEMO-token-not-a-real-one"
CHANNEL = -1001234500000
TIMEZONE = "Europe/London"
ADMIN = 42
SPEED = 600.0  # virtual seconds per real second: 10 minutes pass every second
COMMENTS = (
    "The disintegration grid was really useful for our team meetings.",
    "More time for case discussion, please.",
    "Great to hear how other agencies manage shared risk.",
    "Slides in advance would help.",
    "Very relevant to my role in the school.",
    "Would like a follow-up session on AMBIT.",
)
FOLLOW_UP_COMMENTS = (
    "We now use the grid in every risk meeting.",
    "Hard to find time to practise what we learned.",
    "My manager asked me to share it with the team.",
)


@dataclass
class DemoClock:
    """Virtual time (a ``core.services.Clock``): runs `speed` times faster than real time,
    and can jump ahead while nobody is doing anything (the night after the module, the days
    before a reminder)."""

    origin: datetime
    speed: float = SPEED
    started: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.started) * self.speed)

    def jump_to(self, moment: datetime) -> None:
        if moment > self():
            self.origin, self.started = moment, time.monotonic()


# How many participants' chats are written out as transcripts (all of them, if fewer).
TRANSCRIPTS = 4


def write_demo_config(out: DemoFolder, database: Target, start: datetime, cohorts: int = 1) -> Path:
    schedule: dict[str, TomlValue] = {
        "pre_opens_before": "14d",
        "post_open_for": "36h",
        "reminders": ["8h", "24h"],
        "follow_up_after": "8w",
        "follow_up_open_for": "14d",
        "follow_up_reminders": ["3d"],
    }
    specs = [CohortSpec(CODE, start, start + timedelta(hours=7))]
    story = "a Risk Support cohort on a simulated day"
    if cohorts == 3:
        specs = [*demo_module.earlier_cohorts(ZoneInfo(TIMEZONE)), *specs]
        schedule["module_reports"] = PERIODS
        story += f", after two earlier ones at {demo_module.SITE}"
    text = config_toml(
        specs,
        modules=[ModuleSpec("risk-support", "builtin:risk-support", "Risk Support")],
        schedule=schedule,
        analysis={"min_cell_size": 3, "show_comments": True},
        comment=f"Written by `feedback-bot demo`: {story}.",
        admins=[ADMIN],
        facilitators_chat=CHANNEL,
        database=str(database),
        timezone=TIMEZONE,
    )
    return out.write("config.toml", text.encode())


def _rating(rng: random.Random, mean: float) -> str:
    return str(min(5, max(1, round(rng.gauss(mean, 0.8)))))


# How the room answers the choice questions: weights of their options, in order.
CHOICE_WEIGHTS = {
    "sector": [30, 22, 20, 14, 6, 8],
    "role": [44, 8, 16, 14, 12, 6],
    "met_expectations": [78, 17, 5],
    "used_in_practice": [38, 30, 24, 8],
    "helped": [32, 26, 14, 12, 6, 10],
    "hindered": [42, 20, 14, 10, 9, 5],
}
RATING_MEANS = {"relevance": 4.3, "new_info": 3.6}


@dataclass
class Person:
    """One simulated participant with a temperament the seed decides."""

    chat: Participant
    rng: random.Random
    declines: bool
    pauses: bool  # stops half-way through the pre questionnaire and resumes later
    post_after: int  # 0: answers the push at once, 1 or 2: only after that reminder, 3: never
    opts_out: bool = False  # taps "No follow-up, thanks" after the post questionnaire
    later_after: int = 0  # the follow-up: 0 at once, 1 after its reminder, 2 never
    base: float = 2.8
    pre_done: asyncio.Event = field(default_factory=asyncio.Event)
    post_done: asyncio.Event = field(default_factory=asyncio.Event)
    later_done: asyncio.Event = field(default_factory=asyncio.Event)
    submitted_post: bool = False

    @property
    def user(self) -> int:
        return self.chat.user_id

    def choose(self, screen: Screen) -> Button | None:
        """Pick a button for the question on screen, the way a person might."""
        options = screen.answers
        question = screen.question or ""
        if question in CHOICE_WEIGHTS:
            return self.rng.choices(options, CHOICE_WEIGHTS[question][: len(options)])[0]
        if screen.skip is not None and self.rng.random() < 0.07:
            return screen.skip
        value = _rating(self.rng, RATING_MEANS.get(question, self.base))
        return next((b for b in options if b.value == value), None)


async def answer_questionnaire(person: Person, stop_after: int | None = None) -> None:
    """Answer what the bot shows until the review, then submit."""
    chat, answered = person.chat, 0
    for _ in range(40):
        screen = chat.screen()
        if screen.submit is not None:
            await chat.tap(screen.submit)
            return
        if screen.asks_for_text:
            if person.rng.random() < 0.35:
                later = screen.phase == "follow_up"
                await chat.send(person.rng.choice(FOLLOW_UP_COMMENTS if later else COMMENTS))
            else:
                await chat.tap(screen.skip)
            continue
        if not screen.answers:
            return  # closed, or something else came first
        if stop_after is not None and answered >= stop_after:
            return
        choice = person.choose(screen)
        if answered == 2 and person.rng.random() < 0.2 and screen.back is not None:
            # A slip: an answer tapped by mistake, then Back to put it right.
            await chat.tap(choice)
            await chat.tap(chat.screen().back)
            choice = person.choose(chat.screen())
        if not await chat.tap(choice):
            continue
        answered += 1


def invitations(person: Person, phase: str) -> int:
    """The push, then one reminder after another, each with a button to begin `phase`."""
    messages = person.chat.fake.messages(person.user)
    return sum(Screen.of(m).begin is not None and Screen.of(m).phase == phase for m in messages)


async def take_part(person: Person) -> None:
    """One participant's weeks: join, answer pre, (maybe) post when asked, and (maybe) the
    follow-up eight weeks later."""
    chat = person.chat
    try:
        await chat.send(f"/start {CODE}")
        if person.declines:
            await chat.tap(chat.screen().consent(False))
            return
        await chat.tap(chat.screen().consent(True))
        if person.pauses:
            await answer_questionnaire(person, stop_after=2)
            await asyncio.sleep(person.rng.uniform(0.5, 2.0))  # back an hour or two later
            await chat.send("/resume")
        await answer_questionnaire(person)
        person.pre_done.set()
        if person.post_after == 3:
            return
        if not await chat.until(lambda: invitations(person, "post") > person.post_after, 300):
            return
        person.base += 0.8  # the module helped
        if await chat.tap(chat.screen().begin):
            await answer_questionnaire(person)
        person.submitted_post = chat.screen().follow_up_choice is not None
        person.post_done.set()
        if not person.submitted_post or person.later_after == 2:
            return
        if person.opts_out:
            await chat.tap(chat.screen().follow_up_choice)
            return
        if not await chat.until(lambda: invitations(person, "follow_up") > person.later_after, 300):
            return
        person.base -= person.rng.uniform(0.0, 0.6)  # some of the gain fades in eight weeks
        if await chat.tap(chat.screen().begin):
            await answer_questionnaire(person)
    except Exception as exc:  # a simulated person must never take the demo down
        print(f"participant {person.user} stopped: {exc!r}", file=sys.stderr)
    finally:
        person.pre_done.set()
        person.post_done.set()
        person.later_done.set()


def _print(line: str, clock: DemoClock | None = None) -> None:
    stamp = f"[{clock().strftime('%a %d %b %H:%M')}] " if clock else ""
    print(f"{stamp}{line}", flush=True)


async def _wait_for(events: list[asyncio.Event], within: float) -> None:
    if events:
        await asyncio.wait([asyncio.create_task(e.wait()) for e in events], timeout=within)


async def run_demo(
    participants: int, seed: int, folder: DemoFolder, database: Target, cohorts: int = 1
) -> int:
    """Run the whole story of one cohort (after two earlier ones, with `cohorts` 3) and
    write what it produced to the folder."""
    out = folder.folder
    origin = datetime.combine(LIVE_DAY, dtime(9, 0), UTC)
    config_file = await asyncio.to_thread(
        write_demo_config, folder, database, origin + timedelta(minutes=30), cohorts
    )
    config = load_config(config_file)
    imported = await demo_module.import_earlier(config, seed) if cohorts == 3 else 0
    cohort = config.cohorts[CODE]
    schedule = config.schedule
    clock = DemoClock(origin)
    fake = FakeTelegram(TOKEN, "feedback_demo_bot")
    fake.channel(CHANNEL, "Risk Support facilitators")
    app = simulated_app(config, fake, secrets.token_bytes(32), clock=clock)
    rng = random.Random(seed)
    people = [
        Person(
            chat=Participant(fake, 700000 + i),
            rng=random.Random(rng.random()),
            declines=rng.random() < 0.08,
            pauses=rng.random() < 0.15,
            post_after=rng.choices([0, 1, 2, 3], [65, 18, 7, 10])[0],
            base=rng.gauss(2.8, 0.5),
        )
        for i in range(participants)
    ]
    # Drawn apart, so that the module day plays out for a seed as it did before.
    later_rng = random.Random(f"{seed} weeks later")
    for person in people:
        person.opts_out = later_rng.random() < 0.1
        person.later_after = later_rng.choices([0, 1, 2], [55, 25, 20])[0]
    _print(
        f"Module Feedback Bot demo: {_many(participants, 'simulated participant')} (seed {seed})"
    )
    if imported:
        earlier = " and ".join(r.code for r in demo_module.EARLIER)
        _print(
            f"Earlier runs at {demo_module.SITE}: {earlier}, {imported} answers imported from "
            "paper forms (their summaries went out at the time)"
        )
    _print(f"Output folder: {out}\n")
    began = time.monotonic()
    async with started(app, poll_timeout=1):
        _print(
            f"The room joins {CODE} with the deep link t.me/feedback_demo_bot?start={CODE}", clock
        )
        tasks = [asyncio.create_task(take_part(p)) for p in people]
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
        await fake.wait_until(lambda: _summary_arrived(fake), 120)
        if cohorts == 3:
            await jump(
                demo_module.report_due(config, LIVE_DAY),
                "The quarter ends: the module's report (January to March, all three cohorts) "
                "goes to the channel",
            )
            await fake.wait_until(lambda: _module_report_arrived(fake), 120)

        # Eight weeks later: has it changed practice?
        later = cohort.end + schedule.follow_up_after
        asked = [p for p in people if p.submitted_post and not p.opts_out]
        to_ask, opted = await _follow_up_audience(app)
        await jump(
            later,
            f"Eight weeks later: the follow-up is pushed to the {to_ask} who submitted the "
            f"post-module questionnaire and did not opt out ({opted} did)",
        )
        first = [p.later_done for p in asked if p.later_after == 0]
        await _progress(app, clock, "follow_up", first, within=60)
        for number, delay in enumerate(schedule.follow_up_reminder_delays(), start=1):
            await jump(later + delay, f"Follow-up reminder {number} goes to those not finished")
            late = [p.later_done for p in asked if p.later_after == number]
            await _progress(app, clock, "follow_up", late, within=60)
        await jump(
            later + schedule.follow_up_open_for,
            "The follow-up closes: its summary goes to the channel",
        )
        if await _follow_up_answered(app):
            await fake.wait_until(lambda: _follow_up_arrived(fake), 120)
        else:
            _print("Nobody answered the follow-up, so it has no summary (as with the bot)")
        await asyncio.wait(tasks, timeout=5)
    elapsed = time.monotonic() - began
    sample = people[:TRANSCRIPTS]
    await asyncio.to_thread(_write_outputs, fake, config, folder, sample)
    # The bot has closed its connection; the exports read through read-only ones, which
    # leave -wal and -shm behind: a finished demo's database is one file.
    await asyncio.to_thread(checkpoint, database)
    _print_channel(fake)
    print(f"\nDone in {elapsed:.0f} s of real time. Everything is in {out}:")
    print(f"  channel.md          the channel's messages, with the charts ({out / 'charts'})")
    if _follow_up_arrived(fake):
        print("  report-*.html       the evaluation reports the channel received as files (the")
        print("                      second, after the follow-up, has its follow-up section)")
    else:
        print(f"  {REPORT_FILE}   the evaluation report the channel received as a file")
    if cohorts == 3:
        print(f"  {MODULE_REPORT_FILE}   the module's quarterly report, with its trend chart")
    chats = "one participant's chat" if len(sample) == 1 else f"{len(sample)} participants' chats"
    print(f"  transcripts/        {chats}, tap by tap")
    print(f"  {CODE}-answers.csv / .xlsx   the exports (pseudonymous ids)")
    name = database.name if isinstance(database, Path) else "the database"
    print(f"  {name:<19} the database ({database})")
    scope = f"--cohort {CODE}" if cohorts == 1 else "--module risk-support --since 2026-01-01"
    print(f"Try: feedback-bot report --config {out / 'config.toml'} {scope} --out {out / 'report'}")
    arrived = _summary_arrived(fake) and (cohorts == 1 or _module_report_arrived(fake))
    return 0 if arrived else 1


def _many(count: int, noun: str) -> str:
    """ "1 simulated participant", "2 simulated participants"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


async def _progress(
    app: App, clock: DemoClock, phase: str, done: list[asyncio.Event], within: float
) -> None:
    """Print the live counts every second until the participants of this stage are done."""
    from bot.context import services_of

    svc = services_of(app)
    deadline = time.monotonic() + within
    while True:
        await _wait_for(done, 1.0)
        async with svc.db.read() as tx:
            counts = await tx.status.counts(CODE)
        _print(
            f"  {phase}: {counts['joined']} joined, {counts[phase + '_started']} started, "
            f"{counts[phase + '_submitted']} submitted",
            clock,
        )
        if all(e.is_set() for e in done) or time.monotonic() > deadline:
            return


async def _follow_up_audience(app: App) -> tuple[int, int]:
    """Who the follow-up is for, and how many said no to it, as the bot's database says."""
    from bot.context import services_of
    from core.schedule import FOLLOW_UP_PUSH

    async with services_of(app).db.read() as tx:
        targets = await tx.follow_up.targets(CODE, FOLLOW_UP_PUSH)
        submitted = (await tx.status.counts(CODE))["post_submitted"]
    return len(targets), submitted - len(targets)


async def _follow_up_answered(app: App) -> bool:
    from bot.context import services_of

    async with services_of(app).db.read() as tx:
        return await tx.follow_up.respondents(CODE) > 0


def _follow_up_arrived(fake: FakeTelegram) -> bool:
    messages = fake.messages(CHANNEL)
    return any("Follow-up summary" in str(m.get("text", "")) for m in messages) and any(
        str(m.get("document", {}).get("file_name")) == FOLLOW_UP_REPORT_FILE for m in messages
    )


def _module_report_arrived(fake: FakeTelegram) -> bool:
    """The module's report: its message and its report file, both in the channel."""
    messages = fake.messages(CHANNEL)
    label = "all cohorts starting from"
    return any(label in str(m.get("text", "")) for m in messages) and any(
        m.get("document") and label in str(m.get("caption", "")) for m in messages
    )


def _summary_arrived(fake: FakeTelegram) -> bool:
    messages = fake.messages(CHANNEL)
    return any("Evaluation summary" in str(m.get("text", "")) for m in messages) and any(
        m.get("document") for m in messages
    )


def _write_outputs(
    fake: FakeTelegram, config: Config, folder: DemoFolder, sample: list[Person]
) -> None:
    from analysis.posts import export_files

    lines = ["# What the facilitators' channel received\n"]
    for message in fake.messages(CHANNEL):
        if message.get("photo"):
            name = f"chart-{message['message_id']}.png"
            folder.write(f"charts/{name}", fake.files[message["photo"][-1]["file_id"]].data)
            lines.append(f"![{message.get('caption', 'chart')}](charts/{name})\n")
        elif message.get("document"):
            document = message["document"]
            stored = fake.files[document["file_id"]]
            name = Path(str(document["file_name"])).name
            folder.write(name, stored.data)
            lines.append(f"[{message.get('caption', 'report')}]({name})\n")
        else:
            lines.append(str(message.get("text", "")) + "\n\n---\n")
    folder.write("channel.md", "\n".join(lines).encode())
    for person in sample:
        text = "\n\n".join(person.chat.transcript) + "\n"
        folder.write(f"transcripts/participant-{person.user}.txt", text.encode())
    for name, data in export_files(config, CODE, None):
        folder.write(Path(name).name, data)


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
