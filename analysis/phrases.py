"""Wording shared by the Telegram, Markdown and HTML renderers: figures as a reader sees them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from analysis.compute import Breakdown, Cell, ItemChange, Mean, ModuleSummary
from analysis.rounding import fmt_mean, fmt_p, fmt_signed, percent
from analysis.stats import WILCOXON_METHOD_NOTE

TOO_FEW = "too few responses"
NOT_SHOWN = "not shown"
WITHHELD = NOT_SHOWN  # the name older callers use
PROTECTING = "not shown, to protect a small group"
DIRECTION_WORDS = {"improved": "higher", "same": "the same", "declined": "lower"}


def count_text(cell: Cell, min_cell_size: int) -> str:
    """A group's size, or "<N" / "not shown" when suppressed (for tables)."""
    if not cell.hidden:
        return str(cell.count)
    # A cell hidden only to protect another (complementary suppression) is not small,
    # so "<N" would be false: it is simply not shown.
    small = cell.count < min_cell_size and not cell.blurred
    return f"<{min_cell_size}" if small else NOT_SHOWN


def cell_text(cell: Cell, n: int, min_cell_size: int) -> str:
    """ "18 (44%)", or the suppressed form with no count or percentage."""
    if cell.hidden or n == 0:
        return count_text(cell, min_cell_size)
    return f"{cell.count} ({percent(cell.count, n)}%)"


