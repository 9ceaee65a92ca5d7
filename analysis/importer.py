"""Import answers collected on paper or a web form, in the export's long format.

Every row is checked against the questionnaire before anything is written; one bad
row and nothing is imported. Writing is idempotent: the same file imported twice
leaves the database as it was after the first time. An import never silently changes an
answer already stored (a participant's own answer from the chat, say): every row that
would is listed, and nothing is imported, unless the user asks for `replace`.

An answer's date must be plausible for its cohort: not before the pre-module
questionnaire opens, not more than DATE_MARGIN after the post-module one closes (by
the config, or by an admin's /open and /close stored in the database, whichever is
wider), and not in the future. A year typed wrong would otherwise slip into the data
unnoticed; `allow_dates_outside_window` imports such answers all the same.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from core.config import Cohort, Config
from core.questionnaire import ALL_PHASES, FOLLOW_UP, PHASES, Phase, Question
from core.storage import WindowOverrides, open_database, utc_text, window_overrides
from core.windows import Window, default_window

# How long after the post-module questionnaire closes a dated answer is still plausible
# (forms handed in late, typed up later). Stated in the README and in `import --help`.
DATE_MARGIN = timedelta(days=30)

REQUIRED_COLUMNS = ("participant", "cohort", "phase", "question", "value")
OPTIONAL_COLUMNS = ("site", "module", "answered_at")


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one line of the file."""

    line: int
    message: str
    date: bool = False  # only the date is implausible: --allow-dates-outside-window

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportedAnswer:
    """One validated answer, ready to store."""

    line: int
    participant: str
    cohort: str
    phase: str
    question: str
    value: str | None  # None: skipped
    answered_at: datetime
    timed: bool  # False: the file gave no answered_at (the cohort's start or end is used)


