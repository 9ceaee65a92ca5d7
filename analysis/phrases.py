"""Wording shared by the Telegram, Markdown and HTML renderers: figures as a reader sees them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from analysis.released import (
    Breakdown,
    ComparisonRow,
    FollowUpSummary,
    ItemChange,
    Mean,
    ModuleSummary,
    Part,
    ThreePoints,
)
from analysis.rounding import fmt_mean, fmt_p, fmt_signed, percent
from analysis.stats import WILCOXON_METHOD_NOTE

TOO_FEW = "too few responses"
NOT_SHOWN = "not shown"
TOGETHER = "together"
NO_TEST = "–"  # an interval, p or effect size of an item with too few pairs for one
DIRECTION_WORDS = {"improved": "higher", "same": "the same", "declined": "lower"}


def join_words(words: Sequence[str], last: str = "and") -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def part_name(part: Part, words: Mapping[str, str] | None = None) -> str:
    """ "Yes", or a merged part's options: "Partly or No", "the same or lower"."""
    return join_words([(words or {}).get(label, label) for label in part.labels], "or")


def share_text(count: int, n: int) -> str:
    """ "18 (44%)"."""
    return f"{count} ({percent(count, n)}%)" if n else str(count)


def part_text(part: Part, n: int, words: Mapping[str, str] | None = None) -> str:
    """ "Yes 32 (78%)", "Partly or No together: 9 (22%)"."""
    together = f" {TOGETHER}:" if part.merged else ""
    return f"{part_name(part, words)}{together} {share_text(part.count, n)}"


def left_out_text(
    found: Breakdown, min_cell_size: int, words: Mapping[str, str] | None = None
) -> str:
    names = join_words([(words or {}).get(label, label) for label in found.labels])
    return f"{names}: not shown separately, to protect a group of fewer than {min_cell_size}"


def groups_sentence(
    found: Breakdown,
    min_cell_size: int,
    *,
    skip: Sequence[str] = (),
    words: Mapping[str, str] | None = None,
) -> str:
    """Every part of a breakdown in one sentence: "Partly 5 (12%), No 4 (10%)"."""
    if found.left_out:
        return left_out_text(found, min_cell_size, words)
    parts = [p for p in found.parts if not (len(p.labels) == 1 and p.labels[0] in skip)]
    return ", ".join(part_text(p, found.n, words) for p in parts)


def breakdown_items(found: Breakdown, min_cell_size: int) -> list[tuple[str, str]]:
    """(label, "count (percent)") per part, for a table; one row when it is left out."""
    if found.left_out:
        return [(join_words(list(found.labels), "or"), NOT_SHOWN)]
    return [
        (part_name(p) + (f" ({TOGETHER})" if p.merged else ""), share_text(p.count, found.n))
        for p in found.parts
    ]


def merging_note(found: Breakdown, min_cell_size: int) -> str | None:
    """Why a breakdown merges or leaves out groups, once under its table."""
    if found.left_out:
        return (
            f"Not shown separately: a group of fewer than {min_cell_size} could be worked "
            "out from the others."
        )
    if found.merged:
        return (
            f"Groups of fewer than {min_cell_size} are given together with another "
            "(shown as 'together'), so that none can be worked out."
        )
    return None


RATINGS_NOTE = (
    "Ratings given by fewer than {n} people are counted together with their neighbours "
    "('2–3: 5'); where even that would let a small group be worked out from the item's "
    "mean, the distribution is not shown."
)


def band_name(part: Part) -> str:
    """ "4", or a run of neighbouring ratings: "1–2"."""
    return part.labels[0] if not part.merged else f"{part.labels[0]}–{part.labels[-1]}"


def ratings_text(found: Breakdown) -> str:
    """A rating distribution in one line: "1: 0, 2–3: 5, 4: 15, 5: 10"."""
    if found.left_out:
        return f"{NOT_SHOWN} (a small group could be worked out from the mean)"
    return ", ".join(f"{band_name(p)}: {p.count}" for p in found.parts)


