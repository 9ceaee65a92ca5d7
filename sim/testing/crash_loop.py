"""The crash loop (issue 6): participants answer while the bot is killed with SIGKILL and
restarted, then the database is audited against what they saw.

With `standby` (issue 19) two bots run on one PostgreSQL database: the one that leads is
killed, the one standing by takes over, and the killed one is started again to stand by.
Each take-over is timed from the kill to the new leader's first call to the Bot API, and a
bot standing by must make no call at all.

``feedback-bot run`` runs as a child process (``process.BotProcess``) against the simulated
Bot API over loopback HTTP (``http_server``). Participants join, agree and answer
continuously (Skip and Back now and then; at the review, Back to change answers or Submit and
join the next of thirty cohorts). After some taps and a seeded 0.05–0.5 s (or, for 30 % of
the kills, as getUpdates hands out taps) the bot is killed with SIGKILL and restarted; a
summary falls due meanwhile. A tap not seen accepted (``watch.Outcome``) is followed by
/resume. Then everybody submits, SIGTERM must exit 0 having answered every update taken, and
``audit`` compares the database with the taps. Run by ``tests/test_crash_loop.py`` (five
kills) and ``python -m benchmarks.crash_loop`` (twenty and more, the figures printed).
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.storage.target import Postgres
from sim import participant
from sim.config import CohortSpec, write_config
from sim.participant import Button, Screen
from sim.telegram.api import FakeTelegram
from sim.testing.audit import AnswerAudit, Tapped, audit_answers, read_stored
from sim.testing.http_server import BotApiServer
from sim.testing.process import BotProcess
from sim.testing.watch import Outcome, Watch

TOKEN = "770077:CRASH-LOOP-token-abcdefghijklmnopqrstu"
KEY = "crash-loop-pseudonym-key-0123456789"
CODES = tuple(f"RS-CRASH-{number}" for number in range(1, 31))
SUMMARY_CODE = "RS-SUMMARY"  # its post questionnaire closes during the loop
FACILITATORS = -1001234500001
SUMMARY_HEADER = "📊 Evaluation summary"
HELLO = "is connected"


async def import_summary_answers(config: Path) -> None:
    """Paper answers for the summary cohort (a cohort nobody answered gets no summary),
    imported with `feedback-bot import` as an operator would."""
    rows = [
        f"P{n},{SUMMARY_CODE},{phase},conf_support,{value}"
        for n in (1, 2, 3)
        for phase, value in (("pre", 2), ("post", 4))
    ]
    answers = config.parent / "paper.csv"
    answers.write_text("participant,cohort,phase,question,value\n" + "\n".join(rows) + "\n")
    command = ["import", "--config", str(config), str(answers)]
    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", *command, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await importer.communicate()
    if importer.returncode != 0:
        raise AssertionError(f"the summary cohort's answers were not imported: {output!r}")


def cohorts(summary_due: datetime) -> list[CohortSpec]:
    """Thirty cohorts open for hours; one whose post (open a day) closes at ``summary_due``."""
    now, ended = datetime.now(UTC), summary_due - timedelta(days=1)
    open_ = [CohortSpec(c, now - timedelta(hours=1), now + timedelta(hours=3)) for c in CODES]
    return [*open_, CohortSpec(SUMMARY_CODE, ended - timedelta(hours=8), ended, site="York")]


def done(screen: Screen) -> bool:  # the thanks after Submit
    return not screen.buttons and "Thank you" in screen.text


def step_of(screen: Screen) -> str:
    kind = "review" if screen.submit else "consent" if screen.consent(True) else "other"
    return f"{screen.cohort}:{screen.question or kind}:{done(screen)}"


class Monitor(Watch):
    def screen(self, chat_id: int) -> Screen:
        """The newest message with buttons, unless a newer one without says we are done."""
        messages, with_buttons = self.chat(chat_id), [m for m in self.chat(chat_id) if m.buttons]
        if not with_buttons or (messages[-1] is not with_buttons[-1] and done(messages[-1])):
            return messages[-1] if messages else Screen(0, "")
        return with_buttons[-1]


@dataclass
class Figures:
    # taps, answer taps, their outcomes, Back, /resume, kills, submissions in the loop ...
    counts: Counter[str] = field(default_factory=Counter)
    participants: int = 0
    answers: AnswerAudit = field(default_factory=AnswerAudit)
    questionnaires: int = 0  # (participant, cohort) pairs joined
    submitted: int = 0
    integrity: str = ""
    sigterm_exit_code: int | None = None
    sigterm_taken: int = 0  # updates the bot had taken when SIGTERM came
    sigterm_finished: int = 0  # ... of which it answered before exiting
    summary_headers: int = 0
    channel_posts_duplicated: int = 0
    hello_posts: int = 0
    errors_in_log: int = 0
    tracebacks_in_log: int = 0
    restart_seconds_max: float = 0.0
    takeover_seconds: list[float] = field(default_factory=list)  # kill → the standby leads
    calls_while_standing_by: int = 0  # Bot API calls made while a second bot stood by
    loop_seconds: float = 0.0
    total_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        plain = {f.name: getattr(self, f.name) for f in fields(self)}
        return plain | {"counts": dict(self.counts), "answers": asdict(self.answers)}

    def report(self) -> str:
        """Every figure on its own line; the counts and the answer audit one line each."""
        lines = []
        for name, value in self.as_dict().items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items() if k != "problems")
            shown = f"{value:.2f}" if isinstance(value, float) else value
            if isinstance(value, list) and value and all(isinstance(v, float) for v in value):
                shown = f"{min(value):.2f} to {max(value):.2f} (mean {sum(value) / len(value):.2f})"
            lines += [f"{name.replace('_', ' ')}: {shown}"] if name != "problems" else []
        if self.problems:
            lines += ["PROBLEMS:", *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class Participant(participant.Participant):
    """A participant who goes on answering while the bot is killed under them: each tap is
    made whether or not the bot is there to take it, and judged by what came back."""

    def __init__(self, loop: CrashLoop, user_id: int, rng: random.Random) -> None:
        super().__init__(loop.fake, user_id, within=loop.timeout)
        self.loop, self.monitor, self.figures = loop, loop.monitor, loop.figures
        self.rng, self.taps = rng, list[Tapped]()
        self.backs_left = 0  # at the review, go back this many questions to change answers
        self.cohort = 0  # index in CODES of the cohort being answered
        self.trust_done = False  # whether a "Thank you" on screen is about that cohort

    def screen(self) -> Screen:
        return self.monitor.screen(self.user_id)

    async def act(self, screen: Screen, button: Button) -> Outcome:
        """Tap one button and find out what the participant sees."""
        update = self.fake.forge_tap(self.user_id, screen.message_id, button.data)
        self.figures.counts["taps"] += 1
        await self.fake.notify()  # the controller counts taps
        step = step_of(screen)
        outcome, early = await self.monitor.outcome(
            str(update["callback_query"]["id"]),
            lambda: step_of(self.screen()) != step,
            self.loop.timeout,
        )
        self.figures.counts["accepted_without_ack"] += early
        return outcome

    async def answer(self, screen: Screen, skip: bool) -> Outcome:
        button = screen.skip if skip and screen.skip else self.rng.choice(screen.answers)
        self.figures.counts["answer_taps"] += 1
        outcome = await self.act(screen, button)
        self.figures.counts[outcome] += 1
        accepted = outcome == "accepted"
        cohort, question = str(screen.cohort), str(screen.question)
        self.taps.append(Tapped(self.user_id, cohort, "pre", question, button.value, accepted))
        return outcome

    async def resume(self, command: str = "/resume") -> None:
        """Wait until the bot is up, ask it where we are, and wait for the new message."""
        # /resume continues the cohort joined last, which need not be the one this
        # participant is after (a lost "I agree"): only /start <code> names it.
        self.trust_done = command.startswith("/start")
        while True:
            await self.loop.up.wait()
            self.figures.counts["resumes"] += 1
            if await self.send(command):
                return

    async def step(self, finishing: bool) -> bool:
        """One action on the current screen; True when the cohort's questionnaire is submitted."""
        screen, rng, code = self.screen(), self.rng, CODES[self.cohort]
        if done(screen) and self.trust_done:
            return True
        if done(screen) or not screen.message_id or screen.cohort not in (None, code):
            await self.resume(f"/start {code}")
            return False
        outcome: Outcome = "refused"  # "something went wrong", "not open": start again
        agree = screen.consent(True)
        if agree is not None:
            outcome = await self.act(screen, agree)
        elif screen.submit is not None and screen.back is not None:
            submit = finishing or rng.random() < 0.4
            if not submit:  # change some answers: go back one to three questions
                self.backs_left = rng.randint(0, 2)
                self.figures.counts["backs"] += 1
            self.trust_done = submit
            outcome = await self.act(screen, screen.submit if submit else screen.back)
        elif screen.answers:
            back = not finishing and (self.backs_left > 0 or rng.random() < 0.1)
            if screen.back is not None and back:
                self.backs_left = max(0, self.backs_left - 1)
                self.figures.counts["backs"] += 1
                outcome = await self.act(screen, screen.back)
            else:
                self.backs_left = 0
                outcome = await self.answer(screen, skip=rng.random() < 0.15)
        if outcome != "accepted":
            await self.resume()
        return False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not await self.step(finishing=False):
                continue
            self.figures.counts["submitted_in_loop"] += 1
            if self.cohort + 1 == len(CODES):
                await stop.wait()  # answered them all
                return
            self.cohort += 1
            await self.resume(f"/start {CODES[self.cohort]}")

    async def finish(self, within: float) -> None:
        deadline = time.monotonic() + within
        await self.resume()
        while not await self.step(finishing=True):
            if time.monotonic() > deadline:
                raise AssertionError(f"participant {self.user_id} could not submit in {within} s")


