"""The exit statuses of `feedback-bot`, documented in README ("Exit statuses")."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2  # a bad command line, configuration or environment
    TOKEN_REJECTED = 3
    API_UNREACHABLE = 4
    DATABASE = 5
    INTERRUPTED = 130  # Ctrl-C outside `run`, the shell's convention for SIGINT
