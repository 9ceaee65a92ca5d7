"""report.html in a real browser: headless Chromium at a phone's 390 px and printed to A4 PDF.

Needs Debian's `chromium` and `poppler-utils` (pdfinfo, pdftotext); `.ci/run` installs them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from analysis.charts import chart_set, paper_charts
from analysis.render_html import render_report
from report_data import FOLLOW_UP_CODE, SEED, START, follow_up_csv, make, summary_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None or shutil.which("pdftotext") is None,
        reason="needs chromium and poppler-utils: apt-get install -y chromium poppler-utils",
    ),
]
PHONE = 390
# The seed report prints on 6 to 8 A4 pages (tables and charts kept whole); a page count
# outside 4–10 means a layout gone wrong: charts blown up, or content shrunk to fit.
PAGES = range(4, 11)

# The report in an iframe as wide as a phone (headless windows have a minimum width).
# The script measures the report from outside, so the report itself carries no script.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="report" src="report.html" style="width:{width}px;height:844px;border:0"></iframe>
<script>
document.getElementById("report").addEventListener("load", () => {{
  const win = document.getElementById("report").contentWindow, doc = win.document;
  const charts = [...doc.querySelectorAll("svg")].map(s => s.getBoundingClientRect());
  const result = {{
    scrollWidth: doc.documentElement.scrollWidth,
    innerWidth: win.innerWidth,
    images: doc.images.length,
    brokenImages: [...doc.images].filter(i => !(i.complete && i.naturalWidth > 0)).length,
    charts: charts.length,
    paperCharts: doc.querySelectorAll(".on-paper svg").length,
    drawnCharts: charts.filter(b => b.width > 200 && b.height > 100).length,
    wideOutsideTables: [...doc.body.querySelectorAll("*")]
      .filter(e => !e.closest(".table-wrap") && e.getBoundingClientRect().right > win.innerWidth)
      .map(e => e.tagName).slice(0, 5),
    title: doc.title,
  }};
  const out = document.createElement("pre");
  out.id = "result";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
}});
</script></body></html>
"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def on_a_phone(report: Path, tmp_path: Path) -> dict[str, Any]:
    """What FRAME's script measures of the report shown in a frame as wide as a phone."""
    frame = report.parent / "frame.html"
    frame.write_text(FRAME.format(width=PHONE), encoding="utf-8")
    done = chromium(
        tmp_path / "profile",
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000",
        "--dump-dom",
        frame.as_uri(),
    )
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"'))
    return result


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("browser")
    config = make(directory)
    found = {}
    for name, scope in (("seed", {"cohort": SEED}), ("module", {"module": "risk-support"})):
        summary = summary_of(config, **scope)
        path = directory / name / "report.html"
        path.parent.mkdir()
        paper = paper_charts(summary)
        path.write_text(render_report(summary, chart_set(summary), paper), encoding="utf-8")
        found[name] = path
    return found


@pytest.mark.parametrize(("which", "charts"), [("seed", 4), ("module", 6)])
def test_readable_at_390_px_without_sideways_scrolling(
    reports: dict[str, Path], tmp_path: Path, which: str, charts: int
) -> None:
    result = on_a_phone(reports[which], tmp_path)
    assert result["innerWidth"] == PHONE
    assert result["scrollWidth"] <= result["innerWidth"]
    assert result["wideOutsideTables"] == []
    assert result["brokenImages"] == 0
    # Every chart is drawn once; its print layout, where it has one, is not shown.
    assert result["drawnCharts"] == charts
    assert result["charts"] - result["drawnCharts"] == result["paperCharts"]
    assert result["title"].startswith("Risk Support")


def print_pdf(report: Path, tmp_path: Path) -> tuple[int, str, str]:
    """Print to PDF: (pages, the text, the text with word boxes)."""
    pdf = tmp_path / "report.pdf"
    done = chromium(
        tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri()
    )
    assert pdf.exists(), done.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert size and (round(float(size.group(1))), round(float(size.group(2)))) == (595, 842)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, re.sub(r"\s+", " ", text), boxes


def heading_height(boxes: str, word: str) -> float:
    """The height in points of a word of the PDF: a shrunk page has smaller type."""
    found = re.search(rf'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">{word}</word>', boxes)
    assert found, word
    return float(found.group(2)) - float(found.group(1))


def test_prints_to_a4_with_the_headline_figures(reports: dict[str, Path], tmp_path: Path) -> None:
    pages, flat, boxes = print_pdf(reports["seed"], tmp_path)
    assert pages in PAGES
    assert "78% said the module met their expectations" in flat
    for figure in ("4.31", "3.61", "2.87", "3.60", "2.74", "3.57", "2.56", "3.67"):
        assert figure in flat
    assert "2.56 → 3.67" in flat and "Clinician" in flat and "44%" in flat
    assert "Method" in flat
    # The h2 is 1.3 × 10.5 pt: Chromium shrinks every page when anything is too wide.
    assert heading_height(boxes, "Method") > 16


def test_a_module_wide_report_prints_at_full_size(reports: dict[str, Path], tmp_path: Path) -> None:
    pages, flat, boxes = print_pdf(reports["module"], tmp_path)
    assert pages in range(5, 15)
    assert "Sites side by side" in flat and "Manchester" in flat
    assert "Cohort by cohort, over time" in flat and "Mean change per cohort" in flat
    assert heading_height(boxes, "Method") > 16


@pytest.fixture(scope="session")
def follow_up_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort's report with its follow-up section."""
    import asyncio
    import random
    from datetime import timedelta

    from analysis.charts import follow_up_chart_set
    from analysis.importer import parse_answers, write_answers
    from analysis.scope import resolve_scope
    from analysis.summary import compute_follow_up, compute_summary
    from core.config import load_config
    from sim.config import CohortSpec, config_toml

    directory = tmp_path_factory.mktemp("follow-up")
    text = config_toml(
        [CohortSpec(FOLLOW_UP_CODE, START, START + timedelta(hours=8))],
        database=directory / "feedback.db",
        timezone="UTC",
    )
    (directory / "config.toml").write_text(text, encoding="utf-8")
    config = load_config(directory / "config.toml")
    plan = parse_answers(follow_up_csv(random.Random(3), 45, False), config)
    asyncio.run(write_answers(config, plan.answers))
    scope = resolve_scope(config, cohort=FOLLOW_UP_CODE)
    summary, follow_up = compute_summary(config, scope), compute_follow_up(config, scope)
    assert follow_up is not None
    charts = chart_set(summary) + follow_up_chart_set(follow_up)
    paper = paper_charts(summary, follow_up)
    path = directory / "report" / "report.html"
    path.parent.mkdir()
    path.write_text(render_report(summary, charts, paper, follow_up), encoding="utf-8")
    return path


def test_the_follow_up_section_reads_on_a_phone_and_prints_at_full_size(
    follow_up_report: Path, tmp_path: Path
) -> None:
    result = on_a_phone(follow_up_report, tmp_path)
    assert result["scrollWidth"] <= result["innerWidth"] == PHONE
    assert result["wideOutsideTables"] == []
    assert result["drawnCharts"] >= 7  # the module's four, and the follow-up's three or more
    _, flat, boxes = print_pdf(follow_up_report, tmp_path)
    assert "Weeks later: the follow-up" in flat and "Before, after and weeks after" in flat
    assert "after the module → follow-up" in flat
    assert heading_height(boxes, "Method") > 16
