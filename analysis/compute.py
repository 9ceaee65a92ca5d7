"""Compute: turn a scope's frames into a `ModuleSummary` of plain, exact figures.

Definitions used throughout (and stated in every report's method note):
- a participant *responded* to a phase if they gave at least one answer (not a skip) to
  any question of that phase, submitted or not; a response is *partial* if it was
  never submitted;
- a *matched pair* is a participant who responded to both phases; an item's pairs are
  the participants who rated that item in both phases;
- every mean and share is over the answers given (skips and unanswered questions left
  out), and its n is the number of those answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import cast

import numpy as np
import pandas as pd

from analysis.load import Frames, module_questions
from analysis.rounding import totals_rounding_to
from analysis.scope import Scope
from analysis.stats import PairedStats, paired_stats
from analysis.suppress import Interval, blurred, direction_pinned, hidden_cells, mean_pinned
from core.questionnaire import PHASES, Module, Phase, Question

EXPECTATIONS = "met_expectations"
EXPECTATIONS_YES = "Yes"
HEADLINE_MEANS = ("relevance", "new_info")
RATING_LEVELS = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class Cell:
    """One group of a breakdown; `hidden` groups are shown as "<N" (or withheld)."""

    label: str
    count: int
    hidden: bool
    # Shown as "not shown" even when small: marking it "<N" would give a count away.
    blurred: bool = False


@dataclass(frozen=True)
class Breakdown:
    """Counts of participants (or answers) per group, with small cells suppressed."""

    question: str
    label: str
    n: int  # answers given; each cell's percentage is of n
    cells: tuple[Cell, ...]

    def cell(self, label: str) -> Cell | None:
        return next((c for c in self.cells if c.label == label), None)


@dataclass(frozen=True)
class Mean:
    """A mean of whole-number ratings, kept exact as total / n."""

    n: int
    total: int
    too_few: bool  # not shown: fewer than min_cell_size answers, or `withheld`
    withheld: bool = False  # not shown because it would reveal a small group

    @property
    def shown(self) -> bool:
        return not self.too_few and self.n > 0

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.total, self.n) if self.n else None


@dataclass(frozen=True)
class ItemMean:
    """A rating item's mean in one phase."""

    question: str
    label: str
    phase: Phase
    mean: Mean


@dataclass(frozen=True)
class PhaseCount:
    """Who responded to one phase."""

    phase: Phase
    respondents: int
    partial: int  # of the respondents, how many never submitted


@dataclass(frozen=True)
class ItemChange:
    """A rating item asked before and after: phase means and the paired change."""

    question: str
    label: str
    text: str
    pre: Mean
    post: Mean
    pairs: int
    stats: PairedStats | None  # None when there are fewer pairs than min_cell_size
    direction: Breakdown  # improved / same / declined
    # With a direction count hidden, the test (p, r, interval) could reveal it and is
    # not shown; the mean change is not shown either when it alone would.
    test_shown: bool = True
    change_shown: bool = True

    @property
    def direction_hidden(self) -> bool:
        return any(c.hidden for c in self.direction.cells)


@dataclass(frozen=True)
class Distribution:
    """Every answer to a rating item in one phase: counts 1–5, with skips apart."""

    question: str
    label: str
    phase: Phase
    counts: Breakdown
    skipped: int


@dataclass(frozen=True)
class Comment:
    """A free-text answer."""

    question: str
    phase: Phase
    text: str


@dataclass(frozen=True)
class ComparisonRow:
    """One cohort or site in a module-wide summary."""

    name: str
    participants: Cell
    pre: Cell
    post: Cell
    pairs: Cell
    expectations_yes: Cell | None  # count of Yes; its n is expectations_n
    expectations_n: int
    means: tuple[Mean, ...]  # the headline means, as in Comparison.means
    changes: tuple[Mean, ...]  # mean change per paired item, as in Comparison.items

    @property
    def hidden(self) -> bool:
        return self.participants.hidden


