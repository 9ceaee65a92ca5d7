"""The analysis subcommands of `feedback-bot`: report, export, import."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the analysis subcommands to the `feedback-bot` parser."""
    del subparsers  # filled in by the analysis package


def _unused(args: argparse.Namespace) -> int:
    return 0
