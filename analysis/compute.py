"""Compute: turn a scope's frames into `Figures`, exact and undisclosed.

Definitions used throughout (and stated in every report's method note):
- a participant *responded* to a phase if they gave at least one answer (not a skip) to
  any question of that phase, submitted or not; a response is *partial* if it was
  never submitted;
- a *matched pair* is a participant who responded to both phases; an item's pairs are
  the participants who rated that item in both phases;
- every mean and share is over the answers given (skips and unanswered questions left
  out), and its n is the number of those answers.

What a report may show of these figures is decided apart, in `analysis.disclosure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from analysis.figures import (
    Comment,
    Counts,
    Figures,
    FollowUpFigures,
    GroupRow,
    GroupTable,
    ItemRatings,
    PairedItem,
    PhaseCount,
    RatingCounts,
    RatingSum,
    TrackedItem,
)
from analysis.load import FollowUpFrames, Frames, module_questions
from analysis.scope import Scope
from analysis.stats import interval_from_sums, paired_stats
from core.questionnaire import FOLLOW_UP, PHASES, Module, Phase, Question

EXPECTATIONS = "met_expectations"
EXPECTATIONS_YES = "Yes"
# The follow-up's headline question; its options that begin with "Yes" count as used.
USED = "used_in_practice"
USED_PREFIX = "Yes"
HEADLINE_MEANS = ("relevance", "new_info")
RATING_LEVELS = ("1", "2", "3", "4", "5")
DIRECTIONS = ("improved", "same", "declined")


def counts_of(
    question: str, label: str, labels: Sequence[str], counts: Sequence[int] | np.ndarray
) -> Counts:
    return Counts(question, label, tuple(labels), tuple(int(c) for c in counts))


def rating_sum(values: np.ndarray) -> RatingSum:
    return RatingSum(len(values), int(values.sum(dtype=np.int64)))


class _Answers:
    """Numpy views of the answers frame, with per-question masks computed once."""

    def __init__(self, frame: pd.DataFrame, questions: Sequence[str]) -> None:
        self.participant = frame["participant"].to_numpy()
        self.cohort = frame["cohort"].cat.codes.to_numpy()
        self.post = frame["phase"].cat.codes.to_numpy() == 1
        self.code = frame["code"].to_numpy()
        codes = frame["question"].cat.codes.to_numpy()
        # Sorting once by (question, phase) turns each item's answers into a slice; the
        # key fits 16 bits, for which numpy's stable sort is a fast radix sort.
        key = (codes.astype(np.int16) * 2 + self.post).astype(np.int16)
        self.order = np.argsort(key, kind="stable")
        ends = np.cumsum(np.bincount(key, minlength=2 * len(questions)))
        self.bounds = {
            (q, phase): (int(ends[i * 2 + p - 1]) if i * 2 + p else 0, int(ends[i * 2 + p]))
            for i, q in enumerate(questions)
            for p, phase in enumerate(PHASES)
        }
        self.max_participant = int(self.participant.max()) if len(self.participant) else 0
        self._pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def rows(self, question: str, phase: Phase) -> np.ndarray:
        start, stop = self.bounds[(question, phase)]
        return self.order[start:stop]


def summarise(
    frames: Frames, module: Module, scope: Scope, *, show_comments: bool = True
) -> Figures:
    """Compute every figure of a scope's summary."""
    questions = module_questions(module)
    answers = _Answers(frames.answers, [q.id for q in questions])
    participants = frames.participants
    respondents = _respondents(frames, answers)
    phases = tuple(
        PhaseCount(
            phase,
            len(respondents[phase]),
            int((~respondents[phase]["submitted"]).sum()),
        )
        for phase in PHASES
    )
    both = np.intersect1d(respondents["pre"].index.to_numpy(), respondents["post"].index.to_numpy())

    expectations = None
    choices: list[Counts] = []
    for question in questions:
        if question.kind != "choice" or question.profile:
            continue
        for phase in PHASES:
            if module.question(phase, question.id) is None:
                continue
            counts = _choice_counts(answers.code[answers.rows(question.id, phase)], question)
            result = counts_of(question.id, question.label, question.options, counts)
            if question.id == EXPECTATIONS and phase == "post":
                expectations = result
            else:
                choices.append(result)

    paired_ids = {q.id for q in module.paired_questions}
    means: list[ItemRatings] = []
    distributions: list[RatingCounts] = []
    for question in questions:
        if question.kind != "rating" or question.profile:
            continue
        for phase in PHASES:
            if module.question(phase, question.id) is None:
                continue
            codes = answers.code[answers.rows(question.id, phase)]
            counts = np.bincount(np.clip(codes, 0, 6), minlength=7)
            distributions.append(
                RatingCounts(
                    question.id,
                    question.label,
                    phase,
                    counts_of(question.id, question.label, RATING_LEVELS, counts[1:6]),
                    int(counts[0]),
                )
            )
            if question.id not in paired_ids:
                valid = codes[(codes >= 1) & (codes <= 5)]
                means.append(ItemRatings(question.id, question.label, phase, rating_sum(valid)))

    changes = tuple(_paired_item(answers, question) for question in module.paired_questions)
    profiles = tuple(
        _profile(answers, question)
        for question in module.profile_questions
        if question.kind == "choice"
    )
    comments: tuple[Comment, ...] | None = None
    commenters = 0
    if show_comments:
        texts = frames.texts.sort_values(["cohort", "participant", "phase"], kind="stable")
        commentable = {q.id for q in questions if q.kind == "text" and not q.profile}
        texts = texts[texts["question"].astype(str).isin(commentable)]
        comments = tuple(
            Comment(str(q), cast(Phase, str(p)), str(v))
            for q, p, v in zip(texts["question"], texts["phase"], texts["value"], strict=True)
        )
        commenters = int(texts["participant"].nunique())

    groups: list[GroupTable] = []
    if len(scope.cohorts) > 1:
        by_cohort = {c.code: [i] for i, c in enumerate(scope.cohorts)}
        groups.append(_group_table("cohort", by_cohort, module, answers, participants, respondents))
    if len(scope.sites) > 1:
        by_site: dict[str, list[int]] = {}
        for i, c in enumerate(scope.cohorts):
            by_site.setdefault(c.site, []).append(i)
        groups.append(_group_table("site", by_site, module, answers, participants, respondents))

    return Figures(
        module=module.id,
        title=module.title,
        scope=scope,
        participants=len(participants),
        phases=(phases[0], phases[1]),
        pairs=len(both),
        expectations=expectations,
        means=tuple(means),
        changes=changes,
        profiles=profiles,
        choices=tuple(choices),
        distributions=tuple(distributions),
        comments=comments,
        commenters=commenters,
        groups=tuple(groups),
    )


