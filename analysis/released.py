"""What the disclosure policy lets a report show: the renderers' only input.

A figure the policy protects is not here at all (None, or a group given together with
others), so no renderer can show it by mistake. `analysis.disclosure` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from analysis.figures import Comment, PhaseCount
from analysis.rounding import percent
from analysis.scope import Scope
from core.questionnaire import PHASES, Phase

__all__ = [
    "Breakdown",
    "Comment",
    "Comparison",
    "ComparisonRow",
    "Distribution",
    "FollowUpSummary",
    "ItemChange",
    "ItemMean",
    "ItemTrend",
    "Mean",
    "ModuleSummary",
    "Part",
    "PhaseCount",
    "Test",
    "ThreePoints",
    "TrendPoint",
    "TrendTest",
]


@dataclass(frozen=True)
class Part:
    """One shown count of a breakdown: one option, or several given together."""

    labels: tuple[str, ...]
    count: int

    @property
    def merged(self) -> bool:
        return len(self.labels) > 1


@dataclass(frozen=True)
class Breakdown:
    """Counts per option, protected: each option is shown alone or within a merged part.

    `parts` is empty when the breakdown is left out (merging could not protect it); only
    its n is shown then.
    """

    question: str
    label: str
    n: int
    labels: tuple[str, ...]  # every option, in the questionnaire's order
    parts: tuple[Part, ...]

    @property
    def left_out(self) -> bool:
        return not self.parts and self.n > 0

    @property
    def merged(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.merged)

    def count(self, label: str) -> int | None:
        """An option's count when it is shown on its own."""
        return next((p.count for p in self.parts if p.labels == (label,)), None)

    def part_of(self, label: str) -> Part | None:
        return next((p for p in self.parts if label in p.labels), None)


@dataclass(frozen=True)
class Mean:
    """A mean rating (or mean change) as released: its value, or why it is not shown."""

    n: int | None  # None: even the number of answers would reveal a protected count
    value: Fraction | None  # None: fewer than min_cell_size answers, or n is None

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def too_few(self) -> bool:
        return self.value is None and self.n is not None


@dataclass(frozen=True)
class ItemMean:
    """A rating item's mean in one phase."""

    question: str
    label: str
    phase: Phase
    mean: Mean


@dataclass(frozen=True)
class Test:
    """An item's interval, test and effect size: released on enough matched pairs."""

    ci_low: float | None  # None only for a single pair, which never reaches a test
    ci_high: float | None
    p_value: float | None  # None: no pair changed, the test is undefined
    method: str
    rank_biserial: float | None


@dataclass(frozen=True)
class ItemChange:
    """A rating item asked before and after: phase means and the paired change."""

    question: str
    label: str
    text: str
    pre: Mean
    post: Mean
    pairs: int
    change: Fraction | None  # the mean change; None below min_cell_size pairs
    test: Test | None  # None below min_pairs_for_tests pairs
    direction: Breakdown | None  # improved / same / declined; None below min_cell_size pairs


@dataclass(frozen=True)
class Distribution:
    """Every answer to a rating item in one phase: 1–5, adjacent ratings merged as needed."""

    question: str
    label: str
    phase: Phase
    counts: Breakdown
    skipped: int


@dataclass(frozen=True)
class ComparisonRow:
    """One cohort or site; a figure that would reveal a small group is None."""

    name: str
    participants: int | None  # None: the row's figures are not shown
    pre: int | None
    post: int | None
    pairs: int | None
    yes: int | None  # answered Yes to met_expectations, with yes_n answering at all
    yes_n: int | None
    means: tuple[Mean, ...]  # as Comparison.means
    changes: tuple[Mean, ...]  # mean change per paired item, as Comparison.items
    # The 95% interval of each mean change, as the row's own report shows it: None below
    # min_pairs_for_tests pairs, or where the change is not shown.
    intervals: tuple[tuple[float, float] | None, ...] = ()

    @property
    def hidden(self) -> bool:
        return self.participants is None


@dataclass(frozen=True)
class Comparison:
    """A table with one row per cohort or per site."""

    by: str  # "cohort" or "site"
    means: tuple[tuple[str, str], ...]  # (question id, label)
    items: tuple[tuple[str, str], ...]  # (question id, label) of paired items
    has_yes: bool
    rows: tuple[ComparisonRow, ...]