def mean_text(mean: Mean) -> str:
    """ "4.31 (n = 41)", "too few responses" or "not shown"."""
    if mean.value is not None:
        return f"{fmt_mean(mean.value)} (n = {mean.n})"
    return TOO_FEW if mean.n is not None else NOT_SHOWN


def bare_mean(mean: Mean) -> str:
    if mean.value is not None:
        return fmt_mean(mean.value)
    return TOO_FEW if mean.n is not None else NOT_SHOWN


def change_text(mean: Mean, unit: str = " pairs") -> str:
    """A mean change: "+0.50 (n = 4 pairs)", "too few responses" or "not shown"."""
    if mean.value is not None:
        return f"{fmt_signed(mean.value)} (n = {mean.n}{unit})"
    return TOO_FEW if mean.n is not None else NOT_SHOWN


def rate_text(count: int, total: int) -> str:
    return f"{percent(count, total)}%" if total else "–"


def row_counts(row: ComparisonRow) -> list[str]:
    """A comparison row's participants, responses before and after, and matched pairs, as
    table cells ("not shown" where hidden)."""
    counts = (row.participants, row.pre, row.post, row.pairs)
    return [NOT_SHOWN if count is None else str(count) for count in counts]


def row_met_expectations(row: ComparisonRow, with_n: bool = False) -> str:
    """The share of a comparison row who said the module met their expectations."""
    if row.yes is None or not row.yes_n:
        return NOT_SHOWN
    share = f"{percent(row.yes, row.yes_n)}%"
    return f"{share} (n = {row.yes_n})" if with_n else share


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


def yes_share(summary: ModuleSummary) -> int | None:
    """The share answering Yes to met_expectations, when its count is shown."""
    found = summary.expectations
    yes = found.count("Yes") if found is not None else None
    if found is None or yes is None or found.n < max(summary.min_cell_size, 1):
        return None
    return percent(yes, found.n)


def expectations_sentence(summary: ModuleSummary) -> str | None:
    """ "78% of respondents stated that the module met their expectations (n = 41)."""
    found = summary.expectations
    if found is None:
        return None
    if found.n < summary.min_cell_size or found.n == 0:
        return f"Met expectations: {TOO_FEW} (n = {found.n})."
    share = yes_share(summary)
    if share is None:
        return (
            "The share who stated that the module met their expectations is not shown on "
            f"its own, to protect a small group (n = {found.n})."
        )
    return f"{share}% of respondents stated that the module met their expectations (n = {found.n})."


def largest(found: Breakdown) -> list[Part]:
    """The largest option(s) shown on their own, when no merged part could hold a larger one.

    Empty when a merged part is as large: one of its options might be the largest.
    """
    alone = [p for p in found.parts if not p.merged and p.count > 0]
    if not alone or found.n == 0:
        return []
    top = max(p.count for p in alone)
    if any(p.count >= top for p in found.merged):
        return []
    return [p for p in alone if p.count == top]


def largest_group_sentence(found: Breakdown, noun: str) -> str | None:
    """ "The largest group by role: Clinician, 44% of participants (18 of 41)." """
    top = largest(found)
    if not top:
        return None
    share = percent(top[0].count, found.n)
    if len(top) == 1:
        return (
            f"The largest group by {noun}: {top[0].labels[0]}, {share}% of participants "
            f"({top[0].count} of {found.n})."
        )
    names = join_words([p.labels[0] for p in top])
    return (
        f"The largest groups by {noun}: {names}, {share}% of participants each "
        f"({top[0].count} of {found.n} each)."
    )


def direction_sentence(item: ItemChange, min_cell_size: int) -> str:
    """Who rated an item higher, the same or lower after, in plain words."""
    if item.pairs == 0:
        return "Nobody answered this both before and after."
    if item.direction is None:
        return (
            f"Only {item.pairs} answered it both before and after: too few to say how "
            "ratings changed."
        )
    groups = groups_sentence(item.direction, min_cell_size, words=DIRECTION_WORDS)
    return f"After compared with before, over the {item.pairs} who answered both times: {groups}."


