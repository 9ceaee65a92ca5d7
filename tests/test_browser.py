"""report.html in a real browser: headless Chromium at a phone's 390 px and printed to A4 PDF.

Needs Debian's `chromium` and `poppler-utils` (pdfinfo, pdftotext); `.ci/run` installs them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.charts import chart_set
from analysis.render_html import render_report
from report_data import SEED, make, summary_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None,
    reason="needs chromium and poppler-utils: apt-get install -y chromium poppler-utils",
)
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
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("browser")
    config = make(directory)
    summary = summary_of(config, cohort=SEED)
    path = directory / "report.html"
    path.write_text(render_report(summary, chart_set(summary)), encoding="utf-8")
    return path


def test_readable_at_390_px_without_sideways_scrolling(report: Path, tmp_path: Path) -> None:
    frame = report.parent / "frame.html"
    frame.write_text(FRAME.format(width=PHONE), encoding="utf-8")
    done = chromium(tmp_path / "profile", "--allow-file-access-from-files",
                    "--virtual-time-budget=10000", "--dump-dom", frame.as_uri())  # fmt: skip
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"'))
    assert result["innerWidth"] == PHONE
    assert result["scrollWidth"] <= result["innerWidth"]
    assert result["wideOutsideTables"] == []
    assert result["brokenImages"] == 0
    assert result["charts"] == 4 and result["drawnCharts"] == 4  # every chart is drawn
    assert result["title"].startswith("Risk Support")


def test_prints_to_a4_with_the_headline_figures(report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    done = chromium(tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                    report.as_uri())  # fmt: skip
    assert pdf.exists(), done.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    assert pages in PAGES
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert size and (round(float(size.group(1))), round(float(size.group(2)))) == (595, 842)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    flat = re.sub(r"\s+", " ", text)
    assert "78% said the module met their expectations" in flat
    for figure in ("4.31", "3.61", "2.87", "3.60", "2.74", "3.57", "2.56", "3.67"):
        assert figure in flat
    assert "Clinician" in flat and "44%" in flat
    assert "Method" in flat
