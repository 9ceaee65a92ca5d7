"""`feedback-bot demo`: the whole product offline, its figures matching its own exports."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from module_data import ITEM_LABELS, module_rows, own_report
from scipy import stats

from cli.demo_files import MODULE_REPORT_FILE, WRITES, DemoFolder, DemoRefused, prepare
from cli.main import main
from core.storage import prepare_file

pytestmark = pytest.mark.e2e

ITEMS = {
    "conf_support": "Confidence supporting families in the risk support group",
    "conf_explain": "Confidence explaining risk support to a third party",
    "thrive_knowledge": "Knowledge of the THRIVE framework",
}


def mean_text(values: list[int]) -> str:
    exact = Decimal(sum(values)) / Decimal(len(values))
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def signed(value: float) -> str:
    text = str(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return (
        "0.00"
        if text in ("0.00", "-0.00")
        else text.replace("-", "−")
        if text[0] == "-"
        else "+" + text
    )


def interval_and_effect(pre: list[int], post: list[int]) -> tuple[str, str]:
    """The 95% interval and rank-biserial r of matched pairs, as the channel prints them."""
    diff = np.array(post) - np.array(pre)
    if np.all(diff == diff[0]):
        low = high = float(diff.mean())
    else:
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        low, high = diff.mean() - half, diff.mean() + half
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    return (
        f"(95% CI {signed(low)} to {signed(high)})",
        f"r = {signed((plus - minus) / (plus + minus))}",
    )


def demo(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> str:
    """Run `feedback-bot demo` into `out` (it must succeed); what it printed."""
    assert main(["demo", *args, "--out", str(out)]) == 0
    return capsys.readouterr().out


def test_demo_runs_offline_and_its_summary_matches_the_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    printed = demo(capsys, out, "--participants", "12", "--seed", "7")
    assert "The facilitators' channel received" in printed
    assert "Evaluation summary" in printed
    channel = (out / "channel.md").read_text(encoding="utf-8")
    assert channel.count("📊 Evaluation summary") == 1
    assert (out / "report-RS-DEMO-0314.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert len(list((out / "charts").glob("*.png"))) >= 3
    assert len(list((out / "transcripts").glob("*.txt"))) == 4
    assert (out / "feedback.db").exists()

    # An independent computation from the exported answers gives the channel's figures.
    rows = list(
        csv.DictReader(io.StringIO((out / "RS-DEMO-0314-answers.csv").read_text("utf-8-sig")))
    )
    assert rows and all(r["participant"].startswith("p-") for r in rows)
    relevance = [int(r["value"]) for r in rows if r["question"] == "relevance" and r["value"]]
    if len(relevance) >= 3:
        assert (
            f"Relevance to current practice: {mean_text(relevance)} (n = {len(relevance)})"
            in channel
        )
    participants = {r["participant"] for r in rows}
    assert f"Participants: {len(participants)}" in channel
    # Every item with 10 or more matched pairs carries its interval and effect size in the
    # channel's message; below that, the message says why there are none.
    tested = 0
    for question, label in ITEMS.items():
        ratings = {
            (r["participant"], r["phase"]): int(r["value"])
            for r in rows
            if r["question"] == question and r["value"]
        }
        both = sorted(p for p, phase in ratings if phase == "pre" and (p, "post") in ratings)
        line = next(line for line in channel.splitlines() if line.startswith(f"{label}: "))
        assert line.startswith(f"{label}: {len(both)} matched pairs")
        if len(both) >= 10:
            tested += 1
            interval, effect = interval_and_effect(
                [ratings[(p, "pre")] for p in both], [ratings[(p, "post")] for p in both]
            )
            assert interval in line and effect in line, (line, interval, effect)
        else:
            assert "95% CI" not in line and "r = " not in line
            assert "Tests need at least 10 people who answered both times" in channel
    assert tested  # the demo's cohort is large enough for some

    # The clock runs on to the follow-up eight weeks later and its summary, in the same
    # shape: one message, the charts, the report (now with its follow-up section).
    assert "Eight weeks later: the follow-up is pushed" in printed
    assert channel.count("📈 Follow-up summary") == 1
    later = (out / "report-RS-DEMO-0314-follow-up.html").read_text("utf-8")
    assert "Weeks later: the follow-up" in later and "Headline findings" in later
    answered = {r["participant"] for r in rows if r["phase"] == "follow_up" and r["value"]}
    assert f"Follow-up responses: {len(answered)} (" in channel
    for question, label in ITEMS.items():
        values = [
            int(r["value"])
            for r in rows
            if r["phase"] == "follow_up" and r["question"] == question and r["value"]
        ]
        shown = mean_text(values) if len(values) >= 3 else "too few responses"
        assert (
            f"{label}: " in channel and f"{shown} at the follow-up (n = {len(values)})" in channel
        )

    # The transcripts include what the bot sent on its own: the push, the reminders.
    transcripts = [p.read_text("utf-8") for p in (out / "transcripts").glob("*.txt")]
    push = "🤖 (sent by the bot on its own) 👋 Thank you for taking part in Risk Support!"
    assert any(push in text for text in transcripts)

    # Run again into the same folder: it refuses in one line rather than reuse the database.
    before = (out / "feedback.db").read_bytes()
    assert main(["demo", "--participants", "12", "--out", str(out)]) == 2
    refusal = capsys.readouterr().err.strip()
    assert len(refusal.splitlines()) == 1 and "--fresh" in refusal
    assert (out / "feedback.db").read_bytes() == before


def test_a_small_demo_says_how_many_and_leaves_one_database_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "small"
    printed = demo(capsys, out, "--participants", "2", "--seed", "5")
    assert printed.startswith("Module Feedback Bot demo: 2 simulated participants (seed 5)")
    assert "  transcripts/        2 participants' chats, tap by tap" in printed
    assert "four" not in printed
    assert len(list((out / "transcripts").glob("*.txt"))) == 2

    # The database is one file: checkpointed, nothing left in -wal or -shm files beside it.
    assert sorted(p.name for p in out.glob("feedback.db*")) == ["feedback.db"]
    # Read as it is on disk (immutable: SQLite looks at no -wal), it holds every answer the
    # export shows.
    exported = (out / "RS-DEMO-0314-answers.csv").read_text("utf-8-sig").splitlines()
    conn = sqlite3.connect(f"{(out / 'feedback.db').as_uri()}?immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM answers").fetchone() == (len(exported) - 1,)
    finally:
        conn.close()

    one = tmp_path / "one"
    printed = demo(capsys, one, "--participants", "1", "--seed", "5")
    assert printed.startswith("Module Feedback Bot demo: 1 simulated participant (seed 5)")
    assert "  transcripts/        one participant's chat, tap by tap" in printed
    assert sorted(p.name for p in one.glob("feedback.db*")) == ["feedback.db"]


def checksums(folder: Path) -> dict[str, str]:
    """Every file under `folder` by its relative path, with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_fresh_deletes_only_what_an_earlier_demo_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative --out, as people type it
    args = ["demo", "--participants", "3", "--seed", "1", "--out", "d8"]
    assert main(args) == 0
    first = checksums(tmp_path / "d8")
    assert ".feedback-bot-demo" in first and "feedback.db" in first
    # Someone keeps their own files in the demo's folder, even among its charts.
    (tmp_path / "d8" / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "d8" / "charts" / "my-chart.png").write_bytes(b"mine too")
    capsys.readouterr()

    assert main([*args, "--fresh"]) == 0
    printed = capsys.readouterr().out
    written = len([n for n in first if n.startswith(("charts/", "transcripts/")) or n in WRITES])
    assert printed.startswith(
        f"Starting fresh: deleted the earlier demo's {written} file(s) in {tmp_path / 'd8'} "
        f"and its database {tmp_path / 'd8' / 'feedback.db'}"
    )
    assert (tmp_path / "d8" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "d8" / "charts" / "my-chart.png").read_bytes() == b"mine too"
    assert (tmp_path / "d8" / "channel.md").read_text("utf-8").count("Evaluation summary") == 1

    # A file of the demo's that someone changed since: --fresh deletes nothing at all.
    (tmp_path / "d8" / "channel.md").write_text("my edits", encoding="utf-8")
    before = checksums(tmp_path / "d8")
    assert main([*args, "--fresh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"demo: --fresh refused: {tmp_path / 'd8' / 'channel.md'} changed since the demo "
        "wrote it; nothing was deleted. Move it away first, or choose another --out"
    ]
    assert checksums(tmp_path / "d8") == before


def test_demo_fresh_never_touches_a_folder_or_database_no_demo_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    (home / "work" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (home / "feedback.db").write_bytes(b"not a demo's")
    real = tmp_path / "real.db"
    prepare_file(real)  # the bot's own database: migrated, with the marks table, unmarked
    conn = sqlite3.connect(real)
    conn.execute("INSERT INTO cohorts VALUES ('RS-1', 'risk-support', 'Leeds', 'a', 'b')")
    conn.commit()
    conn.close()
    before, real_bytes = checksums(tmp_path), real.read_bytes()
    monkeypatch.chdir(home)
    cases = [
        (["--out", ".", "--fresh"], f"--fresh refused: {home} holds files that no demo wrote"),
        (["--out", str(home)], f"--out {home} already holds files that no demo wrote"),
        (
            ["--out", "new", "--db", str(real), "--fresh"],
            f"--fresh refused: {real} is not a database the demo wrote",
        ),
        (["--out", "new", "--db", str(real)], f"--db {real} already exists (a database no demo"),
        (["--out", "thesis.tex"], f"--out {home / 'thesis.tex'} is a file, not a folder"),
        (
            ["--out", "thesis.tex/demo"],
            f"cannot write into --out {home / 'thesis.tex' / 'demo'}: "
            f"{home / 'thesis.tex'} is a file, not a folder",
        ),
    ]
    for extra, words in cases:
        assert main(["demo", "--participants", "3", *extra]) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], (extra, err)
        assert checksums(tmp_path) == before and real.read_bytes() == real_bytes, extra
    assert sorted(p.name for p in home.iterdir()) == ["feedback.db", "thesis.tex", "work"]


def test_fresh_follows_no_link_out_of_the_demo_folder(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    folder = DemoFolder(tmp_path / "demo")
    folder.save()
    folder.write("channel.md", b"the demo's")
    (tmp_path / "demo" / "channel.md").unlink()
    (tmp_path / "demo" / "channel.md").symlink_to(outside)  # swapped for a link to elsewhere
    with pytest.raises(DemoRefused, match="changed since the demo wrote it"):
        prepare(tmp_path / "demo", tmp_path / "demo" / "feedback.db", True, WRITES)
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert (tmp_path / "demo" / ".feedback-bot-demo").exists()


def test_demo_with_three_cohorts_posts_the_quarterly_module_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--participants", "12", "--seed", "3", "--cohorts", "3", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Earlier runs at Leeds: RS-LDS-0117 and RS-LDS-0214" in printed
    channel = (out / "channel.md").read_text(encoding="utf-8")
    # The live cohort's summary once, then the quarter's report across all three cohorts.
    assert channel.count("📊 Evaluation summary — Risk Support, cohort RS-DEMO-0314") == 1
    quarter = "all cohorts starting from 1 January 2026 to 31 March 2026"
    assert channel.count(f"📊 Evaluation summary — Risk Support, {quarter}") == 1
    assert "The module ran 3 times at 2 sites between 17 January 2026 and 14 March 2026" in channel
    html = (out / MODULE_REPORT_FILE).read_text(encoding="utf-8")
    rows = module_rows(html)
    assert list(rows) == ["RS-LDS-0117", "RS-LDS-0214", "RS-DEMO-0314"]
    assert [rows[c]["site"] for c in rows] == ["Leeds", "Leeds", "London"]
    # The live cohort's row is what its own report (the file the channel got) says.
    own = own_report((out / "report-RS-DEMO-0314.html").read_text(encoding="utf-8"))
    for key, value in own.items():
        assert rows["RS-DEMO-0314"][key] in (value, "not shown"), key
    # The trend chart: three points per item, left to right.
    figure = re.search(r'<figure class="trend">.*?<div class="on-screen">(.*?)</div>', html, re.S)
    assert figure
    for question in ITEM_LABELS:
        group = re.search(rf'<g id="trend-trend-{question}">(.*?)</g>\s*</g>', figure[1], re.S)
        assert group
        xs = [float(x) for x in re.findall(r'<use [^>]*x="([\d.]+)"', group[1])]
        assert len(xs) == 3 and xs == sorted(xs)
