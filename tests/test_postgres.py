"""PostgreSQL beside SQLite, on a real server: one schema, a copy between them that loses
nothing, the same figures from both, the roles a DBA would give, and no password anywhere.

(The journey, lifecycle, outbox, cohorts and privacy tests run on both engines too; the
standby's take-over is in `test_standby.py`.)
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from analysis.exports import load_long
from analysis.load import load_frames
from bot.context import services_of
from bot.screens import participant as screens
from cli.main import main
from conftest import ADMIN, COHORT_END, FACILITATORS, ROOT, TOKEN, Clock, Harness, write_config
from core import callbacks, cohorts, journey
from core.config import load_config
from core.storage import (
    SCHEMA_VERSION,
    DatabaseUnavailable,
    PostContent,
    Postgres,
    Target,
    open_database,
    prepare,
    utc_text,
)
from core.storage.manage import set_mark
from core.storage.schema import TABLES
from sim.telegram.api import FakeTelegram
from sim.testing import audit
from sim.testing.postgres import PostgresServer

RS = "RS-LDN-0314"
PRE = ("Education", "Clinician", "2", "3", "2", screens.SUBMIT)
POST = ("Yes", "5", "4", "4", "4", "4", screens.SKIP, screens.SUBMIT)


@pytest.fixture
def pg(postgres: PostgresServer) -> Any:
    """Fresh databases on the session's server, dropped after the test."""
    made: list[Postgres] = []

    class Databases:
        server = postgres

        def fresh(self, *, migrated: bool = True) -> Postgres:
            made.append(postgres.fresh(migrated=migrated))
            return made[-1]

    yield Databases()
    for target in made:
        postgres.drop(target)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`feedback-bot ARGV` in this process: (exit status, stdout and stderr together)."""
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out + out.err


# -- one schema ------------------------------------------------------------------------------


def sqlite_schema(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    types = {"INTEGER": "integer", "TEXT": "text", "BLOB": "blob"}
    schema: dict[str, Any] = {}
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            columns = {
                name: (types[kind], bool(notnull or pk), default)
                for _, name, kind, notnull, default, pk in info
            }
            key = [name for _, name, *_, pk in sorted(info, key=lambda r: r[5]) if pk]
            foreign = {
                (row[3], row[2], row[4], row[6])
                for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')
            }
            unique, plain = set(), set()
            for _, name, is_unique, origin, _ in conn.execute(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{name}")'))
                if origin == "pk":
                    continue
                (unique if is_unique else plain).add(cols if is_unique else (name, cols))
            schema[table] = {
                "columns": columns,
                "key": key,
                "foreign": foreign,
                "unique": unique,
                "indexes": plain,
            }
    finally:
        conn.close()
    return schema


def postgres_schema(target: Postgres) -> dict[str, Any]:
    types = {"bigint": "integer", "text": "text", "bytea": "blob"}
    schema: dict[str, Any] = {}
    rows = audit.rows(
        target,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    for (table,) in rows:
        columns = {
            name: (types[kind], nullable == "NO", _default(default))
            for name, kind, nullable, default in audit.rows(
                target,
                "SELECT column_name, data_type, is_nullable, column_default"
                " FROM information_schema.columns WHERE table_name = ?"
                " AND table_schema = current_schema()",
                (table,),
            )
        }
        indexes = audit.rows(
            target,
            "SELECT i.indisprimary, i.indisunique, c.relname, array_agg(a.attname ORDER BY"
            " array_position(i.indkey, a.attnum)) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = ?::regclass GROUP BY 1, 2, 3",
            (table,),
        )
        foreign = {
            (src, ref, dst, {"c": "CASCADE", "a": "NO ACTION"}[action])
            for src, ref, dst, action in audit.rows(
                target,
                "SELECT a.attname, r.relname, b.attname, c.confdeltype FROM pg_constraint c"
                " JOIN pg_class r ON r.oid = c.confrelid"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]"
                " WHERE c.contype = 'f' AND c.conrelid = ?::regclass",
                (table,),
            )
        }
        schema[table] = {
            "columns": columns,
            "key": next((list(cols) for pk, _, _, cols in indexes if pk), []),
            "foreign": foreign,
            "unique": {tuple(cols) for pk, uq, _, cols in indexes if uq and not pk},
            "indexes": {(name, tuple(cols)) for _, uq, name, cols in indexes if not uq},
        }
    return schema


def _default(default: str | None) -> str | None:
    """A PostgreSQL column default as SQLite writes it: '' not ''::text."""
    return None if default is None else re.sub(r"::[a-z ]+$", "", default)


async def test_a_fresh_postgresql_database_has_the_schema_sqlite_has(
    tmp_path: Path, pg: Any
) -> None:
    db = await open_database(tmp_path / "feedback.db")
    await db.close()
    lite = sqlite_schema(tmp_path / "feedback.db")
    post = postgres_schema(pg.fresh())
    assert set(lite) == set(post) == {*TABLES, "schema_migrations"}
    for table in lite:
        assert post[table] == lite[table], table
    # CHECK constraints hold on both: what no code of ours would write is refused alike.
    for target in (tmp_path / "feedback.db", pg.fresh()):
        rows = audit.rows(target, "SELECT count(*) FROM schema_migrations")
        assert rows == [(SCHEMA_VERSION,)]
        with pytest.raises(Exception, match=r"(?i)check"):
            audit.rows(
                target,
                "INSERT INTO outbox (batch, seq, chat_id, kind, body, next_attempt_at,"
                " created_at) VALUES ('b', 0, -1, 'video', 'x', 'now', 'now')",
            )


# -- two transactions at once -----------------------------------------------------------------


@pytest.fixture
async def pg_bot(tmp_path: Path, pg: Any, clock: Clock) -> AsyncIterator[Harness]:
    harness = Harness(load_config(write_config(tmp_path, database=pg.fresh())), clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def test_a_double_tap_in_two_transactions_at_once_is_taken_once(pg_bot: Harness) -> None:
    """On PostgreSQL units of work run side by side: the participant's row lock makes the
    second tap see the first one's answer (SQLite runs them one after the other anyway)."""
    bot = pg_bot
    await bot.send(4001, f"/start {RS}")
    await bot.tap(4001, screens.AGREE)
    assert bot.app is not None
    svc = services_of(bot.app)
    tap = callbacks.Answer(RS, "pre", "sector", "1")
    first, second = await asyncio.gather(
        journey.answer_button(svc, 4001, tap), journey.answer_button(svc, 4001, tap)
    )
    assert sorted([first.ok, second.ok]) == [False, True]
    refused = first if not first.ok else second
    assert refused.refusal is journey.Refusal.STALE  # it saw the question already answered
    assert bot.answers(4001) == {"sector": "Local authority / social care"}