def direction_cell(item: ItemChange, min_cell_size: int) -> str:
    """Who rated an item higher, the same or lower after, for a table's cell; "–" where
    too few pairs to say."""
    if item.direction is None:
        return "–"
    return groups_sentence(item.direction, min_cell_size, words=DIRECTION_WORDS)


def statistics_line(item: ItemChange, min_cell_size: int) -> str:
    """The paired change of one item with its interval, test and effect size."""
    if item.change is None:
        return f"{item.label}: {item.pairs} matched pairs, too few for a mean change."
    head = f"{item.label}: {item.pairs} matched pairs, mean change {fmt_signed(item.change)}"
    test = item.test
    if test is None:
        return f"{head}; too few pairs for an interval, test or effect size."
    if test.ci_low is not None and test.ci_high is not None:
        head += f" (95% CI {fmt_signed(test.ci_low)} to {fmt_signed(test.ci_high)})"
    if test.p_value is None or test.rank_biserial is None:
        return f"{head}; no participant's rating changed, so no test."
    return (
        f"{head}; Wilcoxon signed-rank p {fmt_p(test.p_value)} ({test.method}), "
        f"rank-biserial r = {fmt_signed(test.rank_biserial)}."
    )


def change_sentence(item: ItemChange, min_cell_size: int) -> str:
    """The paired change of one item in one sentence, with who rated it higher or lower."""
    line = statistics_line(item, min_cell_size)
    if item.direction is None:
        return line
    groups = groups_sentence(item.direction, min_cell_size, words=DIRECTION_WORDS)
    return f"{line.removesuffix('.')}; {groups}."


def tests_note(summary: ModuleSummary) -> str | None:
    """Why some items have no interval, test or effect size: once per report."""
    short = [i for i in summary.changes if i.test is None and i.pairs > 0]
    if not short:
        return None
    need = summary.pairs_for_tests
    names = join_words([i.label for i in short])
    have = "has" if len(short) == 1 else "have"
    return (
        f"Tests need at least {need} people who answered both times: {names} had fewer, "
        f"so {'it' if len(short) == 1 else 'they'} {have} no interval, p-value or effect "
        f"size ('{NO_TEST}')."
    )


def statistics_lines(summary: ModuleSummary) -> list[str]:
    """The statistics block: each paired item's change and test, then how to read them."""
    if not summary.changes:
        return []
    lines = [statistics_line(item, summary.min_cell_size) for item in summary.changes]
    note = tests_note(summary)
    if note:
        lines.append(note)
    if any(item.test is not None for item in summary.changes):
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


MEANS_NOTE = (
    "Means and percentages are over the answers given (skipped questions left out); "
    "n is the number of those answers. Means are rounded to 2 decimals and percentages "
    "to whole numbers, halves away from zero, so percentages may not add up to 100."
)


def policy_lines(summary: ModuleSummary) -> list[str]:
    """The disclosure policy in plain words, with its two settings."""
    m, tests = summary.min_cell_size, summary.pairs_for_tests
    return [
        f"Small groups: a count of 1 to {m - 1} people is never shown, nor any figure it "
        "could be worked out from (a total less the counts shown, a percentage, a chart "
        "bar). Such a group is given together with another ('Partly or No together: 9'); "
        "a breakdown is left out only where that cannot protect it. Zero may be shown. "
        "A percentage is given only with a count that is shown."
        if m > 1
        else "Small groups: every count is shown (min_cell_size = 1).",
        f"Means of at least {m} answers, and mean changes of at least {m} matched pairs, "
        "are always shown. Where a rating distribution would let a small group be worked "
        "out from the mean, neighbouring ratings are given together, or the distribution "
        "is left out; the mean stays.",
        f"An item's 95% interval, p-value and effect size are shown when it has at least "
        f"{tests} matched pairs, whatever its improved, same and declined counts, and never "
        "with fewer: they are analytical outputs released on purpose, and are not treated "
        "as revealing the improved, same or declined counts.",
        f"The settings: min_cell_size = {m} and min_pairs_for_tests = "
        f"{summary.min_pairs_for_tests} ([analysis] "
        "in the config). The answer exports (CSV and the XLSX answer sheets, for the "
        "programme team) are raw data, not subject to these rules.",
    ]


