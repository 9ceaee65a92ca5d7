"""Render a summary as the one Telegram message a summary posts (parse mode HTML).

Plain-language findings first; every figure, the statistics included, inside an
expandable blockquote, which a phone shows as a few lines until tapped. The message
stays within Telegram's 4096 characters; what does not fit is left to the report file
posted after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from analysis import over_time, phrases
from analysis.findings import follow_up_findings, headline_findings
from analysis.released import Comment, Comparison, FollowUpSummary, ModuleSummary
from analysis.rounding import percent

TELEGRAM_LIMIT = 4096
# Below Telegram's 4096: the limit counts UTF-16 units of the parsed text, and an emoji
# is one Python character but two UTF-16 units.
MESSAGE_BUDGET = 4000
MORE = "<i>… the full figures are in the report file below.</i>"
COMMENT_LIMIT = 20  # more than this in a chat is a wall of text; the files hold them all


def _e(text: str) -> str:
    return escape(text, quote=False)


def heading(summary: ModuleSummary) -> str:
    """The message's first line; the channel reads it as the summary's title."""
    return f"📊 <b>Evaluation summary</b> — {_e(summary.title)}, {_e(summary.scope.label)}"


def render_telegram(summary: ModuleSummary, budget: int = MESSAGE_BUDGET) -> str:
    """The summary as one Telegram HTML message of at most `budget` characters."""
    cohorts = summary.scope.cohorts
    dates = phrases.date_range(min(c.start for c in cohorts), max(c.end for c in cohorts))
    head = [heading(summary), _e(f"{', '.join(summary.scope.sites)} · {dates}"), ""]
    return _message(head, headline_findings(summary), figure_lines(summary), budget)


def _message(head: list[str], findings: list[str], figures: list[str], budget: int) -> str:
    """The head lines, the findings as bullets, then the figures in an expandable quote,
    cut to `budget` characters."""
    lines = [*head, *(f"• {_e(line)}" for line in findings)]
    text = "\n".join([*lines, "", "<b>The figures</b> (tap to expand):"]) + "\n"
    opening, closing = "<blockquote expandable>", "</blockquote>"
    details = "\n".join(figures)
    room = budget - len(text) - len(opening) - len(closing)
    if len(details) > room:
        # Cut at a line, with any tag open there closed: the quote stays valid HTML.
        kept = split_message(details, room - len(MORE) - 1)[0].split("\n")
        # A heading whose lines were all cut would promise what the message lacks.
        while kept and (not kept[-1].strip() or _HEADING.fullmatch(kept[-1])):
            kept.pop()
        details = "\n".join(kept) + "\n" + MORE
    return text + opening + details + closing


def figure_lines(summary: ModuleSummary) -> list[str]:
    """Every figure as HTML lines, most read first: the statistics come right after the
    before/after means they test, so a long module-wide summary cuts breakdowns and
    comments (which the report file holds) rather than them."""
    n = summary.min_cell_size
    out = ["<b>Who responded</b>"]
    out += [_e(line) for line in phrases.response_lines(summary)]
    # A module-wide summary is read first for what changed over the period.
    sentences = over_time.over_time_sentences(summary)
    if sentences:
        out += ["", "<b>Over time</b>", _e(" ".join(sentences))]

    sentence = phrases.expectations_sentence(summary)
    if sentence is not None and summary.expectations is not None:
        out += ["", "<b>Expectations</b>", _e(sentence)]
        if summary.expectations.n >= n:
            others = phrases.groups_sentence(summary.expectations, n, skip=("Yes",))
            if others:
                out.append(_e(f"{others[:1].upper()}{others[1:]}."))

    if summary.means:
        out += ["", "<b>Relevance and new information</b> (1–5)"]
        out += [f"{_e(m.label)}: {_e(phrases.mean_text(m.mean))}" for m in summary.means]

    if summary.changes:
        out += ["", "<b>Before and after</b> (1–5; average of everyone who answered)"]
        for item in summary.changes:
            out.append(
                f"• <b>{_e(item.label)}</b>: {_e(phrases.bare_mean(item.pre))} → "
                f"{_e(phrases.bare_mean(item.post))} "
                f"(n = {item.pre.n} pre, {item.post.n} post)"
            )
            out.append("  " + _e(phrases.direction_sentence(item, n)))
        out += ["", "<b>Statistics</b>"]
        out += [_e(line) for line in phrases.statistics_lines(summary)]
        out.append(_e(phrases.MEANS_NOTE))

    # Sites and cohorts side by side before the breakdowns: a module-wide summary is
    # read for them, and the report file holds what the budget cuts.
    for comparison in summary.comparisons:
        out += ["", *comparison_lines(comparison, n)]

    if summary.follow_ups:
        out += ["", "<b>Weeks later: the follow-up, cohort by cohort</b>"]
        for later in summary.follow_ups:
            row = phrases.follow_up_row(later)
            kept = "; ".join(
                f"{item.label[:1].lower() + item.label[1:]} {cell}"
                for item, cell in zip(later.items, row.kept, strict=True)
            )
            out.append(
                f"<b>{_e(row.cohort)}</b> ({_e(row.day)}): asked {row.asked}, responded "
                f"{_e(row.responded)}; used in practice {_e(row.used)}; after → follow-up: "
                f"{_e(kept)}"
            )

    for found in summary.profiles:
        out += ["", f"<b>Participants by {_e(found.label.lower())}</b> (n = {found.n})"]
        out.append(_e(phrases.groups_sentence(found, n) + "."))
        sentence = phrases.largest_group_sentence(found, found.label.lower())
        if sentence:
            out.append(_e(sentence))

    for found in summary.choices:
        out += ["", f"<b>{_e(found.label)}</b> (n = {found.n})"]
        out.append(_e(phrases.groups_sentence(found, n) + "."))

    if summary.comments:
        out += _comment_lines(summary.comments)
    note = phrases.comments_note(summary)
    if note:
        out += ["", "<b>Comments</b>", _e(note)]
    return out


def comparison_lines(comparison: Comparison, min_cell_size: int) -> list[str]:
    """One line per cohort or site."""
    lines = [f"<b>By {comparison.by}</b>"]

    def count(value: int | None) -> str:
        return phrases.NOT_SHOWN if value is None else str(value)

    for row in comparison.rows:
        if row.participants is None:
            lines.append(
                f"{_e(row.name)}: figures not shown, to protect a group of fewer than "
                f"{min_cell_size}"
            )
            continue
        parts = [
            f"{row.participants} participants",
            f"pre {count(row.pre)}",
            f"post {count(row.post)}",
            f"pairs {count(row.pairs)}",
        ]
        if comparison.has_yes:
            parts.append(
                "met expectations "
                + (
                    f"{percent(row.yes, row.yes_n)}% (n = {row.yes_n})"
                    if row.yes is not None and row.yes_n
                    else phrases.NOT_SHOWN
                )
            )
        for (_, label), mean in zip(comparison.means, row.means, strict=True):
            parts.append(f"{label.lower()} {phrases.mean_text(mean)}")
        for (_, label), change in zip(comparison.items, row.changes, strict=True):
            text = phrases.change_text(change)
            parts.append(f"change in {label[:1].lower() + label[1:]} {text}")
        lines.append(f"<b>{_e(row.name)}</b>: " + _e("; ".join(parts)))
    return lines


_HEADING = re.compile(r"<b>[^<]*</b>( \([^)]*\))?")
_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|[^<&]+|[<&]")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


def _comment_lines(comments: Sequence[Comment]) -> list[str]:
    """The comments as written, the first COMMENT_LIMIT of them (the report has them all)."""
    out = ["", f"<b>Comments</b> ({len(comments)}, as written)"]
    out += [f"• <i>{_e(c.text)}</i>" for c in comments[:COMMENT_LIMIT]]
    if len(comments) > COMMENT_LIMIT:
        out.append(f"… and {len(comments) - COMMENT_LIMIT} more in the report file.")
    return out


def split_message(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into messages of at most `limit` characters, at line breaks where possible.

    Tags still open at a split are closed at the end of one message and reopened at
    the start of the next, and no tag or entity is ever cut.
    """
    messages: list[str] = []
    current = ""
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) at the end of `current`

    def closing(tags: list[tuple[str, str]]) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(tags))

    def flush() -> None:
        nonlocal current
        text = current.rstrip("\n") + closing(open_tags)
        if text.strip():
            messages.append(text)
        current = "".join(tag for _, tag in open_tags)

    for line in html.split("\n"):
        piece = line + "\n"
        tags_after = _track(open_tags, piece)
        if len(current) + len(piece.rstrip("\n")) + len(closing(tags_after)) <= limit:
            current += piece
            open_tags = tags_after
            continue
        if current.strip() and current != "".join(tag for _, tag in open_tags):
            flush()
            if len(current) + len(piece.rstrip("\n")) + len(closing(tags_after)) <= limit:
                current += piece
                open_tags = tags_after
                continue
        # One line longer than a message: cut it between tokens, at a space if possible.
        for token in _tokens_split(piece, limit // 2):
            after = _track(open_tags, token)
            if len(current) + len(token.rstrip("\n")) + len(closing(after)) > limit:
                flush()
                after = _track(open_tags, token)
            current += token
            open_tags = after
    current = current.rstrip("\n")
    if current.strip() and current != "".join(tag for _, tag in open_tags):
        messages.append(current + closing(open_tags))
    return messages


def _track(open_tags: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The tags open after `text`, given those open before it."""
    tags = list(open_tags)
    for match in _TAG.finditer(text):
        closing_tag, name = match.group(1), match.group(2).lower()
        if closing_tag:
            for i in range(len(tags) - 1, -1, -1):
                if tags[i][0] == name:
                    del tags[i:]
                    break
        else:
            tags.append((name, match.group(0)))
    return tags


def _tokens_split(text: str, size: int) -> list[str]:
    """Cut text into pieces of about `size` characters without splitting tags or entities."""
    pieces: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        if token.startswith("<") or token.startswith("&"):
            units = [token]
        else:
            # Plain text may be cut anywhere; prefer word boundaries.
            units = re.findall(r"\S+\s*|\s+", token)
        for unit in units:
            while len(unit) > size:
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(unit[:size])
                unit = unit[size:]
            if len(current) + len(unit) > size and current:
                pieces.append(current)
                current = ""
            current += unit
    if current:
        pieces.append(current)
    return pieces


def follow_up_heading(summary: FollowUpSummary) -> str:
    """The follow-up message's first line; the channel reads it as its title."""
    return f"📈 <b>Follow-up summary</b> — {_e(summary.title)}, {_e(summary.scope.label)}"


def render_follow_up_telegram(summary: FollowUpSummary, budget: int = MESSAGE_BUDGET) -> str:
    """The follow-up summary as one Telegram HTML message: findings first, every figure in
    an expandable quote, within `budget` characters (the report file holds the rest)."""
    cohorts = summary.scope.cohorts
    dates = phrases.date_range(min(c.start for c in cohorts), max(c.end for c in cohorts))
    head = [
        follow_up_heading(summary),
        _e(f"{', '.join(summary.scope.sites)} · module on {dates} · asked again weeks later"),
        "",
    ]
    return _message(head, follow_up_findings(summary), follow_up_lines(summary), budget)


def follow_up_lines(summary: FollowUpSummary) -> list[str]:
    """Every figure of the follow-up as HTML lines, the three points and the changes first."""
    n = summary.min_cell_size
    out = ["<b>Who responded</b>"]
    out += [_e(line) for line in phrases.follow_up_response_lines(summary)]
    sentence = phrases.used_sentence(summary)
    if sentence is not None and summary.used is not None:
        out += ["", "<b>Used in practice</b>", _e(sentence)]
        if summary.used.n >= n:
            out.append(_e(phrases.groups_sentence(summary.used, n) + "."))
    if summary.items:
        out += ["", "<b>Three points</b> (1–5; average of everyone who answered then)"]
        out += [f"• <b>{_e(i.label)}</b>: {_e(phrases.points_text(i))}" for i in summary.items]
        out += ["", "<b>Changes to the follow-up</b> (matched pairs)"]
        out += [_e(line) for line in phrases.follow_up_statistics_lines(summary)]
    for found in summary.choices:
        out += ["", f"<b>{_e(found.label)}</b> (n = {found.n})"]
        out.append(_e(phrases.groups_sentence(found, n) + "." if found.n else "Nobody answered."))
    if summary.comments:
        out += _comment_lines(summary.comments)
    if summary.comments_hidden:
        out += [
            "",
            "<b>Comments</b>",
            _e(
                f"Fewer than {n} people wrote a comment, so none are shown: in so small a "
                "group a comment could identify its writer."
            ),
        ]
    return out
