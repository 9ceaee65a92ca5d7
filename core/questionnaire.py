"""Questionnaire files: the model of a module's pre, post and (optional) follow-up
questionnaires, and its loader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, cast

from core.problems import ConfigError, Problem, read_toml

Kind = Literal["rating", "choice", "text"]
Phase = Literal["pre", "post", "follow_up"]
# The two phases every module has: the module day's summary compares them.
PHASES: tuple[Phase, Phase] = ("pre", "post")
# Weeks later, for those who submitted the post questionnaire: optional per module.
FOLLOW_UP: Phase = "follow_up"
ALL_PHASES: tuple[Phase, Phase, Phase] = ("pre", "post", "follow_up")
KINDS: tuple[str, ...] = ("rating", "choice", "text")
RATING_VALUES = ("1", "2", "3", "4", "5")

# Question ids travel inside callback_data (64 bytes at most), so they stay short.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
MAX_OPTION_LENGTH = 60
MAX_TEXT_LENGTH = 3000


@dataclass(frozen=True)
class Question:
    """One question: a 1–5 rating, a single choice, or free text."""

    id: str
    kind: Kind
    text: str
    label: str
    required: bool = False
    profile: bool = False
    low: str = ""
    high: str = ""
    options: tuple[str, ...] = ()
    max_length: int = 500

    def normalise(self, raw: str) -> str | None:
        """Return the stored form of an answer, or None if it is not valid for this question."""
        if self.kind == "rating":
            value = raw.strip()
            return value if value in RATING_VALUES else None
        if self.kind == "choice":
            return raw if raw in self.options else None
        text = raw.strip()
        if not text or len(text) > self.max_length:
            return None
        return text


@dataclass(frozen=True)
class Questionnaire:
    """The questions of one phase, in the order they are asked."""

    phase: Phase
    intro: str
    questions: tuple[Question, ...]

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Module:
    """A training module with its pre and post questionnaires, and a follow-up weeks later
    if its file has one."""

    id: str
    title: str
    pre: Questionnaire
    post: Questionnaire
    source: Path = field(default=Path("."), compare=False)
    follow_up: Questionnaire | None = None

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The phases this module asks, in order."""
        return ALL_PHASES if self.follow_up is not None else PHASES

    def questionnaire(self, phase: Phase) -> Questionnaire:
        if phase == "pre":
            return self.pre
        if phase == "post":
            return self.post
        if self.follow_up is None:
            raise ValueError(f"module {self.id} has no follow-up questionnaire")
        return self.follow_up

    def question(self, phase: Phase, question_id: str) -> Question | None:
        if phase not in self.phases:
            return None
        return self.questionnaire(phase).get(question_id)

    @property
    def profile_questions(self) -> tuple[Question, ...]:
        """Profile questions in first-seen order across both phases."""
        seen: dict[str, Question] = {}
        for q in (*self.pre.questions, *self.post.questions):
            if q.profile and q.id not in seen:
                seen[q.id] = q
        return tuple(seen.values())

    @property
    def paired_questions(self) -> tuple[Question, ...]:
        """Rating items asked in both phases, compared before and after."""
        post_ids = {q.id for q in self.post.questions if q.kind == "rating" and not q.profile}
        return tuple(
            q
            for q in self.pre.questions
            if q.kind == "rating" and not q.profile and q.id in post_ids
        )

    @property
    def tracked_questions(self) -> tuple[Question, ...]:
        """Rating items asked again at the follow-up that were asked before or after the
        module too: each person's ratings at up to three points."""
        if self.follow_up is None:
            return ()
        earlier = {q.id for q in (*self.pre.questions, *self.post.questions) if q.kind == "rating"}
        return tuple(
            q
            for q in self.follow_up.questions
            if q.kind == "rating" and not q.profile and q.id in earlier
        )

    def any_question(self, question_id: str) -> Question | None:
        found = self.pre.get(question_id) or self.post.get(question_id)
        if found is None and self.follow_up is not None:
            found = self.follow_up.get(question_id)
        return found


