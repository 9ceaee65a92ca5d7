"""Crash loop (issue 6): participants answer while the bot is killed with SIGKILL and restarted.

    python -m benchmarks.crash_loop [--kills 20] [--participants 10] [--seed 1]
                                    [--min-delay 0.05] [--max-delay 0.5] [--keep DIR] [--json]

The loop itself is ``sim.testing.crash_loop``, which ``tests/test_crash_loop.py`` runs with
five kills; this prints its figures for as many kills as asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from dataclasses import fields
from pathlib import Path

from sim.testing.crash_loop import Settings, crash_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    for option in fields(Settings):
        flag = "--" + option.name.replace("_", "-")
        parser.add_argument(flag, type=type(option.default), default=option.default)
    parser.add_argument("--keep", type=Path, help="keep the database and log in this directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    # A request cut off by the kill makes aiohttp log the reset connection: expected here.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    options = {k: v for k, v in vars(args).items() if k not in ("keep", "json")}
    with tempfile.TemporaryDirectory(prefix="crash-loop-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        figures = asyncio.run(crash_loop(directory, **options))
    print(json.dumps(figures.as_dict(), indent=2) if args.json else figures.report())
    return 1 if figures.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