def method_note(summary: ModuleSummary) -> list[str]:
    """How the figures were made, in plain words."""
    n = summary.min_cell_size
    return [
        "A participant responded to a questionnaire if they answered at least one of its "
        "questions; partial (never submitted) responses are counted and their answers used.",
        MEANS_NOTE,
        "Pre and post means use everyone who answered the item in that phase; the change "
        "uses only participants who answered it in both (matched pairs): mean change with "
        f"a 95% t confidence interval, {WILCOXON_METHOD_NOTE}, and the matched-pairs "
        "rank-biserial correlation r (−1 to +1; positive means ratings rose).",
        *policy_lines(summary),
        f"Typed comments are quoted as written, and only when at least {n} people commented.",
        "Sector and role are asked once per participant and counted once.",
    ]


@dataclass(frozen=True)
class ChangeCells:
    """An item's paired change as its table shows it, the one way every output does."""

    change: str
    interval: str | None  # "+0.32 to +0.84", when the item has enough pairs for it
    p: str  # "< 0.001", "0.014", with the Wilcoxon method in `method`
    method: str | None
    effect: str


def change_cells(item: ItemChange) -> ChangeCells:
    if item.change is None:
        return ChangeCells(TOO_FEW, None, TOO_FEW, None, TOO_FEW)
    change = fmt_signed(item.change)
    test = item.test
    if test is None:
        return ChangeCells(change, None, NO_TEST, None, NO_TEST)
    interval = (
        f"{fmt_signed(test.ci_low)} to {fmt_signed(test.ci_high)}"
        if test.ci_low is not None and test.ci_high is not None
        else None
    )
    effect = "–" if test.rank_biserial is None else fmt_signed(test.rank_biserial)
    if test.p_value is None:
        return ChangeCells(change, interval, "no change", None, effect)
    p = fmt_p(test.p_value).removeprefix("= ")
    return ChangeCells(change, interval, p, test.method, effect)


# --- the follow-up, weeks later -----------------------------------------------------------

POINT_WORDS = {"pre": "before", "post": "after", "follow_up": "at the follow-up"}
KEPT = "after the module → follow-up"
SINCE_BEFORE = "before the module → follow-up"
ASKED_NOTE = (
    "Asked: everyone the follow-up was sent to, that is who had submitted the post-module "
    "questionnaire and had not opted out (for answers imported from paper forms: who had "
    "submitted the post-module questionnaire)."
)


def follow_up_response_lines(summary: FollowUpSummary) -> list[str]:
    """Who was asked the follow-up and who answered it, with the response rate."""
    partial = f", of which {summary.partial} partial" if summary.partial else ""
    return [
        f"Asked: {summary.asked} (who had submitted the post-module questionnaire and had "
        "not opted out)",
        f"Follow-up responses: {summary.respondents} "
        f"({rate_text(summary.respondents, summary.asked)} of those asked{partial})",
    ]


def used_sentence(summary: FollowUpSummary) -> str | None:
    """ "44% have used it in practice since the module (8 of 18)." """
    found = summary.used
    if found is None:
        return None
    if found.n < max(summary.min_cell_size, 1):
        return f"Used in practice: {TOO_FEW} (n = {found.n})."
    share = summary.used_share()
    if share is None or summary.used_count is None:
        return (
            "The share who have used it in practice is not shown on its own, to protect a "
            f"small group (n = {found.n})."
        )
    return (
        f"{share}% have used it in practice since the module "
        f"({summary.used_count} of {found.n}: {join_words(list(summary.used_labels), 'or')})."
    )


def points_text(item: ThreePoints) -> str:
    """ "2.60 before (n = 30), 3.31 after (n = 26), 4.00 at the follow-up (n = 18)"."""
    return ", ".join(
        f"{bare_mean(mean)} {POINT_WORDS[phase]} (n = {mean.n})" for phase, mean in item.points
    )


