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

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction

from analysis.compute import EXPECTATIONS, EXPECTATIONS_YES
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
from analysis.scope import Scope
from analysis.suppress import (
    Interval,
    choose_bands,
    direction_pinned,
    group_safe,
    is_small,
    merge_further,
    merge_small,
)
from analysis.trend import item_trends
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


def _about(
    figures: Figures | FollowUpFigures, policy: Policy
) -> tuple[str, str, Scope, int, int, int]:
    """The fields every released summary begins with (those of `Released`), in order."""
    return (
        figures.module,
        figures.title,
        figures.scope,
        policy.min_cell_size,
        policy.min_pairs_for_tests,
        policy.pairs_for_tests,
    )


def _withheld(figures: Figures | FollowUpFigures, m: int) -> bool:
    """Whether every comment is withheld: fewer than `m` people wrote one, and a comment
    quoted word for word could identify its writer in so small a group."""
    return figures.comments is not None and figures.commenters < m


def release(figures: Figures, policy: Policy) -> ModuleSummary:
    """Everything the policy lets a report show of `figures`, and nothing else."""
    m = policy.min_cell_size
    means = tuple(
        ItemMean(r.question, r.label, r.phase, _mean(r.ratings, m)) for r in figures.means
    )
    comparisons = _comparisons(figures, policy)
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
    withheld = _withheld(figures, m)
    cohorts = next((c for c in comparisons if c.by == "cohort"), None)
    return ModuleSummary(
        *_about(figures, policy),
        participants=figures.participants,
        phases=figures.phases,
        pairs=figures.pairs,
        expectations=expectations,
        means=means,
        changes=changes,
        profiles=tuple(breakdown(found, m) for found in figures.profiles),
        choices=tuple(breakdown(found, m) for found in figures.choices),
        distributions=distributions,
        comments=() if withheld else figures.comments,
        comparisons=comparisons,
        comments_hidden=withheld and bool(figures.comments),
        trends=item_trends(cohorts, figures.scope) if cohorts is not None else (),
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


# The columns of a comparison table, each protected on its own (means and changes per item).
COUNT_COLUMNS = ("participants", "pre", "post", "pairs")
Groups = Callable[[str], Sequence[Collection[int]]]


def _comparisons(figures: Figures, policy: Policy) -> tuple[Comparison, ...]:
    """The cohort and site tables. The sites' come first: a site's shown figure, less its
    shown cohorts', is what its hidden cohorts add up to, so the cohorts' table protects
    those sums too (and the same for the sites whose figure is hidden, together)."""
    tables = {table.by: table for table in figures.groups}
    everything = {by: [range(len(t.rows))] for by, t in tables.items()}
    released: dict[str, Comparison] = {}
    if "site" in tables:
        released["site"] = _comparison(tables["site"], policy, lambda _: everything["site"])
    if "cohort" in tables:
        site_table = released.get("site")
        site_of = {c.code: c.site for c in figures.scope.cohorts}
        members: dict[str, list[int]] = {}
        for i, row in enumerate(tables["cohort"].rows):
            members.setdefault(site_of[row.name], []).append(i)

        def groups(column: str) -> list[Collection[int]]:
            found: list[Collection[int]] = [*everything["cohort"]]
            if site_table is None:
                return found
            hidden_sites: list[int] = []
            for row in site_table.rows:
                if _cell_hidden(row, column):
                    hidden_sites += members[row.name]
                else:
                    found.append(members[row.name])
            return [*found, hidden_sites] if hidden_sites else found

        released["cohort"] = _comparison(tables["cohort"], policy, groups)
    return tuple(released[t.by] for t in figures.groups)


def _cell_hidden(row: ComparisonRow, column: str) -> bool:
    """Whether a released row leaves this column's figure out."""
    if column in COUNT_COLUMNS:
        return getattr(row, column) is None
    if column == "yes":
        return row.yes is None
    kind, index = column.split(":")
    cells = row.means if kind == "mean" else row.changes
    return not cells[int(index)].shown


def protect_cells(
    values: Sequence[Sequence[int]],
    hidden: Collection[int],
    groups: Sequence[Collection[int]],
    min_cell_size: int,
    size: Sequence[int] | None = None,
) -> set[int]:
    """The rows whose figure in one column is not shown: `hidden`, and more where a reader
    could add up the hidden ones. For each group of rows whose total the report shows, the
    hidden rows' counts (each vector of `values`) together must not be small, nor give away
    their parts: while they would, the shown row with the smallest `size` (values[0] by
    default) that is not zero is hidden too, or the whole group if none is left."""
    size = size if size is not None else values[0]
    result = set(hidden)

    def unsafe(inside: Sequence[int]) -> bool:
        for vector in values:
            parts = [vector[i] for i in inside if vector[i] > 0]
            # Rows hidden for being small are known not to be zero: three of them adding
            # up to 3 are one each (suppress.group_safe).
            if len(parts) >= 2 and not group_safe(parts, min_cell_size):
                return True
            if is_small(sum(parts), min_cell_size):
                return True
        return False

    # The smallest groups first: a site's hidden cohort is best given company at its own
    # site, which protects it in the module's total as well.
    ordered = sorted(groups, key=len)
    changed = True
    while changed:
        changed = False
        for group in ordered:
            inside = [i for i in group if i in result]
            if not inside or len(inside) == len(group) or not unsafe(inside):
                continue
            shown = [i for i in group if i not in result and any(v[i] > 0 for v in values)]
            if shown:
                result.add(min(shown, key=lambda i: (size[i], i)))
            else:
                result.update(group)
            changed = True
    return result


def _comparison(table: GroupTable, policy: Policy, groups: Groups) -> Comparison:
    """Rows of cohorts or sites: a row of a small group is not shown, nor one it could be
    worked out from; within shown rows, each column is protected the same way, and a mean
    (or mean change) of a row is shown exactly when the row's own report shows it."""
    m = policy.min_cell_size
    rows = table.rows

    def column(name: str, forced: Collection[int] = ()) -> set[int]:
        values = [getattr(r, name) for r in rows]
        start = {i for i, v in enumerate(values) if policy.small(v)} | set(forced)
        return protect_cells([values], start, groups(name), m)

    gone = column("participants")
    hidden = {name: gone | column(name, gone) for name in ("pre", "post", "pairs")}
    yes_hidden = _yes_hidden(table, hidden["post"], policy, groups("yes"))
    means = [
        _mean_column([r.means[j] for r in rows], hidden["post"], policy, groups(f"mean:{j}"))
        for j in range(len(table.means))
    ]
    changes = [
        _mean_column([r.changes[j] for r in rows], hidden["pairs"], policy, groups(f"change:{j}"))
        for j in range(len(table.items))
    ]

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
                    tuple(None for _ in row.changes),
                )
            )
            continue
        shown_changes = tuple(column[i] for column in changes)
        released.append(
            ComparisonRow(
                name=row.name,
                participants=row.participants,
                pre=None if i in hidden["pre"] else row.pre,
                post=None if i in hidden["post"] else row.post,
                pairs=None if i in hidden["pairs"] else row.pairs,
                yes=None if i in yes_hidden else row.yes,
                yes_n=None if i in yes_hidden else row.yes_n,
                means=tuple(column[i] for column in means),
                changes=shown_changes,
                intervals=tuple(
                    interval
                    if change.value is not None
                    and change.n is not None
                    and change.n >= policy.pairs_for_tests
                    else None
                    for change, interval in zip(
                        shown_changes, row.intervals or [None] * len(row.changes), strict=True
                    )
                ),
            )
        )
    return Comparison(table.by, table.means, table.items, table.has_yes, tuple(released))