@dataclass
class ImportPlan:
    """The file's answers, or why it cannot be imported."""

    answers: list[ImportedAnswer] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (all of it committed)."""

    rows: int
    participants: int
    added: int
    unchanged: int  # already stored just so: a file imported before adds nothing
    replaced: int  # stored answers the file gave differently (only with `replace`)


@dataclass(frozen=True)
class Change:
    """A stored answer that a row of the file gives differently."""

    line: int
    participant: str
    phase: str
    question: str
    old: str | None
    new: str | None
    old_at: str
    new_at: str

    def __str__(self) -> str:
        def shown(value: str | None) -> str:
            return "(skipped)" if value is None else repr(value)

        if self.old == self.new:
            what = f"answered_at {self.old_at} → {self.new_at}"
        else:
            what = f"{shown(self.old)} → {shown(self.new)}"
        return (
            f"line {self.line}: participant {self.participant}, {self.question} "
            f"({self.phase}): {what}"
        )


class AnswersWouldChange(Exception):
    """The file would change stored answers and `replace` was not given; nothing written."""

    def __init__(self, changes: list[Change]) -> None:
        super().__init__(f"{len(changes)} stored answer(s) would change")
        self.changes = changes


Progress = Callable[[str, int, int], None]


def parse_answers(text: str, config: Config) -> ImportPlan:
    """Validate a long-format CSV text against the config and questionnaires."""
    plan = ImportPlan()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        plan.problems.append(RowProblem(1, "the file is empty (expected a header row)"))
        return plan
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [h for h in names if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        message = []
        if missing:
            message.append("missing column(s) " + ", ".join(missing))
        if unknown:
            message.append("unknown column(s) " + ", ".join(unknown))
        plan.problems.append(
            RowProblem(
                1,
                "; ".join(message) + f" (expected {', '.join(REQUIRED_COLUMNS)}"
                f" and optionally {', '.join(OPTIONAL_COLUMNS)})",
            )
        )
        return plan
    if len(set(names)) != len(names):
        plan.problems.append(RowProblem(1, "a column appears twice in the header"))
        return plan
    seen: dict[tuple[str, str, str, str], int] = {}
    profile_seen: dict[tuple[str, str, str], tuple[str, int]] = {}
    line = 1
    for record in reader:
        line_start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines, e.g. at the end of a hand-edited file
        if len(record) != len(names):
            plan.problems.append(
                RowProblem(line_start, f"expected {len(names)} fields, found {len(record)}")
            )
            continue
        row = dict(zip(names, record, strict=True))
        problems, answer = _check_row(line_start, row, config)
        plan.problems.extend(problems)
        if answer is None:
            continue
        key = (answer.cohort, answer.participant, answer.phase, answer.question)
        if key in seen:
            plan.problems.append(
                RowProblem(
                    line_start,
                    f"duplicate answer: participant {answer.participant!r} already answered "
                    f"{answer.question} ({answer.phase}) on line {seen[key]}",
                )
            )
            continue
        seen[key] = line_start
        module = config.modules[config.cohorts[answer.cohort].module]
        question = module.any_question(answer.question)
        if question is not None and question.profile:
            profile_key = (answer.cohort, answer.participant, answer.question)
            if profile_key in profile_seen:
                other_phase, other_line = profile_seen[profile_key]
                plan.problems.append(
                    RowProblem(
                        line_start,
                        f"{answer.question} is a profile question, asked once per participant, "
                        f"but participant {answer.participant!r} also answered it in "
                        f"{other_phase} on line {other_line}",
                    )
                )
                continue
            profile_seen[profile_key] = (answer.phase, line_start)
        plan.answers.append(answer)
    return plan


def _check_row(
    line: int, row: dict[str, str], config: Config
) -> tuple[list[RowProblem], ImportedAnswer | None]:
    """Validate one row; return its problems, or the answer it holds."""
    problems: list[RowProblem] = []

    def bad(message: str) -> tuple[list[RowProblem], None]:
        problems.append(RowProblem(line, message))
        return problems, None

    participant = row["participant"].strip()
    if not participant:
        return bad("participant is empty")
    code = row["cohort"].strip()
    cohort = config.cohort(code) if code else None
    if cohort is None:
        return bad(f"unknown cohort {code!r}" if code else "cohort is empty")
    module = config.modules[cohort.module]
    declared_module = row.get("module", "").strip()
    if declared_module and declared_module != module.id:
        problems.append(
            RowProblem(
                line, f"cohort {cohort.code} runs module {module.id!r}, not {declared_module!r}"
            )
        )
    declared_site = row.get("site", "").strip()
    if declared_site and declared_site.casefold() != cohort.site.casefold():
        problems.append(
            RowProblem(line, f"cohort {cohort.code} is at {cohort.site!r}, not {declared_site!r}")
        )
    phase = row["phase"].strip().lower()
    if phase not in module.phases:
        if phase == FOLLOW_UP:
            problems.append(RowProblem(line, f"module {module.id} has no follow-up questionnaire"))
        else:
            names = " or ".join(module.phases)
            problems.append(RowProblem(line, f"phase {row['phase']!r} must be {names}"))
    question_id = row["question"].strip()
    question = module.any_question(question_id)
    if question is None:
        known = ", ".join(
            dict.fromkeys(q.id for p in module.phases for q in module.questionnaire(p).questions)
        )
        return bad(f"unknown question {question_id!r} for module {module.id} (known: {known})")
    # A profile question is asked once, in pre or post: either phase will do for it.
    if (
        phase in module.phases
        and module.question(cast(Phase, phase), question_id) is None
        and (not question.profile or phase == FOLLOW_UP)
    ):
        problems.append(RowProblem(line, f"question {question_id} is not asked in {phase}"))
    value, value_problem = _value(question, row["value"])
    if value_problem:
        problems.append(RowProblem(line, value_problem))
    answered_at = _moment(row.get("answered_at", ""), config)
    if answered_at is None:
        problems.append(
            RowProblem(
                line,
                f"answered_at {row['answered_at']!r} is not a date-time such as "
                "2026-03-14T10:02:11+00:00",
            )
        )
    timed = not isinstance(answered_at, str)
    if isinstance(answered_at, str):
        # No time given: the cohort's start (pre) or end (post), or the follow-up's opening,
        # so importing the same file again writes the same moment and changes nothing.
        if phase == FOLLOW_UP:
            answered_at = default_window(cohort, FOLLOW_UP, config.schedule).opens
        else:
            answered_at = cohort.start if phase == "pre" else cohort.end
    if problems:
        return problems, None
    assert isinstance(answered_at, datetime)
    return problems, ImportedAnswer(
        line, participant, cohort.code, phase, question_id, value, answered_at, timed
    )


def _value(question: Question, raw: str) -> tuple[str | None, str | None]:
    """The stored value (None: skipped) and a problem, if any."""
    if not raw.strip():
        return None, None
    if question.kind == "rating":
        text = raw.strip()
        # "4.0" comes out of spreadsheets that store every number as a float.
        if text.endswith(".0"):
            text = text[:-2]
        value = question.normalise(text)
        if value is None:
            return None, f"{question.id} is rated 1 to 5; {raw.strip()!r} is not a rating"
        return value, None
    if question.kind == "choice":
        wanted = raw.strip().casefold()
        match = next((o for o in question.options if o.casefold() == wanted), None)
        if match is None:
            options = ", ".join(repr(o) for o in question.options)
            return None, f"{raw.strip()!r} is not an option of {question.id} ({options})"
        return match, None
    value = question.normalise(raw)
    if value is None:
        return None, f"{question.id} takes at most {question.max_length} characters"
    return value, None


def _moment(raw: str, config: Config) -> datetime | str | None:
    """A parsed date-time; "" when none was given; None when it cannot be read."""
    text = raw.strip()
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.bot.timezone)
    return moment.astimezone(UTC)


async def write_answers(
    config: Config,
    answers: list[ImportedAnswer],
    progress: Progress | None = None,
    *,
    replace: bool = False,
) -> ImportResult:
    """Store validated answers in one transaction; unchanged answers are not touched.

    A stored answer the file gives differently (another value, or another time when the
    file gives one) is replaced only with `replace`; otherwise AnswersWouldChange lists
    them all and the transaction is rolled back, so nothing is written.
    """
    db = await open_database(config.bot.database)
    added = unchanged = 0
    changes: list[Change] = []
    groups: dict[tuple[str, str], list[ImportedAnswer]] = {}
    for answer in answers:
        groups.setdefault((answer.cohort, answer.participant), []).append(answer)
    try:
        async with db.write() as tx:
            for code in sorted({a.cohort for a in answers}):
                cohort = config.cohorts[code]
                await tx.cohorts.upsert(
                    cohort.code, cohort.module, cohort.site, cohort.start, cohort.end
                )
            for done, ((cohort_code, pseudonym), items) in enumerate(groups.items(), 1):
                first = min(a.answered_at for a in items)
                pid = await tx.participants.imported(cohort_code, pseudonym, first)
                for phase in ALL_PHASES:
                    in_phase = [a for a in items if a.phase == phase]
                    if not in_phase:
                        continue
                    stored = await tx.answers.with_times(pid, phase)
                    if await tx.responses.get(pid, phase) is None:
                        # A paper or web form is handed in complete: a submitted response.
                        await tx.responses.start(pid, phase, min(a.answered_at for a in in_phase))
                        await tx.responses.submit(pid, phase, max(a.answered_at for a in in_phase))
                    for answer in in_phase:
                        before = stored.get(answer.question)
                        when = utc_text(answer.answered_at)
                        if before is None:
                            added += 1
                        elif before[0] == answer.value and (not answer.timed or before[1] == when):
                            unchanged += 1
                            continue  # already there: keep it (and its time) as it is
                        else:
                            changes.append(
                                Change(
                                    answer.line,
                                    pseudonym,
                                    phase,
                                    answer.question,
                                    before[0],
                                    answer.value,
                                    before[1],
                                    when,
                                )
                            )
                            if not replace:
                                continue
                        await tx.answers.save(
                            pid, phase, answer.question, answer.value, answer.answered_at
                        )
                if progress is not None:
                    progress("Checking and writing, not yet committed", done, len(groups))
            if changes and not replace:
                raise AnswersWouldChange(sorted(changes, key=lambda c: c.line))  # rolls back
    finally:
        await db.close()
    return ImportResult(len(answers), len(groups), added, unchanged, len(changes))


def plausible_window(
    cohort: Cohort, config: Config, overrides: WindowOverrides, phase: str = "pre"
) -> tuple[datetime, datetime | None]:
    """From when to when an answer to this cohort can have been given (None: no end): a
    pre or post answer while either questionnaire was open, a follow-up answer from the
    module's end until the follow-up closed (each with DATE_MARGIN after)."""
    phases: tuple[Phase, ...] = (FOLLOW_UP,) if phase == FOLLOW_UP else PHASES
    windows = [default_window(cohort, p, config.schedule) for p in phases]
    windows += [Window(*overrides[cohort.code, p]) for p in phases if (cohort.code, p) in overrides]
    opens = min(w.opens for w in windows)
    if phase == FOLLOW_UP:
        opens = min(opens, cohort.end)
    closes = [w.closes for w in windows]
    if any(c is None for c in closes):
        return opens, None
    return opens, max(c for c in closes if c is not None) + DATE_MARGIN