def load_module(module_id: str, title: str, file: Path | Traversable) -> Module:
    """Read and validate a questionnaire file (a path, or a file shipped inside the package);
    raise ConfigError listing every problem."""
    path = Path(str(file))  # named in problems and by `check`
    problems: list[Problem] = []
    raw = read_toml(file, "questionnaire file")

    known_top = {"title", "pre", "post", "follow_up"}
    for key in raw:
        if key not in known_top:
            problems.append(
                Problem(path, key, f"unknown key (expected one of {sorted(known_top)})")
            )
    phases: dict[str, Questionnaire] = {}
    for phase in PHASES:
        phases[phase] = _load_phase(path, phase, raw.get(phase), problems)
    follow_up = None
    if FOLLOW_UP in raw:
        follow_up = _load_phase(path, FOLLOW_UP, raw[FOLLOW_UP], problems)
    _check_across_phases(path, phases["pre"], phases["post"], problems)
    if follow_up is not None:
        _check_follow_up(path, phases["pre"], phases["post"], follow_up, problems)
    if problems:
        raise ConfigError(problems)
    file_title = raw.get("title")
    return Module(
        id=module_id,
        title=title or (file_title if isinstance(file_title, str) else module_id),
        pre=phases["pre"],
        post=phases["post"],
        source=path,
        follow_up=follow_up,
    )


def _load_phase(path: Path, phase: Phase, raw: Any, problems: list[Problem]) -> Questionnaire:
    if raw is None:
        problems.append(Problem(path, f"[{phase}]", "missing: every module has a pre and a post"))
        return Questionnaire(phase, "", ())
    if not isinstance(raw, dict):
        problems.append(Problem(path, phase, "expected a table"))
        return Questionnaire(phase, "", ())
    for name in raw:
        if name not in ("intro", "questions"):
            problems.append(
                Problem(
                    path, f"{phase}.{name}", "unknown key (expected one of ['intro', 'questions'])"
                )
            )
    intro = raw.get("intro", "")
    if not isinstance(intro, str):
        problems.append(Problem(path, f"{phase}.intro", "expected a string"))
        intro = ""
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        problems.append(
            Problem(
                path, f"{phase}.questions", f"expected at least one [[{phase}.questions]] entry"
            )
        )
        return Questionnaire(phase, intro, ())
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = f"{phase}.questions[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(path, key, "expected a table"))
            continue
        question = _load_question(path, key, item, problems)
        if question is None:
            # A broken question still takes its id: a later one with the same id is a
            # problem of its own, better reported now than after this one is fixed.
            if isinstance(item.get("id"), str):
                seen.add(item["id"])
            continue
        if question.id in seen:
            problems.append(Problem(path, f"{key}.id", f"duplicate question id {question.id!r}"))
            continue
        seen.add(question.id)
        questions.append(question)
    return Questionnaire(phase, intro, tuple(questions))


_QUESTION_KEYS = {
    "id",
    "kind",
    "text",
    "label",
    "required",
    "profile",
    "low",
    "high",
    "options",
    "max_length",
}


