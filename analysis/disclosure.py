"""The disclosure policy: what of a scope's exact figures a report may show.

The statistical offices' practice, with two settings (`[analysis]` in the config):

- counts (who took part by sector and role, the answers to a choice question, the
  improved / same / declined counts, the answers per rating) of 1 to min_cell_size − 1
  are never shown, nor anything they can be worked out from. They are merged with
  other options into a named part whose count is shown ("the same or lower: 8"); a
  breakdown is left out only where merging cannot protect it. Zero is shown;
- percentages follow their counts: only shown counts get one, and the rest of a shown
  count is then 0 or at least min_cell_size too;
- means of at least min_cell_size answers, and mean changes of at least min_cell_size
  matched pairs, are always shown; a rating distribution merges neighbouring ratings
  further, or is left out, where it and the mean would reveal a small count;
- an item's interval, p and effect size are analytical outputs: shown when it has at
  least min_pairs_for_tests matched pairs, whatever its direction counts, never below.

`release` applies it to `Figures` and returns the `ModuleSummary` the renderers read;
`release_follow_up` applies the same rules to a follow-up's `FollowUpFigures`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction

from analysis.compute import EXPECTATIONS_YES
from analysis.figures import (
    Counts,
    Figures,
    FollowUpFigures,
    GroupRow,
    GroupTable,
    PairedItem,
    RatingSum,
    TrackedItem,
)
from analysis.released import (
    Breakdown,
    Comparison,
    ComparisonRow,
    Distribution,
    FollowUpSummary,
    ItemChange,
    ItemMean,
    Mean,
    ModuleSummary,
    Part,
    Test,
    ThreePoints,
)
from analysis.rounding import totals_rounding_to
from analysis.suppress import (
    Interval,
    choose_bands,
    direction_pinned,
    is_small,
    merge_further,
    merge_small,
)
from core.questionnaire import Phase


@dataclass(frozen=True)
class Policy:
    """The two settings of the disclosure policy."""

    min_cell_size: int = 3
    min_pairs_for_tests: int = 10

    @property
    def pairs_for_tests(self) -> int:
        """The pairs an item needs for its interval, test and effect size. An interval is
        centred on the mean change, so never fewer than the change itself needs."""
        return max(self.min_pairs_for_tests, self.min_cell_size, 2)

    def small(self, count: int) -> bool:
        return is_small(count, self.min_cell_size)


def release(figures: Figures, policy: Policy) -> ModuleSummary:
    """Everything the policy lets a report show of `figures`, and nothing else."""
    m = policy.min_cell_size
    means = tuple(
        ItemMean(r.question, r.label, r.phase, _mean(r.ratings, m)) for r in figures.means
    )
    comparisons = tuple(_comparison(table, policy) for table in figures.groups)
    changes = tuple(
        _change(item, index, comparisons, policy) for index, item in enumerate(figures.changes)
    )
    shown_means: dict[tuple[str, Phase], Mean] = {(i.question, i.phase): i.mean for i in means}
    for change in changes:
        shown_means[(change.question, "pre")] = change.pre
        shown_means[(change.question, "post")] = change.post
    distributions = tuple(
        Distribution(
            dist.question,
            dist.label,
            dist.phase,
            _rating_breakdown(
                dist.counts,
                shown_means.get((dist.question, dist.phase)),
                _row_bounds(comparisons, dist.question, dist.phase, dist.counts.n),
                m,
            ),
            dist.skipped,
        )
        for dist in figures.distributions
    )
    expectations = None
    if figures.expectations is not None:
        found = figures.expectations
        keep = [i for i, label in enumerate(found.labels) if label == EXPECTATIONS_YES]
        expectations = breakdown(found, m, keep=keep)
    comments = figures.comments
    comments_hidden = False
    if comments is not None and figures.commenters < m:
        comments, comments_hidden = (), bool(comments)
    return ModuleSummary(
        module=figures.module,
        title=figures.title,
        scope=figures.scope,
        min_cell_size=m,
        min_pairs_for_tests=policy.min_pairs_for_tests,
        pairs_for_tests=policy.pairs_for_tests,
        participants=figures.participants,
        phases=figures.phases,
        pairs=figures.pairs,
        expectations=expectations,
        means=means,
        changes=changes,
        profiles=tuple(breakdown(found, m) for found in figures.profiles),
        choices=tuple(breakdown(found, m) for found in figures.choices),
        distributions=distributions,
        comments=comments,
        comparisons=comparisons,
        comments_hidden=comments_hidden,
    )


def breakdown(found: Counts, min_cell_size: int, *, keep: Collection[int] = ()) -> Breakdown:
    """A breakdown with its small options merged (see suppress.merge_small)."""
    return _parts(found, merge_small(found.counts, min_cell_size, keep=keep))


def _parts(found: Counts, merged: Collection[int] | None) -> Breakdown:
    """Each option alone, except those merged, which form one part where the first of them
    stands; no part at all when the breakdown is left out."""
    if merged is None or len(merged) == len(found.labels):
        # Everything together is just the total: the breakdown is left out.
        return Breakdown(found.question, found.label, found.n, found.labels, ())
    parts: list[Part] = []
    for i, (label, count) in enumerate(zip(found.labels, found.counts, strict=True)):
        if i not in merged:
            parts.append(Part((label,), count))
        elif i == min(merged):
            members = sorted(merged)
            parts.append(
                Part(tuple(found.labels[j] for j in members), sum(found.counts[j] for j in members))
            )
    return Breakdown(found.question, found.label, found.n, found.labels, tuple(parts))


def _banded(found: Counts, bands: Sequence[Sequence[int]] | None) -> Breakdown:
    if bands is None:
        return Breakdown(found.question, found.label, found.n, found.labels, ())
    parts = tuple(
        Part(tuple(found.labels[i] for i in band), sum(found.counts[i] for i in band))
        for band in bands
    )
    return Breakdown(found.question, found.label, found.n, found.labels, parts)


def _mean(ratings: RatingSum, min_cell_size: int) -> Mean:
    shown = ratings.n >= max(min_cell_size, 1)
    return Mean(ratings.n, ratings.value if shown else None)


def _change(
    item: PairedItem, index: int, comparisons: Sequence[Comparison], policy: Policy
) -> ItemChange:
    m = policy.min_cell_size
    pre, post = _mean(item.pre, m), _mean(item.post, m)
    stats = item.stats
    enough = stats is not None and item.pairs >= max(m, 1)
    change = stats.mean_change if enough and stats is not None else None
    test = None
    if stats is not None and item.pairs >= policy.pairs_for_tests:
        test = Test(stats.ci_low, stats.ci_high, stats.p_value, stats.method, stats.rank_biserial)
    direction = None
    if enough:
        counts = item.direction.counts
        clues = _clues(item, pre, post, change, index, comparisons)
        # Improved is the share a reader looks for: the others merge first.
        merged = merge_small(counts, m, keep=(0,))
        while merged and direction_pinned(counts, merged, m, **clues):
            merged = merge_further(counts, merged, keep=(0,))
        direction = _parts(item.direction, merged)
    return ItemChange(
        item.question, item.label, item.text, pre, post, item.pairs, change, test, direction
    )


def _clues(
    item: PairedItem,
    pre: Mean,
    post: Mean,
    change: Fraction | None,
    index: int,
    comparisons: Sequence[Comparison],
) -> dict[str, Interval]:
    """What the shown means and mean changes tell about the pairs' rating totals. The
    interval, p and effect size are not among them: the policy releases them on purpose."""
    clues: dict[str, Interval] = {}
    n = item.pairs
    for name, mean in (("pre_sum", pre), ("post_sum", post)):
        if mean.value is not None and mean.n is not None:
            # The pairs' total is the phase total less that of the unpaired answers (1–5).
            lo, hi = totals_rounding_to(mean.value, mean.n)
            unpaired = mean.n - n
            clues[name] = (lo - 5 * unpaired, hi - unpaired)
    bounds = [(-4 * n, 4 * n)]
    if change is not None and item.stats is not None:
        bounds.append(totals_rounding_to(item.stats.mean_change, n))
    for comparison in comparisons:
        lo, hi, rest = _shown_totals([row.changes[index] for row in comparison.rows], n)
        bounds.append((lo - 4 * rest, hi + 4 * rest))
    clues["change_sum"] = (max(b[0] for b in bounds), min(b[1] for b in bounds))
    return clues


def _rating_breakdown(
    found: Counts, mean: Mean | None, row_bounds: Sequence[Interval], min_cell_size: int
) -> Breakdown:
    """A rating distribution in runs of neighbouring ratings that keep its small counts
    unknown beside the item's mean (and the cohorts' or sites' means of a post item)."""
    n = found.n
    bounds = [(n, 5 * n), *row_bounds]
    if mean is not None and mean.value is not None and mean.n is not None:
        bounds.append(totals_rounding_to(mean.value, mean.n))
    total = (max(b[0] for b in bounds), min(b[1] for b in bounds))
    return _banded(found, choose_bands(found.counts, min_cell_size, total))


