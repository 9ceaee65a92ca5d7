"""Headline findings in plain language: what a facilitator or commissioner reads first.

No test names, p-values or effect sizes here: those live in the before/after table and the
method section. Every figure quoted is one the summary shows elsewhere, and a withheld or
too-small figure is left out rather than hinted at.
"""

from __future__ import annotations

from analysis.compute import ItemChange, ModuleSummary
from analysis.rounding import fmt_mean, percent

MAX_FINDINGS = 6


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _number_word(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < len(words) else str(n)


def _shown(item: ItemChange) -> bool:
    return not item.pre.too_few and not item.post.too_few and item.pre.n > 0 and item.post.n > 0


def _arrow(item: ItemChange) -> str:
    pre, post = item.pre.value, item.post.value
    assert pre is not None and post is not None
    return f"{fmt_mean(pre)} → {fmt_mean(post)}"


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
    found = summary.expectations
    if found is None or found.n < summary.min_cell_size:
        return None
    yes = found.cell("Yes")
    if yes is None or yes.hidden:
        return None
    return f"{percent(yes.count, found.n)}% said the module met their expectations."


def means_finding(summary: ModuleSummary) -> str | None:
    parts = []
    for mean in summary.means:
        value = mean.mean.value
        if mean.mean.too_few or value is None:
            continue
        parts.append(f"{_lower_first(mean.label)} {fmt_mean(value)}")
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"On a scale of 1 to 5, participants rated {listed}."


def change_finding(summary: ModuleSummary) -> str | None:
    items = [i for i in summary.changes if _shown(i)]
    if not items:
        return None
    rose = [i for i in items if (i.post.value or 0) > (i.pre.value or 0)]
    fell = [i for i in items if (i.post.value or 0) < (i.pre.value or 0)]
    noun = "item" if len(items) == 1 else "items"
    if len(rose) == len(items):
        top = max(rose, key=lambda i: (i.post.value or 0) - (i.pre.value or 0))
        scope = "the one item asked" if len(items) == 1 else f"all {_number_word(len(items))}"
        text = f"Average ratings rose from before to after on {scope}"
        if len(items) > 1:
            text += f" {noun}, most in {_lower_first(top.label)} ({_arrow(top)})"
        else:
            text += f", {_lower_first(top.label)} ({_arrow(top)})"
        return text + "."
    if len(fell) == len(items):
        return f"Average ratings fell from before to after on all {len(items)} {noun}."
    rose_text = ", ".join(f"{_lower_first(i.label)} ({_arrow(i)})" for i in rose) or "none"
    return (
        f"Average ratings rose on {len(rose)} of {len(items)} {noun}: {rose_text}; "
        f"the rest stayed level or fell."
    )


def profile_finding(summary: ModuleSummary) -> str | None:
    """The largest group by each profile question, as the seed report names them."""
    parts: list[str] = []
    for found in summary.profiles:
        shown = [c for c in found.cells if not c.hidden and c.count > 0]
        if not shown or found.n == 0:
            continue
        top = max(shown, key=lambda c: c.count)
        share = f"{percent(top.count, found.n)}%"
        if parts:
            parts.append(f"the largest {found.label.lower()} {top.label} ({share})")
        else:
            parts.append(
                f"The largest {found.label.lower()} was {top.label} ({share} of participants)"
            )
    if not parts:
        return None
    return ", and ".join(parts) + "."


def site_finding(summary: ModuleSummary) -> str | None:
    sites = summary.scope.sites
    runs = len(summary.scope.cohorts)
    if len(sites) < 2 and runs < 2:
        return None
    where = f"at {len(sites)} sites ({', '.join(sites)})" if len(sites) > 1 else f"at {sites[0]}"
    return f"The module ran {runs} times {where}; the report compares them side by side."


def thin_finding(summary: ModuleSummary) -> str | None:
    """Says plainly why no before/after ratings can be reported, when none can."""
    if not summary.changes or any(_shown(i) for i in summary.changes):
        return None
    if all(i.stats is None for i in summary.changes):
        return (
            f"Too few people answered both before and after (fewer than "
            f"{summary.min_cell_size} for each item) to report how their ratings changed."
        )
    # Enough pairs, but the means would reveal a small group: say so, not "too few".
    return "How ratings changed from before to after is not shown, to protect small groups."


def headline_findings(summary: ModuleSummary) -> list[str]:
    """Three to six plain-language sentences, most important first."""
    found = [
        expectations_finding(summary),
        change_finding(summary),
        thin_finding(summary),
        means_finding(summary),
        participation_finding(summary),
        site_finding(summary),
        profile_finding(summary),
    ]
    return [f for f in found if f][:MAX_FINDINGS]