@dataclass(frozen=True)
class TrendPoint:
    """One cohort's mean change of an item, as its row in the cohorts' table shows it."""

    cohort: str
    site: str
    start: datetime
    change: Mean  # value None: not shown (too few pairs, or a protected row)
    interval: tuple[float, float] | None  # None: below min_pairs_for_tests, or not shown


@dataclass(frozen=True)
class TrendTest:
    """The fitted straight line through the cohorts' mean changes, and its test."""

    cohorts: int  # k, the cohorts whose change is shown
    first: float  # the fitted mean change at the first cohort's start
    last: float  # … and at the latest cohort's start
    change: float  # last − first: how much the mean change moved over the period
    ci_low: float  # its 95% interval (t on k − 2 degrees of freedom)
    ci_high: float
    p_value: float  # the slope's own test
    p_adjusted: float  # Holm's adjustment over the items tested together: what is claimed on
    slope_per_year: float

    @property
    def clear(self) -> bool:
        """Whether the data support saying the mean change rose or fell (adjusted p < 0.05)."""
        return self.p_adjusted < 0.05 and self.change != 0


@dataclass(frozen=True)
class ItemTrend:
    """A paired item over time: a point per cohort in date order, and the test if any."""

    question: str
    label: str
    points: tuple[TrendPoint, ...]
    test: TrendTest | None  # None: fewer than MIN_COHORTS_FOR_TEST shown, or all one day

    @property
    def shown(self) -> tuple[TrendPoint, ...]:
        return tuple(p for p in self.points if p.change.value is not None)


@dataclass(frozen=True)
class Released:
    """What every released summary says of itself, before its figures: its module and
    scope, and the disclosure policy it was released under."""

    module: str
    title: str
    scope: Scope
    min_cell_size: int
    min_pairs_for_tests: int  # the setting
    # The pairs an item needs for its interval, test and effect size: the setting, or
    # min_cell_size where that is larger (see disclosure.Policy.pairs_for_tests).
    pairs_for_tests: int


@dataclass(frozen=True)
class ModuleSummary(Released):
    """Everything a facilitator's summary shows, with its n, as the policy released it."""

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
    # Each paired item cohort by cohort over time (analysis.trend): a module-wide summary
    # of two or more cohorts has them; others have none.
    trends: tuple[ItemTrend, ...] = ()
    # Follow-up outcomes cohort by cohort, in date order: each cohort's own follow-up
    # summary (the figures its report gives), for the cohorts of a module-wide summary
    # that have follow-up answers.
    follow_ups: tuple[FollowUpSummary, ...] = ()

    def phase(self, phase: Phase) -> PhaseCount:
        return self.phases[PHASES.index(phase)]

    def mean(self, question: str) -> ItemMean | None:
        return next((m for m in self.means if m.question == question), None)


@dataclass(frozen=True)
class ThreePoints:
    """A rating item at the points it was asked (pre, post, follow-up), each mean with its
    n, and the paired changes to the follow-up, released as the before/after change is:
    `kept` from after the module (its pre and post are the after and follow-up means),
    `since_before` from before it (the before and follow-up means)."""

    question: str
    label: str
    points: tuple[tuple[Phase, Mean], ...]
    kept: ItemChange | None  # None: not asked after the module
    since_before: ItemChange | None  # None: not asked before the module

    def point(self, phase: Phase) -> Mean | None:
        return next((mean for p, mean in self.points if p == phase), None)


@dataclass(frozen=True)
class FollowUpSummary(Released):
    """What a follow-up summary shows (weeks after the module: has it changed practice?),
    as the disclosure policy released it: one cohort's, or several cohorts' together. The
    module's report includes it per cohort where a cohort has follow-up answers."""

    asked: int  # the people the follow-up went to (imported: who submitted post)
    respondents: int  # of them (and anyone else), who answered at least one question
    partial: int  # of the respondents, how many never submitted
    used: Breakdown | None  # "Have you used it in practice?", when the follow-up asks it
    used_labels: tuple[str, ...]  # its options that count as having used it
    used_count: int | None  # how many used it: None when not shown on its own
    choices: tuple[Breakdown, ...]  # what helped, what got in the way …
    items: tuple[ThreePoints, ...]
    comments: tuple[Comment, ...] | None
    comments_hidden: bool = False

    def used_share(self) -> int | None:
        """The share who have used it in practice, as a whole percentage, when shown."""
        if self.used is None or self.used_count is None or self.used.n == 0:
            return None
        return percent(self.used_count, self.used.n)