def _shown_totals(cells: Sequence[Mean], n: int) -> tuple[int, int, int]:
    """The least and most the rows' shown means can add up to, and how many of the n
    answers lie in rows whose mean is not shown."""
    lo = hi = 0
    rest = n
    for cell in cells:
        if cell.value is not None and cell.n is not None:
            row_lo, row_hi = totals_rounding_to(cell.value, cell.n)
            lo, hi, rest = lo + row_lo, hi + row_hi, rest - cell.n
    return lo, hi, rest


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


def _comparison(table: GroupTable, policy: Policy) -> Comparison:
    """Rows of cohorts or sites: a row of a small group is not shown, nor one it could be
    worked out from; within shown rows, each column is protected the same way."""
    m = policy.min_cell_size
    rows = table.rows
    everyone = set(range(len(rows)))

    def hidden(counts: Sequence[int], forced: Collection[int] = ()) -> set[int]:
        merged = merge_small(counts, m, forced=forced)
        return everyone if merged is None else set(merged)

    gone = hidden([r.participants for r in rows])
    columns = {
        name: gone | hidden([getattr(r, name) for r in rows], gone)
        for name in ("pre", "post", "pairs")
    }
    yes_hidden = _yes_hidden(rows, columns["post"], policy) if table.has_yes else everyone

    released = []
    for i, row in enumerate(rows):
        if i in gone:
            released.append(
                ComparisonRow(
                    row.name,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    tuple(Mean(None, None) for _ in row.means),
                    tuple(Mean(None, None) for _ in row.changes),
                )
            )
            continue
        shown_post = i not in columns["post"]
        shown_pairs = i not in columns["pairs"]
        released.append(
            ComparisonRow(
                name=row.name,
                participants=row.participants,
                pre=None if i in columns["pre"] else row.pre,
                post=row.post if shown_post else None,
                pairs=row.pairs if shown_pairs else None,
                yes=None if i in yes_hidden else row.yes,
                yes_n=None if i in yes_hidden else row.yes_n,
                means=tuple(_mean(r, m) if shown_post else Mean(None, None) for r in row.means),
                changes=tuple(
                    _mean(r, m) if shown_pairs else Mean(None, None) for r in row.changes
                ),
            )
        )
    return Comparison(table.by, table.means, table.items, table.has_yes, tuple(released))


