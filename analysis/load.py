"""Load: read a scope's answers from SQLite into pandas DataFrames.

The database is opened read-only, so a report can run while the bot writes (WAL lets
readers see the last committed snapshot). Materialising one Python tuple per answer is
what makes a naive load of millions of answers slow (about 2 µs a row), so SQLite
encodes every answer as one integer — participant, phase, question code and value
code — and hands back all of them as one comma-separated text that numpy parses in C.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.questionnaire import ALL_PHASES, FOLLOW_UP, PHASES, Module, Question
from core.schedule import FOLLOW_UP_PUSH

PHASE_DTYPE = pd.CategoricalDtype(list(PHASES), ordered=True)
ALL_PHASE_DTYPE = pd.CategoricalDtype(list(ALL_PHASES), ordered=True)
# The module day's phases: the follow-up weeks later is read on its own (load_follow_up).
DAY_PHASES = "a.phase IN ('pre', 'post')"

# Bit layout of an encoded answer: participant id | phase (1 bit) | question (10 bits) |
# value (5 bits: 0 skipped, 1–5 a rating, 1–20 a choice's option number, 31 text).
VALUE_BITS = 5
QUESTION_BITS = 10
TEXT_CODE = 31
UNKNOWN_CODE = 30
COHORT_BITS = 12
MAX_QUESTIONS = 2**QUESTION_BITS


@dataclass(frozen=True)
class Frames:
    """A scope's raw data, one frame per table."""

    # participant, cohort, phase, question (categoricals), code (int8: see VALUE_BITS)
    answers: pd.DataFrame
    texts: pd.DataFrame  # participant, cohort, phase, question, value: free-text answers
    responses: pd.DataFrame  # participant, phase, submitted
    participants: pd.DataFrame  # participant, cohort


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that waits for, but never blocks, the bot's writes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"database not found: {path}")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


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


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _encoding_sql(questions: Sequence[Question]) -> tuple[str, list[object]]:
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
        f" WHEN a.question IN ({_placeholders(choices)})"
        f" THEN coalesce(CASE a.question {option_case} END, {UNKNOWN_CODE})"
        if choices
        else ""
    )
    # Ratings (most answers) are decoded from their one character without comparing
    # strings; choices and texts are few. `& 31` keeps a stray character from spilling
    # into the other fields, and NULL must never reach group_concat (it would drop the
    # answer), hence the coalesce: UNKNOWN_CODE marks a value the questionnaire no
    # longer allows.
    sql = (
        f"(a.participant_id << {1 + QUESTION_BITS + VALUE_BITS})"
        f" | ((a.phase = 'post') << {QUESTION_BITS + VALUE_BITS})"
        f" | (coalesce(CASE a.question {question_case} END, {MAX_QUESTIONS - 1}) << {VALUE_BITS})"
        f" | CASE WHEN a.value IS NULL THEN 0{choice_when}"
        f" WHEN a.question IN ({_placeholders(texts)}) THEN {TEXT_CODE}"
        " ELSE (unicode(a.value) - 48) & 31 END"
    )
    params: list[object] = [q.id for q in questions]
    if choices:
        params += [q.id for q in choices]
        params += [x for q in choices for x in (q.id, *q.options)]
    params += texts
    return sql, params


def _packed(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> np.ndarray:
    """Run a `SELECT group_concat(<integer>)` query and parse its result in C."""
    (text,) = conn.execute(sql, list(params)).fetchone()
    # np.fromstring with a separator parses text (only its binary mode is deprecated).
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)


