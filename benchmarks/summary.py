"""Benchmark the summary on a synthetic module: 100,000 participants, about 2 million answers.

Run: python -m benchmarks.summary [PARTICIPANTS]
Prints the time to load, compute, render the text and charts, and export; and the
peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from analysis.charts import summary_charts
from analysis.compute import summarise
from analysis.disclosure import Policy, release
from analysis.exports import iter_long, write_csv
from analysis.load import load_frames
from analysis.render_markdown import render_markdown
from analysis.render_telegram import render_telegram, split_message
from analysis.scope import resolve_scope
from benchmarks.synthetic import fill_database, write_config
from core.config import load_config


def peak_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "participants", nargs="?", type=int, default=100_000, help="default 100,000"
    )
    participants = parser.parse_args().participants
    with tempfile.TemporaryDirectory() as folder:
        config_path = write_config(Path(folder), cohorts=30)
        config = load_config(config_path)
        started = time.perf_counter()
        answers = fill_database(config.bot.database, participants, cohorts=30)
        print(
            f"built {participants:,} participants, {answers:,} answers "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"peak memory after building the database: {peak_mb():.0f} MB")
        scope = resolve_scope(config, module="synthetic")
        module = config.modules["synthetic"]

        timings: dict[str, float] = {}

        def timed(name: str, work):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = work()
            timings[name] = time.perf_counter() - start
            return result

        frames = timed("load", lambda: load_frames(config.bot.database, module, scope.codes))
        summary = timed(
            "compute",
            lambda: release(
                summarise(frames, module, scope),
                Policy(config.analysis.min_cell_size, config.analysis.min_pairs_for_tests),
            ),
        )
        timed(
            "render text",
            lambda: (split_message(render_telegram(summary)), render_markdown(summary)),
        )
        charts = timed("render charts", lambda: summary_charts(summary))
        csv_path = Path(folder) / "answers.csv"

        def export() -> int:
            with csv_path.open("w", encoding="utf-8-sig", newline="") as file:
                return write_csv(iter_long(config.bot.database, module, scope.codes), file)

        exported = timed("export CSV", export)

        print(
            f"answers loaded: {len(frames.answers):,}; charts: {len(charts)}; "
            f"CSV {exported:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB"
        )
        for name, seconds in timings.items():
            print(f"{name:>15}: {seconds:6.2f} s")
        text_summary = timings["load"] + timings["compute"] + timings["render text"]
        whole = text_summary + timings["render charts"]
        print(
            f"summary without charts: {text_summary:.2f} s "
            f"({text_summary / timings['load']:.2f}× the load)"
        )
        print(f"summary with charts:    {whole:.2f} s ({whole / timings['load']:.2f}× the load)")
        print(f"peak resident memory of the process (whole run): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