async def test_the_same_code_made_twice_at_once_is_made_once(pg_bot: Harness) -> None:
    assert pg_bot.app is not None
    svc = services_of(pg_bot.app)
    new = cohorts.NewCohort(
        "RS-TWICE",
        "risk-support",
        "Leeds",
        COHORT_END + timedelta(days=9),
        COHORT_END + timedelta(days=9, hours=6),
    )
    outcomes = await asyncio.gather(
        cohorts.create(svc, new, "admin 999"),
        cohorts.create(svc, new, "admin 999"),
        return_exceptions=True,
    )
    made = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, cohorts.CohortError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert pg_bot.rows("SELECT code FROM stored_cohorts") == [("RS-TWICE",)]


async def test_a_batch_stored_twice_at_once_is_stored_once(pg: Any) -> None:
    db = await open_database(pg.fresh())
    posts = [PostContent("text", "one", []), PostContent("photos", "two", [("a.png", b"png")])]

    async def store() -> bool:
        async with db.write() as tx:
            return await tx.outbox.add_batch("report:X", -100, posts, COHORT_END)

    try:
        assert sorted(await asyncio.gather(store(), store())) == [False, True]
    finally:
        await db.close()


# -- a copy that loses nothing ----------------------------------------------------------------


async def fill_everything(config_path: Path, clock: Clock) -> FakeTelegram:
    """A database with a row in every table: answers before and after, a cohort made in the
    chat, a dialogue half-way, an admin's /open, pushes, an opt-out of the follow-up, a
    summary in the outbox with its files, the bot's own messages, a send of unknown outcome,
    and a mark."""
    fake = FakeTelegram(TOKEN)
    fake.group(FACILITATORS, "Facilitators")
    bot = Harness(load_config(config_path), clock, fake)
    await bot.start()
    try:
        for user in (5001, 5002, 5003, 5004):
            await bot.send(user, f"/start {RS}")
            await bot.tap(user, screens.AGREE)
            for label in PRE:
                await bot.tap(user, label)
        await bot.send(ADMIN, "/newcohort risk-support Milton Keynes 2026-03-20 12:00 16:00")
        await bot.send(ADMIN, "/newcohort")  # left half-way: a dialogue in progress
        await bot.tap(ADMIN, "Risk Support")
        clock.now = COHORT_END + timedelta(minutes=1)
        await bot.run_due()  # the hello, the push
        for user in (5001, 5002):
            await bot.tap(user, screens.START_POST)
            for label in POST:
                await bot.tap(user, label)
        await bot.send(5002, "/nofollowup")  # an opt-out of the follow-up
        await bot.send(ADMIN, f"/close {RS} post")
        await bot.run_due()  # the summary: message, album, report
        clock.now = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
        await bot.run_due()  # March's module report
        # A reply in the group whose answer is lost: a send of unknown outcome.
        fake.inject_fault("sendMessage", "timeout_after_delivery")
        fake.send_text(ADMIN, "/status", chat_id=FACILITATORS)
        await bot.deliver()
    finally:
        await bot.stop()
    set_mark(load_config(config_path).bot.database, "written_by", "a test")
    return fake