def load_frames(path: Path, module: Module, cohorts: Sequence[str]) -> Frames:
    """Read the answers, responses and participants of `cohorts` in one snapshot."""
    codes = list(cohorts)
    questions = module_questions(module)
    if len(questions) >= MAX_QUESTIONS:
        raise ValueError(f"at most {MAX_QUESTIONS - 1} questions per module")
    if len(codes) >= 2**COHORT_BITS:
        raise ValueError(f"at most {2**COHORT_BITS - 1} cohorts per summary")
    encoding, encoding_params = _encoding_sql(questions)
    texts = [q.id for q in questions if q.kind == "text"]
    cohort_case = " ".join(f"WHEN ? THEN {i}" for i in range(len(codes)))
    conn = connect_read_only(path)
    try:
        # One read transaction: every query sees the same committed snapshot.
        conn.execute("BEGIN")
        people = _packed(
            conn,
            f"SELECT group_concat((id << {COHORT_BITS}) | CASE cohort {cohort_case} END)"
            f" FROM participants WHERE cohort IN ({_placeholders(codes)})",
            [*codes, *codes],
        )
        pids = people >> COHORT_BITS
        low, high = (int(pids.min()), int(pids.max())) if len(pids) else (0, -1)
        # A range test instead of a join: ids in scope are mostly contiguous, and the
        # exact filter is a cheap array lookup below. The unary + keeps SQLite scanning
        # the table rather than walking the primary-key index row by row.
        in_range = "+a.participant_id BETWEEN ? AND ?"
        answers = _packed(
            conn,
            f"SELECT group_concat({encoding}) FROM answers a WHERE {in_range} AND {DAY_PHASES}",
            [*encoding_params, low, high],
        )
        responses = _packed(
            conn,
            "SELECT group_concat((a.participant_id << 2) | ((a.phase = 'post') << 1)"
            f" | (a.submitted_at IS NOT NULL)) FROM responses a WHERE {in_range}"
            f" AND {DAY_PHASES}",
            [low, high],
        )
        text_rows = conn.execute(
            "SELECT a.participant_id, a.phase, a.question, a.value FROM answers a"
            f" WHERE a.question IN ({_placeholders(texts)}) AND a.value IS NOT NULL"
            f" AND {in_range} AND {DAY_PHASES}",
            [*texts, low, high],
        ).fetchall()
        conn.execute("COMMIT")
    finally:
        conn.close()
    # cohort_of[participant id] = the index of its cohort in `codes`, -1 out of scope.
    cohort_of = np.full(high + 2, -1, dtype=np.int16)
    cohort_of[pids] = people & (2**COHORT_BITS - 1)
    cohort_dtype = pd.CategoricalDtype(codes)

    def cohorts_of(participant: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(cohort_of[participant], dtype=cohort_dtype)

    answer_frame = decode_answers(answers, [q.id for q in questions], cohort_of)
    answer_frame.insert(1, "cohort", cohorts_of(answer_frame["participant"].to_numpy()))
    response_pids = responses >> 2
    keep = cohort_of[response_pids] >= 0
    text_frame = pd.DataFrame(text_rows, columns=["participant", "phase", "question", "value"])
    text_frame = text_frame.astype({"participant": "int64", "phase": PHASE_DTYPE, "value": object})
    text_frame = text_frame[cohort_of[text_frame["participant"].to_numpy()] >= 0]
    text_frame.insert(1, "cohort", cohorts_of(text_frame["participant"].to_numpy()))
    return Frames(
        answers=answer_frame,
        texts=text_frame.reset_index(drop=True),
        responses=pd.DataFrame(
            {
                "participant": response_pids[keep],
                "phase": pd.Categorical.from_codes(
                    ((responses[keep] >> 1) & 1).astype(np.int8), dtype=PHASE_DTYPE
                ),
                "submitted": (responses[keep] & 1).astype(bool),
            }
        ),
        participants=pd.DataFrame({"participant": pids, "cohort": cohorts_of(pids)}),
    )


def decode_answers(
    encoded: np.ndarray, question_ids: list[str], cohort_of: np.ndarray
) -> pd.DataFrame:
    """Split encoded answers in scope into participant, phase, question and value code."""
    question = (encoded >> VALUE_BITS) & (MAX_QUESTIONS - 1)
    participant = encoded >> (1 + QUESTION_BITS + VALUE_BITS)
    # Out: questions no longer in the module, and participants of other cohorts that
    # fell inside the id range.
    known = (question < len(question_ids)) & (cohort_of[participant] >= 0)
    encoded, question, participant = encoded[known], question[known], participant[known]
    return pd.DataFrame(
        {
            "participant": participant,
            "phase": pd.Categorical.from_codes(
                ((encoded >> (QUESTION_BITS + VALUE_BITS)) & 1).astype(np.int8),
                dtype=PHASE_DTYPE,
            ),
            "question": pd.Categorical.from_codes(question.astype(np.int16), question_ids),
            "code": (encoded & (2**VALUE_BITS - 1)).astype(np.int8),
        }
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


def load_follow_up(path: Path, module: Module, cohorts: Sequence[str]) -> FollowUpFrames:
    """Read the follow-up's answers, and the same people's ratings of its tracked items
    before and after the module, in one snapshot."""
    codes = list(cohorts)
    wanted = [q.id for q in module.tracked_questions]
    own = [q.id for q in module.follow_up.questions] if module.follow_up is not None else []
    in_scope = f"p.cohort IN ({_placeholders(codes)})"
    conn = connect_read_only(path)
    try:
        conn.execute("BEGIN")
        people = conn.execute(
            "SELECT p.id, p.cohort,"
            " EXISTS (SELECT 1 FROM deliveries d WHERE d.participant_id = p.id AND d.kind = ?)"
            " OR (p.telegram_id IS NULL AND EXISTS (SELECT 1 FROM responses r"
            "   WHERE r.participant_id = p.id AND r.phase = 'post'"
            "   AND r.submitted_at IS NOT NULL)),"
            " EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id"
            "   AND r.phase = ? AND r.submitted_at IS NOT NULL)"
            f" FROM participants p WHERE {in_scope}",
            [FOLLOW_UP_PUSH, FOLLOW_UP, *codes],
        ).fetchall()
        rows = conn.execute(
            "SELECT a.participant_id, p.cohort, a.phase, a.question, a.value FROM answers a"
            f" JOIN participants p ON p.id = a.participant_id WHERE {in_scope}"
            f" AND ((a.phase = ? AND a.question IN ({_placeholders(own)}))"
            f"   OR (a.phase IN ('pre', 'post') AND a.question IN ({_placeholders(wanted)})))",
            [*codes, FOLLOW_UP, *own, *wanted],
        ).fetchall()
        conn.execute("COMMIT")
    finally:
        conn.close()
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
