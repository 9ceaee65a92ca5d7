"""The module's report across sites and over time, through the real command line.

Cohorts go in with `feedback-bot import` (the seed cohort and random ones, at several
sites and dates); `feedback-bot report --module` and `--cohort` write the reports that
are read back here as a reader reads them, from report.html.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from module_data import (
    ITEM_LABELS,
    SEED_CODE,
    Run,
    config_for,
    module_rows,
    own_report,
    random_rows,
    seed_rows,
    tables,
    write_answers_csv,
)

from cli.main import main

MODULE = "risk-support"


def report(config: Path, out: Path, *scope: str) -> str:
    assert main(["report", "--config", str(config), *scope, "--out", str(out)]) == 0
    return (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Run]]:
    """The seed cohort and six random ones at three sites over two years, imported."""
    folder = tmp_path_factory.mktemp("module")
    rng = np.random.default_rng(18)
    runs = [Run(SEED_CODE, "London", date(2017, 3, 14), 45)]
    sites = ["Leeds", "Manchester", "London"]
    for i, day in enumerate(
        [date(2017, 6, 2), date(2017, 9, 20), date(2017, 9, 20), date(2018, 1, 15),
         date(2018, 5, 3), date(2018, 11, 8)]
    ):  # fmt: skip
        code = f"RS-{sites[i % 3][:3].upper()}-{day:%y%m%d}"
        runs.append(Run(code, sites[i % 3], day, int(rng.integers(14, 60))))
    config = config_for(folder, runs)
    rows = seed_rows()
    for run in runs[1:]:
        rows += random_rows(run, rng)
    answers = write_answers_csv(folder / "answers.csv", rows)
    assert main(["import", "--config", str(config), str(answers)]) == 0
    return config, runs


def test_each_cohort_row_equals_the_cohorts_own_report(
    imported: tuple[Path, list[Run]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, runs = imported
    whole = module_rows(report(config, tmp_path / "module", "--module", MODULE))
    # In date order, every cohort once (two ran on one day: by code).
    ordered = sorted(runs, key=lambda r: (r.day, r.code))
    assert list(whole) == [r.code for r in ordered]
    compared = 0
    for run in runs:
        own = own_report(report(config, tmp_path / run.code, "--cohort", run.code))
        row = whole[run.code]
        assert row["date"] == f"{run.day.day} {run.day:%b %Y}"
        for key, value in own.items():
            if row[key] == "not shown":
                # Left out of the module's table only where the cohort's own report
                # leaves it out too (these cohorts are big enough for everything else).
                assert key == "met expectations" and value == "not shown", (run.code, key)
                continue
            assert row[key] == value, (run.code, key, row[key], value)
            compared += 1
        # Every item's change with its interval: no cohort here has fewer than 10 pairs.
        for label in ITEM_LABELS.values():
            assert re.fullmatch(r"[+−]\d\.\d\d \([+−]\d\.\d\d to [+−]\d\.\d\d\)", row[label])
    # Site, participants, before, after, pairs, met expectations, two means, three changes.
    assert compared >= len(runs) * 10
    capsys.readouterr()


def test_the_trend_chart_has_one_point_per_cohort_in_date_order(
    imported: tuple[Path, list[Run]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, runs = imported
    html = report(config, tmp_path / "module", "--module", MODULE)
    figure = re.search(r'<figure class="trend">(.*?)</figure>', html, re.S)
    assert figure, "no trend chart in the module report"
    phone = re.search(r'<div class="on-screen">(.*?)</div>', figure[1], re.S)
    assert phone
    for question in ITEM_LABELS:
        # One marker per cohort, left to right in date order, in the item's own group.
        group = re.search(rf'<g id="trend-trend-{question}">(.*?)</g>\s*</g>', phone[1], re.S)
        assert group, question
        xs = [float(x) for x in re.findall(r'<use [^>]*x="([\d.]+)"', group[1])]
        assert len(xs) == len(runs), question
        assert xs == sorted(xs)
    assert (tmp_path / "module" / "trend.png").read_bytes().startswith(b"\x89PNG")
    capsys.readouterr()


def test_a_small_cohort_cannot_be_worked_out_from_its_sites_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Leeds ran twice: 20 people answered after RS-LEE-A, 2 after RS-LEE-B. The Leeds row
    # shows 22, so RS-LEE-A's 20 would give RS-LEE-B's 2 away: it goes unshown with it
    # (the London cohort, in no such sum, keeps its figures).
    runs = [
        Run("RS-LON-A", "London", date(2026, 1, 10), 20),
        Run("RS-LEE-A", "Leeds", date(2026, 2, 10), 20),
        Run("RS-LEE-B", "Leeds", date(2026, 3, 10), 10),
    ]
    config = config_for(tmp_path, runs)
    rng = np.random.default_rng(7)
    rows = []
    for run in runs:
        drawn = random_rows(run, rng)
        if run.code == "RS-LEE-B":  # only two of them answered after the module
            after = sorted({r[0] for r in drawn if r[2] == "post"})[:2]
            drawn = [r for r in drawn if r[2] == "pre" or r[0] in after]
        rows += drawn
    answers = write_answers_csv(tmp_path / "answers.csv", rows)
    assert main(["import", "--config", str(config), str(answers)]) == 0
    html = report(config, tmp_path / "out", "--module", MODULE)
    found = tables(html)
    sites = {r[0]: r for r in found["By site: who took part"]}
    cohorts = module_rows(html)
    assert sites["Leeds"][4].isdigit()  # Site, Cohorts, Participants, Before, After
    assert cohorts["RS-LEE-B"]["after"] == "not shown"
    assert cohorts["RS-LEE-A"]["after"] == "not shown"
    assert cohorts["RS-LON-A"]["after"].isdigit()
    capsys.readouterr()
