"""The seed report's published figures, reproduced from a cohort imported for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.main import main
from report_data import SEED, write_config

DATA = Path(__file__).parent / "data"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, [SEED])


def test_seed_figures_are_reproduced(config: Path, tmp_path: Path, capsys) -> None:
    assert main(["import", "--config", str(config), str(DATA / "seed-risk-support.csv")]) == 0
    out = tmp_path / "report"
    assert main(["report", "--config", str(config), "--cohort", "RS-SEED-2017",
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    telegram = (out / "telegram.html").read_text()
    for text in (printed, report, telegram):
        assert "78% of respondents stated that the module met their expectations (n = 41)" in text
        assert "Clinician, 44% of participants (20 of 45)" in text or "Clinician 20 (44%)" in text
    assert "| Relevance to current practice | post | 4.31 (n = 42) |" in report
    assert "| Information that was new | post | 3.61 (n = 41) |" in report
    for pre, post in (("2.87", "3.60"), ("2.74", "3.57"), ("2.56", "3.67")):
        assert f"| {pre} (n = 39) | {post} (n = 42) | 36 |" in report
        assert f"{pre} → {post} (n = 39 pre, 42 post)" in telegram
    assert "| Clinician | 20 (44%) |" in report
    # Small groups: "No" (2) is given with "Partly", so neither can be subtracted; "Other"
    # with the smallest other sector.
    assert "| Partly or No (together) | 9 (22%) |" in report and "| No |" not in report
    assert "| Commissioning or Other (together) | 5 (11%) |" in report
    assert "Partly or No together: 9 (22%)." in telegram and "Great speakers &lt;3" in telegram
    # 36 pairs each: every interval, p and effect size is in every output.
    for interval, r in (("+0.32 to +0.84", "+0.78"), ("+0.70 to +1.19", "+1.00"),
                        ("+0.77 to +1.29", "+1.00")):  # fmt: skip
        assert f"(95% CI {interval})" in telegram and f"r = {r}" in telegram
        assert f"({interval}) | < 0.001 (normal approximation) | {r} |" in report
    for chart in ("before-after.png", "by-sector.png", "by-role.png", "ratings.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG")


def test_import_twice_changes_nothing_and_round_trips(config: Path, tmp_path: Path) -> None:
    source = DATA / "seed-risk-support.csv"
    assert main(["import", "--config", str(config), str(source)]) == 0
    database = tmp_path / "feedback.db"
    first_export = tmp_path / "first.csv"
    assert main(["export", "--config", str(config), "--cohort", "RS-SEED-2017",
                 "--format", "csv", "--out", str(first_export)]) == 0  # fmt: skip
    before = database.read_bytes()
    assert main(["import", "--config", str(config), str(source)]) == 0
    again = tmp_path / "again.csv"
    main(["export", "--config", str(config), "--cohort", "RS-SEED-2017", "--format", "csv",
          "--out", str(again)])  # fmt: skip
    assert again.read_bytes() == first_export.read_bytes()
    del before  # the file's bytes may differ by WAL bookkeeping; the content must not

    # Export → import into a fresh database → export: identical.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(config, fresh / "config.toml")
    assert main(["import", "--config", str(fresh / "config.toml"), str(first_export)]) == 0
    second_export = tmp_path / "second.csv"
    assert main(["export", "--config", str(fresh / "config.toml"), "--cohort", "RS-SEED-2017",
                 "--format", "csv", "--out", str(second_export)]) == 0  # fmt: skip
    assert second_export.read_bytes() == first_export.read_bytes()
    xlsx = tmp_path / "answers.xlsx"
    assert main(["export", "--config", str(config), "--module", "risk-support",
                 "--format", "xlsx", "--out", str(xlsx)]) == 0  # fmt: skip
    assert xlsx.read_bytes().startswith(b"PK")


def test_bad_rows_are_all_listed_and_nothing_imported(config: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "participant,cohort,phase,question,value,answered_at\n"
        "A,RS-SEED-2017,pre,conf_support,4,\n"
        "A,RS-NOPE,pre,conf_support,4,\n"
        "A,RS-SEED-2017,during,conf_support,4,\n"
        "A,RS-SEED-2017,pre,favourite_colour,blue,\n"
        "A,RS-SEED-2017,pre,conf_explain,6,\n"
        "A,RS-SEED-2017,pre,role,Astronaut,\n"
        "A,RS-SEED-2017,pre,conf_support,3,\n"
        "A,RS-SEED-2017,pre,relevance,3,\n"
        "A,RS-SEED-2017,pre,sector,Education,\n"
        "A,RS-SEED-2017,post,sector,Education,\n"
        "A,RS-SEED-2017,post,relevance,4,yesterday\n"
    )
    assert main(["import", "--config", str(config), str(bad)]) == 2
    err = capsys.readouterr().err
    for line, words in (
        (3, "unknown cohort 'RS-NOPE'"),
        (4, "phase 'during'"),
        (5, "unknown question 'favourite_colour'"),
        (6, "'6' is not a rating"),
        (7, "'Astronaut' is not an option"),
        (8, "duplicate answer"),
        (9, "relevance is not asked in pre"),
        (11, "profile question"),
        (12, "answered_at 'yesterday'"),
    ):
        assert f"line {line}: " in err and words in err, (line, words, err)
    assert "line 2:" not in err and "line 10:" not in err
    assert not (tmp_path / "feedback.db").exists()