def dates_outside_window(
    answers: list[ImportedAnswer], config: Config, overrides: WindowOverrides, now: datetime
) -> list[RowProblem]:
    """A problem for every dated answer its cohort cannot plausibly have given."""
    problems: list[RowProblem] = []

    def local(moment: datetime) -> str:
        return moment.astimezone(config.bot.timezone).isoformat(timespec="minutes")

    for answer in answers:
        if not answer.timed:
            continue  # dated by the import itself, at the cohort's start or end
        when = answer.answered_at
        opens, latest = plausible_window(
            config.cohorts[answer.cohort], config, overrides, answer.phase
        )
        if when > now:
            reason = "is in the future"
        elif when < opens and answer.phase == FOLLOW_UP:
            reason = f"is before the module {answer.cohort} ended ({local(opens)})"
        elif when < opens:
            reason = (
                f"is before the pre-module questionnaire of {answer.cohort} opened ({local(opens)})"
            )
        elif latest is not None and when > latest:
            which = "follow-up" if answer.phase == FOLLOW_UP else "post-module"
            reason = (
                f"is more than {DATE_MARGIN.days} days after the {which} questionnaire of "
                f"{answer.cohort} closed ({local(latest - DATE_MARGIN)})"
            )
        else:
            continue
        problems.append(RowProblem(answer.line, f"answered_at {local(when)} {reason}", date=True))
    return problems


def import_file(
    config: Config,
    path: Path,
    progress: Progress | None = None,
    *,
    allow_dates_outside_window: bool = False,
    replace: bool = False,
    now: datetime | None = None,
) -> tuple[list[RowProblem], ImportResult | None]:
    """Validate and import a CSV file; on any problem, import nothing and return them all.

    Raises AnswersWouldChange (nothing imported) when rows would change stored answers
    and `replace` is not given."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [RowProblem(1, "the file is not UTF-8 text (save it as CSV UTF-8)")], None
    except OSError as exc:
        return [RowProblem(1, f"the file cannot be read: {exc.strerror or exc}")], None
    plan = parse_answers(text, config)
    problems = list(plan.problems)
    if not allow_dates_outside_window:
        overrides = window_overrides(config.bot.database)
        moment = now or datetime.now(UTC)
        problems += dates_outside_window(plan.answers, config, overrides, moment)
    if problems:
        return sorted(problems, key=lambda p: p.line), None
    return [], asyncio.run(write_answers(config, plan.answers, progress, replace=replace))