def labelled(change: ItemChange, span: str) -> ItemChange:
    """A paired change named by its item and the two points it compares."""
    return replace(change, label=f"{change.label}, {span}")


def follow_up_changes(summary: FollowUpSummary) -> list[tuple[str, ItemChange]]:
    """Every paired change to the follow-up, with the points it compares."""
    found = []
    for item in summary.items:
        for span, change in ((KEPT, item.kept), (SINCE_BEFORE, item.since_before)):
            if change is not None:
                found.append((span, change))
    return found


def follow_up_statistics_lines(summary: FollowUpSummary) -> list[str]:
    """Each item's paired changes to the follow-up, with who rated it higher, the same or
    lower, and the tests where there are enough pairs."""
    m = summary.min_cell_size
    changes = follow_up_changes(summary)
    lines = [change_sentence(labelled(c, span), m) for span, c in changes]
    note = follow_up_tests_note(summary)
    return [*lines, note] if note else lines


def follow_up_tests_note(summary: FollowUpSummary) -> str | None:
    """Why some changes to the follow-up have no interval, test or effect size: once."""
    changes = follow_up_changes(summary)
    short = [labelled(c, span).label for span, c in changes if c.test is None and c.pairs > 0]
    if not short:
        return None
    which = "every change here" if len(short) == len(changes) else join_words(short)
    return (
        f"Tests need at least {summary.pairs_for_tests} people who answered at both points: "
        f"{which} had fewer, so no interval, p-value or effect size ('{NO_TEST}')."
    )


FOLLOW_UP_METHOD = (
    "The follow-up is asked weeks after the module of those who submitted the post-module "
    "questionnaire and did not opt out. Each item's mean at each point is over everyone who "
    "answered it then (so the before and after means are the module summary's); the "
    "changes to the follow-up are over the people who answered the item at both points "
    "compared (matched pairs), with the same statistics and the same disclosure rules as "
    "the change from before to after. After → follow-up says whether the gain was kept; "
    "before → follow-up, how far people are from where they started. The share who used it "
    "in practice counts the answers beginning with 'Yes' among everyone who answered. " + ASKED_NOTE
)


@dataclass(frozen=True)
class FollowUpRow:
    """One cohort's follow-up outcomes as a module report's row shows them."""

    cohort: str
    day: str  # "14 Mar 2026": the module's day
    asked: int
    responded: str  # "18 (75%)"
    used: str  # "72% (n = 18)", "too few responses" or "not shown"
    kept: list[str]  # per tracked item: its mean change after → follow-up, with its pairs


def follow_up_row(summary: FollowUpSummary) -> FollowUpRow:
    """A cohort's follow-up outcomes as the figures of its own follow-up summary."""
    cohort = summary.scope.cohorts[0]
    share = summary.used_share()
    if summary.used is None:
        used = "–"
    elif share is not None:
        used = f"{share}% (n = {summary.used.n})"
    else:
        used = TOO_FEW if summary.used.n < summary.min_cell_size else NOT_SHOWN
    kept = []
    for item in summary.items:
        change = item.kept
        if change is None:
            kept.append("–")
            continue
        cells = change_cells(change)
        text = cells.change if change.change is None else f"{cells.change} ({change.pairs} pairs)"
        kept.append(f"{text}, 95% CI {cells.interval}" if cells.interval else text)
    return FollowUpRow(
        cohort.code,
        f"{cohort.start.day} {cohort.start:%b %Y}",
        summary.asked,
        f"{summary.respondents} ({rate_text(summary.respondents, summary.asked)})",
        used,
        kept,
    )


FOLLOW_UPS_NOTE = (
    "Weeks after each module, those who had submitted its post-module questionnaire and had "
    "not opted out were asked again. Each row is that cohort's own follow-up summary: the "
    "same figures its report gives (used in practice: the share answering Yes; the change "
    "from just after the module to the follow-up over the people who answered both times)."
)
