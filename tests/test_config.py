"""`feedback-bot check` and the config loader report every mistake with file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from core.config import load_config, parse_duration
from core.problems import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(ROOT / "config.example.toml")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out
    assert "conf_support, conf_explain, thrive_knowledge" in out


def test_example_config_values() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert config.bot.api_base_url == "https://api.telegram.org/bot"
    cohort = config.cohort("rs-ldn-0314")
    assert cohort is not None and cohort.site == "London"
    # Local times are read in the configured zone (London is on GMT in March).
    assert cohort.start.utcoffset() is not None
    assert config.modules["risk-support"].title == "Risk Support"


def test_every_problem_is_reported_with_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        """
[bot]
token = "123:abc"
admins = ["me"]
timezone = "Mars/Olympus"
api_base_url = "ftp://nope"

[schedule]
post_open_for = "a week"

[[modules]]
id = "rs"
questionnaire = "missing.toml"

[[cohorts]]
code = "X"
module = "nope"
site = "London"
start = 2026-01-01T10:00:00
end = 2026-01-01T09:00:00
""",
    )
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    for expected in (
        "bot.token",
        "TELEGRAM_BOT_TOKEN",
        "bot.admins",
        "bot.timezone",
        "bot.api_base_url",
        "schedule.post_open_for",
        "missing.toml: questionnaire file not found",
        "cohorts[0].code",
    ):
        assert expected in err, expected
    assert str(path) in err


def test_cohort_errors_name_the_cohort(tmp_path: Path) -> None:
    shutil.copy(
        ROOT / "core" / "data" / "questionnaires" / "risk-support.toml", tmp_path / "rs.toml"
    )
    path = write(
        tmp_path,
        """
[[modules]]
id = "rs"
questionnaire = "rs.toml"

[[cohorts]]
code = "RS-1"
module = "other"
site = "London"
start = 2026-01-01T10:00:00
end = 2026-01-01T11:00:00

[[cohorts]]
code = "RS-2"
module = "rs"
site = "Leeds"
start = 2026-01-01T10:00:00
end = 2026-01-01T09:00:00
""",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    messages = [str(p) for p in info.value.problems]
    assert any("cohorts[0] (RS-1).module" in m and "'other'" in m for m in messages)
    assert any("cohorts[1] (RS-2).end" in m and "after start" in m for m in messages)


def test_questionnaire_problems_name_question(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
title = "Broken"
[pre]
[[pre.questions]]
id = "conf"
kind = "rating"
text = "How confident?"
low = "low"

[[pre.questions]]
id = "conf"
kind = "choice"
text = "Again"
options = ["one"]

[post]
[[post.questions]]
id = "conf"
kind = "text"
text = "Now?"
max_length = 0
""",
        name="q.toml",
    )
    path = write(tmp_path, '[[modules]]\nid = "b"\nquestionnaire = "q.toml"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "q.toml: pre.questions[0] (conf).high" in text
    assert "pre.questions[1] (conf).options" in text
    assert "post.questions[0] (conf).max_length" in text


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "[bot\nadmins = [")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "not valid TOML" in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 604800), ("24h", 86400), ("90m", 5400), ("1d12h", 129600), ("30s", 30)],
)
def test_durations(text: str, seconds: int) -> None:
    duration = parse_duration(text)
    assert duration is not None and duration.total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "week", "7", "7x", "d7"])
def test_bad_durations(text: str) -> None:
    assert parse_duration(text) is None