@dataclass
class Settings:
    kills: int = 20
    participants: int = 10
    seed: int = 1
    min_delay: float = 0.05  # a kill comes this long after the taps counted for it, at least
    max_delay: float = 0.5
    tap_timeout: float = 3.0
    summary_after: float = 10.0  # seconds until a summary falls due
    fetch_kills: float = 0.3  # share of kills made as getUpdates hands out taps
    database: str | None = None  # bot.database; None: feedback.db beside the config
    standby: bool = False  # two bots on the database: kill the leader, the other takes over


class CrashLoop:
    active: BotProcess  # the bot that leads (the one there is, without a standby)
    standby: BotProcess  # the second bot on the database, with `Settings.standby`

    def __init__(self, directory: Path, settings: Settings) -> None:
        self.directory, self.settings, self.timeout = directory, settings, settings.tap_timeout
        self.rng = random.Random(settings.seed)
        self.fake, self.up = FakeTelegram(TOKEN), asyncio.Event()
        self.fake.channel(FACILITATORS, "Facilitators")
        self.monitor = Monitor(self.fake)
        self.figures = Figures(participants=settings.participants)
        self.participants = [
            Participant(self, 8001 + i, random.Random(settings.seed * 1000 + i))
            for i in range(settings.participants)
        ]

    async def start_bot(self, bot: BotProcess) -> None:
        started, startups = time.monotonic(), self.monitor.startups
        await bot.start()
        if not await self.monitor.until(lambda: self.monitor.startups > startups, 60):
            raise AssertionError(f"the bot did not start; see {bot.log}")
        took, slowest = time.monotonic() - started, self.figures.restart_seconds_max
        self.figures.restart_seconds_max = max(slowest, took)
        self.up.set()

    async def stand_by(self, bot: BotProcess) -> None:
        """Start a second bot on the database; it must say it stands by, and call nothing."""
        calls = len(self.fake.calls)
        lines = bot.times_logged("standing by")  # an earlier incarnation's line does not count
        await bot.start()
        if not await bot.until_logged("standing by", 30, more_than=lines):
            raise AssertionError(f"the second bot did not stand by; see {bot.log}")
        await asyncio.sleep(1.5)  # a poll or two of the lock: still nothing of its own
        # A bot's first call is getMe (the leader has made its own before it polls), so any
        # getMe now is the standby's.
        self.figures.calls_while_standing_by += sum(
            1 for method, _ in self.fake.calls[calls:] if method == "getMe"
        )

    async def take_over(self, killed: BotProcess) -> BotProcess:
        """The leader was killed: time until the standby leads; start the killed one again to
        stand by. Returns the new leader."""
        began, startups = time.monotonic(), self.monitor.startups
        if not await self.monitor.until(lambda: self.monitor.startups > startups, 60):
            raise AssertionError(f"the standby did not take over; see {self.standby.log}")
        self.figures.takeover_seconds.append(time.monotonic() - began)
        self.up.set()
        leader, self.standby = self.standby, killed
        await self.stand_by(killed)
        return leader

    async def run(self) -> Figures:
        started = time.monotonic()
        summary_due = datetime.now(UTC) + timedelta(seconds=self.settings.summary_after)
        async with BotApiServer(self.fake, hold_seconds=2) as server:
            config = write_config(
                self.directory,
                cohorts(summary_due),
                schedule={"post_open_for": "1d", "reminders": ["2h"]},
                api_base_url=server.base_url,
                api_base_file_url=server.base_file_url,
                admins=[1],
                facilitators_chat=FACILITATORS,
                database=self.settings.database or "feedback.db",
            )
            await import_summary_answers(config)
            self.active = bot = BotProcess(config, TOKEN, KEY)
            self.standby = BotProcess(config, TOKEN, KEY, self.directory / "standby.log")
            try:
                await self.start_bot(bot)
                if self.settings.standby:
                    await self.stand_by(self.standby)
                await self._loop(bot)
                await asyncio.gather(*(p.finish(within=120) for p in self.participants))
                await self._await_summary(summary_due)
                if self.settings.standby:
                    bot = self.active
                    stopped = await self.standby.stop(signal.SIGTERM)
                    if stopped != 0:
                        self.figures.problems.append(f"the standby exited {stopped} on SIGTERM")
                await self._graceful_stop(bot)
            finally:
                await bot.ensure_dead()
                await self.standby.ensure_dead()
                await self.active.ensure_dead()
        self.audit([bot.log, self.standby.log])
        self.figures.total_seconds = time.monotonic() - started
        return self.figures

    async def _loop(self, bot: BotProcess) -> None:
        self.active = bot
        stop = asyncio.Event()
        tasks = [asyncio.create_task(p.run(stop)) for p in self.participants]
        began, figures = time.monotonic(), self.figures
        try:
            for _ in range(self.settings.kills):
                floor = figures.counts["taps"] + self.rng.randint(0, 3 * len(self.participants) - 1)
                if not await self.monitor.until_above(lambda: figures.counts["taps"], floor, 60):
                    raise AssertionError("participants stopped tapping")
                if self.rng.random() < self.settings.fetch_kills:
                    # The most hostile moments: as getUpdates hands out taps (they are lost
                    # in transit and handed out again), or just after (taken, unconfirmed).
                    batches = self.monitor.batches
                    if self.rng.random() < 0.5:
                        self.monitor.on_batch = self.active.kill_now
                    await self.monitor.until_above(lambda: self.monitor.batches, batches, 10)
                    self.monitor.on_batch = None
                    figures.counts["kills_on_fetch"] += 1
                else:
                    await asyncio.sleep(
                        self.rng.uniform(self.settings.min_delay, self.settings.max_delay)
                    )
                self.up.clear()
                assert await self.active.stop(signal.SIGKILL) == -signal.SIGKILL
                figures.counts["kills"] += 1
                if self.settings.standby:
                    self.active = await self.take_over(self.active)
                else:
                    await self.start_bot(self.active)
            # Let everybody see the last incarnation work before stopping the loop.
            target = figures.counts["taps"] + 2 * len(self.participants)
            await self.monitor.until(lambda: figures.counts["taps"] >= target, 60)
        finally:
            stop.set()
            await self.fake.notify()
            finished, pending = await asyncio.wait(tasks, timeout=4 * self.timeout + 10)
            for task in pending:
                task.cancel()
            for task in finished:
                task.result()  # a participant's own failure is the test's failure
        figures.loop_seconds = time.monotonic() - began

    async def _await_summary(self, due: datetime) -> None:
        wait = max(0.0, (due - datetime.now(UTC)).total_seconds()) + 60
        summary = self.monitor.chat  # complete once its last text (export button) is posted
        if not await self.monitor.until(
            lambda: any(m.buttons for m in summary(FACILITATORS)), wait
        ):
            self.figures.problems.append(f"no summary in the facilitators' chat {wait:.0f} s")

    async def _graceful_stop(self, bot: BotProcess) -> None:
        """SIGTERM as soon as the bot has taken a /help from everybody: each gets its answer."""
        helps = [self.fake.send_text(p.user_id, "/help")["update_id"] for p in self.participants]
        taken = await self.monitor.until(lambda: self.monitor.confirmed > max(helps), 30)
        self.figures.sigterm_taken = len(helps) if taken else 0
        self.figures.sigterm_exit_code = await bot.stop(signal.SIGTERM)
        self.figures.sigterm_finished = sum(
            any("How this works" in m.text for m in self.monitor.chats.get(p.user_id, {}).values())
            for p in self.participants
        )

    def audit(self, logs: list[Path]) -> None:
        f = self.figures
        f.counts["redelivered_taps"] = self.monitor.redelivered()
        f.counts["taps_handled_twice"] = self.monitor.handled_twice()
        database = self.settings.database
        stored = read_stored(Postgres(database) if database else self.directory / "feedback.db")
        f.answers = audit_answers(stored, [tap for p in self.participants for tap in p.taps])
        f.integrity = stored.integrity
        f.problems += f.answers.problems
        f.questionnaires = len(stored.joined)
        f.submitted = sum((user, code, "pre") in stored.submitted for user, code in stored.joined)
        f.problems += [
            f"participant {user} did not submit {code}"
            for user, code in sorted(stored.joined)
            if (user, code, "pre") not in stored.submitted
        ]
        channel = self.monitor.chat(FACILITATORS)
        f.summary_headers = sum(m.text.startswith(SUMMARY_HEADER) for m in channel)
        # The one-line hello may be doubled by a kill during its send (there is nothing
        # earlier in the chat to look for it from): counted apart.
        f.hello_posts = sum(HELLO in m.text for m in channel)
        texts = Counter(m.text for m in channel if m.text and HELLO not in m.text)
        f.channel_posts_duplicated = sum(n - 1 for n in texts.values())
        text = "\n".join(log.read_text(errors="replace") for log in logs if log.exists())
        f.errors_in_log = text.count("error handling update")
        f.tracebacks_in_log = text.count("Traceback")
        checks = [
            (f.summary_headers != 1, f"summary posted {f.summary_headers} times"),
            (f.channel_posts_duplicated > 0, f"channel posts repeated: {texts.most_common(3)}"),
            (
                f.sigterm_finished < f.sigterm_taken or not f.sigterm_taken,
                f"SIGTERM: {f.sigterm_taken} updates taken, {f.sigterm_finished} answered",
            ),
            (f.integrity != "ok", f"integrity_check: {f.integrity}"),
            (f.sigterm_exit_code != 0, f"SIGTERM exit code {f.sigterm_exit_code}"),
            (TOKEN in text or KEY in text, "the token or the pseudonym key is in the bot's log"),
            (f.calls_while_standing_by > 0, f"{f.calls_while_standing_by} calls by a standby"),
            (
                any(seconds > 15 for seconds in f.takeover_seconds),
                f"a take-over took more than 15 s: {f.takeover_seconds}",
            ),
        ]
        f.problems += [problem for failed, problem in checks if failed]


async def crash_loop(directory: Path, **options: Any) -> Figures:
    return await CrashLoop(directory, Settings(**options)).run()