def _respondents(frames: Frames, answers: _Answers) -> dict[str, pd.DataFrame]:
    """Per phase: the respondents (index: participant) with cohort and submitted flag."""
    given = answers.code != 0
    result: dict[str, pd.DataFrame] = {}
    submitted = frames.responses
    for p, phase in enumerate(PHASES):
        mask = given & (answers.post == bool(p))
        people, first = np.unique(answers.participant[mask], return_index=True)
        done = submitted.loc[
            (submitted["phase"] == phase) & submitted["submitted"], "participant"
        ].to_numpy()
        result[phase] = pd.DataFrame(
            {"cohort": answers.cohort[mask][first], "submitted": np.isin(people, done)},
            index=pd.Index(people, name="participant"),
        )
    return result


def _choice_counts(codes: np.ndarray, question: Question) -> np.ndarray:
    """Answers per option (codes 1…len(options)); skips and unknown values left out."""
    k = len(question.options)
    valid = codes[(codes >= 1) & (codes <= k)]
    return np.bincount(valid, minlength=k + 1)[1:]


def _profile(answers: _Answers, question: Question) -> Counts:
    """A profile question's counts, one answer per participant whichever phase held it."""
    rows = np.concatenate([answers.rows(question.id, phase) for phase in PHASES])
    codes = answers.code[rows]
    valid = (codes >= 1) & (codes <= len(question.options))
    # Answered once per cohort; should both phases hold one, the first (pre) counts.
    _, first = np.unique(answers.participant[rows][valid], return_index=True)
    counts = np.bincount(codes[valid][first], minlength=len(question.options) + 1)[1:]
    return counts_of(question.id, question.label, question.options, counts)