@dataclass(frozen=True)
class Comparison:
    """A table with one row per cohort or per site."""

    by: str  # "cohort" or "site"
    means: tuple[tuple[str, str], ...]  # (question id, label)
    items: tuple[tuple[str, str], ...]  # (question id, label) of paired items
    rows: tuple[ComparisonRow, ...]


@dataclass(frozen=True)
class ModuleSummary:
    """Everything a facilitator's summary shows, as exact figures with their n."""

    module: str
    title: str
    scope: Scope
    min_cell_size: int
    participants: int
    phases: tuple[PhaseCount, PhaseCount]
    pairs: int
    expectations: Breakdown | None
    means: tuple[ItemMean, ...]  # rating items asked in one phase only (relevance, new_info …)
    changes: tuple[ItemChange, ...]
    profiles: tuple[Breakdown, ...]  # sector, role …: once per participant
    choices: tuple[Breakdown, ...]  # other choice questions, per phase asked
    distributions: tuple[Distribution, ...]
    comments: tuple[Comment, ...] | None  # None: comments are turned off
    comparisons: tuple[Comparison, ...]
    # Fewer than min_cell_size people commented: `comments` is empty, as a comment
    # quoted word for word could identify its writer in so small a group.
    comments_hidden: bool = False

    def phase(self, phase: Phase) -> PhaseCount:
        return self.phases[PHASES.index(phase)]

    def mean(self, question: str) -> ItemMean | None:
        return next((m for m in self.means if m.question == question), None)


def breakdown(
    question: str,
    label: str,
    labels: Sequence[str],
    counts: Sequence[int] | np.ndarray,
    min_cell_size: int,
) -> Breakdown:
    """A breakdown with small cells and their complements hidden."""
    counts = [int(c) for c in counts]
    hidden = hidden_cells(counts, min_cell_size)
    blur = blurred(counts, hidden, min_cell_size)
    cells = tuple(Cell(lab, c, h, blur) for lab, c, h in zip(labels, counts, hidden, strict=True))
    return Breakdown(question, label, sum(counts), cells)


