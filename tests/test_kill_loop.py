"""The crash loop, short version for CI (`python benchmarks/kill_loop.py` runs the long one)."""

from __future__ import annotations

from pathlib import Path

from bot.sim.crash_loop import crash_loop


async def test_sigkill_loop_loses_nothing_and_posts_one_summary(tmp_path: Path) -> None:
    result = await crash_loop(
        tmp_path, kills=3, participants=6, seed=11, pre_seconds=14, post_seconds=10
    )
    report = "\n".join(result.lines())
    assert result.kills == 3, report
    assert result.accepted > 30, report  # the room really answered through the kills
    assert result.lost == [], report
    assert result.duplicated == 0, report
    assert result.unfinished == [], report
    assert result.summaries == 1, report
    assert result.integrity == "ok", report
    assert result.sigterm_exit == 0, report
    log = (tmp_path / "bot.log").read_text()
    assert "Traceback" not in log
    assert "CRASH-loop-token" not in log
