"""Headline findings in plain language: what a facilitator or commissioner reads first.

No test names, p-values or effect sizes here: those live in the before/after table and the
method section. Every figure quoted is one the summary shows elsewhere, as it is shown
there (rounded), and no direction is claimed that the table does not show.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from analysis import phrases
from analysis.released import FollowUpSummary, ItemChange, ModuleSummary
from analysis.rounding import fmt_mean, percent, round_half_away

MAX_FINDINGS = 6
ROSE, FELL, LEVEL, SPLIT = "rose", "fell", "level", "split"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def number_word(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < len(words) else str(n)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def _shown(item: ItemChange) -> bool:
    return item.pre.value is not None and item.post.value is not None


def _rounded(item: ItemChange) -> tuple[Decimal, Decimal]:
    assert item.pre.value is not None and item.post.value is not None
    return round_half_away(item.pre.value, 2), round_half_away(item.post.value, 2)


def direction(item: ItemChange) -> str:
    """Which way an item's average rating went, as the tables show it (to 2 decimals).

    SPLIT: the averages of everyone went one way and the mean change of those who
    answered both times another (or stayed at 0.00); no direction is claimed for it.
    """
    pre, post = _rounded(item)
    means = _sign(post - pre)
    if item.change is not None and _sign(round_half_away(item.change, 2)) != means:
        return SPLIT
    return {1: ROSE, -1: FELL, 0: LEVEL}[means]


def _arrow(item: ItemChange) -> str:
    assert item.pre.value is not None and item.post.value is not None
    return f"{fmt_mean(item.pre.value)} → {fmt_mean(item.post.value)}"


def _all(k: int) -> str:
    return "both items" if k == 2 else f"all {number_word(k)} items"


def _named(item: ItemChange) -> str:
    return f"{_lower_first(item.label)} ({_arrow(item)})"


def participation_finding(summary: ModuleSummary) -> str:
    pre, post = summary.phase("pre").respondents, summary.phase("post").respondents
    people = "person" if summary.participants == 1 else "people"
    text = (
        f"{summary.participants} {people} took part: {pre} answered before the module "
        f"and {post} after"
    )
    if summary.pairs >= max(summary.min_cell_size, 1):
        text += f"; {summary.pairs} answered both, so their ratings can be compared"
    elif summary.pairs:
        text += f"; {summary.pairs} answered both"
    return text + "."


def expectations_finding(summary: ModuleSummary) -> str | None:
    share = phrases.yes_share(summary)
    if share is None:
        return None
    return f"{share}% said the module met their expectations."


def means_finding(summary: ModuleSummary) -> str | None:
    parts = [
        f"{_lower_first(m.label)} {fmt_mean(m.mean.value)}"
        for m in summary.means
        if m.mean.value is not None
    ]
    if not parts:
        return None
    return f"On a scale of 1 to 5, participants rated {phrases.join_words(parts)}."


def change_finding(summary: ModuleSummary) -> str | None:
    """Which way average ratings went, true for one item or many, whichever ways they went."""
    return direction_finding(summary.changes)


BEFORE_AFTER = "from before to after"


def direction_finding(
    changes: Sequence[ItemChange], span: str = BEFORE_AFTER, same: str = "before and after"
) -> str | None:
    """Which way average ratings went between two points (`span`; `same`: the two points
    for "the same …"), true for one item or many, whichever ways they went."""
    items = [i for i in changes if _shown(i)]
    if not items:
        return None
    ways = {i.question: direction(i) for i in items}
    every = set(ways.values())
    k = len(items)

    def gap(item: ItemChange) -> Decimal:
        pre, post = _rounded(item)
        return abs(post - pre)

    if every in ({ROSE}, {FELL}):
        verb = ROSE if every == {ROSE} else FELL
        if k == 1:
            return f"The average rating of {_named(items[0])} {verb} {span}."
        most = max(gap(i) for i in items)
        tops = phrases.join_words([_named(i) for i in items if gap(i) == most])
        return f"Average ratings {verb} {span} on {_all(k)}, most in {tops}."
    if every == {LEVEL}:
        if k == 1:
            return f"The average rating of {_named(items[0])} was the same {same}."
        return f"Average ratings were the same {same} on {_all(k)}."
    clauses = []
    for way, words in (
        (ROSE, "rose on"),
        (FELL, "fell on"),
        (LEVEL, "stayed the same on"),
        (SPLIT, "went one way for everyone and another for those who answered both times on"),
    ):
        group = [i for i in items if ways[i.question] == way]
        if group:
            named = "; ".join(_named(i) for i in group)
            clauses.append(f"{words} {number_word(len(group))} ({named})")
    if k == 1:  # one item whose averages and mean change disagree
        return (
            f"The average rating of {_named(items[0])} went one way for everyone and "
            "another for those who answered both times."
        )
    # The module's own sentence says no span: before and after is what it is about.
    between = "" if span == BEFORE_AFTER else f" {span}"
    return f"Of the {number_word(k)} items, average ratings{between} {phrases.join_words(clauses)}."


def profile_finding(summary: ModuleSummary) -> str | None:
    """The largest group by each profile question, as the seed report names them."""
    parts: list[str] = []
    for found in summary.profiles:
        top = phrases.largest(found)
        if not top:
            continue
        share = f"{percent(top[0].count, found.n)}%"
        noun = found.label.lower()
        if len(top) == 1:
            name, each = top[0].labels[0], ""
        else:
            name, each = phrases.join_words([p.labels[0] for p in top]), " each"
            noun = noun + ("es" if noun.endswith(("s", "x")) else "s")
        verb = "were" if len(top) > 1 else "was"
        if parts:
            parts.append(f"the largest {noun} {name} ({share}{each})")
        else:
            parts.append(f"The largest {noun} {verb} {name} ({share} of participants{each})")
    if not parts:
        return None
    return ", and ".join(parts) + "."


def site_finding(summary: ModuleSummary) -> str | None:
    sites = summary.scope.sites
    runs = len(summary.scope.cohorts)
    if len(sites) < 2 and runs < 2:
        return None
    where = f"at {len(sites)} sites ({', '.join(sites)})" if len(sites) > 1 else f"at {sites[0]}"
    how = "side by side and over time" if runs > 1 else "side by side"
    return f"The module ran {runs} times {where}; the report compares them {how}."


def trend_finding(summary: ModuleSummary) -> str | None:
    """What the trend test found, when the module ran often enough to test one."""
    tested = [t for t in summary.trends if t.test is not None]
    if not tested:
        return None
    clear = [t for t in tested if t.test is not None and t.test.clear]
    k = max(t.test.cohorts for t in tested if t.test is not None)
    if not clear:
        items = "the item's" if len(tested) == 1 else "no item's"
        verb = "did not show" if len(tested) == 1 else "showed"
        return f"Over {k} cohorts, {items} mean change {verb} a clear trend up or down."
    parts = []
    for way, verb in ((True, "rose"), (False, "fell")):
        group = [t for t in clear if t.test is not None and (t.test.change > 0) == way]
        if group:
            named = phrases.join_words([_lower_first(t.label) for t in group])
            parts.append(f"in {named} {verb}")
    return f"Over {k} cohorts, the mean change {' and '.join(parts)} from cohort to cohort."


def thin_finding(summary: ModuleSummary) -> str | None:
    """Says plainly why no before/after ratings can be reported, when none can."""
    if not summary.changes or any(_shown(i) for i in summary.changes):
        return None
    before = all(i.pre.value is None for i in summary.changes)
    after = all(i.post.value is None for i in summary.changes)
    when = "before and after" if before and after else "before" if before else "after"
    if not (before or after):
        when = "before or after"
    return (
        f"Too few people rated the items {when} the module (fewer than "
        f"{summary.min_cell_size} for each item) to report how their ratings changed."
    )


def headline_findings(summary: ModuleSummary) -> list[str]:
    """Three to six plain-language sentences, most important first."""
    found = [
        expectations_finding(summary),
        change_finding(summary),
        trend_finding(summary),
        thin_finding(summary),
        means_finding(summary),
        participation_finding(summary),
        site_finding(summary),
        profile_finding(summary),
    ]
    return [f for f in found if f][:MAX_FINDINGS]


def follow_up_findings(summary: FollowUpSummary) -> list[str]:
    """The follow-up's findings in plain words: did people use it, was the gain kept, how
    far from where they started, what helped and what got in the way, who answered."""
    used = None
    share = summary.used_share()
    if share is not None:
        used = f"{share}% said they have used it in practice since the module."
    kept = direction_finding(
        [i.kept for i in summary.items if i.kept is not None],
        "from just after the module to the follow-up",
        "just after the module and at the follow-up",
    )
    since = direction_finding(
        [i.since_before for i in summary.items if i.since_before is not None],
        "from before the module to the follow-up",
        "before the module and at the follow-up",
    )
    named = []
    for found in summary.choices:
        top = phrases.largest(found)
        if len(top) == 1:
            part = top[0]
            named.append(
                f"{found.label}, most often named: {part.labels[0]} ({part.count} of {found.n})."
            )
    answered = (
        f"{summary.respondents} of the {summary.asked} asked answered the follow-up "
        f"({phrases.rate_text(summary.respondents, summary.asked)})."
        if summary.asked
        else f"{summary.respondents} answered the follow-up."
    )
    sentences = [used, kept, since, *named, answered]
    return [f for f in sentences if f][:MAX_FINDINGS]
