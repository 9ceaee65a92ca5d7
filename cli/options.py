"""What the commands of `feedback-bot` share: how each is added to the parser (a help line,
a description for its own `--help`, `--config`) and how one reads its config."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.exits import ExitStatus
from core.config import Config, load_config
from core.problems import ConfigError

Command = Callable[[argparse.Namespace], int]


def command(
    subparsers: Any,
    name: str,
    run: Command | None,
    help: str,
    description: str,
    *,
    config: str | None = "config TOML file",
) -> argparse.ArgumentParser:
    """A command (or subcommand) that `run` carries out, with a one-line help, the
    description its own `--help` shows, and a required `--config` (`config`: its help;
    None: the command takes no `--config`, or adds its own)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description
    )
    if config is not None:
        parser.add_argument("--config", required=True, help=config)
    if run is not None:
        parser.set_defaults(func=run)
    return parser


def load_listing_problems(path: str) -> Config | None:
    """The config, or None after listing every problem in it on stderr."""
    try:
        return load_config(Path(path))
    except ConfigError as exc:
        print(f"{len(exc.problems)} problem(s) in the configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def with_config(run: Callable[[argparse.Namespace, Config], int]) -> Command:
    """A command that needs its `--config`: `run` gets it loaded, or the command ends with
    exit status 2 after listing every problem in it."""

    @functools.wraps(run)
    def loaded(args: argparse.Namespace) -> int:
        config = load_listing_problems(args.config)
        return ExitStatus.USAGE if config is None else run(args, config)

    return loaded