def _load_question(
    path: Path, key: str, item: dict[str, Any], problems: list[Problem]
) -> Question | None:
    before = len(problems)
    for name in item:
        if name not in _QUESTION_KEYS:
            problems.append(Problem(path, f"{key}.{name}", "unknown key"))
    qid = item.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problems.append(
            Problem(
                path,
                f"{key}.id",
                "expected an id of lower-case letters, digits and _ "
                "(starting with a letter, at most 24 characters)",
            )
        )
        qid = "?"
    else:
        key = f"{key} ({qid})"
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(Problem(path, f"{key}.kind", f"expected one of {list(KINDS)}"))
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(path, f"{key}.text", "expected the question's wording"))
        text = ""
    label = item.get("label", text)
    if not isinstance(label, str):
        problems.append(Problem(path, f"{key}.label", "expected a string"))
        label = text
    flags: dict[str, bool] = {}
    for flag in ("required", "profile"):
        value = item.get(flag, False)
        if not isinstance(value, bool):
            problems.append(Problem(path, f"{key}.{flag}", "expected true or false"))
            value = False
        flags[flag] = value
    low = item.get("low", "")
    high = item.get("high", "")
    options: tuple[str, ...] = ()
    max_length = item.get("max_length", 500)
    if kind == "rating":
        for name, value in (("low", low), ("high", high)):
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(path, f"{key}.{name}", "expected the meaning of the scale's end point")
                )
    elif kind == "choice":
        raw_options = item.get("options")
        if (
            not isinstance(raw_options, list)
            or len(raw_options) < 2
            or not all(isinstance(o, str) and o.strip() for o in raw_options)
        ):
            problems.append(
                Problem(path, f"{key}.options", "expected a list of at least two option labels")
            )
        else:
            options = tuple(raw_options)
            if len(set(options)) != len(options):
                problems.append(Problem(path, f"{key}.options", "option labels must be unique"))
            if len(options) > 20:
                problems.append(Problem(path, f"{key}.options", "at most 20 options"))
            for option in options:
                if len(option) > MAX_OPTION_LENGTH:
                    problems.append(
                        Problem(
                            path,
                            f"{key}.options",
                            f"option {option!r} is longer than {MAX_OPTION_LENGTH} characters",
                        )
                    )
    elif kind == "text" and (
        not isinstance(max_length, int)
        or isinstance(max_length, bool)
        or not 1 <= max_length <= MAX_TEXT_LENGTH
    ):
        problems.append(
            Problem(path, f"{key}.max_length", f"expected a whole number 1–{MAX_TEXT_LENGTH}")
        )
        max_length = 500
    # With an unknown kind, which keys belong is unknown too: the kind is the one problem.
    if kind in KINDS and kind != "rating" and ("low" in item or "high" in item):
        problems.append(Problem(path, key, "low/high apply only to rating questions"))
    if kind in KINDS and kind != "choice" and "options" in item:
        problems.append(Problem(path, f"{key}.options", "options apply only to choice questions"))
    if len(problems) > before:
        return None
    return Question(
        id=qid,
        kind=cast(Kind, kind),
        text=text.strip(),
        label=label.strip() or text.strip(),
        required=flags["required"],
        profile=flags["profile"],
        low=low.strip() if isinstance(low, str) else "",
        high=high.strip() if isinstance(high, str) else "",
        options=options,
        max_length=max_length if isinstance(max_length, int) else 500,
    )


def _check_across_phases(
    path: Path, pre: Questionnaire, post: Questionnaire, problems: list[Problem]
) -> None:
    """A question id shared by pre and post must mean the same thing in both."""
    for question in pre.questions:
        other = post.get(question.id)
        if other is None:
            continue
        _check_same_meaning(path, question, "pre", other, "post", problems)
        if question.profile != other.profile:
            problems.append(
                Problem(
                    path,
                    f"post.questions ({question.id}).profile",
                    "a profile question must be marked profile in both phases",
                )
            )


def _check_same_meaning(
    path: Path,
    question: Question,
    phase: Phase,
    other: Question,
    other_phase: Phase,
    problems: list[Problem],
) -> None:
    """A shared id keeps its kind (and a choice its options), so answers compare."""
    if other.kind != question.kind:
        problems.append(
            Problem(
                path,
                f"{other_phase}.questions ({question.id}).kind",
                f"is {other.kind!r} but {question.kind!r} in {phase}: "
                "a shared id must keep its kind",
            )
        )
    elif question.kind == "choice" and other.options != question.options:
        problems.append(
            Problem(
                path,
                f"{other_phase}.questions ({question.id}).options",
                f"must list the same options as in {phase}",
            )
        )


def _check_follow_up(
    path: Path,
    pre: Questionnaire,
    post: Questionnaire,
    follow_up: Questionnaire,
    problems: list[Problem],
) -> None:
    """Follow-up items compare with the same ids before and after; profile questions belong
    to pre and post (only those who submitted post are asked the follow-up)."""
    for question in follow_up.questions:
        key = f"follow_up.questions ({question.id})"
        if question.profile:
            problems.append(
                Problem(
                    path,
                    f"{key}.profile",
                    "profile questions are asked in pre or post; the follow-up goes only to "
                    "people who have answered those",
                )
            )
            continue
        for phase, earlier in (("pre", pre), ("post", post)):
            before = earlier.get(question.id)
            if before is None:
                continue
            if before.profile:
                problems.append(
                    Problem(
                        path,
                        f"{key}.id",
                        f"{question.id!r} is a profile question in {phase}; "
                        "it cannot be asked again at the follow-up",
                    )
                )
                break
            before_problems = len(problems)
            _check_same_meaning(path, before, cast(Phase, phase), question, FOLLOW_UP, problems)
            if len(problems) > before_problems:
                break
