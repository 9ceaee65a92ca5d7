"""Crash loop, short version for CI: kill -9 at random moments loses and duplicates nothing.

The bot runs as a separate process (``python -m cli run``) against the simulated Bot API on
loopback; ten participants answer continuously while it is killed with SIGKILL and restarted
(five times here, twenty and more with ``python -m benchmarks.crash_loop --kills 20``; the
loop itself is ``sim.testing.crash_loop``). Afterwards every answer a participant saw accepted is
stored exactly once with the value they chose (or that of a later tap they did not see
answered), every questionnaire can be resumed and submitted, a summary that fell due during
the kills was posted exactly once, ``PRAGMA integrity_check`` is ok, and SIGTERM stops the bot
with exit code 0 after it has answered every update it had taken.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sim.testing.crash_loop import crash_loop

pytestmark = pytest.mark.e2e


async def test_kill_9_in_a_loop_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    async with asyncio.timeout(170):  # a hang fails the test instead of the CI job
        figures = await crash_loop(tmp_path, kills=5, participants=10, seed=7, summary_after=2.0)
    print(f"\n{figures.report()}")
    assert figures.problems == []
    assert figures.counts["kills"] == 5
    assert figures.counts["accepted"] >= 20, "too few answers to say anything"
    assert figures.answers.lost == 0
    assert figures.answers.stored_twice == 0 and figures.answers.phantom == 0
    assert figures.answers.stored >= figures.participants  # one questionnaire each at least
    assert figures.submitted == figures.questionnaires
    assert figures.integrity == "ok"
    assert figures.summary_headers == 1 and figures.channel_posts_duplicated == 0
    assert figures.sigterm_exit_code == 0
    assert figures.sigterm_finished == figures.sigterm_taken == figures.participants
    assert figures.errors_in_log == 0 and figures.tracebacks_in_log == 0
