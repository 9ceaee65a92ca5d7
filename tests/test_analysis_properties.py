"""Property tests: shares add up, suppression never reveals a count, exports round-trip."""

from __future__ import annotations

import asyncio
import re
import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.compute import breakdown
from analysis.exports import csv_bytes, load_long
from analysis.importer import parse_answers, write_answers
from analysis.render_telegram import split_message
from analysis.rounding import percent
from analysis.suppress import hidden_cells
from core.config import load_config

QUESTIONNAIRES = Path(__file__).parent.parent / "core" / "data" / "questionnaires"
counts_strategy = st.lists(st.integers(0, 60), min_size=1, max_size=7)


@given(counts_strategy)
def test_percentages_add_up(counts: list[int]) -> None:
    total = sum(counts)
    if total == 0:
        return
    shares = [percent(c, total) for c in counts]
    # Each share is within half a point of the exact one, so their sum is within
    # half a point per group of 100.
    for count, share in zip(counts, shares, strict=True):
        assert abs(Fraction(100 * count, total) - share) <= Fraction(1, 2)
    assert abs(sum(shares) - 100) <= len(counts) / 2


@given(counts_strategy, st.integers(2, 10))
def test_suppression_never_reveals_a_hidden_count(counts: list[int], min_size: int) -> None:
    hidden = hidden_cells(counts, min_size)
    assert all(h for c, h in zip(counts, hidden, strict=True) if c < min_size)
    # An attacker knows the total, the shown cells, and that a cell shown as "<N" is
    # below N. Every hidden cell must have at least two possible values.
    if not any(hidden) or all(hidden):
        return  # all hidden: only the total is known, which the summary shows anyway
    total = sum(counts)
    hidden_total = total - sum(c for c, h in zip(counts, hidden, strict=True) if not h)
    hidden_idx = [i for i, h in enumerate(hidden) if h]
    ranges = [
        (0, min_size - 1) if counts[i] < min_size else (min_size, hidden_total) for i in hidden_idx
    ]
    for k, (lo, hi) in enumerate(ranges):
        others = [r for j, r in enumerate(ranges) if j != k]
        # Sums of whole numbers drawn from intervals fill the interval of their sums.
        low, high = sum(r[0] for r in others), sum(r[1] for r in others)
        possible = [v for v in range(lo, hi + 1) if low <= hidden_total - v <= high]
        assert len(possible) >= 2, (counts, hidden, k, possible)


@given(counts_strategy, st.integers(1, 5))
def test_breakdown_keeps_totals(counts: list[int], min_size: int) -> None:
    result = breakdown("q", "Q", [str(i) for i in range(len(counts))], counts, min_size)
    assert result.n == sum(counts)
    assert [c.count for c in result.cells] == counts


@given(
    st.lists(
        st.sampled_from(
            [
                "plain text ",
                "<b>bold</b> ",
                "a &amp; b ",
                "\n",
                "<i>long italic " + "x" * 50 + "</i>",
                "&lt;3 ",
            ]
        ),
        max_size=300,
    ),
    st.integers(60, 500),
)
def test_split_message_never_cuts_a_tag(parts: list[str], limit: int) -> None:
    html = "".join(parts)
    messages = split_message(html, limit)
    for message in messages:
        assert len(message) <= limit
        # No cut tag or entity: every '<' starts a whole tag, every '&' a whole entity.
        assert not re.search(r"<(?![/a-z][^<>]*>)", message)
        assert not re.search(r"&(?!(amp|lt|gt);)", message)
        # Balanced: each opened tag is closed within the same message.
        assert message.count("<b>") == message.count("</b>")
        assert message.count("<i>") == message.count("</i>")
    text = re.sub(r"<[^>]+>|\s", "", html)
    assert re.sub(r"<[^>]+>|\s", "", "".join(messages)) == text


CONFIG = """
[bot]
database = "{db}"
[[modules]]
id = "risk-support"
questionnaire = "{q}"
[[cohorts]]
code = "RS-P"
module = "risk-support"
site = "London"
start = 2026-03-14T09:30:00
end = 2026-03-14T16:30:00
"""

answer_strategy = st.fixed_dictionaries(
    {},
    optional={
        "pre.sector": st.sampled_from(["Education", "Other", ""]),
        "pre.conf_support": st.sampled_from(["1", "2", "3", "4", "5", ""]),
        "post.conf_support": st.sampled_from(["1", "5", ""]),
        "post.met_expectations": st.sampled_from(["Yes", "No", "Partly"]),
        "post.comment": st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
            min_size=1,
            max_size=30,
        ).filter(lambda t: t.strip() == t and t),
        "post.relevance": st.sampled_from(["3", "4"]),
    },
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text("abcXYZ-_ 09", min_size=1, max_size=6).map(str.strip).filter(bool),
        answer_strategy,
        max_size=6,
    )
)
def test_export_import_export_is_identical(people: dict[str, dict[str, str]]) -> None:
    if not any(people.values()):
        return
    with tempfile.TemporaryDirectory() as folder:
        exports = []
        for name in ("one", "two"):
            config_path = Path(folder) / f"{name}.toml"
            db = Path(folder) / f"{name}.db"
            config_path.write_text(CONFIG.format(db=db, q=QUESTIONNAIRES / "risk-support.toml"))
            config = load_config(config_path)
            if name == "one":
                rows = [
                    [p, "RS-P", key.split(".")[0], key.split(".")[1], value, ""]
                    for p, answers in people.items()
                    for key, value in answers.items()
                ]
                text = _csv(rows)
            else:
                text = exports[0].decode("utf-8-sig")
            plan = parse_answers(text, config)
            assert not plan.problems, plan.problems
            asyncio.run(write_answers(config, plan.answers))
            module = config.modules["risk-support"]
            exports.append(csv_bytes(load_long(db, module, ["RS-P"])))
        assert exports[0] == exports[1]


def _csv(rows: list[list[str]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "cohort", "phase", "question", "value", "answered_at"])
    writer.writerows(rows)
    return buffer.getvalue()
