"""A cohort nobody answered gets no summary: not at closing time, not on /report."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.screens import participant as screens
from cli.main import main
from conftest import ADMIN, COHORT_END, FACILITATORS, Clock, Harness, write_config
from core.config import load_config

RS = "RS-LDN-0314"
GH = "GH-LDN-0314"


def summaries_of(bot: Harness, code: str) -> int:
    return sum("Evaluation summary" in t and code in t for t in bot.channel_texts())


def summary_log_lines(caplog: pytest.LogCaptureFixture, code: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.lifecycle" and code in r.getMessage() and "summary" in r.getMessage()
    ]


async def test_cohort_without_responses_gets_no_summary_and_one_log_line(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.lifecycle")
    # Someone joins and consents but answers nothing: still no response.
    await bot.send(5001, f"/start {RS}")
    await bot.tap(5001, screens.AGREE)
    bot.clock.now = COHORT_END + timedelta(days=2)  # the post questionnaires close
    done = [(e.cohort, e.kind) for e in await bot.run_due()]
    assert (RS, "summary") in done and (GH, "summary") in done
    for code in (RS, GH):
        assert summaries_of(bot, code) == 0
        assert summary_log_lines(caplog, code) == [
            f"no summary for {code}: nobody responded (answers imported later can be posted "
            f"with /report {code} channel)"
        ]
    assert not any(m.get("photo") for m in bot.fake.messages(FACILITATORS))
    # Marked done: later ticks and a restart neither post nor log it again.
    await bot.run_due()
    await bot.restart()
    bot.clock.advance(days=1)
    assert [e for e in await bot.run_due() if e.kind == "summary"] == []
    assert summaries_of(bot, RS) == summaries_of(bot, GH) == 0
    assert len(summary_log_lines(caplog, RS)) == 1
    assert bot.rows("SELECT cohort FROM events WHERE kind = 'summary' ORDER BY cohort") == [
        (GH,),
        (RS,),
    ]


async def test_one_answer_is_enough_for_a_summary(bot: Harness) -> None:
    await bot.send(5101, f"/start {RS}")
    await bot.tap(5101, screens.AGREE)
    await bot.tap(5101, "Education")  # one answer, never submitted
    bot.clock.now = COHORT_END + timedelta(days=2)
    await bot.run_due()
    assert summaries_of(bot, RS) == 1
    assert summaries_of(bot, GH) == 0


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (f"/report {GH}", GH),
        (f"/report {GH.lower()} channel", GH),
        ("/report getting-help", "module getting-help"),
    ],
)
async def test_report_on_a_cohort_without_responses(bot: Harness, command: str, name: str) -> None:
    await bot.send(ADMIN, command)
    assert bot.text(ADMIN) == f"No responses yet for {name}: there is nothing to summarise."
    assert not any(m.get("photo") for m in bot.fake.messages(ADMIN))
    assert not any("Evaluation summary" in str(m.get("text")) for m in bot.fake.messages(ADMIN))
    assert bot.rows("SELECT count(*) FROM outbox WHERE batch LIKE 'report:%'") == [(0,)]
    await bot.run_due()
    assert summaries_of(bot, GH) == 0


IMPORTED = """participant,cohort,phase,question,value
P1,RS-LDN-0314,pre,conf_support,2
P1,RS-LDN-0314,post,conf_support,4
P2,RS-LDN-0314,post,relevance,5
"""


async def test_cohort_closed_before_first_run_is_summarised_only_with_imported_answers(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    config_path = write_config(tmp_path)
    caplog.set_level(logging.INFO, logger="bot.lifecycle")
    answers = tmp_path / "paper.csv"
    answers.write_text(IMPORTED, encoding="utf-8")
    # Imported before the bot ever ran (the import is a command of its own).
    command = ["import", "--config", str(config_path), str(answers)]
    assert await asyncio.to_thread(main, command) == 0
    clock.now = COHORT_END + timedelta(days=30)
    bot = Harness(load_config(config_path), clock)
    await bot.start()
    try:
        await bot.run_due()
        assert summaries_of(bot, RS) == 1
        assert summaries_of(bot, GH) == 0
        assert len(summary_log_lines(caplog, GH)) == 1
        texts = "\n".join(bot.channel_texts())
        assert "Participants: 2" in texts and "Post-module responses: 2" in texts
        await bot.restart()
        await bot.run_due()
        assert summaries_of(bot, RS) == 1
    finally:
        await bot.stop()
