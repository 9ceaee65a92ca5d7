"""The exact figures of a scope, before any disclosure decision (compute's output).

Nothing here is fit to show as it stands: every count, mean and test is exact, however
few people it rests on. `analysis.disclosure` decides what of it a report may show and
hands the renderers an `analysis.released.ModuleSummary`, which holds only that.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from analysis.scope import Scope
from analysis.stats import PairedStats
from core.questionnaire import PHASES, Phase


@dataclass(frozen=True)
class Counts:
    """How many answered each option of a question (or each direction of change)."""

    question: str
    label: str
    labels: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class RatingSum:
    """Whole-number ratings (or changes) added up: the mean is total / n, kept exact."""

    n: int
    total: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.total, self.n) if self.n else None


@dataclass(frozen=True)
class ItemRatings:
    """A rating item asked in one phase only (relevance, new information …)."""

    question: str
    label: str
    phase: Phase
    ratings: RatingSum


@dataclass(frozen=True)
class PhaseCount:
    """Who responded to one phase."""

    phase: Phase
    respondents: int
    partial: int  # of the respondents, how many never submitted


@dataclass(frozen=True)
class PairedItem:
    """A rating item asked before and after: each phase's ratings and the matched pairs."""

    question: str
    label: str
    text: str
    pre: RatingSum
    post: RatingSum
    pairs: int
    stats: PairedStats | None  # None: no pairs
    direction: Counts  # improved / same / declined


@dataclass(frozen=True)
class RatingCounts:
    """Every answer to a rating item in one phase: counts of 1–5, with skips apart."""

    question: str
    label: str
    phase: Phase
    counts: Counts
    skipped: int


@dataclass(frozen=True)
class Comment:
    """A free-text answer."""

    question: str
    phase: Phase
    text: str


@dataclass(frozen=True)
class GroupRow:
    """One cohort or site of a module-wide summary."""

    name: str
    participants: int
    pre: int
    post: int
    pairs: int
    yes: int  # answered Yes to met_expectations
    yes_n: int  # answered met_expectations at all
    means: tuple[RatingSum, ...]  # as GroupTable.means
    changes: tuple[RatingSum, ...]  # the rating changes of each paired item's pairs
    # The 95% interval of each paired item's mean change (None: fewer than two pairs),
    # computed as the cohort's own report computes it (stats.mean_change_interval).
    intervals: tuple[tuple[float, float] | None, ...] = ()
    # met_expectations answers per option (GroupTable.expectation_options), so a row
    # shows its Yes share exactly when the group's own report would.
    expectations: tuple[int, ...] = ()


@dataclass(frozen=True)
class GroupTable:
    """One row per cohort, or per site."""

    by: str  # "cohort" or "site"
    means: tuple[tuple[str, str], ...]  # (question id, label) of post-only rating items
    items: tuple[tuple[str, str], ...]  # (question id, label) of paired items
    has_yes: bool  # the module asks met_expectations with a Yes
    rows: tuple[GroupRow, ...]
    expectation_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figures:
    """Every exact figure of a scope's summary."""

    module: str
    title: str
    scope: Scope
    participants: int
    phases: tuple[PhaseCount, PhaseCount]
    pairs: int
    expectations: Counts | None
    means: tuple[ItemRatings, ...]
    changes: tuple[PairedItem, ...]
    profiles: tuple[Counts, ...]  # sector, role …: once per participant
    choices: tuple[Counts, ...]  # other choice questions, per phase asked
    distributions: tuple[RatingCounts, ...]
    comments: tuple[Comment, ...] | None  # None: comments are turned off
    commenters: int  # how many people wrote the comments
    groups: tuple[GroupTable, ...]

    def phase(self, phase: Phase) -> PhaseCount:
        return self.phases[PHASES.index(phase)]


@dataclass(frozen=True)
class TrackedItem:
    """A rating item asked again at the follow-up: everyone's ratings at each point it was
    asked, and the matched pairs from after the module, and from before it, to the
    follow-up."""

    question: str
    label: str
    text: str
    points: tuple[tuple[Phase, RatingSum], ...]  # in order: pre, post, follow_up (if asked)
    kept: PairedItem | None  # after → follow-up (pre/post of it: the two points compared)
    since_before: PairedItem | None  # before → follow-up


@dataclass(frozen=True)
class FollowUpFigures:
    """Every exact figure of a scope's follow-up summary."""

    module: str
    title: str
    scope: Scope
    asked: int  # the follow-up went to them (or, imported, they submitted post)
    respondents: int  # gave at least one follow-up answer (not a skip)
    partial: int  # of the respondents, how many never submitted it
    used: Counts | None  # used_in_practice, when the follow-up asks it
    used_labels: tuple[str, ...]  # its options that count as having used it ("Yes, …")
    choices: tuple[Counts, ...]  # the follow-up's other choice questions
    items: tuple[TrackedItem, ...]
    comments: tuple[Comment, ...] | None  # None: comments are turned off
    commenters: int
