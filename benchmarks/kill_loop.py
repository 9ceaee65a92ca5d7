"""The long crash loop: `python benchmarks/kill_loop.py [--kills 20] [--participants 10]`.

`feedback-bot run` is killed with SIGKILL at random moments while a room answers (see
bot/sim/crash_loop.py), then audited: answers seen accepted but not stored, answers stored
twice, participants who could not finish, summaries posted, integrity, graceful SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bot.sim.crash_loop import crash_loop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pre-seconds", type=float, default=45.0)
    parser.add_argument("--post-seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(
            crash_loop(
                Path(folder),
                kills=args.kills,
                participants=args.participants,
                seed=args.seed,
                pre_seconds=args.pre_seconds,
                post_seconds=args.post_seconds,
            )
        )
    print(f"Crash loop: {args.participants} participants, seed {args.seed}")
    print("\n".join("  " + line for line in result.lines()))
    print("PASS" if result.ok else "FAIL")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
