"""report.html: one self-contained evaluation report that reads like the seed report."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import html5lib
import pytest

from analysis.charts import chart_set, paper_charts
from analysis.released import ModuleSummary
from analysis.render_html import render_report
from cli.main import main
from core.config import Config
from report_data import SEED, make, summary_of, write_config


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def seed(config: Config) -> ModuleSummary:
    return summary_of(config, cohort=SEED)


@pytest.fixture(scope="session")
def seed_html(seed: ModuleSummary) -> str:
    return render_report(seed, chart_set(seed), paper_charts(seed))


def parse(html: str) -> object:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(html)  # raises on the first parse error


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section id="{ident}".*?</section>', html, re.S)
    assert match, ident
    return match.group(0)


def text_of(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def test_seed_figures_in_headline_and_tables(seed_html: str) -> None:
    parse(seed_html)
    head = text_of(section(seed_html, "headline"))
    assert "78% said the module met their expectations" in head
    assert "2.56 → 3.67" in head  # the largest rise, as the seed report would put it
    assert "4.31" in head and "3.61" in head
    for jargon in ("Wilcoxon", "p =", "p <", "rank-biserial", "effect size", "CI"):
        assert jargon not in head  # statistics stay in the tables and the method
    items = re.findall(r"<li>", section(seed_html, "headline"))
    assert 3 <= len(items) <= 6
    before_after = text_of(section(seed_html, "before-after"))
    for pre, post in (("2.87", "3.60"), ("2.74", "3.57"), ("2.56", "3.67")):
        assert f"{pre} (39) {post} (42)" in before_after
    assert "p (Wilcoxon)" in before_after and "< 0.001" in before_after
    who = text_of(section(seed_html, "who"))
    assert "Clinician 20 44%" in who
    reception = text_of(section(seed_html, "reception"))
    assert "Relevance to current practice after 4.31 42" in reception


def test_semantic_and_self_contained(seed_html: str) -> None:
    assert seed_html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in seed_html
    assert 'name="viewport"' in seed_html
    # No request leaves the file: no external source, link, import or font.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", seed_html)
    assert "@import" not in seed_html and "url(http" not in seed_html
    assert "<img" not in seed_html and "<link" not in seed_html and "<script" not in seed_html
    tables = re.findall(r"<table>.*?</table>", seed_html, re.S)
    assert len(tables) >= 6
    for table in tables:
        assert "<caption>" in table and '<th scope="col"' in table and '<th scope="row"' in table
    charts = re.findall(r"<svg[^>]*>", seed_html)
    # Four charts; the two that span a printed page also come in an A4 layout.
    assert len(charts) == 6
    assert len(re.findall(r'<div class="on-paper"><svg', seed_html)) == 2
    for svg in charts:
        assert 'role="img"' in svg and re.search(r'aria-label="[^"]{20,}"', svg)
    # Each chart's ids are its own, so one chart's clip path never clips another.
    ids = re.findall(r'\bid="([^"]+)"', seed_html)
    assert len(ids) == len(set(ids))
    assert "@media print" in seed_html and "size: A4" in seed_html
    assert "Method" in seed_html and "n</strong> is the number of answers" in seed_html


def test_small_groups_are_merged_and_every_test_is_shown(seed_html: str) -> None:
    reception = text_of(section(seed_html, "reception"))
    # "No" (2 people) is given with "Partly": 9 together, so neither can be worked out.
    assert "Yes 32 78%" in reception and "Partly or No (together) 9 22%" in reception
    assert "No 2" not in reception and "Partly 7" not in reception
    who = text_of(section(seed_html, "who"))
    assert "Commissioning or Other (together) 5 11%" in who
    # 36 pairs for each item: the interval, p and effect size are shown whatever the
    # improved, same and declined counts (the policy releases them on purpose).
    before_after = text_of(section(seed_html, "before-after"))
    for interval, r in (("+0.32 to +0.84", "+0.78"), ("+0.70 to +1.19", "+1.00")):
        assert f"({interval})" in before_after and r in before_after
    assert "lower 0 (0%)" in before_after  # zero is shown
    assert "not shown" not in before_after
    method = text_of(section(seed_html, "method"))
    assert "min_cell_size = 3 and min_pairs_for_tests = 10" in method
    assert "not treated as revealing the improved, same or declined counts" in method
    assert "raw data, not subject to these rules" in method


def test_comments_follow_the_summary(seed: ModuleSummary) -> None:
    charts = chart_set(seed)
    shown = render_report(seed, charts)
    if seed.comments:
        assert "Comments (" in shown
        assert "As participants typed them." in shown
    off = render_report(replace(seed, comments=None), charts)
    assert 'id="comments"' not in off and "Great speakers" not in off
    none = render_report(replace(seed, comments=()), charts)
    assert 'id="comments"' not in none


def test_module_report_puts_sites_side_by_side_and_cohorts_over_time(config: Config) -> None:
    module = summary_of(config, module="risk-support")
    html = render_report(module, chart_set(module))
    parse(html)
    sites = text_of(section(html, "comparisons"))
    for name in ("London", "Leeds", "Manchester"):
        assert name in sites
    assert "By site" in sites
    assert 'aria-label="Bar chart of the mean change' in html
    over = text_of(section(html, "over-time"))
    assert "By cohort, in date order" in over
    # The cohorts in the order they ran, each with its day and site.
    rows = re.findall(r"<tr><th scope=\"row\"><span class=\"code\">([^<]+)</span>", html)
    assert rows[-8:-4] == ["RS-SEED-2017", "RS-LDS-2017", "RS-MAN-2017", "RS-TINY-2017"]
    assert "RS-MAN-2017 9 May 2017 Manchester 25" in over
    # Four runs: the paragraph describes them and says it tests no trend.
    assert "The module ran 4 times at 3 sites between 14 March 2017 and 13 June 2017." in over
    assert "they are not a test of a trend" in over
    assert 'aria-label="Chart of each before/after item' in html
    # The five-person cohort had 2 post-module responses: that count is not shown, nor
    # anything it could be worked out from (another cohort's post count goes with it).
    tiny = re.search(
        r"<tr><th scope=\"row\"><span class=\"code\">RS-TINY-2017</span></th>.*?</tr>", html
    )
    assert tiny and "not shown" in tiny.group(0)
    assert '<td class="num">2</td>' not in tiny.group(0)


def test_cli_writes_report_html_and_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    config = write_config(tmp_path)
    assert (
        main(
            [
                "import",
                "--config",
                str(config),
                str(Path(__file__).parent / "data" / "seed-risk-support.csv"),
            ]
        )
        == 0
    )
    out = tmp_path / "out"
    assert main(["report", "--config", str(config), "--cohort", SEED, "--out", str(out)]) == 0
    assert opened == []
    # A report reads: it leaves the database as it found it, without -wal and -shm files.
    assert sorted(p.name for p in tmp_path.glob("feedback.db*")) == ["feedback.db"]
    html = (out / "report.html").read_text(encoding="utf-8")
    parse(html)
    assert "78% said the module met their expectations" in html
    assert (out / "report.md").exists() and (out / "ratings.png").exists()
    again = ["report", "--config", str(config), "--cohort", SEED, "--out", str(out), "--open"]
    assert main(again) == 2  # the files are there: overwritten only when asked to
    assert opened == []
    assert main([*again, "--force"]) == 0
    assert opened == [(out / "report.html").resolve().as_uri()]
    capsys.readouterr()


def test_the_telegram_message_leads_with_findings_and_fits(config: Config) -> None:
    from analysis.render_telegram import MORE, render_telegram
    from sim.telegram.entities import parse_html

    for summary in (summary_of(config, cohort=SEED), summary_of(config, module="risk-support")):
        message = render_telegram(summary)
        text, entities = parse_html(message)  # Telegram's parser accepts it
        assert len(message) <= 4096 and len(text.encode("utf-16-le")) // 2 <= 4096
        quote = next(e for e in entities if e["type"] == "expandable_blockquote")
        before = text[: quote["offset"]]
        assert text.startswith("📊 Evaluation summary — Risk Support")
        assert "said the module met their expectations" in before
        for jargon in ("Wilcoxon", "rank-biserial", "CI", "normal approximation"):
            assert jargon not in before
        assert "Wilcoxon" in text[quote["offset"] :]
    # Too long for the budget: the quote is cut at a line, closed, and points to the file.
    short = render_telegram(summary_of(config, module="risk-support"), budget=1500)
    assert len(short) <= 1500 and MORE in short
    text, entities = parse_html(short)
    assert any(e["type"] == "expandable_blockquote" for e in entities)
    assert short.endswith("</blockquote>")


def test_too_few_answers_are_said_plainly(config: Config) -> None:
    from analysis.findings import headline_findings

    found = headline_findings(summary_of(config, cohort="RS-TINY-2017"))
    assert 2 <= len(found) <= 6
    # Five answered before, two after: the before means are shown, the after ones not.
    assert "Too few people rated the items after the module (fewer than 3 for each item) " in (
        " ".join(found)
    )
    assert not any("can be compared" in f for f in found)
