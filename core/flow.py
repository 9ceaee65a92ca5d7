"""Where a participant is in a questionnaire, derived only from what is stored.

Pure functions: no Telegram, no database. The handlers load a `Progress` from the
database and ask these functions what to show next, so a restart changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.callbacks import SKIP
from core.questionnaire import FOLLOW_UP, Module, Phase, Question


@dataclass(frozen=True)
class Progress:
    """What is stored about one participant's response to one phase."""

    answers: dict[str, str | None] = field(default_factory=dict)
    answered_elsewhere: frozenset[str] = frozenset()
    position: str | None = None
    submitted: bool = False


@dataclass(frozen=True)
class Step:
    """What the participant sees now: a question, the review, or the thank-you."""

    kind: Literal["question", "review", "done"]
    sequence: tuple[Question, ...]
    index: int = 0

    @property
    def question(self) -> Question:
        assert self.kind == "question"
        return self.sequence[self.index]

    @property
    def total(self) -> int:
        return len(self.sequence)


def sequence(
    module: Module, phase: Phase, answered_elsewhere: frozenset[str]
) -> tuple[Question, ...]:
    """The questions of a phase: profile questions not yet answered in the other phase first
    (the follow-up has none: it goes only to those who have answered them)."""
    own = tuple(q for q in module.questionnaire(phase).questions if not q.profile)
    if phase == FOLLOW_UP:
        return own
    profile = tuple(q for q in module.profile_questions if q.id not in answered_elsewhere)
    return profile + own


def current_step(module: Module, phase: Phase, progress: Progress) -> Step:
    """The question to show: the one gone back to, else the first unanswered, else the review."""
    questions = sequence(module, phase, progress.answered_elsewhere)
    if progress.submitted:
        return Step("done", questions)
    if progress.position is not None:
        for index, question in enumerate(questions):
            if question.id == progress.position:
                return Step("question", questions, index)
    for index, question in enumerate(questions):
        if question.id not in progress.answers:
            return Step("question", questions, index)
    return Step("review", questions, len(questions))


def back_target(step: Step) -> str | None:
    """The question id Back leads to from this step, or None at the first question."""
    if step.kind == "review":
        return step.sequence[-1].id if step.sequence else None
    if step.kind == "question" and step.index > 0:
        return step.sequence[step.index - 1].id
    return None


def missing_required(step: Step, answers: dict[str, str | None]) -> list[Question]:
    """Required questions without an answer (a guard before Submit)."""
    return [q for q in step.sequence if q.required and answers.get(q.id) is None]


def button_value(question: Question, value: str) -> str | None:
    """Turn a button's value into the stored answer (None = skip); raise ValueError if invalid."""
    if value == SKIP:
        if question.required:
            raise ValueError("required question cannot be skipped")
        return None
    if question.kind == "rating":
        normalised = question.normalise(value)
    elif question.kind == "choice":
        index = int(value)
        normalised = question.options[index] if 0 <= index < len(question.options) else None
    else:
        normalised = None  # free text is typed, never a button
    if normalised is None:
        raise ValueError(f"{value!r} is not an answer to {question.id}")
    return normalised
