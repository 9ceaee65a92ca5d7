"""`feedback-bot check` and the config loader report every mistake with file and key."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.check import nothing_to_try_note
from cli.main import main
from core.config import load_config, parse_duration
from core.problems import ConfigError

ROOT = Path(__file__).resolve().parent.parent
# The configs and questionnaires these tests write, each with the mistakes its test names.
DATA = Path(__file__).resolve().parent / "data" / "config"


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def with_questionnaire(tmp_path: Path, questionnaire: str) -> Path:
    """A config of one module whose questionnaire file (q.toml) is `questionnaire`."""
    write(tmp_path, questionnaire, name="q.toml")
    return write(tmp_path, '[[modules]]\nid = "b"\nquestionnaire = "q.toml"\n')


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
        data("every-mistake.toml"),
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
        "modules[0] (rs).questionnaire: questionnaire file not found",
        "missing.toml",
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
        data("cohort-mistakes.toml"),
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    messages = [str(p) for p in info.value.problems]
    assert any("cohorts[0] (RS-1).module" in m and "'other'" in m for m in messages)
    assert any("cohorts[1] (RS-2).end" in m and "after start" in m for m in messages)


def test_questionnaire_problems_name_question(tmp_path: Path) -> None:
    path = with_questionnaire(tmp_path, data("questionnaire-mistakes.toml"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "q.toml: pre.questions[0] (conf).high" in text
    assert "pre.questions[1] (conf).options" in text
    assert "post.questions[0] (conf).max_length" in text


FOLLOW_UP_BROKEN = data("follow-up-mistakes.toml")


def test_follow_up_questions_are_checked_like_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = with_questionnaire(tmp_path, FOLLOW_UP_BROKEN)
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    where = tmp_path / "q.toml"
    for expected in (
        f"{where}: follow_up.colour: unknown key (expected one of ['intro', 'questions'])",
        f"{where}: follow_up.questions (sector).id: 'sector' is a profile question in pre",
        f"{where}: follow_up.questions (conf).kind: is 'choice' but 'rating' in pre",
        f"{where}: follow_up.questions (used).options: must list the same options as in post",
        f"{where}: follow_up.questions (where).profile: profile questions are asked in pre or",
        f"{where}: follow_up.questions[4] (more).high: expected the meaning of the scale's end",
    ):
        assert expected in err, (expected, err)


def test_a_follow_up_without_questions_is_a_problem(tmp_path: Path) -> None:
    text = FOLLOW_UP_BROKEN[: FOLLOW_UP_BROKEN.index("[follow_up]")] + "[follow_up]\nintro = 'Hi'\n"
    path = with_questionnaire(tmp_path, text)
    assert any(
        "follow_up.questions: expected at least one [[follow_up.questions]] entry" in p
        for p in problems_of(path)
    )


def test_follow_up_schedule_problems_name_their_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[schedule]\npost_open_for = "7d"\nfollow_up_after = "3d"\n'
        'follow_up_open_for = "5d"\nfollow_up_reminders = ["2d", "6d"]\n'
        '[[modules]]\nid = "risk-support"\nquestionnaire = "builtin:risk-support"\n',
    )
    found = problems_of(path)
    assert f"{path}: schedule.follow_up_after: must be at least post_open_for" in found[0]
    assert any(
        "schedule.follow_up_reminders[1]: must fall before the follow-up questionnaire closes" in p
        for p in found
    )
    good = write(
        tmp_path,
        '[schedule]\nfollow_up_after = "6w"\nfollow_up_open_for = "10d"\n'
        '[[modules]]\nid = "risk-support"\nquestionnaire = "builtin:risk-support"\n',
        name="good.toml",
    )
    schedule = load_config(good).schedule
    assert schedule.follow_up_after.days == 42 and schedule.follow_up_open_for.days == 10
    # Without follow_up_reminders, the post questionnaire's (24h, 72h) serve, if they fit.
    assert [d.total_seconds() / 3600 for d in schedule.follow_up_reminder_delays()] == [24, 72]


def test_retention_must_outlast_the_follow_up(tmp_path: Path) -> None:
    modules = '[[modules]]\nid = "risk-support"\nquestionnaire = "builtin:risk-support"\n'
    short = write(tmp_path, "[privacy]\nretain_days = 30\n" + modules)
    assert problems_of(short) == [
        f"{short}: privacy.retain_days: must be at least 70 (schedule.follow_up_after + "
        "follow_up_open_for): answers would be erased before the follow-up closes "
        "(or use questionnaires without a [follow_up])"
    ]
    enough = write(tmp_path, "[privacy]\nretain_days = 70\n" + modules, name="enough.toml")
    assert load_config(enough).privacy.retain_days == 70


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "[bot\nadmins = [")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "not valid TOML" in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("8w", 4838400),
        ("7d", 604800),
        ("24h", 86400),
        ("90m", 5400),
        ("1d12h", 129600),
        ("30s", 30),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    duration = parse_duration(text)
    assert duration is not None and duration.total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "week", "7", "7x", "d7"])
def test_bad_durations(text: str) -> None:
    assert parse_duration(text) is None


RS_COHORTS = data("two-cohorts.toml")


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_missing_questionnaire_is_one_problem_at_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        '[[modules]]\nid = "risk-support"\nquestionnaire = "questionnaires/rs.toml"\n' + RS_COHORTS,
    )
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "1 problem(s) in the configuration:",
        f"  {path}: modules[0] (risk-support).questionnaire: questionnaire file not found: "
        f"{tmp_path / 'questionnaires' / 'rs.toml'}",
    ]


def test_broken_questionnaire_shared_by_modules_is_reported_once(tmp_path: Path) -> None:
    write(tmp_path, "[pre\n", name="q.toml")
    path = write(
        tmp_path,
        '[[modules]]\nid = "risk-support"\nquestionnaire = "q.toml"\n'
        '[[modules]]\nid = "again"\nquestionnaire = "q.toml"\n' + RS_COHORTS,
    )
    problems = problems_of(path)
    assert len(problems) == 1
    assert "q.toml: not valid TOML" in problems[0]


def test_cohort_of_a_broken_module_still_has_its_own_problems_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[modules]]\nid = "Risk_Support"\nquestionnaire = "rs.toml"\n'
        + RS_COHORTS.replace('module = "risk-support"', 'module = "Risk_Support"', 1)
        .replace('site = "Leeds"', 'site = ""')
        .replace('module = "risk-support"', 'module = "undefined"'),
    )
    problems = problems_of(path)
    assert len(problems) == 3, problems
    assert "modules[0].id: expected a short id" in problems[0]
    # RS-1 names the module with the bad id: nothing more to say about it. RS-2 names
    # one that is nowhere in the file, and has an empty site: both are its own problems.
    assert "cohorts[1] (RS-2).module: no module with id 'undefined'" in problems[1]
    assert "cohorts[1] (RS-2).site" in problems[2]


def test_no_modules_at_all_is_one_problem(tmp_path: Path) -> None:
    path = write(tmp_path, RS_COHORTS)
    assert [p.split(": ", 1)[1] for p in problems_of(path)] == [
        "modules: expected at least one [[modules]] entry"
    ]


def test_bad_post_window_does_not_also_fault_the_reminders(tmp_path: Path) -> None:
    shutil.copy(
        ROOT / "core" / "data" / "questionnaires" / "risk-support.toml", tmp_path / "rs.toml"
    )
    path = write(
        tmp_path,
        '[schedule]\npost_open_for = "a week"\nreminders = ["1d", "10d"]\n'
        '[[modules]]\nid = "risk-support"\nquestionnaire = "rs.toml"\n',
    )
    problems = problems_of(path)
    assert len(problems) == 1 and "schedule.post_open_for" in problems[0]


def test_unknown_question_kind_is_the_only_problem_of_that_question(tmp_path: Path) -> None:
    path = with_questionnaire(tmp_path, data("unknown-kind.toml"))
    problems = problems_of(path)
    assert len(problems) == 2, problems
    assert problems[0].endswith(
        "pre.questions[0] (sector).kind: expected one of ['rating', 'choice', 'text']"
    )
    assert "pre.questions[1].id: duplicate question id 'sector'" in problems[1]


def config_with_cohort_in(tmp_path: Path, year: int) -> Path:
    shutil.copy(
        ROOT / "core" / "data" / "questionnaires" / "risk-support.toml", tmp_path / "rs.toml"
    )
    return write(
        tmp_path,
        '[bot]\ntimezone = "Europe/London"\n'
        '[[modules]]\nid = "risk-support"\nquestionnaire = "rs.toml"\n'
        + RS_COHORTS.replace("2026-", f"{year}-"),
    )


def test_check_says_how_to_try_the_bot_when_every_cohort_has_ended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_with_cohort_in(tmp_path, 2020)
    assert main(["check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"note: every cohort in {path} has ended" in out
    assert "[[cohorts]]" in out and 'module = "risk-support"' in out

    # The cohort it suggests is valid, and its pre-module questionnaire is open now.
    now = datetime(2026, 11, 30, 9, 51, tzinfo=UTC)
    lines = nothing_to_try_note(load_config(path), "config.toml", now)
    snippet = "\n".join(line.strip() for line in lines if line.startswith("  "))
    assert snippet.splitlines()[2:] == [
        'module = "risk-support"',
        'site = "London"',
        "start = 2026-12-01T09:30:00",
        "end = 2026-12-01T16:30:00",
    ]
    with_try = config_with_cohort_in(tmp_path, 2020)
    with_try.write_text(with_try.read_text() + snippet, encoding="utf-8")
    config = load_config(with_try)
    cohort = config.cohort("TRY-1201")
    assert cohort is not None
    assert cohort.start - config.schedule.pre_opens_before <= now < cohort.end
    assert nothing_to_try_note(config, "config.toml", now) == []
    assert "join with /start TRY-1201" in lines[-1]


def test_check_is_quiet_about_trying_when_a_cohort_is_upcoming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(config_with_cohort_in(tmp_path, 2099))]) == 0
    assert "note:" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('"postgresql://bot:hunter22@db.example/feedback"', "carries a password"),
        ('"postgresql://bot@db.example/feedback?password=hunter22"', "carries a password"),
        ('"postgresql://bot@db.example:5432"', "names no database"),
        ('"postgresql://bot@db.example:port/feedback"', "cannot be read"),
        ('"mysql://bot@db.example/feedback"', "mysql:// is not a database this bot can use"),
        ('""', "expected a file path for SQLite, or a postgresql:// URL"),
        ("5", "expected a file path for SQLite, or a postgresql:// URL"),
    ],
)
def test_bot_database_takes_a_path_or_a_postgresql_url_without_a_password(
    tmp_path: Path, value: str, says: str
) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace('database = "feedback.db"', f"database = {value}"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    [problem] = [p for p in raised.value.problems if p.key == "bot.database"]
    assert says in problem.message
    assert "hunter22" not in str(problem)
    if "password" in says:
        assert "PGPASSWORD" in problem.message and "password file" in problem.message


def test_bot_database_forms_that_are_accepted(tmp_path: Path) -> None:
    from core.storage import Postgres

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for value, expected in (
        ("feedback.db", tmp_path / "feedback.db"),
        ("sqlite:///var/lib/feedback-bot/feedback.db", Path("/var/lib/feedback-bot/feedback.db")),
        (
            "postgresql://feedback_bot@db.example.org:5432/feedback?sslmode=verify-full",
            Postgres("postgresql://feedback_bot@db.example.org:5432/feedback?sslmode=verify-full"),
        ),
        ("postgres:///feedback", Postgres("postgres:///feedback")),  # a local socket
    ):
        path = write(tmp_path, text.replace('database = "feedback.db"', f'database = "{value}"'))
        assert load_config(path).bot.database == expected