def copied_tables(output: str) -> dict[str, tuple[int, str]]:
    """table → (rows, checksum) from `migrate`'s lines."""
    found = re.findall(r"^\s+(\w+)\s+([\d,]+) rows\s+sha256 (\w+)$", output, re.MULTILINE)
    return {table: (int(rows.replace(",", "")), digest) for table, rows, digest in found}


def config_for(folder: Path, database: Target) -> Path:
    """The tests' config on `database`, with monthly module reports."""
    folder.mkdir(exist_ok=True)
    path = write_config(folder, database=database)
    text = path.read_text().replace("[schedule]\n", '[schedule]\nmodule_reports = "monthly"\n')
    path.write_text(text)
    return path


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


async def test_migrate_to_postgresql_and_back_loses_nothing_and_reports_agree(
    tmp_path: Path, pg: Any, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    lite_config = config_for(tmp_path / "lite", tmp_path / "lite" / "feedback.db")
    fake = await fill_everything(lite_config, clock)
    target = pg.fresh(migrated=False)  # an empty database: migrate creates the tables

    status, output = run_cli(capsys, "migrate", "--config", str(lite_config), "--to", target.url)
    assert status == 0, output
    there = copied_tables(output)
    assert list(there) == list(TABLES)
    assert all(rows > 0 for rows, _ in there.values()), there  # every table had something
    assert "every table's rows and checksum match the source" in output

    # The same figures from both databases, file for file.
    pg_config = config_for(tmp_path / "pg", target)
    for config, out in ((lite_config, tmp_path / "r-lite"), (pg_config, tmp_path / "r-pg")):
        status, output = run_cli(
            capsys, "report", "--config", str(config), "--cohort", RS, "--out", str(out)
        )
        assert status == 0, output
    for name in ("report.md", "telegram.html", "answers.csv"):
        assert (tmp_path / "r-pg" / name).read_bytes() == (tmp_path / "r-lite" / name).read_bytes()
    lite, post = load_config(lite_config), load_config(pg_config)
    module = lite.modules["risk-support"]
    for field in ("answers", "texts", "responses", "participants"):
        # The same rows; in which order each engine hands them over is not a promise.
        ours, theirs = (
            getattr(load_frames(c.bot.database, module, [RS]), field) for c in (lite, post)
        )
        pdt.assert_frame_equal(_sorted(ours), _sorted(theirs))
    pdt.assert_frame_equal(
        load_long(lite.bot.database, module, [RS]), load_long(post.bot.database, module, [RS])
    )

    # A target that holds anything is refused, and left as it was.
    status, output = run_cli(capsys, "migrate", "--config", str(lite_config), "--to", target.url)
    assert status == 2 and "is not empty" in output
    assert audit.rows(target, "SELECT count(*) FROM answers") == [(there["answers"][0],)]

    # And back: the same rows and checksums again.
    back = tmp_path / "back.db"
    status, output = run_cli(capsys, "migrate", "--from", target.url, "--to", f"sqlite://{back}")
    assert status == 0, output
    assert copied_tables(output) == there

    # The bot carries on in PostgreSQL: new ids after the copied ones, nothing sent twice.
    bot = Harness(post, clock, fake)
    shown = len(fake.messages(FACILITATORS))
    await bot.start()
    try:
        await bot.send(5009, f"/start {RS}")  # the post questionnaire is closed now
        for _ in range(3):
            await bot.run_due()
            clock.advance(minutes=11)
        assert len(fake.messages(FACILITATORS)) == shown
        assert "not open" in bot.text(5009)
        newest = bot.rows("SELECT max(id) FROM participants")[0][0]
        assert bot.app is not None
        async with services_of(bot.app).db.write() as tx:
            made = await tx.participants.join(777, RS, "p-new", COHORT_END, 1)
        assert made.id == newest + 1  # the identity carries on after the copied ids
    finally:
        await bot.stop()


async def test_migrate_refuses_what_it_cannot_do(
    tmp_path: Path, pg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path / "a", tmp_path / "a" / "feedback.db")
    status, output = run_cli(capsys, "migrate", "--config", str(config), "--to", "mysql://x/y")
    assert status == 2 and "--to" in output and "mysql://" in output
    status, output = run_cli(
        capsys, "migrate", "--config", str(config), "--to", str(tmp_path / "a" / "feedback.db")
    )
    assert status == 2 and "same database" in output
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"")
    status, output = run_cli(
        capsys, "migrate", "--from", pg.fresh().url, "--to", f"sqlite://{existing}"
    )
    assert status == 2 and "already exists" in output
    assert existing.read_bytes() == b""


