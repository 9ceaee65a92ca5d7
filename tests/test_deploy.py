"""The shipped systemd unit: valid for systemd, unprivileged, state directory, secrets file."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.exits import ExitStatus
from conftest import ROOT
from core.secrets import pseudonym_key_problem, token_problem

DEPLOY = ROOT / "deploy"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_service_runs_unprivileged_with_state_directory_and_secrets_file() -> None:
    service = unit("feedback-bot.service")["Service"]
    assert service["User"] not in ("", "root", "0")
    assert service["StateDirectory"] == "feedback-bot"
    assert service["WorkingDirectory"] == "/var/lib/feedback-bot"
    assert service["EnvironmentFile"].startswith("/etc/feedback-bot/")
    assert " run --config " in service["ExecStart"]
    assert service["NoNewPrivileges"] == "true"
    # The statuses that need a person, not a restart, are exactly ours.
    prevented = {int(s) for s in service["RestartPreventExitStatus"].split()}
    needs_a_person = {ExitStatus.USAGE, ExitStatus.TOKEN_REJECTED, ExitStatus.DATABASE}
    assert prevented == needs_a_person
    assert "mode 0600" in (DEPLOY / "feedback-bot.env.example").read_text()
    # The header installs the package by its real name.
    assert "pip install module-feedback-bot" in (DEPLOY / "feedback-bot.service").read_text()


def test_the_postgresql_unit_restarts_to_stand_by_and_reads_the_password_from_a_file() -> None:
    service = unit("feedback-bot-postgresql.service")["Service"]
    assert service["User"] not in ("", "root", "0")
    assert " run --config " in service["ExecStart"]
    # The password: a credential only this service can read, named by libpq's variable.
    assert service["LoadCredential"] == "pgpass:/etc/feedback-bot/pgpass"
    assert service["Environment"] == "PGPASSFILE=%d/pgpass"
    assert "PGPASSWORD" not in (DEPLOY / "feedback-bot-postgresql.service").read_text()
    # A lost lock (7) and an unreachable database (5) come back as a standby; 2 and 3 wait.
    prevented = {int(s) for s in service["RestartPreventExitStatus"].split()}
    assert prevented == {ExitStatus.USAGE, ExitStatus.TOKEN_REJECTED}
    assert ExitStatus.LEADERSHIP_LOST not in prevented
    assert service["Restart"] == "on-failure" and int(service["RestartSec"]) <= 5


def test_the_example_environment_file_is_refused_until_its_key_is_replaced() -> None:
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "feedback-bot.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    key_problem = pseudonym_key_problem(values["FEEDBACK_PSEUDONYM_KEY"])
    assert key_problem is not None and "placeholder" in key_problem
    assert token_problem(values["TELEGRAM_BOT_TOKEN"]) is not None


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # Point ExecStart at this interpreter's feedback-bot so verify can check the binary too.
    script = Path(sys.executable).parent / "feedback-bot"
    assert script.exists(), "install the project (pip install -e .) first"
    for name in (
        "feedback-bot.service",
        "feedback-bot-postgresql.service",
        "feedback-bot-backup.service",
        "feedback-bot-backup.timer",
    ):
        text = (
            (DEPLOY / name).read_text().replace("/opt/feedback-bot/bin/feedback-bot", str(script))
        )
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # Outside a booted systemd (containers, CI) verify also reports on the host itself.
        if str(tmp_path) in line or "feedback-bot" in line
    ]
    assert problems == [], problems
