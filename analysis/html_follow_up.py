"""The report's follow-up section, weeks after the module (pure: summary → HTML).

Who answered, who used it in practice, what helped and what got in the way, each item at
the three points it was asked, and the changes to the follow-up.
"""

from __future__ import annotations

from analysis import html_parts, phrases
from analysis.html_parts import EmbeddedChart, esc
from analysis.released import FollowUpSummary


def follow_up_section(summary: FollowUpSummary, charts: dict[str, EmbeddedChart]) -> str:
    """Weeks later: who answered, who used it in practice, what helped and what got in the
    way, each item at three points and the changes to the follow-up."""
    n = summary.min_cell_size
    total = summary.asked
    rows = [
        ["Asked", str(total), "–", "–"],
        [
            "Responded",
            str(summary.respondents),
            html_parts.share(summary.respondents, total),
            str(summary.partial),
        ],
    ]
    out = [
        '<section id="follow-up" aria-labelledby="follow-up-h">',
        html_parts.keep(
            '<h2 id="follow-up-h">Weeks later: the follow-up</h2>',
            "<p>Some weeks after the module, everyone who had submitted the post-module "
            "questionnaire and had not opted out was asked once more: whether they have used "
            "it in practice, what helped and what got in the way, and the same ratings "
            "again.</p>",
            html_parts.table(
                "Follow-up responses",
                ["", "People", "% of those asked", "Partial"],
                rows,
            ),
            html_parts.note(phrases.ASKED_NOTE),
        ),
    ]
    sentence = phrases.used_sentence(summary)
    if summary.used is not None and sentence is not None:
        found = summary.used
        figure = html_parts.figure(charts.get("follow-up-used-in-practice"), found.label + ".")
        intro = f"<h3>Used in practice</h3><p>{esc(sentence)}</p>"
        out.append(html_parts.breakdown_block(intro, found, n, esc(found.label), figure))
    for found in summary.choices:
        top = phrases.largest(found)
        said = (
            f"<p>Named most often: {esc(top[0].labels[0])} ({top[0].count} of {found.n}).</p>"
            if len(top) == 1
            else ""
        )
        name = f"follow-up-{found.question.replace('_', '-')}"
        figure = html_parts.figure(charts.get(name), found.label + ".")
        intro = f"<h3>{esc(found.label)}</h3>{said}"
        out.append(html_parts.breakdown_block(intro, found, n, esc(found.label), figure))
    if summary.items:
        out.append(_three_points(summary, charts.get("follow-up-points")))
    if summary.comments_hidden:
        out.append(
            f'<p class="note">Fewer than {n} people wrote a comment at the follow-up, so '
            "none are shown: in so small a group a comment could identify its writer.</p>"
        )
    elif summary.comments:
        quotes = "".join(f"<blockquote><p>{esc(c.text)}</p></blockquote>" for c in summary.comments)
        out.append(
            f"<h3>Comments at the follow-up ({len(summary.comments)})</h3>"
            f'<p class="note">As participants typed them.</p>{quotes}'
        )
    out.append("</section>")
    return "".join(out)


def _three_points(summary: FollowUpSummary, chart: EmbeddedChart | None) -> str:
    """Each item's means at the points it was asked, and its changes to the follow-up."""
    means = []
    for item in summary.items:
        cells = [
            html_parts.mean_cell(mean) if (mean := item.point(phase)) is not None else "not asked"
            for phase in ("pre", "post", "follow_up")
        ]
        means.append([esc(item.label), *cells])
    table = html_parts.table(
        "Mean ratings before, after and weeks after the module (1 = low, 5 = high)",
        ["Item", "Before: mean (n)", "After: mean (n)", "Follow-up: mean (n)"],
        means,
    )
    changes = []
    for span, change in phrases.follow_up_changes(summary):
        cell, p, r = html_parts.change_cells(change)
        direction = esc(phrases.direction_cell(change, summary.min_cell_size))
        changes.append(
            [f"{esc(change.label)}<br>({esc(span)})", str(change.pairs), cell, direction, p, r]
        )
    paired = html_parts.table(
        "Changes to the follow-up, over the people who answered at both points (matched pairs)",
        [
            "Item (points compared)",
            "Pairs",
            "Mean change (95% CI)",
            "Higher / same / lower",
            "p (Wilcoxon)",
            "Effect size r",
        ],
        changes,
    )
    note = html_parts.note(phrases.follow_up_tests_note(summary))
    figure = html_parts.figure(
        chart, "Mean ratings before, after and weeks after the module; the bars start at 1."
    )
    return (
        html_parts.keep(
            "<h3>Before, after and weeks after</h3>",
            "<p>Each item's mean at each point is over everyone who answered it then. The "
            "changes are over the people who answered at both points compared: after the "
            "module → follow-up shows whether the gain was kept, before the module → "
            "follow-up how far people have come since they started.</p>",
            table,
        )
        + figure
        + paired
        + note
    )
