"""The follow-up summary's figures against a computation of our own on the export.

Random cohorts (a handful of people to a hundred and fifty, skips, everyone rating alike)
are imported through `feedback-bot import`'s path, including follow-up answers. The
follow-up summary is computed and rendered as the channel receives it; then the answers
are exported, and the shares, the three-point means and the paired changes with their
intervals are computed here from that CSV alone, with numpy and scipy, and looked for in
the message. What the disclosure policy holds back is checked to be held back for a
reason the policy gives, and to be absent from the message.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import random
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.exports import csv_bytes, load_long
from analysis.importer import parse_answers, write_answers
from analysis.render_telegram import render_follow_up_telegram
from analysis.scope import resolve_scope
from analysis.summary import compute_follow_up, compute_summary
from core.config import load_config
from report_data import FOLLOW_UP_CODE as CODE
from report_data import START, USED, exported, follow_up_csv
from sim.config import CohortSpec, config_toml

M = 3  # the config's min_cell_size
TESTS = 10  # its min_pairs_for_tests


def fmt(value: float, signed: bool = False) -> str:
    text = str(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    text = "0.00" if text == "-0.00" else text
    if not signed or text == "0.00":
        return text
    return "−" + text[1:] if text.startswith("-") else "+" + text


def whole(value: float) -> int:
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("seed", "people", "alike"),
    [(1, 4, False), (2, 12, False), (3, 25, False), (4, 40, True), (5, 60, False), (6, 150, False)],
)
def test_follow_up_figures_equal_our_own_on_the_export(
    tmp_path: Path, seed: int, people: int, alike: bool
) -> None:
    text = config_toml(
        [CohortSpec(CODE, START, START + timedelta(hours=8))],
        analysis={"min_cell_size": M, "min_pairs_for_tests": TESTS},
        database=tmp_path / "feedback.db",
        timezone="UTC",
    )
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "config.toml")
    plan = parse_answers(follow_up_csv(random.Random(seed), people, alike), config)
    assert not plan.problems, plan.problems
    asyncio.run(write_answers(config, plan.answers))
    scope = resolve_scope(config, cohort=CODE)
    summary = compute_follow_up(config, scope)
    module = config.modules["risk-support"]
    export = csv_bytes(load_long(config.bot.database, module, scope.codes))
    rows = list(csv.DictReader(io.StringIO(export.decode("utf-8-sig"))))
    given = {(r["participant"], r["phase"], r["question"]): r["value"] for r in rows if r["value"]}
    everyone = sorted({r["participant"] for r in rows})
    later = {p for (p, phase, _), _v in given.items() if phase == "follow_up"}
    if not later:
        assert summary is None
        return
    assert summary is not None
    message = render_follow_up_telegram(summary)

    # Who was asked (imported: who submitted post) and who answered.
    asked = {r["participant"] for r in rows if r["phase"] == "post"} | later
    rate = whole(100 * len(later) / len(asked))
    assert f"Asked: {len(asked)} " in message
    assert f"Follow-up responses: {len(later)} ({rate}% of those asked" in message

    # The share who used it in practice: shown whenever its count and the rest's are not
    # small, and then equal to ours; held back only when one of the options is small.
    used = [
        v for (p, phase, q), v in given.items() if phase == "follow_up" and q == "used_in_practice"
    ]
    counts = [used.count(option) for option in USED]
    yes = counts[0] + counts[1]
    share = summary.used_share()
    if all(c == 0 or c >= M for c in counts):
        assert share is not None
    if share is not None:
        assert share == whole(100 * yes / len(used))
        assert (
            f"{share}% have used it in practice since the module ({yes} of {len(used)}" in message
        )
    else:
        assert any(1 <= c < M for c in counts)
        assert "have used it in practice since the module (" not in message

    for question in summary.items:
        qid = question.question
        # Each point's mean over everyone who answered then, with its n.
        for phase, word in (
            ("pre", "before"),
            ("post", "after"),
            ("follow_up", "at the follow-up"),
        ):
            values = [int(given[p, phase, qid]) for p in everyone if (p, phase, qid) in given]
            shown = (
                f"{fmt(np.mean(values))} {word}"
                if len(values) >= M
                else f"too few responses {word}"
            )
            assert f"{shown} (n = {len(values)})" in message, (qid, phase)
        # The paired changes to the follow-up, with their intervals from enough pairs.
        for start, span in (("post", "after the module"), ("pre", "before the module")):
            pairs = [
                (int(given[p, start, qid]), int(given[p, "follow_up", qid]))
                for p in everyone
                if (p, start, qid) in given and (p, "follow_up", qid) in given
            ]
            head = f"{question.label}, {span} → follow-up: {len(pairs)} matched pairs"
            if len(pairs) < M:
                assert f"{head}, too few for a mean change." in message
                continue
            diff = np.array([b - a for a, b in pairs], dtype=float)
            line = f"{head}, mean change {fmt(diff.mean(), True)}"
            if len(pairs) < TESTS:
                assert f"{line}; too few pairs for an interval" in message
                continue
            if diff.std() == 0:
                low = high = diff.mean()
            else:
                half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff))
                low, high = diff.mean() - half, diff.mean() + half
            assert f"{line} (95% CI {fmt(low, True)} to {fmt(high, True)})" in message

    # The module's own summary is not changed by the follow-up's answers.
    module_summary = compute_summary(config, scope)
    assert module_summary.participants == len(everyone)
    assert module_summary.phase("post").respondents == len(
        {p for (p, phase, _), _v in given.items() if phase == "post"}
    )


def test_report_exports_and_import_carry_the_follow_up(tmp_path: Path) -> None:
    """report.html gains its follow-up section once there are follow-up answers; the
    exports carry the phase (the codebook lists it) and import reads them back as written."""
    from openpyxl import load_workbook

    from cli.main import main

    def config_at(folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        text = config_toml(
            [CohortSpec(CODE, START, START + timedelta(hours=8))],
            database=folder / "feedback.db",
            timezone="UTC",
        )
        (folder / "config.toml").write_text(text, encoding="utf-8")
        return folder / "config.toml"

    config = config_at(tmp_path / "bot")
    answers = follow_up_csv(random.Random(9), 30, False)
    day = "\n".join(line for line in answers.splitlines() if ",follow_up," not in line) + "\n"
    (tmp_path / "day.csv").write_text(day, encoding="utf-8")
    (tmp_path / "all.csv").write_text(answers, encoding="utf-8")
    report = tmp_path / "report"

    assert main(["import", "--config", str(config), str(tmp_path / "day.csv")]) == 0
    assert main(["report", "--config", str(config), "--cohort", CODE, "--out", str(report)]) == 0
    html = (report / "report.html").read_text("utf-8")
    assert "Weeks later" not in html and 'id="follow-up"' not in html
    assert not (report / "follow-up-telegram.html").exists()

    assert main(["import", "--config", str(config), str(tmp_path / "all.csv")]) == 0
    command = ["report", "--config", str(config), "--cohort", CODE, "--out", str(report)]
    assert main([*command, "--force"]) == 0
    html = (report / "report.html").read_text("utf-8")
    assert '<h2 id="follow-up-h">Weeks later: the follow-up</h2>' in html
    assert "Weeks later (" in html  # its findings among the headline findings
    assert "## Weeks later: the follow-up" in (report / "report.md").read_text("utf-8")
    assert "Follow-up summary" in (report / "follow-up-telegram.html").read_text("utf-8")
    assert (report / "follow-up-points.png").exists()

    book = load_workbook(report / "answers.xlsx", read_only=True)
    codebook = [row for row in book["codebook"].iter_rows(values_only=True)]
    assert codebook_row(codebook, "follow_up_conf_support")[:3] == (
        "follow_up_conf_support",
        "conf_support",
        "follow_up",
    )
    assert codebook_row(codebook, "follow_up_conf_support")[8] == "yes"  # compared
    assert codebook_row(codebook, "follow_up_used_in_practice")[8] == "no"
    header = next(book["by participant"].iter_rows(values_only=True))
    assert "follow_up_used_in_practice" in header and "follow_up_thrive_knowledge" in header
    sections = {row[0] for row in book["summary"].iter_rows(values_only=True)}
    assert {"follow-up", "follow-up: three points", "follow-up: after → follow-up"} <= sections

    # Export → import into a new database → export: the same file, follow-up and all.
    first = exported(config, CODE, tmp_path / "first.csv")
    assert ",follow_up,used_in_practice," in first.read_text("utf-8-sig")
    other = config_at(tmp_path / "other")
    assert main(["import", "--config", str(other), str(first)]) == 0
    second = exported(other, CODE, tmp_path / "second.csv")
    assert second.read_bytes() == first.read_bytes()


def codebook_row(rows: list[tuple[object, ...]], column: str) -> tuple[object, ...]:
    return next(row for row in rows if row[0] == column)


def test_the_module_report_gives_each_cohorts_follow_up_as_its_own_report(
    tmp_path: Path,
) -> None:
    """Follow-up outcomes where they exist: one row per cohort with follow-up answers, in
    date order, each equal to the cohort's own follow-up summary; none for the others."""
    from html import escape

    from analysis.phrases import follow_up_row
    from cli.main import main

    codes = {"RS-A": (0, "Leeds", True), "RS-B": (30, "York", False), "RS-C": (60, "Leeds", True)}
    specs = [
        CohortSpec(code, START + timedelta(days=d), START + timedelta(days=d, hours=8), site=site)
        for code, (d, site, _) in codes.items()
    ]
    text = config_toml(specs, database=tmp_path / "feedback.db", timezone="UTC")
    config_path = tmp_path / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    rng = random.Random(11)
    for code, (_, _, later) in codes.items():
        (tmp_path / f"{code}.csv").write_text(
            follow_up_csv(rng, 40, False, code=code, follow_up=later), encoding="utf-8"
        )
        assert main(["import", "--config", str(config_path), str(tmp_path / f"{code}.csv")]) == 0
    out = tmp_path / "module"
    command = ["report", "--config", str(config_path), "--module", "risk-support"]
    assert main([*command, "--out", str(out)]) == 0
    html = (out / "report.html").read_text("utf-8")
    markdown = (out / "report.md").read_text("utf-8")
    section = html[html.index('id="follow-ups-h"') :]
    section = section[: section.index("</table>")]
    config = load_config(config_path)
    rows = []
    for code in codes:
        own = compute_follow_up(config, resolve_scope(config, cohort=code))
        if not codes[code][2]:
            assert own is None and code not in section
            continue
        assert own is not None
        row = follow_up_row(own)
        rows.append(row)
        cells = [str(row.asked), row.responded, row.used, *row.kept]
        found = section[section.index(f'<span class="code">{code}</span>') :]
        found = found[: found.index("</tr>")]
        assert re.findall(r"<td[^>]*>(.*?)</td>", found) == [escape(c) for c in cells]
        assert f"| {code} ({row.day}) | " + " | ".join(cells) + " |" in markdown
    assert [r.cohort for r in rows] == ["RS-A", "RS-C"]  # date order