def make_mean(values: np.ndarray, min_cell_size: int) -> Mean:
    n = len(values)
    return Mean(n, int(values.sum(dtype=np.int64)), n < min_cell_size)


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
    frames: Frames,
    module: Module,
    scope: Scope,
    *,
    min_cell_size: int = 3,
    show_comments: bool = True,
) -> ModuleSummary:
    """Compute every figure of a scope's summary."""
    questions = module_questions(module)
    answers = _Answers(frames.answers, [q.id for q in questions])
    participants = frames.participants
    n_cohorts = len(scope.cohorts)
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
    choices: list[Breakdown] = []
    for question in questions:
        if question.kind != "choice" or question.profile:
            continue
        for phase in PHASES:
            if module.question(phase, question.id) is None:
                continue
            counts = _choice_counts(answers.code[answers.rows(question.id, phase)], question)
            result = breakdown(question.id, question.label, question.options, counts, min_cell_size)
            if question.id == EXPECTATIONS and phase == "post":
                expectations = result
            else:
                choices.append(result)

    paired_ids = {q.id for q in module.paired_questions}
    means: list[ItemMean] = []
    distributions: list[Distribution] = []
    for question in questions:
        if question.kind != "rating" or question.profile:
            continue
        for phase in PHASES:
            if module.question(phase, question.id) is None:
                continue
            codes = answers.code[answers.rows(question.id, phase)]
            counts = np.bincount(np.clip(codes, 0, 6), minlength=7)
            distributions.append(
                Distribution(
                    question.id,
                    question.label,
                    phase,
                    breakdown(
                        question.id, question.label, RATING_LEVELS, counts[1:6], min_cell_size
                    ),
                    int(counts[0]),
                )
            )
            if question.id not in paired_ids:
                valid = codes[(codes >= 1) & (codes <= 5)]
                means.append(
                    ItemMean(question.id, question.label, phase, make_mean(valid, min_cell_size))
                )

    changes = tuple(
        _item_change(answers, question, min_cell_size) for question in module.paired_questions
    )
    profiles = tuple(
        _profile(answers, question, min_cell_size)
        for question in module.profile_questions
        if question.kind == "choice"
    )
    comments: tuple[Comment, ...] | None = None
    comments_hidden = False
    if show_comments:
        texts = frames.texts.sort_values(["cohort", "participant", "phase"], kind="stable")
        commentable = {q.id for q in questions if q.kind == "text" and not q.profile}
        texts = texts[texts["question"].astype(str).isin(commentable)]
        comments = tuple(
            Comment(str(q), cast(Phase, str(p)), str(v))
            for q, p, v in zip(texts["question"], texts["phase"], texts["value"], strict=True)
        )
        if texts["participant"].nunique() < min_cell_size:
            comments, comments_hidden = (), bool(len(texts))

    comparisons: list[Comparison] = []
    if n_cohorts > 1:
        groups = {c.code: [i] for i, c in enumerate(scope.cohorts)}
        comparisons.append(
            _comparison("cohort", groups, module, answers, participants, respondents, min_cell_size)
        )
    if len(scope.sites) > 1:
        site_groups: dict[str, list[int]] = {}
        for i, c in enumerate(scope.cohorts):
            site_groups.setdefault(c.site, []).append(i)
        comparisons.append(
            _comparison(
                "site", site_groups, module, answers, participants, respondents, min_cell_size
            )
        )

    means, changes, distributions, comparisons = _protect_means(
        means, changes, distributions, comparisons, min_cell_size
    )
    changes, comparisons = _protect_changes(changes, comparisons, min_cell_size)
    return ModuleSummary(
        module=module.id,
        title=module.title,
        scope=scope,
        min_cell_size=min_cell_size,
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
        comparisons=tuple(comparisons),
        comments_hidden=comments_hidden,
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


def _profile(answers: _Answers, question: Question, min_cell_size: int) -> Breakdown:
    """A profile question's breakdown, one answer per participant whichever phase held it."""
    rows = np.concatenate([answers.rows(question.id, phase) for phase in PHASES])
    codes = answers.code[rows]
    valid = (codes >= 1) & (codes <= len(question.options))
    # Answered once per cohort; should both phases hold one, the first (pre) counts.
    _, first = np.unique(answers.participant[rows][valid], return_index=True)
    counts = np.bincount(codes[valid][first], minlength=len(question.options) + 1)[1:]
    return breakdown(question.id, question.label, question.options, counts, min_cell_size)


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


def _item_change(answers: _Answers, question: Question, min_cell_size: int) -> ItemChange:
    phase_means = []
    for phase in PHASES:
        codes = answers.code[answers.rows(question.id, phase)]
        phase_means.append(make_mean(codes[(codes >= 1) & (codes <= 5)], min_cell_size))
    _, pre, post = _pairs(answers, question.id)
    n = len(pre)
    stats = paired_stats(pre, post) if n >= max(min_cell_size, 1) else None
    diff = post.astype(np.int16) - pre
    direction = breakdown(
        question.id,
        question.label,
        ("improved", "same", "declined"),
        (int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())),
        min_cell_size,
    )
    return ItemChange(
        question.id,
        question.label,
        question.text,
        phase_means[0],
        phase_means[1],
        n,
        stats,
        direction,
    )


