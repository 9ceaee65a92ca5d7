"""`import` never silently changes an answer a participant gave in the chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.screens import participant as screens
from cli.main import main
from conftest import Harness

ALICE = 1001


async def test_a_changed_answer_is_refused_listed_and_replaced_only_when_asked(
    bot: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot.send(ALICE, "/start RS-LDN-0314")
    await bot.tap(ALICE, screens.AGREE)
    for label in ("Education", "Clinician", "2"):
        await bot.tap(ALICE, label)
    assert bot.answers(ALICE)["conf_support"] == "2"
    [(alice,)] = bot.rows("SELECT pseudonym FROM participants WHERE telegram_id = ?", (ALICE,))
    answers = tmp_path / "paper.csv"
    answers.write_text(
        "participant,cohort,phase,question,value\n"
        f"{alice},RS-LDN-0314,pre,sector,Education\n"  # the same as in the chat
        f"{alice},RS-LDN-0314,pre,conf_support,1\n"  # not what Alice said
        "P-PAPER,RS-LDN-0314,pre,conf_support,4\n",  # someone new, on paper
        encoding="utf-8",
    )
    before = bot.rows("SELECT * FROM answers ORDER BY 1, 2, 3")
    command = ["import", "--config", str(bot.config.path), str(answers)]

    assert await asyncio.to_thread(main, command) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{answers}: 1 answer(s) would change what is stored; nothing was imported:",
        f"  line 3: participant {alice}, conf_support (pre): '2' → '1'",
        "If the file is right, import it again with --replace to replace those answers.",
    ]
    assert bot.rows("SELECT * FROM answers ORDER BY 1, 2, 3") == before
    assert bot.rows("SELECT count(*) FROM participants WHERE pseudonym = 'P-PAPER'") == [(0,)]

    assert await asyncio.to_thread(main, [*command, "--replace"]) == 0
    assert capsys.readouterr().out == (
        f"{answers}: 3 answer(s) of 2 participant(s): 1 added, 1 unchanged, 1 replaced.\n"
    )
    assert bot.answers(ALICE)["conf_support"] == "1"

    # The same file again: nothing to do, and the closing line says so.
    assert await asyncio.to_thread(main, command) == 0
    assert capsys.readouterr().out == (
        f"{answers}: 3 answer(s) of 2 participant(s): 0 added, 3 unchanged, 0 replaced.\n"
    )
