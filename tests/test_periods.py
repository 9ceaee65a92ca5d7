"""The periods of the scheduled module reports, and the config key that turns them on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli.main import main
from core.config import load_config
from core.periods import last_ended, next_due, parse_period, period_containing

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("kind", "day", "label", "first", "last"),
    [
        ("monthly", date(2026, 2, 14), "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("monthly", date(2024, 2, 29), "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("monthly", date(2026, 12, 31), "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("quarterly", date(2026, 5, 9), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("quarterly", date(2026, 12, 1), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("yearly", date(2026, 7, 1), "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_day_falls_in_one_period(
    kind: str, day: date, label: str, first: date, last: date
) -> None:
    period = period_containing(day, kind)
    assert (period.label, period.first, period.last) == (label, first, last)
    assert parse_period(label) == period


def test_the_report_falls_due_at_nine_local_time_on_the_first_day_of_the_next() -> None:
    # 1 April 2026 is in British Summer Time: 09:00 there is 08:00 UTC.
    before = datetime(2026, 4, 1, 7, 59, tzinfo=UTC)
    at = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    assert last_ended(before, "monthly", LONDON).label == "2026-02"
    assert last_ended(at, "monthly", LONDON).label == "2026-03"
    assert last_ended(at, "quarterly", LONDON).label == "2026-Q1"
    assert last_ended(at, "yearly", LONDON).label == "2025"
    assert next_due(before, "monthly", LONDON) == at
    assert next_due(at, "monthly", LONDON) == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert next_due(at, "quarterly", LONDON) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "Q1", "2026-1", "March"])
def test_what_is_not_a_period(text: str) -> None:
    assert parse_period(text) is None


def config_text(module_reports: str, chat: bool = True) -> str:
    return (
        "[bot]\n"
        + ("facilitators_chat = -1001\n" if chat else "")
        + f"[schedule]\nmodule_reports = {module_reports}\n"
        + '[[modules]]\nid = "rs"\nquestionnaire = "builtin:risk-support"\n'
    )


def test_module_reports_are_off_unless_set(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config_text('"quarterly"'), encoding="utf-8")
    assert load_config(path).schedule.module_reports == "quarterly"
    path.write_text(config_text('"off"', chat=False), encoding="utf-8")
    assert load_config(path).schedule.module_reports is None


@pytest.mark.parametrize(
    ("value", "chat", "expected"),
    [
        ('"weekly"', True, 'expected "monthly", "quarterly", "yearly" or "off"'),
        ("true", True, 'expected "monthly", "quarterly", "yearly" or "off"'),
        ('"monthly"', False, "the module reports go to bot.facilitators_chat, which is not set"),
    ],
)
def test_check_names_the_file_and_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, chat: bool, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config_text(value, chat), encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: schedule.module_reports: {expected}" in err