def _comparison(
    by: str,
    groups: dict[str, list[int]],
    module: Module,
    answers: _Answers,
    participants: pd.DataFrame,
    respondents: dict[str, pd.DataFrame],
    min_cell_size: int,
) -> Comparison:
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

    rows_hidden = hidden_cells(list(n_participants), min_cell_size)
    columns = {
        "participants": rows_hidden,
        "pre": hidden_cells(list(n_pre), min_cell_size, rows_hidden),
        "post": hidden_cells(list(n_post), min_cell_size, rows_hidden),
        "pairs": hidden_cells(list(n_pairs), min_cell_size, rows_hidden),
    }
    blur = {
        name: blurred(list(counts), columns[name], min_cell_size)
        for name, counts in (
            ("participants", n_participants),
            ("pre", n_pre),
            ("post", n_post),
            ("pairs", n_pairs),
        )
    }

    yes_counts = np.zeros(k, dtype=int)
    yes_n = np.zeros(k, dtype=int)
    expectations = module.question("post", EXPECTATIONS)
    has_yes = expectations is not None and EXPECTATIONS_YES in expectations.options
    if has_yes and expectations is not None:
        rows = answers.rows(EXPECTATIONS, "post")
        codes = answers.code[rows]
        valid = (codes >= 1) & (codes <= len(expectations.options))
        groups_of_rows = answers.cohort[rows][valid]
        yes_code = expectations.options.index(EXPECTATIONS_YES) + 1
        yes_n = per_group(groups_of_rows).astype(int)
        yes_counts = per_group(groups_of_rows[codes[valid] == yes_code]).astype(int)

    mean_items = []
    for qid in HEADLINE_MEANS:
        question = module.question("post", qid)
        if (
            question is not None
            and question.kind == "rating"
            and qid not in {q.id for q in module.paired_questions}
        ):
            mean_items.append((qid, question.label))
    group_means: list[list[Mean]] = [[] for _ in range(k)]
    for qid, _label in mean_items:
        rows = answers.rows(qid, "post")
        codes = answers.code[rows]
        valid = (codes >= 1) & (codes <= 5)
        g = group_of[answers.cohort[rows][valid]]
        n = np.bincount(g, minlength=k)
        total = np.bincount(g, weights=codes[valid], minlength=k)
        for row in range(k):
            hide = columns["post"][row] or n[row] < min_cell_size
            group_means[row].append(Mean(int(n[row]), int(total[row]), bool(hide)))

    items = tuple((q.id, q.label) for q in module.paired_questions)
    group_changes: list[list[Mean]] = [[] for _ in range(k)]
    for question in module.paired_questions:
        pre_rows, pre, post = _pairs(answers, question.id)
        g = group_of[answers.cohort[pre_rows]]
        n = np.bincount(g, minlength=k)
        total = np.bincount(g, weights=post.astype(np.int64) - pre, minlength=k)
        for row in range(k):
            hide = columns["pairs"][row] or n[row] < min_cell_size
            group_changes[row].append(Mean(int(n[row]), int(total[row]), bool(hide)))

    rows_out = []
    for row, name in enumerate(names):
        yes_cell = None
        if has_yes:
            # A share is withheld with its row's post count, when its n is too small, or
            # when it would give away a small number answering Yes.
            hide = (
                columns["post"][row]
                or yes_n[row] < min_cell_size
                or (min_cell_size > 1 and yes_counts[row] < min_cell_size)
            )
            yes_cell = Cell(EXPECTATIONS_YES, int(yes_counts[row]), bool(hide))
        rows_out.append(
            ComparisonRow(
                name=name,
                participants=Cell(
                    name,
                    int(n_participants[row]),
                    columns["participants"][row],
                    blur["participants"],
                ),
                pre=Cell("pre", int(n_pre[row]), columns["pre"][row], blur["pre"]),
                post=Cell("post", int(n_post[row]), columns["post"][row], blur["post"]),
                pairs=Cell("pairs", int(n_pairs[row]), columns["pairs"][row], blur["pairs"]),
                expectations_yes=yes_cell,
                expectations_n=int(yes_n[row]),
                means=tuple(group_means[row]),
                changes=tuple(group_changes[row]),
            )
        )
    return Comparison(by, tuple(mean_items), items, tuple(rows_out))