def _pairs(answers: _Answers, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Participants who rated `question` in both phases: their pre rows, pre and post ratings."""
    if question in answers._pairs:
        return answers._pairs[question]
    found = []
    for phase in PHASES:
        rows = answers.rows(question, phase)
        codes = answers.code[rows]
        keep = (codes >= 1) & (codes <= 5)
        found.append((answers.participant[rows][keep], codes[keep], rows[keep]))
    (pre_p, pre_v, pre_rows), (post_p, post_v, _) = found
    # A dense lookup by participant id instead of sorting: ids are compact integers, and
    # (participant, phase, question) is the answers table's key, so each id appears once.
    post_by_id = np.zeros(answers.max_participant + 1, dtype=np.int8)
    post_by_id[post_p] = post_v
    matched = post_by_id[pre_p]
    both = matched > 0
    result = (pre_rows[both], pre_v[both], matched[both])
    answers._pairs[question] = result
    return result


def _paired_item(answers: _Answers, question: Question) -> PairedItem:
    phase_sums = []
    for phase in PHASES:
        codes = answers.code[answers.rows(question.id, phase)]
        phase_sums.append(rating_sum(codes[(codes >= 1) & (codes <= 5)]))
    _, pre, post = _pairs(answers, question.id)
    return _paired(question, phase_sums[0], phase_sums[1], pre, post)


def _paired(
    question: Question, before: RatingSum, after: RatingSum, a: np.ndarray, b: np.ndarray
) -> PairedItem:
    """An item compared between two points: each point's ratings (`before`, `after`), and
    the matched pairs' ratings `a` and `b`, a person's at the same index in both."""
    diff = b.astype(np.int16) - a
    direction = counts_of(
        question.id,
        question.label,
        DIRECTIONS,
        (int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())),
    )
    stats = paired_stats(a, b) if len(a) else None
    return PairedItem(
        question.id, question.label, question.text, before, after, len(a), stats, direction
    )


def _group_table(
    by: str,
    groups: dict[str, list[int]],
    module: Module,
    answers: _Answers,
    participants: pd.DataFrame,
    respondents: dict[str, pd.DataFrame],
) -> GroupTable:
    """One row per group of cohorts (a cohort, or a site's cohorts)."""
    names = list(groups)
    # group_of[cohort code index] = row index
    group_of = np.empty(sum(len(v) for v in groups.values()), dtype=np.int64)
    for row, members in enumerate(groups.values()):
        group_of[members] = row
    k = len(names)

    def per_group(cohort_codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(group_of[cohort_codes], weights=weights, minlength=k)

    n_participants = per_group(participants["cohort"].cat.codes.to_numpy()).astype(int)
    pre_idx = respondents["pre"].index.to_numpy()
    post_idx = respondents["post"].index.to_numpy()
    n_pre = per_group(respondents["pre"]["cohort"].to_numpy()).astype(int)
    n_post = per_group(respondents["post"]["cohort"].to_numpy()).astype(int)
    both = np.isin(pre_idx, post_idx)
    n_pairs = per_group(respondents["pre"]["cohort"].to_numpy()[both]).astype(int)

    yes_counts = np.zeros(k, dtype=int)
    yes_n = np.zeros(k, dtype=int)
    expectations = module.question("post", EXPECTATIONS)
    has_yes = expectations is not None and EXPECTATIONS_YES in expectations.options
    options: tuple[str, ...] = ()
    by_option = np.zeros((k, 0), dtype=int)
    if has_yes and expectations is not None:
        options = tuple(expectations.options)
        rows = answers.rows(EXPECTATIONS, "post")
        codes = answers.code[rows]
        valid = (codes >= 1) & (codes <= len(options))
        groups_of_rows = group_of[answers.cohort[rows][valid]]
        # One count per (group, option): a group's own breakdown of the question.
        cells = groups_of_rows * len(options) + codes[valid].astype(np.int64) - 1
        by_option = np.bincount(cells, minlength=k * len(options)).reshape(k, len(options))
        yes_counts = by_option[:, options.index(EXPECTATIONS_YES)]
        yes_n = by_option.sum(axis=1)

    paired_ids = {q.id for q in module.paired_questions}
    mean_items = []
    for qid in HEADLINE_MEANS:
        question = module.question("post", qid)
        if question is not None and question.kind == "rating" and qid not in paired_ids:
            mean_items.append((qid, question.label))
    group_means: list[list[RatingSum]] = [[] for _ in range(k)]
    for qid, _label in mean_items:
        rows = answers.rows(qid, "post")
        codes = answers.code[rows]
        valid = (codes >= 1) & (codes <= 5)
        g = group_of[answers.cohort[rows][valid]]
        n = np.bincount(g, minlength=k)
        total = np.bincount(g, weights=codes[valid], minlength=k)
        for row in range(k):
            group_means[row].append(RatingSum(int(n[row]), int(total[row])))

    group_changes: list[list[RatingSum]] = [[] for _ in range(k)]
    group_intervals: list[list[tuple[float, float] | None]] = [[] for _ in range(k)]
    for question in module.paired_questions:
        pre_rows, pre, post = _pairs(answers, question.id)
        g = group_of[answers.cohort[pre_rows]]
        diff = post.astype(np.int64) - pre
        n = np.bincount(g, minlength=k)
        total = np.bincount(g, weights=diff, minlength=k)
        squares = np.bincount(g, weights=diff * diff, minlength=k)
        for row in range(k):
            count, changes = int(n[row]), round(total[row])
            group_changes[row].append(RatingSum(count, changes))
            group_intervals[row].append(interval_from_sums(count, changes, round(squares[row])))

    rows_out = tuple(
        GroupRow(
            name=name,
            participants=int(n_participants[row]),
            pre=int(n_pre[row]),
            post=int(n_post[row]),
            pairs=int(n_pairs[row]),
            yes=int(yes_counts[row]),
            yes_n=int(yes_n[row]),
            means=tuple(group_means[row]),
            changes=tuple(group_changes[row]),
            intervals=tuple(group_intervals[row]),
            expectations=tuple(int(c) for c in by_option[row]),
        )
        for row, name in enumerate(names)
    )
    items = tuple((q.id, q.label) for q in module.paired_questions)
    return GroupTable(by, tuple(mean_items), items, has_yes, rows_out, options)


def summarise_follow_up(
    frames: FollowUpFrames, module: Module, scope: Scope, *, show_comments: bool = True
) -> FollowUpFigures:
    """Compute every figure of a scope's follow-up summary (the definitions above hold:
    a follow-up respondent gave at least one answer to it; means are over the answers
    given; an item's pairs are those who rated it at both points compared)."""
    assert module.follow_up is not None, module.id
    answers = frames.answers
    given = answers[answers["value"].notna()]
    later = given[given["phase"] == FOLLOW_UP]
    responded = set(later["participant"].tolist())
    people = frames.people
    submitted = set(people.loc[people["submitted"], "participant"].tolist())
    asked = set(people.loc[people["asked"], "participant"].tolist()) | responded

    used: Counts | None = None
    used_labels: tuple[str, ...] = ()
    choices: list[Counts] = []
    for question in module.follow_up.questions:
        if question.kind != "choice":
            continue
        values = later.loc[later["question"] == question.id, "value"]
        counts = [int((values == option).sum()) for option in question.options]
        found = counts_of(question.id, question.label, question.options, counts)
        if question.id == USED:
            used = found
            used_labels = tuple(o for o in question.options if o.startswith(USED_PREFIX))
        else:
            choices.append(found)

    ratings = given[given["question"].isin([q.id for q in module.tracked_questions])]
    ratings = ratings[ratings["value"].isin(RATING_LEVELS)]
    items = tuple(_tracked(ratings, module, question) for question in module.tracked_questions)

    comments: tuple[Comment, ...] | None = None
    commenters = 0
    if show_comments:
        texts = {q.id for q in module.follow_up.questions if q.kind == "text"}
        typed = later[later["question"].isin(texts)].sort_values(
            ["cohort", "participant"], kind="stable"
        )
        comments = tuple(
            Comment(str(q), FOLLOW_UP, str(v))
            for q, v in zip(typed["question"], typed["value"], strict=True)
        )
        commenters = int(typed["participant"].nunique())

    return FollowUpFigures(
        module=module.id,
        title=module.title,
        scope=scope,
        asked=len(asked),
        respondents=len(responded),
        partial=len(responded - submitted),
        used=used,
        used_labels=used_labels,
        choices=tuple(choices),
        items=items,
        comments=comments,
        commenters=commenters,
    )


def _tracked(ratings: pd.DataFrame, module: Module, question: Question) -> TrackedItem:
    """One tracked item: its ratings at each point, and the pairs to the follow-up."""
    rows = ratings[ratings["question"] == question.id]
    by_phase = {
        phase: rows.loc[rows["phase"] == phase].set_index("participant")["value"].astype(int)
        for phase in (*PHASES, FOLLOW_UP)
    }
    points = tuple(
        (phase, rating_sum(by_phase[phase].to_numpy()))
        for phase in (*PHASES, FOLLOW_UP)
        if module.question(phase, question.id) is not None
    )

    def pairs(start: Phase) -> PairedItem | None:
        if module.question(start, question.id) is None:
            return None
        before, after = by_phase[start], by_phase[FOLLOW_UP]
        both = before.index.intersection(after.index).sort_values()
        a = before.loc[both].to_numpy()
        b = after.loc[both].to_numpy()
        before_sum, after_sum = rating_sum(before.to_numpy()), rating_sum(after.to_numpy())
        return _paired(question, before_sum, after_sum, a, b)

    return TrackedItem(
        question.id, question.label, question.text, points, pairs("post"), pairs("pre")
    )
