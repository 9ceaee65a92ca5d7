"""The analysis's bulk read: a scope's answers as numpy arrays, never one Python object a row.

Materialising one Python tuple per answer is what makes a naive load of millions of answers
slow (about 2 µs a row), so the database encodes every answer as one integer —
participant, phase, question and value code — and hands all of them back at once as text
that numpy parses in C: SQLite joins them into one comma-separated text (group_concat),
PostgreSQL into one value of 8-byte integers (string_agg of int8send). Both are one value
for millions of rows. PostgreSQL's COPY would stream them too, but psycopg hands COPY data
over a row at a time: 2 million rows took 2 to 4 s that way here, against 0.4 s as one value.

Value codes: 0 skipped; 1–5 a rating; 1–20 a choice's option number (1 = the first);
TEXT_CODE a typed answer; UNKNOWN_CODE a value the questionnaire no longer allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.questionnaire import Question
from core.storage.reads import snapshot
from core.storage.schedule import placeholders
from core.storage.target import Postgres, Target

# Bit layout of an encoded answer: participant id | phase (1 bit) | question (10 bits) |
# value (5 bits).
VALUE_BITS = 5
QUESTION_BITS = 10
TEXT_CODE = 31
UNKNOWN_CODE = 30
COHORT_BITS = 12
MAX_QUESTIONS = 2**QUESTION_BITS
MAX_COHORTS = 2**COHORT_BITS
# The module day's phases: the follow-up weeks later is read on its own (reads.follow_up_rows).
DAY = "a.phase IN ('pre', 'post')"


@dataclass(frozen=True)
class ScopeAnswers:
    """What a summary reads, as arrays. Phases are 0 (pre) and 1 (post); questions and
    cohorts are indexes into the lists the read was given."""

    people: np.ndarray  # participant ids in scope
    cohort_of: np.ndarray  # by participant id: the cohort's index, -1 out of scope
    answer_participant: np.ndarray
    answer_phase: np.ndarray
    answer_question: np.ndarray
    answer_code: np.ndarray  # see the value codes above
    response_participant: np.ndarray
    response_phase: np.ndarray
    response_submitted: np.ndarray
    texts: list[tuple[int, str, str, str]]  # (participant, phase, question, value) typed


@dataclass(frozen=True)
class _Dialect:
    """The few words the engines spell differently in these queries."""

    flag: str  # a condition as 0 or 1: "{}" formatted with the condition
    char_code: str  # the code point of a text's first character
    joined: str  # every integer of a query as one value

    def parse(self, value: object) -> np.ndarray:
        if value is None:
            return np.zeros(0, np.int64)
        if isinstance(value, str):
            # np.fromstring with a separator parses text (only its binary mode is deprecated).
            return np.fromstring(value, dtype=np.int64, sep=",")
        assert isinstance(value, bytes | memoryview), type(value)
        return np.frombuffer(value, dtype=">i8").astype(np.int64)


SQLITE = _Dialect(flag="({})", char_code="unicode({})", joined="group_concat({})")
POSTGRESQL = _Dialect(
    flag="({})::int", char_code="ascii({})", joined="string_agg(int8send({}), ''::bytea)"
)


def _encoding_sql(questions: Sequence[Question], dialect: _Dialect) -> tuple[str, list[object]]:
    """The SQL expression encoding one answer as an integer, and its parameters."""
    choices = [q for q in questions if q.kind == "choice"]
    texts = [q.id for q in questions if q.kind == "text"]
    question_case = " ".join(f"WHEN ? THEN {code}" for code in range(len(questions)))
    option_case = " ".join(
        "WHEN ? THEN CASE a.value "
        + " ".join(f"WHEN ? THEN {i + 1}" for i in range(len(q.options)))
        + " END"
        for q in choices
    )
    choice_when = (
        f" WHEN a.question IN ({placeholders(choices)})"
        f" THEN coalesce(CASE a.question {option_case} END, {UNKNOWN_CODE})"
        if choices
        else ""
    )
    # Ratings (most answers) are decoded from their one character without comparing
    # strings; choices and texts are few. `& 31` keeps a stray character from spilling
    # into the other fields, and NULL must never reach group_concat (it would drop the
    # answer), hence the coalesce: UNKNOWN_CODE marks a value the questionnaire no
    # longer allows.
    is_post = dialect.flag.format("a.phase = 'post'")
    sql = (
        f"(a.participant_id << {1 + QUESTION_BITS + VALUE_BITS})"
        f" | ({is_post} << {QUESTION_BITS + VALUE_BITS})"
        f" | (coalesce(CASE a.question {question_case} END, {MAX_QUESTIONS - 1}) << {VALUE_BITS})"
        f" | CASE WHEN a.value IS NULL THEN 0{choice_when}"
        f" WHEN a.question IN ({placeholders(texts)}) THEN {TEXT_CODE}"
        f" ELSE ({dialect.char_code.format('a.value')} - 48) & 31 END"
    )
    params: list[object] = [q.id for q in questions]
    if choices:
        params += [q.id for q in choices]
        params += [x for q in choices for x in (q.id, *q.options)]
    params += texts
    return sql, params


def scope_answers(
    target: Target, questions: Sequence[Question], cohorts: Sequence[str]
) -> ScopeAnswers:
    """Read the answers, responses and participants of `cohorts` in one snapshot."""
    codes = list(cohorts)
    if len(questions) >= MAX_QUESTIONS:
        raise ValueError(f"at most {MAX_QUESTIONS - 1} questions per module")
    if len(codes) >= MAX_COHORTS:
        raise ValueError(f"at most {MAX_COHORTS - 1} cohorts per summary")
    dialect = POSTGRESQL if isinstance(target, Postgres) else SQLITE
    encoding, encoding_params = _encoding_sql(questions, dialect)
    texts = [q.id for q in questions if q.kind == "text"]
    cohort_case = " ".join(f"WHEN ? THEN {i}" for i in range(len(codes)))
    with snapshot(target) as db:

        def packed(expression: str, rest: str, params: Sequence[object]) -> np.ndarray:
            return dialect.parse(
                db.value(f"SELECT {dialect.joined.format(expression)} {rest}", params)
            )

        people = packed(
            f"(id << {COHORT_BITS}) | CASE cohort {cohort_case} END",
            f"FROM participants WHERE cohort IN ({placeholders(codes)})",
            [*codes, *codes],
        )
        pids = people >> COHORT_BITS
        low, high = (int(pids.min()), int(pids.max())) if len(pids) else (0, -1)
        # A range test instead of a join: ids in scope are mostly contiguous, and the
        # exact filter is a cheap array lookup below. The unary + keeps SQLite scanning
        # the table rather than walking the primary-key index row by row.
        in_range = "+a.participant_id BETWEEN ? AND ?"
        answers = packed(
            encoding, f"FROM answers a WHERE {in_range} AND {DAY}", [*encoding_params, low, high]
        )
        submitted = dialect.flag.format("a.submitted_at IS NOT NULL")
        is_post = dialect.flag.format("a.phase = 'post'")
        responses = packed(
            f"(a.participant_id << 2) | ({is_post} << 1) | {submitted}",
            f"FROM responses a WHERE {in_range} AND {DAY}",
            [low, high],
        )
        text_rows = db.all(
            "SELECT a.participant_id, a.phase, a.question, a.value FROM answers a"
            f" WHERE a.question IN ({placeholders(texts)}) AND a.value IS NOT NULL"
            f" AND {in_range} AND {DAY}",
            [*texts, low, high],
        )
    return _decoded(people, answers, responses, text_rows, len(questions), high)


def _decoded(
    people: np.ndarray,
    answers: np.ndarray,
    responses: np.ndarray,
    text_rows: list[tuple[Any, ...]],
    questions: int,
    high: int,
) -> ScopeAnswers:
    """Split the encoded integers into arrays, keeping only what is in scope."""
    pids = people >> COHORT_BITS
    cohort_of = np.full(high + 2, -1, dtype=np.int16)
    cohort_of[pids] = people & (MAX_COHORTS - 1)
    question = (answers >> VALUE_BITS) & (MAX_QUESTIONS - 1)
    participant = answers >> (1 + QUESTION_BITS + VALUE_BITS)
    # Out: questions no longer in the module, and participants of other cohorts that
    # fell inside the id range.
    known = (question < questions) & (cohort_of[participant] >= 0)
    answers, question, participant = answers[known], question[known], participant[known]
    response_pids = responses >> 2
    keep = cohort_of[response_pids] >= 0
    return ScopeAnswers(
        people=pids,
        cohort_of=cohort_of,
        answer_participant=participant,
        answer_phase=((answers >> (QUESTION_BITS + VALUE_BITS)) & 1).astype(np.int8),
        answer_question=question.astype(np.int16),
        answer_code=(answers & (2**VALUE_BITS - 1)).astype(np.int8),
        response_participant=response_pids[keep],
        response_phase=((responses[keep] >> 1) & 1).astype(np.int8),
        response_submitted=(responses[keep] & 1).astype(bool),
        texts=[row for row in text_rows if 0 <= row[0] <= high and cohort_of[row[0]] >= 0],
    )