def _protect_changes(
    changes: Sequence[ItemChange], comparisons: Sequence[Comparison], min_cell_size: int
) -> tuple[tuple[ItemChange, ...], list[Comparison]]:
    """Hide the figures that would let a reader work out a hidden direction count.

    When an item's improved/same/declined counts are partly hidden, its test (p, r and
    the interval) is never shown: r = +1 alone says nobody declined. Then, one by one
    until no hidden count can be worked out: the mean change, the item's phase means,
    and its mean change in each cohort or site row (whose totals add up to the item's).
    """
    protected: list[ItemChange] = []
    comparisons = list(comparisons)
    for index, item in enumerate(changes):
        if not item.direction_hidden or item.stats is None:
            protected.append(item)
            continue
        item = replace(item, test_shown=False)
        cells = item.direction.cells
        if all(c.hidden for c in cells) and _pinned(item, index, comparisons, min_cell_size):
            # Saying less about the counts ("<N") is better than losing the figures.
            blurred_cells = tuple(replace(c, blurred=True) for c in cells)
            item = replace(item, direction=replace(item.direction, cells=blurred_cells))
        if _pinned(item, index, comparisons, min_cell_size):
            item = replace(item, change_shown=False)
        if _pinned(item, index, comparisons, min_cell_size):
            item = replace(item, pre=_withhold(item.pre), post=_withhold(item.post))
        if _pinned(item, index, comparisons, min_cell_size):
            comparisons = [_withhold_item(c, index) for c in comparisons]
        protected.append(item)
    return tuple(protected), comparisons


def _pinned(
    item: ItemChange, index: int, comparisons: Sequence[Comparison], min_cell_size: int
) -> bool:
    cells = item.direction.cells
    return direction_pinned(
        [c.count for c in cells],
        [c.hidden for c in cells],
        min_cell_size,
        blur=any(c.blurred for c in cells),
        **_clues(item, index, comparisons),
    )


def _withhold(mean: Mean) -> Mean:
    return replace(mean, too_few=True, withheld=True) if mean.shown else mean


def _withhold_item(comparison: Comparison, index: int) -> Comparison:
    rows = tuple(
        replace(
            row, changes=tuple(_withhold(m) if i == index else m for i, m in enumerate(row.changes))
        )
        for row in comparison.rows
    )
    return replace(comparison, rows=rows)


def _shown_totals(cells: Sequence[Mean], n: int) -> tuple[int, int, int]:
    """The least and most the rows' shown means can add up to, and how many of the n
    answers lie in rows whose mean is not shown."""
    lo = hi = 0
    rest = n
    for cell in cells:
        if cell.shown and cell.value is not None:
            row_lo, row_hi = totals_rounding_to(cell.value, cell.n)
            lo, hi, rest = lo + row_lo, hi + row_hi, rest - cell.n
    return lo, hi, rest


def _clues(item: ItemChange, index: int, comparisons: Sequence[Comparison]) -> dict[str, Interval]:
    """What the shown figures tell about the pairs' rating totals (see direction_pinned)."""
    clues: dict[str, Interval] = {}
    n = item.pairs
    for name, mean in (("pre_sum", item.pre), ("post_sum", item.post)):
        value = mean.value
        if mean.shown and value is not None:
            # The pairs' total is the phase total less that of the unpaired answers (1–5).
            lo, hi = totals_rounding_to(value, mean.n)
            unpaired = mean.n - n
            clues[name] = (lo - 5 * unpaired, hi - unpaired)
    bounds = [(-4 * n, 4 * n)]
    if item.change_shown and item.stats is not None:
        bounds.append(totals_rounding_to(item.stats.mean_change, n))
    for comparison in comparisons:
        lo, hi, rest = _shown_totals([row.changes[index] for row in comparison.rows], n)
        bounds.append((lo - 4 * rest, hi + 4 * rest))
    clues["change_sum"] = (max(b[0] for b in bounds), min(b[1] for b in bounds))
    return clues


