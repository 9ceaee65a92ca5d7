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

from core.questionnaire import PHASES, Module, Question
from core.storage import Target
from core.storage.packed import scope_answers

PHASE_DTYPE = pd.CategoricalDtype(list(PHASES), ordered=True)


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
    """Every question of the module, pre questions first, each id once."""
    seen: dict[str, Question] = {}
    for question in (*module.pre.questions, *module.post.questions):
        seen.setdefault(question.id, question)
    return list(seen.values())


def load_frames(database: Target, module: Module, cohorts: Sequence[str]) -> Frames:
    """Read the answers, responses and participants of `cohorts` in one snapshot."""
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