def join_words(words: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def hidden_phrase(
    cells: Sequence[Cell],
    n: int,
    min_cell_size: int,
    words: Mapping[str, str] | None = None,
    *,
    all_hidden: bool | None = None,
) -> str | None:
    """The suppressed groups in words: "Partly and No: fewer than 3 each".

    When a group is hidden only to protect a smaller one, the hidden groups are given
    together (which the total and the shown groups tell anyway), never one by one.
    """
    hidden = [c for c in cells if c.hidden]
    if not hidden:
        return None
    names = join_words([(words or {}).get(c.label, c.label) for c in hidden])
    if all(c.count < min_cell_size and not c.blurred for c in hidden):
        each = " each" if len(hidden) > 1 else ""
        return f"{names}: fewer than {min_cell_size}{each}"
    if all_hidden if all_hidden is not None else len(hidden) == len(cells):
        return f"{names}: not shown separately, to protect small groups"
    together = sum(c.count for c in hidden)
    share = f" ({percent(together, n)}%)" if n else ""
    return (
        f"{names}: {together}{share} together, not shown separately to protect a group "
        f"of fewer than {min_cell_size}"
    )


def groups_sentence(
    found: Breakdown,
    min_cell_size: int,
    *,
    skip: Sequence[str] = (),
    words: Mapping[str, str] | None = None,
) -> str:
    """Every group of a breakdown in one sentence: "Partly 5 (12%); No: fewer than 3"."""
    cells = [c for c in found.cells if c.label not in skip]
    shown = [
        f"{(words or {}).get(c.label, c.label)} {cell_text(c, found.n, min_cell_size)}"
        for c in cells
        if not c.hidden
    ]
    hidden = hidden_phrase(
        cells, found.n, min_cell_size, words, all_hidden=all(c.hidden for c in found.cells)
    )
    parts = ([", ".join(shown)] if shown else []) + ([hidden] if hidden else [])
    return "; ".join(parts)


def mean_text(mean: Mean) -> str:
    """ "4.31 (n = 41)" or "too few responses"."""
    value = mean.value
    if mean.withheld:
        return NOT_SHOWN
    if mean.too_few or value is None:
        return TOO_FEW
    return f"{fmt_mean(value)} (n = {mean.n})"


def bare_mean(mean: Mean) -> str:
    value = mean.value
    if mean.withheld:
        return NOT_SHOWN
    return TOO_FEW if mean.too_few or value is None else fmt_mean(value)


def change_text(mean: Mean, unit: str = " pairs") -> str:
    """A mean change: "+0.50 (n = 4 pairs)", "too few responses" or "not shown"."""
    value = mean.value
    if mean.withheld:
        return NOT_SHOWN
    if mean.too_few or value is None:
        return TOO_FEW
    return f"{fmt_signed(value)} (n = {mean.n}{unit})"


def rate_text(count: int, total: int) -> str:
    return f"{percent(count, total)}%" if total else "–"


def scope_lines(summary: ModuleSummary) -> list[str]:
    """Who and when: cohorts, sites and dates."""
    cohorts = summary.scope.cohorts
    codes = ", ".join(c.code for c in cohorts)
    sites = ", ".join(summary.scope.sites)
    first = min(c.start for c in cohorts)
    last = max(c.end for c in cohorts)
    return [
        f"{'Cohort' if len(cohorts) == 1 else 'Cohorts'}: {codes}",
        f"{'Site' if len(summary.scope.sites) == 1 else 'Sites'}: {sites}",
        f"Dates: {date_range(first, last)}",
    ]


def date_range(first: datetime, last: datetime) -> str:
    a, b = first.date(), last.date()
    if a == b:
        return f"{a.day} {a:%B %Y}"
    return f"{a.day} {a:%B %Y} – {b.day} {b:%B %Y}"


def response_lines(summary: ModuleSummary) -> list[str]:
    """Participants, responses, partial ones and matched pairs, with rates."""
    total = summary.participants
    lines = [f"Participants: {total}"]
    for count in summary.phases:
        partial = f", of which {count.partial} partial" if count.partial else ""
        lines.append(
            f"{count.phase.capitalize()}-module responses: {count.respondents} "
            f"({rate_text(count.respondents, total)} of participants{partial})"
        )
    lines.append(
        f"Matched pairs (responded before and after): {summary.pairs} "
        f"({rate_text(summary.pairs, total)} of participants)"
    )
    return lines


def expectations_sentence(summary: ModuleSummary) -> str | None:
    """ "78% of respondents stated that the module met their expectations (n = 41)."""
    found = summary.expectations
    if found is None:
        return None
    yes = found.cell("Yes")
    if found.n < summary.min_cell_size:
        return f"Met expectations: {TOO_FEW} (n = {found.n})."
    if yes is None or yes.hidden:
        return (
            "The share who stated that the module met their expectations is not shown, "
            f"to protect small groups (n = {found.n})."
        )
    return (
        f"{percent(yes.count, found.n)}% of respondents stated that the module met their "
        f"expectations (n = {found.n})."
    )


def breakdown_items(found: Breakdown, min_cell_size: int) -> list[tuple[str, str]]:
    """(label, "count (percent)") per group."""
    return [(cell.label, cell_text(cell, found.n, min_cell_size)) for cell in found.cells]


def largest_group_sentence(found: Breakdown, noun: str) -> str | None:
    """ "The largest group by role: Clinician, 44% of participants (18 of 41)." """
    shown = [c for c in found.cells if not c.hidden and c.count > 0]
    if not shown or found.n == 0:
        return None
    top = max(shown, key=lambda c: c.count)
    return (
        f"The largest group by {noun}: {top.label}, {percent(top.count, found.n)}% of "
        f"participants ({top.count} of {found.n})."
    )


def direction_sentence(item: ItemChange, min_cell_size: int) -> str:
    """Who rated an item higher, the same or lower after, in plain words."""
    if item.pairs == 0:
        return "Nobody answered this both before and after."
    if item.stats is None:
        return (
            f"Only {item.pairs} answered it both before and after: too few to say how "
            "ratings changed."
        )
    groups = groups_sentence(item.direction, min_cell_size, words=DIRECTION_WORDS)
    return f"After compared with before, over the {item.pairs} who answered both times: {groups}."


def statistics_line(item: ItemChange, min_cell_size: int) -> str:
    """The paired change of one item with its statistics, for the statistics block."""
    stats = item.stats
    if stats is None:
        return f"{item.label}: {item.pairs} matched pairs, too few for a test."
    head = f"{item.label}: {stats.n} matched pairs"
    if not item.change_shown:
        return f"{head}; the change figures are {PROTECTING}."
    parts = [f"{head}, mean change {fmt_signed(stats.mean_change)}"]
    if not item.test_shown:
        parts.append(f"the interval, test and effect size are {PROTECTING}")
        return "; ".join(parts) + "."
    if stats.ci_low is not None and stats.ci_high is not None:
        parts[0] += f" (95% CI {fmt_signed(stats.ci_low)} to {fmt_signed(stats.ci_high)})"
    if stats.p_value is not None and stats.rank_biserial is not None:
        parts.append(
            f"Wilcoxon signed-rank p {fmt_p(stats.p_value)} ({stats.method}), "
            f"rank-biserial r {effect_text(item)}"
        )
    else:
        parts.append("no participant's rating changed, so no test")
    parts.append(
        "improved / same / declined "
        + " / ".join(text for _, text in breakdown_items(item.direction, min_cell_size))
    )
    return "; ".join(parts) + "."


def change_sentence(item: ItemChange, min_cell_size: int) -> str:
    """The paired change of one item in one sentence (statistics included)."""
    return statistics_line(item, min_cell_size)


def effect_text(item: ItemChange) -> str:
    """ "= +0.78", or "not shown" when a hidden direction count could be read from it.

    r = +1 exactly means nobody declined, and any r narrows down the counts.
    """
    r = item.stats.rank_biserial if item.stats else None
    if not item.test_shown:
        return NOT_SHOWN
    if r is None:
        return "–"
    return "= " + fmt_signed(r)


def statistics_lines(summary: ModuleSummary) -> list[str]:
    """The statistics block: each paired item's change and test, then how to read them."""
    if not summary.changes:
        return []
    lines = [statistics_line(item, summary.min_cell_size) for item in summary.changes]
    lines += [
        "Mean change: over the people who answered an item both before and after; "
        "95% CI: the range the true mean change most likely lies in.",
        "p: Wilcoxon signed-rank test (below 0.05: unlikely to be chance alone); "
        "r: rank-biserial correlation, from −1 (all lower) to +1 (all higher).",
    ]
    return lines


def comments_note(summary: ModuleSummary) -> str | None:
    """Why no comments are shown, when some were written."""
    if summary.comments_hidden:
        return (
            f"Fewer than {summary.min_cell_size} people wrote a comment, so none are shown: "
            "in so small a group a comment could identify its writer."
        )
    return None


def method_note(summary: ModuleSummary) -> list[str]:
    """How the figures were made, in plain words."""
    n = summary.min_cell_size
    return [
        "A participant responded to a questionnaire if they answered at least one of its "
        "questions; partial (never submitted) responses are counted and their answers used.",
        "Means and percentages are over the answers given (skipped questions left out); "
        "n is the number of those answers. Means are rounded to 2 decimals and percentages "
        "to whole numbers, halves away from zero, so percentages may not add up to 100.",
        "Pre and post means use everyone who answered the item in that phase; the change "
        "uses only participants who answered it in both (matched pairs): mean change with "
        f"a 95% t confidence interval, {WILCOXON_METHOD_NOTE}, and the matched-pairs "
        "rank-biserial correlation r (−1 to +1; positive means ratings rose).",
        f"Groups of fewer than {n} people are shown as <{n} (fewer than {n}); where that "
        "would let a hidden group be worked out from the total, another group is hidden "
        "too ('not shown'). When an item's improved, same or declined count is hidden, "
        "its test and effect size are not shown, nor its mean change or means when they "
        "would reveal the count; a rating distribution hides another group where the "
        f"item's mean would give a hidden one away. Means over fewer than {n} answers are "
        f"shown as '{TOO_FEW}'.",
        f"Typed comments are quoted as written, and only when at least {n} people commented.",
        "Sector and role are asked once per participant and counted once.",
    ]


@dataclass(frozen=True)
class ChangeCells:
    """An item's paired change as its table shows it, disclosed the one way every output
    does: a hidden improved/same/declined count could be read back from r, p or the
    interval, and sometimes from the change itself, so those are then "not shown"."""

    change: str
    interval: str | None  # "+0.32 to +0.84", when the change and its test are shown
    p: str  # "< 0.001", "0.014", with the Wilcoxon method in `method`
    method: str | None
    effect: str


def change_cells(item: ItemChange) -> ChangeCells:
    stats = item.stats
    if stats is None:
        return ChangeCells(TOO_FEW, None, TOO_FEW, None, TOO_FEW)
    if not item.change_shown:
        return ChangeCells(NOT_SHOWN, None, NOT_SHOWN, None, NOT_SHOWN)
    change = fmt_signed(stats.mean_change)
    if not item.test_shown:
        return ChangeCells(change, None, NOT_SHOWN, None, NOT_SHOWN)
    interval = (
        f"{fmt_signed(stats.ci_low)} to {fmt_signed(stats.ci_high)}"
        if stats.ci_low is not None and stats.ci_high is not None
        else None
    )
    if stats.p_value is None:
        return ChangeCells(
            change, interval, "no change", None, effect_text(item).removeprefix("= ")
        )
    p = fmt_p(stats.p_value).removeprefix("= ")
    return ChangeCells(change, interval, p, stats.method, effect_text(item).removeprefix("= "))
