"""Wording shared by the Telegram and Markdown renderers: figures as a reader sees them."""

from __future__ import annotations

from datetime import datetime

from analysis.compute import Breakdown, Cell, ItemChange, Mean, ModuleSummary
from analysis.rounding import fmt_mean, fmt_p, fmt_signed, percent
from analysis.stats import WILCOXON_METHOD_NOTE

TOO_FEW = "too few responses"
WITHHELD = "withheld"


def count_text(cell: Cell, min_cell_size: int) -> str:
    """A group's size, or "<N" / "withheld" when suppressed."""
    if not cell.hidden:
        return str(cell.count)
    # A cell hidden only to protect another (complementary suppression) is not small,
    # so "<N" would be false: it is withheld instead.
    return f"<{min_cell_size}" if cell.count < min_cell_size else WITHHELD


def cell_text(cell: Cell, n: int, min_cell_size: int) -> str:
    """ "18 (44%)", or the suppressed form with no count or percentage."""
    if cell.hidden or n == 0:
        return count_text(cell, min_cell_size)
    return f"{cell.count} ({percent(cell.count, n)}%)"


def mean_text(mean: Mean) -> str:
    """ "4.31 (n = 41)" or "too few responses (n = 2)"."""
    value = mean.value
    if mean.too_few or value is None:
        return TOO_FEW
    return f"{fmt_mean(value)} (n = {mean.n})"


def bare_mean(mean: Mean) -> str:
    value = mean.value
    return TOO_FEW if mean.too_few or value is None else fmt_mean(value)


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
            "The share who stated that the module met their expectations is withheld "
            f"(small groups, n = {found.n})."
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


def change_sentence(item: ItemChange, min_cell_size: int) -> str:
    """The paired change of one item in one sentence."""
    stats = item.stats
    if stats is None:
        return f"Change over matched pairs: {TOO_FEW} (n = {item.pairs} pairs)."
    parts = [f"Change over {stats.n} matched pairs: {fmt_signed(stats.mean_change)}"]
    if stats.ci_low is not None and stats.ci_high is not None:
        parts[0] += f" (95% CI {fmt_signed(stats.ci_low)} to {fmt_signed(stats.ci_high)})"
    if stats.p_value is not None and stats.rank_biserial is not None:
        parts.append(
            f"Wilcoxon p {fmt_p(stats.p_value)} ({stats.method}), "
            f"rank-biserial r {effect_text(item)}"
        )
    else:
        parts.append("no participant's rating changed, so no test")
    direction = ", ".join(
        f"{label} {text}" for label, text in breakdown_items(item.direction, min_cell_size)
    )
    parts.append(direction)
    return "; ".join(parts) + "."


def effect_text(item: ItemChange) -> str:
    """ "= +0.78"; an r of ±1 is capped when a direction count is hidden.

    r = +1 exactly means nobody declined, which would reveal a suppressed "<N" cell.
    """
    r = item.stats.rank_biserial if item.stats else None
    if r is None:
        return "–"
    if any(c.hidden for c in item.direction.cells) and abs(r) >= 0.99:
        return "≥ +0.99" if r > 0 else "≤ −0.99"
    return "= " + fmt_signed(r)


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
        f"Groups of fewer than {n} are shown as <{n}; where that would let a hidden group "
        "be worked out from the total, the next smallest group is withheld too. Means over "
        f"fewer than {n} answers are shown as '{TOO_FEW}'.",
        "Sector and role are asked once per participant and counted once.",
    ]