# -- operating it -----------------------------------------------------------------------------


def make_roles(server: PostgresServer, tag: str) -> tuple[Postgres, Postgres]:
    """The README's recipe, `deploy/postgresql-roles.sql` run with psql as a superuser: a
    database, its owner role that migrates, and the bot's role that may only read and write
    the tables. Then each role's password (as `\\password` would set it)."""
    owner, bot, database = f"feedback_owner_{tag}", f"feedback_bot_{tag}", f"feedback_{tag}"
    subprocess.run(
        [
            str(server.bin / "psql"),
            server.target("postgres").url,
            "--quiet",
            *("-v", f"owner={owner}", "-v", f"bot={bot}", "-v", f"database={database}"),
            "-f",
            str(ROOT / "deploy" / "postgresql-roles.sql"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server.execute(
        f"ALTER ROLE {owner} PASSWORD '{server.password}'",
        f"ALTER ROLE {bot} PASSWORD '{server.password}'",
    )
    return server.target(database, owner), server.target(database, bot)


async def test_least_privilege_the_owner_migrates_and_the_bot_only_reads_and_writes(
    tmp_path: Path, pg: Any, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    owner, bot_role = make_roles(pg.server, "least")
    as_bot = config_for(tmp_path / "bot", bot_role)
    as_owner = config_for(tmp_path / "owner", owner)

    # Not migrated yet: the bot's role can neither run on it nor create the tables.
    status, output = run_cli(capsys, "check", "--config", str(as_bot))
    assert status == 1 and "migrate-schema" in output
    status, output = run_cli(capsys, "migrate-schema", "--config", str(as_bot))
    assert status == 5 and "permission denied" in output

    status, output = run_cli(capsys, "migrate-schema", "--config", str(as_owner))
    assert status == 0 and f"to {SCHEMA_VERSION}" in output, output
    status, output = run_cli(capsys, "migrate-schema", "--config", str(as_owner))
    assert status == 0 and "already at schema version" in output

    bot = Harness(load_config(as_bot), clock)
    await bot.start()
    try:
        await bot.send(6001, f"/start {RS}")
        await bot.tap(6001, screens.AGREE)
        await bot.tap(6001, "Education")
        assert bot.answers(6001) == {"sector": "Education"}
    finally:
        await bot.stop()
    with pytest.raises(Exception, match="permission denied"):
        audit.rows(bot_role, "CREATE TABLE sneaky (id int)")
    # The commands beside the bot need no more than its role either.
    paper = tmp_path / "paper.csv"
    paper.write_text(
        "participant,cohort,phase,question,value\nP1,RS-LDN-0314,pre,sector,Education\n"
    )
    # (In a thread of its own: a command runs its own event loop, as from a shell.)
    command = ("import", "--config", str(as_bot), str(paper))
    status, output = await asyncio.to_thread(run_cli, capsys, *command)
    assert status == 0 and "1 added" in output, output
    when = ("--module", "risk-support", "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30")
    command = ("cohort", "add", "--config", str(as_bot), *when)
    status, output = await asyncio.to_thread(run_cli, capsys, *command)
    assert status == 0, output
    status, output = run_cli(capsys, "cohort", "list", "--config", str(as_bot))
    assert status == 0 and "RS-HUL-1202" in output

    # A table the bot may not write is found at start-up, not at the first tap.
    pg.server.execute("REVOKE DELETE ON answers FROM feedback_bot_least", database="feedback_least")
    status, output = run_cli(capsys, "check", "--config", str(as_bot))
    assert status == 1 and "answers (DELETE)" in output


def test_a_url_with_a_password_is_refused_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-in-the-file"
    for url in (
        f"postgresql://bot:{secret}@db.example/feedback",
        f"postgresql://bot@db.example/feedback?password={secret}",
    ):
        config = config_for(tmp_path, Postgres(url))
        status, output = run_cli(capsys, "check", "--config", str(config))
        assert status == 1
        assert "bot.database" in output and "PGPASSWORD" in output and "password file" in output
        assert secret not in output


async def test_the_password_appears_in_no_output(
    tmp_path: Path,
    pg: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> None:
    """The password is given as DBAs give it: a password file (the session's) and, here,
    PGPASSWORD too. Every command that reaches the database, and every way it fails."""
    password = pg.server.password
    target = pg.fresh()
    good = config_for(tmp_path / "good", target)
    wrong_db = config_for(tmp_path / "wrong", pg.server.target("no_such_database"))
    nobody = config_for(tmp_path / "nobody", pg.server.target("postgres", "nobody"))
    closed_port = config_for(
        tmp_path / "port", Postgres("postgresql://postgres@127.0.0.1:1/feedback")
    )
    await fill_everything(good, clock)
    outputs = []
    for env_password in (None, password):
        if env_password:
            monkeypatch.setenv("PGPASSWORD", env_password)
        for config in (good, wrong_db, nobody, closed_port):
            for argv in (
                ("check", "--config", str(config)),
                ("report", "--config", str(config), "--cohort", RS, "--out", str(tmp_path / "r")),
                (
                    "export",
                    "--config",
                    str(config),
                    "--cohort",
                    RS,
                    "--format",
                    "csv",
                    "--out",
                    str(tmp_path / "e.csv"),
                    "--force",
                ),
                ("cohort", "list", "--config", str(config)),
                ("migrate-schema", "--config", str(config)),
                ("backup", "--config", str(config), "--out", str(tmp_path / "b.db")),
            ):
                outputs.append(run_cli(capsys, *argv)[1])
    text = "\n".join(outputs)
    assert "does not exist" in text and "refused the login" in text  # the failures happened
    assert "connection refused" in text and "pg_dump" in text
    assert password not in text


def test_backup_on_postgresql_says_to_use_pg_dump(
    tmp_path: Path, pg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, pg.fresh())
    status, output = run_cli(capsys, "backup", "--config", str(config), "--out", str(tmp_path))
    assert status == 2
    assert len(output.strip().splitlines()) == 1 and "pg_dump" in output
    assert list(tmp_path.glob("*.db")) == []


@pytest.mark.e2e
def test_the_demo_on_postgresql_and_its_fresh_rules(
    tmp_path: Path, pg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_db = pg.fresh(migrated=False)
    status, output = run_cli(
        capsys, "demo", "--participants", "6", "--out", str(tmp_path / "d1"), "--db", demo_db.url
    )
    assert status == 0, output[-2000:]
    assert "Evaluation summary" in output
    assert audit.rows(demo_db, "SELECT value FROM marks") == [("feedback-bot demo",)]
    # Again into the same database: refused without --fresh, allowed with it (its mark).
    status, output = run_cli(
        capsys, "demo", "--participants", "6", "--out", str(tmp_path / "d2"), "--db", demo_db.url
    )
    assert status == 2 and "already holds data" in output and "--fresh" in output
    status, output = run_cli(
        capsys,
        "demo",
        "--participants",
        "6",
        "--out",
        str(tmp_path / "d2"),
        "--db",
        demo_db.url,
        "--fresh",
    )
    assert status == 0 and "deleted the earlier demo's" in output
    # A database the bot uses (no demo mark) is never touched, --fresh or not.
    theirs = pg.fresh()
    audit.rows(
        theirs,
        f"INSERT INTO cohorts VALUES ('X-1', 'm', 's', '{utc_text(COHORT_END)}',"
        f" '{utc_text(COHORT_END)}')",
    )
    status, output = run_cli(
        capsys, "demo", "--out", str(tmp_path / "d3"), "--db", theirs.url, "--fresh"
    )
    assert status == 2 and "not a database the demo wrote" in output
    assert audit.rows(theirs, "SELECT code FROM cohorts") == [("X-1",)]


def test_run_sets_up_an_empty_database_but_never_upgrades_one(
    tmp_path: Path, pg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty database a role may create tables in gets them at start-up, as an SQLite
    file does (`check` only says so); an older schema waits for `migrate-schema`."""
    empty = pg.fresh(migrated=False)
    status, output = run_cli(capsys, "check", "--config", str(config_for(tmp_path / "a", empty)))
    assert status == 0, output
    assert audit.rows(empty, "SELECT to_regclass('answers')") == [(None,)]  # check only read
    prepare(empty)  # what `run` does first
    assert audit.rows(empty, "SELECT max(version) FROM schema_migrations") == [(SCHEMA_VERSION,)]

    older = pg.fresh()
    audit.rows(older, "DELETE FROM schema_migrations WHERE version = ?", (SCHEMA_VERSION,))
    with pytest.raises(DatabaseUnavailable, match=f"schema is at version {SCHEMA_VERSION - 1}"):
        prepare(older)
    assert audit.rows(older, "SELECT max(version) FROM schema_migrations") == [
        (SCHEMA_VERSION - 1,)
    ]
