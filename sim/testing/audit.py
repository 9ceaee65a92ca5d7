"""What the database holds, against what the simulated participants saw happen.

Every simulation ends the same way: read the answers back with plain ``sqlite3`` (as an
auditor would, not through the bot's own storage code) and compare them with the taps
each participant made and whether they saw each one accepted. An answer is *lost* when the
participant saw it accepted and it is missing or holds another value; *stored twice* when
a (participant, phase, question) has more than one row; *never seen accepted* when it is
stored although no tap on that question was seen taken (a kill between the write and the
reply, say); *phantom* when nobody tapped that question at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# (Telegram user id, cohort code, phase)
Questionnaire = tuple[int, str, str]


@dataclass
class Stored:
    """A database as read back after a run."""

    answers: dict[Questionnaire, dict[str, str | None]]
    submitted: set[Questionnaire]
    joined: set[tuple[int, str]]
    copies: int  # rows beyond the first for one (participant, phase, question)
    duplicate_participants: int  # rows beyond the first for one (user, cohort)
    integrity: str

    @property
    def count(self) -> int:
        return sum(len(answers) for answers in self.answers.values())


def stored_copies(conn: sqlite3.Connection) -> int:
    """Answers stored more than once for the same participant, phase and question."""
    return sum(
        count - 1
        for (count,) in conn.execute(
            "SELECT count(*) FROM answers GROUP BY participant_id, phase, question"
        )
    )


def read_stored(path: Path) -> Stored:
    """What the database holds of the simulated participants (imported answers left out)."""
    conn = sqlite3.connect(path)
    try:
        answers: dict[Questionnaire, dict[str, str | None]] = {}
        for user, cohort, phase, question, value in conn.execute(
            "SELECT p.telegram_id, p.cohort, a.phase, a.question, a.value FROM answers a"
            " JOIN participants p ON p.id = a.participant_id WHERE p.telegram_id IS NOT NULL"
        ):
            answers.setdefault((int(user), str(cohort), str(phase)), {})[str(question)] = value
        submitted = {
            (int(user), str(cohort), str(phase))
            for user, cohort, phase in conn.execute(
                "SELECT p.telegram_id, p.cohort, r.phase FROM responses r JOIN participants p"
                " ON p.id = r.participant_id WHERE r.submitted_at IS NOT NULL"
                " AND p.telegram_id IS NOT NULL"
            )
        }
        per_person = conn.execute(
            "SELECT telegram_id, cohort, count(*) FROM participants WHERE telegram_id IS NOT NULL"
            " GROUP BY telegram_id, cohort"
        ).fetchall()
        return Stored(
            answers=answers,
            submitted=submitted,
            joined={(int(user), str(cohort)) for user, cohort, _ in per_person},
            copies=stored_copies(conn),
            duplicate_participants=sum(n - 1 for *_, n in per_person),
            integrity=str(conn.execute("PRAGMA integrity_check").fetchone()[0]),
        )
    finally:
        conn.close()


@dataclass(frozen=True)
class Tapped:
    """One answer tap, in the order the participant made them."""

    user: int
    cohort: str
    phase: str
    question: str
    value: str | None  # the stored form: an option, a rating digit, None for Skip
    accepted: bool  # the participant saw the bot take it (the questionnaire moved on)


@dataclass
class AnswerAudit:
    seen_accepted: int = 0  # questions with at least one tap seen accepted
    stored: int = 0
    as_last_accepted: int = 0  # stored value = the last tap seen accepted
    from_later_unseen_tap: int = 0  # = a later tap the participant did not see taken
    never_seen_accepted: int = 0
    lost: int = 0
    phantom: int = 0
    stored_twice: int = 0
    problems: list[str] = field(default_factory=list)


def audit_answers(stored: Stored, taps: Iterable[Tapped]) -> AnswerAudit:
    """Compare every questionnaire that was tapped in with what is stored for it."""
    audit = AnswerAudit(stored_twice=stored.copies)
    if stored.copies:
        audit.problems.append(f"{stored.copies} answers stored twice")
    by_questionnaire: dict[Questionnaire, list[Tapped]] = {}
    for tap in taps:
        by_questionnaire.setdefault((tap.user, tap.cohort, tap.phase), []).append(tap)
    for key in set(stored.answers) | set(by_questionnaire):
        mine = stored.answers.get(key, {})
        audit.stored += len(mine)
        _audit_questionnaire(audit, " ".join(map(str, key)), by_questionnaire.get(key, []), mine)
    return audit


def _audit_questionnaire(
    audit: AnswerAudit, who: str, taps: list[Tapped], mine: dict[str, str | None]
) -> None:
    for question in sorted(set(mine) - {tap.question for tap in taps}):
        audit.phantom += 1
        audit.problems.append(f"{who}: {question} stored but never tapped")
    for question in dict.fromkeys(tap.question for tap in taps):
        on_it = [tap for tap in taps if tap.question == question]
        accepted = [i for i, tap in enumerate(on_it) if tap.accepted]
        if not accepted:
            if question in mine:
                audit.never_seen_accepted += 1
                if mine[question] not in {tap.value for tap in on_it}:
                    audit.problems.append(f"{who}: {question} holds a value nobody tapped")
            continue
        audit.seen_accepted += 1
        last = on_it[accepted[-1]]
        if question not in mine:
            audit.lost += 1
            audit.problems.append(f"{who}: {question}={last.value!r} was accepted, not stored")
        elif mine[question] == last.value:
            audit.as_last_accepted += 1
        elif mine[question] in {tap.value for tap in on_it[accepted[-1] + 1 :]}:
            audit.from_later_unseen_tap += 1
        else:
            audit.lost += 1
            history = [(tap.value, tap.accepted) for tap in on_it]
            audit.problems.append(
                f"{who}: {question} stored {mine[question]!r}, last accepted {last.value!r};"
                f" taps {history}"
            )