def _yes_hidden(rows: Sequence[GroupRow], post_hidden: Collection[int], policy: Policy) -> set[int]:
    """Rows whose share answering Yes is not shown. A share is shown when its Yes count and
    the rest are 0 or at least min_cell_size; the hidden rows' Yes counts together (the
    total less the shown rows') must be so too, or another row's share is hidden."""
    hidden = {
        i
        for i, r in enumerate(rows)
        if i in post_hidden or r.yes_n == 0 or policy.small(r.yes) or policy.small(r.yes_n - r.yes)
    }
    while hidden and len(hidden) < len(rows):
        yes = sum(rows[i].yes for i in hidden)
        rest = sum(rows[i].yes_n - rows[i].yes for i in hidden)
        if not (policy.small(yes) or policy.small(rest)):
            break
        shown = [i for i in range(len(rows)) if i not in hidden]
        hidden.add(min(shown, key=lambda i: (rows[i].yes_n, i)))
    return hidden


def release_follow_up(figures: FollowUpFigures, policy: Policy) -> FollowUpSummary:
    """What the policy lets a follow-up summary show: the same rules as for the module's
    summary. Choice answers are counts (merged when small); the share who used it in
    practice is shown only when its options are shown on their own or merged only among
    themselves; each point's mean needs min_cell_size answers; each paired change to the
    follow-up is released exactly as a before/after change is."""
    m = policy.min_cell_size
    used = None
    used_count = None
    if figures.used is not None:
        found = figures.used
        keep = [i for i, label in enumerate(found.labels) if label in figures.used_labels]
        used = breakdown(found, m, keep=keep)
        used_count = _union_count(used, figures.used_labels)
    comments = figures.comments
    comments_hidden = False
    if comments is not None and figures.commenters < m:
        comments, comments_hidden = (), bool(comments)
    return FollowUpSummary(
        module=figures.module,
        title=figures.title,
        scope=figures.scope,
        min_cell_size=m,
        min_pairs_for_tests=policy.min_pairs_for_tests,
        pairs_for_tests=policy.pairs_for_tests,
        asked=figures.asked,
        respondents=figures.respondents,
        partial=figures.partial,
        used=used,
        used_labels=figures.used_labels,
        used_count=used_count,
        choices=tuple(breakdown(found, m) for found in figures.choices),
        items=tuple(_three_points(item, policy) for item in figures.items),
        comments=comments,
        comments_hidden=comments_hidden,
    )


def _union_count(found: Breakdown, labels: Collection[str]) -> int | None:
    """The count of these options together, when the shown parts give it: every part holds
    only these options or none of them (a part mixing both would be split by the share)."""
    if not found.parts:
        return None
    total = 0
    for part in found.parts:
        inside = [label in labels for label in part.labels]
        if all(inside):
            total += part.count
        elif any(inside):
            return None
    return total


def _three_points(item: TrackedItem, policy: Policy) -> ThreePoints:
    m = policy.min_cell_size
    points = tuple((phase, _mean(ratings, m)) for phase, ratings in item.points)
    return ThreePoints(
        item.question,
        item.label,
        points,
        _change(item.kept, 0, (), policy) if item.kept is not None else None,
        _change(item.since_before, 0, (), policy) if item.since_before is not None else None,
    )