def _mean_column(
    cells: Sequence[RatingSum],
    row_hidden: Collection[int],
    policy: Policy,
    groups: Sequence[Collection[int]],
) -> list[Mean]:
    """One item's means (or mean changes) down the rows. Shown as the row's own report shows
    it (at least min_cell_size answers), unless the row's count is hidden or the hidden
    rows' answers together would be few enough to work out from the total."""
    m = policy.min_cell_size
    few = {i for i, c in enumerate(cells) if policy.small(c.n)}
    out = protect_cells([[c.n for c in cells]], few | set(row_hidden), groups, m)
    released = []
    for i, cell in enumerate(cells):
        if i in row_hidden or (i in out and i not in few):
            released.append(Mean(None, None))  # "not shown": even its n would tell
        else:
            released.append(_mean(cell, m) if i not in out else Mean(cell.n, None))
    return released


def _yes_hidden(
    table: GroupTable,
    post_hidden: Collection[int],
    policy: Policy,
    groups: Sequence[Collection[int]],
) -> set[int]:
    """Rows whose share answering Yes is not shown: where the row's own report would not
    show it (its Yes count is not shown on its own there), where the row's responses after
    are hidden, and where the hidden rows' Yes counts or the rest, together, would be small."""
    rows = table.rows
    if not table.has_yes:
        return set(range(len(rows)))
    yes_index = table.expectation_options.index(EXPECTATIONS_YES)

    def own_report_hides(row: GroupRow) -> bool:
        if row.yes_n < max(policy.min_cell_size, 1):
            return True
        found = Counts(EXPECTATIONS, "", table.expectation_options, row.expectations)
        return (
            breakdown(found, policy.min_cell_size, keep=[yes_index]).count(EXPECTATIONS_YES) is None
        )

    start = {i for i, r in enumerate(rows) if i in post_hidden or own_report_hides(r)}
    yes = [r.yes for r in rows]
    rest = [r.yes_n - r.yes for r in rows]
    return protect_cells([yes, rest], start, groups, policy.min_cell_size, [r.yes_n for r in rows])


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
    withheld = _withheld(figures, m)
    return FollowUpSummary(
        *_about(figures, policy),
        asked=figures.asked,
        respondents=figures.respondents,
        partial=figures.partial,
        used=used,
        used_labels=figures.used_labels,
        used_count=used_count,
        choices=tuple(breakdown(found, m) for found in figures.choices),
        items=tuple(_three_points(item, policy) for item in figures.items),
        comments=() if withheld else figures.comments,
        comments_hidden=withheld and bool(figures.comments),
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
