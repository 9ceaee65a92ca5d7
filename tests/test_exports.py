"""The XLSX export as a statistician opens it: typed cells, a codebook, the report's figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from cli.main import main
from report_data import SEED, exported, write_config

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    config = write_config(folder, [SEED])
    assert main(["import", "--config", str(config), str(DATA / "seed-risk-support.csv")]) == 0
    return exported(config, SEED, folder / "answers.xlsx", "xlsx")


def test_answers_have_numeric_ratings_and_real_times(workbook: Path) -> None:
    answers = pd.read_excel(workbook, sheet_name="answers")
    assert list(answers.columns)[-1] == "answered_at (UTC)"
    assert pd.api.types.is_datetime64_any_dtype(answers["answered_at (UTC)"])
    first = answers.iloc[0]
    assert first["answered_at (UTC)"] == pd.Timestamp("2017-03-14 09:30:00")
    ratings = answers[answers["question"] == "conf_support"]["value"].dropna()
    assert len(ratings) == 39 + 42 and all(isinstance(v, int) for v in ratings)
    assert ratings.mean() == pytest.approx((39 * 2.87 + 42 * 3.60) / 81, abs=0.01)
    sectors = answers[answers["question"] == "sector"]["value"]
    assert "Education" in set(sectors)


def test_wide_sheet_tells_skipped_from_not_answered(workbook: Path) -> None:
    wide = pd.read_excel(workbook, sheet_name="by participant").set_index("participant")
    assert len(wide) == 45
    for column in ("pre_conf_support", "post_conf_support", "post_relevance"):
        assert pd.api.types.is_numeric_dtype(wide[column]), column
    assert wide["post_relevance"].mean() == pytest.approx(4.31, abs=0.005)
    # P45 tapped Skip on two post questions; P01 never answered the post questionnaire.
    assert wide.loc["P45", "skipped"] == "post_met_expectations post_new_info"
    assert pd.isna(wide.loc["P45", "post_new_info"])
    assert pd.isna(wide.loc["P01", "post_new_info"]) and pd.isna(wide.loc["P01", "skipped"])
    assert wide.loc["P01", "sector"] == "NHS mental health (CAMHS)"


def test_codebook_documents_every_column(workbook: Path) -> None:
    wide = pd.read_excel(workbook, sheet_name="by participant")
    codebook = pd.read_excel(workbook, sheet_name="codebook").set_index("column")
    assert list(codebook.index) == list(wide.columns)
    # The columns the README's Exports section names, in its order.
    documented = "question, phase, text, kind, options and codes, required, profile, paired"
    assert ", ".join(codebook.columns) == documented
    expectations = codebook.loc["post_met_expectations"]
    assert expectations["options and codes"].startswith("1 = Yes; 2 = Partly; 3 = No")
    assert expectations["required"] == "yes" and expectations["paired"] == "no"
    support = codebook.loc["pre_conf_support"]
    assert support["kind"] == "rating" and support["paired"] == "yes"
    assert "1 = not at all confident; 5 = very confident" in support["options and codes"]
    assert codebook.loc["sector", "profile"] == "yes"
    assert "skip" in codebook.loc["skipped", "text"]


def test_summary_sheet_has_the_reports_figures_and_hides_small_groups(workbook: Path) -> None:
    summary = pd.read_excel(workbook, sheet_name="summary")
    expectations = summary[summary["section"] == "expectations"].set_index("group")
    assert expectations.loc["Yes", "value"] == 32 and expectations.loc["Yes", "percent"] == 78
    assert expectations.loc["Yes", "n"] == 41
    # "No" (2 people) is given together with "Partly": each alone is empty, the part has 9.
    for alone in ("No", "Partly"):
        assert pd.isna(expectations.loc[alone, "value"])
        assert expectations.loc[alone, "note"] == "in Partly or No"
    assert expectations.loc["Partly or No", "value"] == 9
    assert expectations.loc["Partly or No", "percent"] == 22
    means = summary[(summary["statistic"] == "mean") & (summary["phase"] == "pre")]
    assert sorted(means["value"].dropna()) == [2.56, 2.74, 2.87]
    # 36 pairs: the interval, p and effect size are shown (the policy releases them).
    item = summary[summary["item"] == "Knowledge of the THRIVE framework"].set_index("statistic")
    assert item.loc["rank-biserial r", "value"] == 1.0
    assert (item.loc["95% CI low", "value"], item.loc["95% CI high", "value"]) == (0.77, 1.29)


def test_sheets_have_a_frozen_filterable_header_and_widths(workbook: Path) -> None:
    book = load_workbook(workbook)
    assert book.sheetnames == ["answers", "by participant", "codebook", "summary"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert (sheet.column_dimensions["A"].width or 0) >= len(str(sheet["A1"].value))
    answers = book["answers"]
    assert answers["H2"].is_date and answers["H2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert answers["G4"].data_type == "n"  # P01's conf_support rating
