"""`feedback-bot cohort …` and the forgiving dates it reads; a running bot sees its changes."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from cli.main import main
from conftest import ADMIN, Clock, Harness, write_config
from core.config import load_config
from core.dates import DateError, parse_moment, parse_session
from core.problems import ConfigError
from http_kit import TOKEN
from http_kit import write_config as write_http_config
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# A Risk Support cohort at Hull on 2 December 2099, as `cohort add` is given it.
HULL = ("--module", "risk-support", "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2 Apr 9:30–16:30", (2026, 4, 2, 9, 30), (2026, 4, 2, 16, 30)),
        ("2026-04-02 09:30 16:30", (2026, 4, 2, 9, 30), (2026, 4, 2, 16, 30)),
        ("Thursday 2nd April 9.30 to 4:30pm", (2026, 4, 2, 9, 30), (2026, 4, 2, 16, 30)),
        ("April 2, 9am - 5pm", (2026, 4, 2, 9, 0), (2026, 4, 2, 17, 0)),
        ("02/04 09:30-16:30", (2026, 4, 2, 9, 30), (2026, 4, 2, 16, 30)),
        ("1 Feb 10:00-12:00", (2027, 2, 1, 10, 0), (2027, 2, 1, 12, 0)),  # next February
        ("tomorrow 9:00 – 10:00", (2026, 3, 2, 9, 0), (2026, 3, 2, 10, 0)),
        ("Today 13:00-14:00", (2026, 3, 1, 13, 0), (2026, 3, 1, 14, 0)),
        ("yesterday 9:00 – 10:00", (2026, 2, 28, 9, 0), (2026, 2, 28, 10, 0)),
    ],
)
def test_forgiving_dates_in_the_configured_time_zone(
    text: str, start: tuple[int, ...], end: tuple[int, ...]
) -> None:
    assert parse_session(text, LONDON, NOW) == (
        datetime(*start, tzinfo=LONDON),
        datetime(*end, tzinfo=LONDON),
    )
    # British Summer Time: 9:30 in London on 2 April is 8:30 UTC.
    if text.startswith("2 Apr"):
        assert parse_session(text, LONDON, NOW)[0].astimezone(UTC).hour == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31 Feb 9:00-10:00", "no such day"),
        ("someday 9:00-10:00", "could not find a date"),
        ("2 Apr 9:30", "start and an end time"),
        ("2 Apr 25:00-26:00", "not a time"),
        ("2 Apr 9-16", "Write times like 9:30"),
    ],
)
def test_unreadable_dates_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message):
        parse_session(text, LONDON, NOW)


def test_a_moment_defaults_to_the_given_day() -> None:
    day = date(2026, 4, 2)
    assert parse_moment("17:00", LONDON, day, NOW.date()) == datetime.combine(day, time(17), LONDON)
    assert parse_moment("3 Apr 17:00", LONDON, day, NOW.date()).day == 3
    # Relative days count from today, not from the default day.
    assert parse_moment("yesterday 17:00", LONDON, day, NOW.date()).date() == date(2026, 2, 28)
    assert parse_moment("today 17:00", LONDON, day, NOW.date()).date() == date(2026, 3, 1)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    path.write_text(
        path.read_text().replace("admins = [999]", "admins = [999]\nfacilitators = [501]")
    )
    return path


def cli(config: Path, *args: str) -> int:
    return main(["cohort", args[0], "--config", str(config), *args[1:]])


def codes(config: Path) -> list[str]:
    conn = sqlite3.connect(config.parent / "feedback.db")
    try:
        return [r[0] for r in conn.execute("SELECT code FROM stored_cohorts ORDER BY code")]
    finally:
        conn.close()


def test_add_list_edit_cancel_card(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(config_path, "add", *HULL) == 0
    assert "created RS-HUL-1202" in capsys.readouterr().out
    assert cli(config_path, "add", *HULL, "--code", "rs-hul-1202") == 2
    assert "already taken" in capsys.readouterr().err
    when = "2 Dec 2099 9:30-16:30"
    assert cli(config_path, "add", "--module", "nope", "--site", "Hull", "--when", when) == 2
    assert "no module" in capsys.readouterr().err
    assert codes(config_path) == ["RS-HUL-1202"]

    assert cli(config_path, "edit", "RS-HUL-1202", "--end", "17:15") == 0
    assert "09:30–17:15" in capsys.readouterr().out
    assert cli(config_path, "list") == 0
    out = capsys.readouterr().out
    assert "RS-LDN-0314" in out and "[config file config.toml]" in out
    assert "RS-HUL-1202" in out and "created by command line, changed by command line" in out
    assert main(["check", "--config", str(config_path)]) == 0
    assert "RS-HUL-1202" in capsys.readouterr().out

    out_dir = config_path.parent / "cards"
    assert (
        cli(config_path, "card", "RS-HUL-1202", "--username", "my_bot", "--out", str(out_dir)) == 0
    )
    link = "https://t.me/my_bot?start=RS-HUL-1202"
    assert capsys.readouterr().out.startswith(link)
    card = Image.open(io.BytesIO((out_dir / "RS-HUL-1202-card-A5.png").read_bytes()))
    assert [r.text for r in zxingcpp.read_barcodes(card)] == [link]

    assert cli(config_path, "cancel", "RS-HUL-1202") == 0
    assert "deleted" in capsys.readouterr().out
    assert codes(config_path) == []


def test_the_same_cohort_is_not_added_twice_unless_asked(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    when = ("--module", "risk-support", "--when", "2 Dec 2099 9:30-16:30")
    assert cli(config_path, "add", "--site", "Hull", *when) == 0
    capsys.readouterr()
    # The same module, site (however it is capitalised) and times: refused, nothing stored.
    assert cli(config_path, "add", "--site", "hull ", *when) == 2
    assert capsys.readouterr().err.strip() == (
        "error: RS-HUL-1202: risk-support at Hull, 2099-12-02 09:30–16:30 already has this "
        "module, site and times; nothing was created. Add --allow-duplicate to create another "
        "cohort like it"
    )
    assert codes(config_path) == ["RS-HUL-1202"]
    assert cli(config_path, "add", "--site", "Hull", *when, "--allow-duplicate") == 0
    assert "created RS-HUL-1202-2" in capsys.readouterr().out
    assert codes(config_path) == ["RS-HUL-1202", "RS-HUL-1202-2"]
    # `check` counts every cohort it lists: the file's two and the database's two.
    assert main(["check", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "4 cohort(s) (2 in the file, 2 in the database)" in out.splitlines()[0]
    assert out.count("  cohort ") == 4


def test_import_is_all_or_nothing_names_lines_and_reruns(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = config_path.parent / "bad.csv"
    bad.write_text(
        "module,site,when,code\n"
        "risk-support,Hull,2 Dec 2099 9:30-16:30,\n"
        "juggling,Hull,2 Dec 2099 9:30-16:30,\n"
        "risk-support,Hull,31 Feb 2099 9:30-16:30,\n"
        "risk-support,Hull,2 Jan 2020 9:30-16:30,\n"
        "risk-support,Hull,3 Dec 2099 9:30-16:30,RS-LDN-0314\n",
        encoding="utf-8",
    )
    assert main(["cohort", "import", "--config", str(config_path), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err
    for line in ("line 3", "line 4", "line 5", "line 6"):
        assert line in err
    assert "line 2" not in err
    assert codes(config_path) == []

    good = config_path.parent / "term.csv"
    good.write_text(
        "module,site,when,code,facilitators\n"
        "risk-support,Hull,2 Dec 2099 9:30-16:30,,\n"
        "risk-support,Hull,2 Dec 2099 13:00-16:30,,501\n"
        "getting-help,York,3 Dec 2099 9:30-16:30,GH-YORK-A,\n",
        encoding="utf-8",
    )
    args = ["cohort", "import", "--config", str(config_path), str(good)]
    assert main(args) == 0
    assert "3 cohort(s) created" in capsys.readouterr().out
    assert codes(config_path) == ["GH-YORK-A", "RS-HUL-1202", "RS-HUL-1202-2"]
    assert main(args) == 0  # re-run: nothing new, nothing doubled
    assert "0 cohort(s) created, 3 already there" in capsys.readouterr().out
    assert codes(config_path) == ["GH-YORK-A", "RS-HUL-1202", "RS-HUL-1202-2"]


def test_import_checks_each_line_as_the_chat_does(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hull = ("--module", "risk-support", "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30")
    assert cli(config_path, "add", *hull) == 0
    term = config_path.parent / "term.csv"
    term.write_text(
        "module,site,when,code,facilitators\n"
        "getting-help,York,3 Dec 2099 9:30-16:30,,501\n"
        "getting-help,york ,3 Dec 2099 9:30-16:30,GH-OTHER,\n"
        "risk-support,HULL,2 Dec 2099 9:30-16:30,RS-NEW,\n"
        "risk-support,Leeds,4 Dec 2099 9:30-16:30,,77\n"
        "risk-support,L,4 Dec 2099 9:30-16:30,,\n"
        "risk-support,Leeds,4 Dec 2099 9:30-16:30,,five\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["cohort", "import", "--config", str(config_path), str(term)]) == 2
    problems = capsys.readouterr().err.splitlines()[1:]
    assert problems == [
        "  line 3: the same module, site and times as line 2",
        "  line 4: RS-HUL-1202 already has this module, site and times.",
        f"  line 5: not in bot.facilitators of {config_path}: [77]",
        "  line 6: The site should be a name of 2 to 40 characters.",
        "  line 7: facilitators must be user ids separated by spaces",
    ]
    # Line 2 was fine, and was written in the import's transaction: rolled back with it.
    assert codes(config_path) == ["RS-HUL-1202"]


async def test_a_running_bot_sees_a_cohort_added_from_the_command_line(
    config_path: Path, clock: Clock
) -> None:
    harness = Harness(load_config(config_path), clock)
    await harness.start()
    try:
        # The harness clock is 14 March 2026; the command line uses the real one. It runs
        # in a thread, as it would in a process of its own.
        assert await asyncio.to_thread(cli, config_path, "add", *HULL) == 0
        await harness.send(7501, "/start RS-HUL-1202")
        assert "I don't know the cohort code" in harness.text(7501)
        await harness.run_due()  # the lifecycle tick (every 10 s) reads the catalogue again
        await harness.send(7501, "/start RS-HUL-1202")
        assert "are not open at the moment" in harness.text(7501)
        await harness.send(ADMIN, "/cohorts")
        assert "RS-HUL-1202" in harness.text(ADMIN)
    finally:
        await harness.stop()


async def test_card_asks_telegram_for_the_username(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotApiServer(FakeTelegram(TOKEN)) as server:
        config = write_http_config(tmp_path, server)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        args = ("card", "RS-HTTP-1", "--out", str(tmp_path))
        assert await asyncio.to_thread(cli, config, *args) == 0
    out = capsys.readouterr().out
    assert out.startswith("https://t.me/feedback_test_bot?start=RS-HTTP-1")
    assert TOKEN not in out


def test_card_without_username_or_token(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert cli(config_path, "card", "RS-LDN-0314") == 2
    assert "give --username" in capsys.readouterr().err


def test_check_reports_a_code_both_in_the_file_and_the_database(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("add", "--module", "risk-support", "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30")
    assert cli(config_path, *args) == 0
    config_path.write_text(
        config_path.read_text()
        + '\n[[cohorts]]\ncode = "RS-HUL-1202"\nmodule = "risk-support"\nsite = "Hull"\n'
        "start = 2099-12-02T09:30:00\nend = 2099-12-02T16:30:00\n"
    )
    capsys.readouterr()
    assert main(["check", "--config", str(config_path)]) == 1
    out = capsys.readouterr().out
    assert "problem: RS-HUL-1202 is in the config file and in the database" in out


def test_config_facilitators_are_checked(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace("admins = [999]", 'admins = [999]\nfacilitators = ["x"]')
    path.write_text(text.replace('site = "London"\n', 'site = "London"\nfacilitators = [77]\n', 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = {p.key: p.message for p in caught.value.problems}
    assert problems["bot.facilitators"].startswith("expected a list of Telegram user ids")
    assert problems["cohorts[0] (RS-LDN-0314).facilitators"] == (
        "every id must also be in bot.facilitators"
    )
