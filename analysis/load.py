"""Load: a scope's answers, responses and participants as pandas DataFrames.

The storage layer reads them in bulk (`core.storage.packed`), as arrays; this turns them
into the frames the computation takes. The database is read in one snapshot, so a report
can run while the bot writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.questionnaire import ALL_PHASES, FOLLOW_UP, PHASES, Module, Question
from core.schedule import FOLLOW_UP_PUSH
from core.storage import Target
from core.storage.packed import scope_answers
from core.storage.reads import follow_up_rows

PHASE_DTYPE = pd.CategoricalDtype(list(PHASES), ordered=True)
ALL_PHASE_DTYPE = pd.CategoricalDtype(list(ALL_PHASES), ordered=True)


@dataclass(frozen=True)
class Frames:
    """A scope's raw data, one frame per table."""

    # participant, cohort, phase, question (categoricals), code (int8: 0 skipped, 1–5 a
    # rating, 1… a choice's option number; see core.storage.packed)
    answers: pd.DataFrame
    texts: pd.DataFrame  # participant, cohort, phase, question, value: free-text answers
    responses: pd.DataFrame  # participant, phase, submitted
    participants: pd.DataFrame  # participant, cohort


def module_questions(module: Module) -> list[Question]:
    """Every question of the module's pre and post, pre questions first, each id once."""
    seen: dict[str, Question] = {}
    for question in (*module.pre.questions, *module.post.questions):
        seen.setdefault(question.id, question)
    return list(seen.values())


def all_questions(module: Module) -> list[Question]:
    """Every question of the module, the follow-up's too, in the order they are asked."""
    seen = {q.id: q for q in module_questions(module)}
    if module.follow_up is not None:
        for question in module.follow_up.questions:
            seen.setdefault(question.id, question)
    return list(seen.values())


def load_frames(database: Target, module: Module, cohorts: Sequence[str]) -> Frames:
    """Read the answers, responses and participants of `cohorts` in one snapshot: the module
    day's (pre and post); the follow-up weeks later is read on its own (`load_follow_up`)."""
    codes = list(cohorts)
    questions = module_questions(module)
    found = scope_answers(database, questions, codes)
    cohort_dtype = pd.CategoricalDtype(codes)

    def cohorts_of(participant: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(found.cohort_of[participant], dtype=cohort_dtype)

    answers = pd.DataFrame(
        {
            "participant": found.answer_participant,
            "cohort": cohorts_of(found.answer_participant),
            "phase": pd.Categorical.from_codes(found.answer_phase, dtype=PHASE_DTYPE),
            "question": pd.Categorical.from_codes(found.answer_question, [q.id for q in questions]),
            "code": found.answer_code,
        }
    )
    texts = pd.DataFrame(found.texts, columns=["participant", "phase", "question", "value"])
    texts = texts.astype({"participant": "int64", "phase": PHASE_DTYPE, "value": object})
    texts.insert(1, "cohort", cohorts_of(texts["participant"].to_numpy()))
    return Frames(
        answers=answers,
        texts=texts,
        responses=pd.DataFrame(
            {
                "participant": found.response_participant,
                "phase": pd.Categorical.from_codes(found.response_phase, dtype=PHASE_DTYPE),
                "submitted": found.response_submitted,
            }
        ),
        participants=pd.DataFrame(
            {"participant": found.people, "cohort": cohorts_of(found.people)}
        ),
    )


@dataclass(frozen=True)
class FollowUpFrames:
    """What a follow-up summary reads: far fewer answers than a module's, so plain rows."""

    # participant, cohort (categorical), phase (pre/post/follow_up), question, value (text;
    # None: skipped): the tracked items at every point, and the follow-up's own questions
    answers: pd.DataFrame
    # participant, cohort, asked (the follow-up was sent to them, or, imported from paper,
    # they submitted post), submitted (the follow-up)
    people: pd.DataFrame


def load_follow_up(database: Target, module: Module, cohorts: Sequence[str]) -> FollowUpFrames:
    """Read the follow-up's answers, and the same people's ratings of its tracked items
    before and after the module, in one snapshot."""
    codes = list(cohorts)
    tracked = [q.id for q in module.tracked_questions]
    own = [q.id for q in module.follow_up.questions] if module.follow_up is not None else []
    people, rows = follow_up_rows(database, codes, tracked, own, FOLLOW_UP, FOLLOW_UP_PUSH)
    cohort_dtype = pd.CategoricalDtype(codes)
    answers = pd.DataFrame(rows, columns=["participant", "cohort", "phase", "question", "value"])
    answers = answers.astype(
        {"participant": "int64", "cohort": cohort_dtype, "phase": ALL_PHASE_DTYPE}
    )
    frame = pd.DataFrame(people, columns=["participant", "cohort", "asked", "submitted"])
    frame = frame.astype(
        {"participant": "int64", "cohort": cohort_dtype, "asked": bool, "submitted": bool}
    )
    return FollowUpFrames(answers=answers, people=frame)