def _protect_means(
    means: Sequence[ItemMean],
    changes: Sequence[ItemChange],
    distributions: Sequence[Distribution],
    comparisons: Sequence[Comparison],
    min_cell_size: int,
) -> tuple[list[ItemMean], tuple[ItemChange, ...], list[Distribution], list[Comparison]]:
    """Keep a mean from giving away a hidden count of its item's rating distribution.

    A mean over fewer than 200 answers, to 2 decimals, tells the exact total of the
    ratings; beside a distribution with two hidden groups, that solves them. The
    distribution gives way first (its smallest shown group is hidden too, as often as
    needed, and when all are, none is marked "<N"), as the means are the report's
    headline figures; only if it still would is the mean withheld, then the cohort or
    site means.
    """
    means, changes, comparisons = list(means), list(changes), list(comparisons)
    protected: list[Distribution] = []
    for dist in distributions:
        index = next((i for i, c in enumerate(changes) if c.question == dist.question), None)
        where = next(
            (
                i
                for i, m in enumerate(means)
                if m.question == dist.question and m.phase == dist.phase
            ),
            None,
        )
        mean: Mean | None = None
        if index is not None:
            mean = getattr(changes[index], dist.phase)
        elif where is not None:
            mean = means[where].mean
        while any(c.hidden for c in dist.counts.cells) and _distribution_pinned(
            dist, mean, comparisons, min_cell_size
        ):
            cells = list(dist.counts.cells)
            shown = [i for i, c in enumerate(cells) if not c.hidden]
            if not shown:
                if cells[0].blurred:
                    break
                # Every group hidden: stop marking the small ones "<N" before giving up
                # the mean.
                cells = [replace(c, blurred=True) for c in cells]
                dist = replace(dist, counts=replace(dist.counts, cells=tuple(cells)))
                continue
            smallest = min(shown, key=lambda i: (cells[i].count, i))
            cells[smallest] = replace(cells[smallest], hidden=True)
            counts = [c.count for c in cells]
            blur = blurred(counts, [c.hidden for c in cells], min_cell_size)
            cells = [replace(c, blurred=blur) for c in cells]
            dist = replace(dist, counts=replace(dist.counts, cells=tuple(cells)))
        protected.append(dist)
        if not any(c.hidden for c in dist.counts.cells) or not _distribution_pinned(
            dist, mean, comparisons, min_cell_size
        ):
            continue
        if mean is not None:
            mean = _withhold(mean)
            if index is not None:
                item = changes[index]
                changes[index] = (
                    replace(item, pre=mean) if dist.phase == "pre" else replace(item, post=mean)
                )
            elif where is not None:
                means[where] = replace(means[where], mean=mean)
        if _distribution_pinned(dist, mean, comparisons, min_cell_size):
            comparisons = [_withhold_mean(c, dist.question, dist.phase) for c in comparisons]
    return means, tuple(changes), protected, comparisons


def _distribution_pinned(
    dist: Distribution, mean: Mean | None, comparisons: Sequence[Comparison], min_cell_size: int
) -> bool:
    cells = dist.counts.cells
    n = dist.counts.n
    bounds = [(n, 5 * n)]
    value = mean.value if mean is not None else None
    if mean is not None and mean.shown and value is not None:
        bounds.append(totals_rounding_to(value, mean.n))
    bounds += _row_bounds(comparisons, dist.question, dist.phase, n)
    total = (max(b[0] for b in bounds), min(b[1] for b in bounds))
    return mean_pinned(
        [c.count for c in cells],
        [c.hidden for c in cells],
        min_cell_size,
        total,
        blur=any(c.blurred for c in cells),
    )


def _row_bounds(
    comparisons: Sequence[Comparison], question: str, phase: Phase, n: int
) -> list[Interval]:
    """What the cohort or site means of a post item tell about its total rating."""
    bounds: list[Interval] = []
    if phase != "post":
        return bounds
    for comparison in comparisons:
        column = next((i for i, (q, _) in enumerate(comparison.means) if q == question), None)
        if column is None:
            continue
        lo, hi, rest = _shown_totals([row.means[column] for row in comparison.rows], n)
        bounds.append((lo + rest, hi + 5 * rest))
    return bounds


def _withhold_mean(comparison: Comparison, question: str, phase: Phase) -> Comparison:
    column = next((i for i, (q, _) in enumerate(comparison.means) if q == question), None)
    if column is None or phase != "post":
        return comparison
    rows = tuple(
        replace(
            row, means=tuple(_withhold(m) if i == column else m for i, m in enumerate(row.means))
        )
        for row in comparison.rows
    )
    return replace(comparison, rows=rows)
