"""Every subcommand against the mistakes people make, run as an operator runs it: a process of
its own, in a folder that holds someone's data.

The mistakes: missing and malformed arguments; a broken config; `--out` and `--db` naming
files and folders that already hold someone's data; an output path under a regular file (so
"unwritable" does not rest on chmod: CI runs as root); a token the Bot API rejects (a local
stub answering 401); an unreachable Bot API (a closed loopback port); a database another
program has locked (a connection holding BEGIN IMMEDIATE); a placeholder or weak pseudonym
key; an import that would change a stored answer; a duplicate cohort; a report of a cohort
nobody answered; secrets echoed back in an argument.

For each: the documented exit status, no traceback, no secret (the token, its secret half, the
pseudonym key, the database password) in stdout or stderr (which is also the log), and every
file and folder that was there unchanged by checksum, nothing new beside them, and the
database unchanged row by row. The cases run in parallel, each in its own copy of the world.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.exits import ExitStatus
from cli.main import main
from conftest import write_config
from http_kit import free_port, point_at

pytestmark = pytest.mark.e2e

TOKEN = "7012345678:AAHmatrixSECRETtokenHALF0123456789abcd"
KEY = "5f2c0e9b8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243f"
PGPASSWORD = "pg-matrix-secret-4711"
SECRETS = (TOKEN, TOKEN.split(":", 1)[1], KEY, PGPASSWORD)
PLACEHOLDER = "replace-with-64-hex-characters"  # deploy/feedback-bot.env.example's
DB_FILES = {"feedback.db", "feedback.db-wal", "feedback.db-shm"}

ANSWERS = """participant,cohort,phase,question,value
P1,RS-LDN-0314,pre,sector,Education
P1,RS-LDN-0314,pre,role,Clinician
P1,RS-LDN-0314,pre,conf_support,2
P2,RS-LDN-0314,pre,sector,Education
P2,RS-LDN-0314,pre,role,Clinician
P2,RS-LDN-0314,pre,conf_support,3
P1,RS-LDN-0314,post,conf_support,4
"""
CHANGED = "participant,cohort,phase,question,value\nP1,RS-LDN-0314,pre,conf_support,1\n"
BAD_ROWS = "participant,cohort,phase,question,value\nP1,RS-NOPE,pre,conf_support,9\n"
BAD_COHORTS = "module,site,when\njuggling,Hull,someday\n"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    status: ExitStatus
    says: str = ""  # words the output must contain
    env: Mapping[str, str] = field(default_factory=dict)
    locked: bool = False  # another program holds the database's write lock meanwhile
    one_line: bool = False  # the whole output is one line


def case(
    name: str,
    status: ExitStatus,
    *argv: str,
    says: str = "",
    locked: bool = False,
    one_line: bool = False,
    **env: str,
) -> Case:
    return Case(name, argv, status, says, env, locked, one_line)


C = ("--config", "config.toml")
MISSING_CONFIG = "1 problem(s) in the configuration:\n  nope.toml: config file not found"
USAGE, DATABASE = ExitStatus.USAGE, ExitStatus.DATABASE
# fmt: off
CASES = [
    # missing and malformed arguments (argparse's usage errors)
    case("no command", USAGE),
    case("unknown command", USAGE, "frobnicate"),
    case("run without --config", USAGE, "run"),
    case("check without --config", USAGE, "check"),
    case("example-config with an argument", USAGE, "example-config", "x"),
    case("backup without --out", USAGE, "backup", *C),
    case("report without a scope", USAGE, "report", *C, "--out", "r"),
    case("export in an unknown format", USAGE, "export", *C, "--cohort", "RS-LDN-0314",
         "--format", "pdf", "--out", "x.pdf"),
    case("import without a file", USAGE, "import", *C),
    case("cohort without a subcommand", USAGE, "cohort"),
    case("cohort add without --when", USAGE, "cohort", "add", *C, "--module", "risk-support",
         "--site", "Hull"),
    case("demo with 0 participants", USAGE, "demo", "--participants", "0", "--out", "d",
         says="--participants must be between 1 and 2000", one_line=True),
    case("demo with a word for a number", USAGE, "demo", "--participants", "many"),
    # a config that is not there
    case("check of a missing config", ExitStatus.UNEXPECTED, "check", "--config", "nope.toml",
         says="config file not found"),
    case("run with a missing config", USAGE, "run", "--config", "nope.toml"),
    # every command that reads a config lists its problems the same way
    case("backup with a missing config", USAGE, "backup", "--config", "nope.toml", "--out", "b",
         says=MISSING_CONFIG),
    case("report with a missing config", USAGE, "report", "--config", "nope.toml",
         "--cohort", "RS-LDN-0314", "--out", "r", says=MISSING_CONFIG),
    case("import with a missing config", USAGE, "import", "--config", "nope.toml", "a.csv",
         says=MISSING_CONFIG),
    case("cohort list with a missing config", USAGE, "cohort", "list", "--config", "nope.toml",
         says=MISSING_CONFIG),
    # malformed values
    case("report of an unknown cohort", USAGE, "report", *C, "--cohort", "RS-NOPE",
         "--out", "r"),
    case("export of an unknown module", USAGE, "export", *C, "--module", "nope", "--format",
         "csv", "--out", "x.csv"),
    case("cohort add on an unreadable day", USAGE, "cohort", "add", *C, "--module",
         "risk-support", "--site", "Hull", "--when", "someday 9:30-16:30",
         says="could not find a date", one_line=True),
    case("cohort add of an unknown module", USAGE, "cohort", "add", *C, "--module", "juggling",
         "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30"),
    case("cohort add in the past", USAGE, "cohort", "add", *C, "--module", "risk-support",
         "--site", "Hull", "--when", "yesterday 9:30-16:30", says="in the past", one_line=True),
    case("cohort edit saying nothing", USAGE, "cohort", "edit", *C, "RS-HUL-1202"),
    case("cohort edit of an unknown code", USAGE, "cohort", "edit", *C, "RS-NOPE",
         "--site", "York"),
    case("cohort cancel of an unknown code", USAGE, "cohort", "cancel", *C, "RS-NOPE"),
    case("cohort import of a bad file", USAGE, "cohort", "import", *C, "bad-cohorts.csv",
         says="line 2"),
    case("cohort card of an unknown code", USAGE, "cohort", "card", *C, "RS-NOPE",
         "--username", "x_bot"),
    case("import of bad rows", USAGE, "import", *C, "bad.csv", says="nothing was imported"),
    case("import of a missing file", USAGE, "import", *C, "missing.csv"),
    # data that is already there
    case("import that changes a stored answer", USAGE, "import", *C, "changed.csv",
         says="line 2: participant P1, conf_support (pre): '2' → '1'"),
    case("cohort add of a duplicate", USAGE, "cohort", "add", *C, "--module", "risk-support",
         "--site", "hull", "--when", "2 Dec 2099 9:30-16:30", says="--allow-duplicate",
         one_line=True),
    case("report of a cohort nobody answered", ExitStatus.NOTHING_TO_REPORT, "report", *C,
         "--cohort", "GH-LDN-0314", "--out", "r-empty",
         says="No responses yet for GH-LDN-0314", one_line=True),
    case("backup onto an existing file", USAGE, "backup", *C, "--out", "existing.db",
         says="--force", one_line=True),
    case("backup onto the database itself", USAGE, "backup", *C, "--out", "feedback.db",
         "--force", one_line=True),
    case("export onto an existing file", USAGE, "export", *C, "--cohort", "RS-LDN-0314",
         "--format", "csv", "--out", "existing.csv", says="--force", one_line=True),
    case("export onto a folder", USAGE, "export", *C, "--cohort", "RS-LDN-0314",
         "--format", "xlsx", "--out", "reports", one_line=True),
    case("report into a folder holding a report", USAGE, "report", *C,
         "--cohort", "RS-LDN-0314", "--out", "reports", says="--force"),
    case("card over an existing card", USAGE, "cohort", "card", *C, "RS-LDN-0314",
         "--username", "x_bot", "--out", "cards", says="--force", one_line=True),
    case("demo into a folder of someone's files", USAGE, "demo", "--out", "home", one_line=True),
    case("demo --fresh into a folder of someone's files", USAGE, "demo", "--out", "home",
         "--fresh", says="nothing was deleted", one_line=True),
    case("demo --fresh into the current folder", USAGE, "demo", "--out", ".", "--fresh",
         one_line=True),
    case("demo with --db the bot's database", USAGE, "demo", "--out", "new-demo", "--db",
         "feedback.db", one_line=True),
    case("demo --fresh with --db the bot's database", USAGE, "demo", "--out", "new-demo",
         "--db", "feedback.db", "--fresh", says="not a database the demo wrote", one_line=True),
    case("demo --out a file", USAGE, "demo", "--out", "notes.txt", one_line=True),
    # output paths that cannot be written (under a regular file)
    case("backup under a file", USAGE, "backup", *C, "--out", "notes.txt/b.db",
         says="notes.txt is a file", one_line=True),
    case("export under a file", USAGE, "export", *C, "--cohort", "RS-LDN-0314",
         "--format", "csv", "--out", "notes.txt/x.csv", one_line=True),
    case("report under a file", USAGE, "report", *C, "--cohort", "RS-LDN-0314",
         "--out", "notes.txt/r"),
    case("card under a file", USAGE, "cohort", "card", *C, "RS-LDN-0314",
         "--username", "x_bot", "--out", "notes.txt/c", one_line=True),
    case("demo under a file", USAGE, "demo", "--out", "notes.txt/d", one_line=True),
    case("demo with --db under a file", USAGE, "demo", "--out", "d", "--db", "notes.txt/x.db",
         one_line=True),
    # the Bot API
    case("run with a rejected token", ExitStatus.TOKEN_REJECTED, "run", *C,
         says="rejected the bot token"),
    case("card with a rejected token", ExitStatus.TOKEN_REJECTED, "cohort", "card", *C,
         "RS-LDN-0314", "--out", "new-cards", says="rejected the bot token", one_line=True),
    case("run with the Bot API unreachable", ExitStatus.API_UNREACHABLE, "run", "--config",
         "unreachable.toml", says="gave up reaching the Bot API"),
    case("card with the Bot API unreachable", ExitStatus.API_UNREACHABLE, "cohort", "card",
         "--config", "unreachable.toml", "RS-LDN-0314", "--out", "new-cards",
         says="--username", one_line=True),
    # a database another program holds locked
    case("run on a locked database", DATABASE, "run", *C, locked=True, says="locked"),
    case("import into a locked database", DATABASE, "import", *C, "more.csv", locked=True,
         says="locked", one_line=True),
    case("cohort add into a locked database", DATABASE, "cohort", "add", *C, "--module",
         "risk-support", "--site", "York", "--when", "3 Dec 2099 9:30-16:30", locked=True,
         says="locked", one_line=True),
    case("cohort edit in a locked database", DATABASE, "cohort", "edit", *C, "RS-HUL-1202",
         "--site", "York", locked=True, one_line=True),
    case("cohort cancel in a locked database", DATABASE, "cohort", "cancel", *C,
         "RS-HUL-1202", locked=True, one_line=True),
    case("cohort import into a locked database", DATABASE, "cohort", "import", *C,
         "cohorts.csv", locked=True, one_line=True),
    # the pseudonym key
    case("run with the placeholder key", USAGE, "run", *C, says="openssl rand -hex 32",
         FEEDBACK_PSEUDONYM_KEY=PLACEHOLDER, one_line=True),
    case("run with a short key", USAGE, "run", *C, says="too short",
         FEEDBACK_PSEUDONYM_KEY="0123456789abcdef", one_line=True),
    case("run with a predictable key", USAGE, "run", *C, says="too predictable",
         FEEDBACK_PSEUDONYM_KEY="ab" * 20, one_line=True),
    case("check with the placeholder key", ExitStatus.UNEXPECTED, "check", *C,
         says="placeholder", FEEDBACK_PSEUDONYM_KEY=PLACEHOLDER),
    # secrets echoed back in what people type
    case("check of a config named after the token", ExitStatus.UNEXPECTED, "check",
         "--config", f"{TOKEN}.toml", says="config file not found"),
    case("report of a cohort named after the key", USAGE, "report", *C, "--cohort", KEY,
         "--out", "r"),
    case("check of a database URL with its password", ExitStatus.UNEXPECTED, "check",
         "--config", f"postgresql://bot:{PGPASSWORD}@db.example/feedback", says="[REDACTED]"),
    # the database as a whole: its schema, copying it
    case("migrate-schema with a missing config", USAGE, "migrate-schema", "--config",
         "nope.toml"),
    case("migrate-schema on a locked database", DATABASE, "migrate-schema", *C, locked=True,
         says="locked", one_line=True),
    case("migrate without --to", USAGE, "migrate", *C),
    case("migrate without a source", USAGE, "migrate", "--to", "sqlite://copy.db",
         says="--from", one_line=True),
    case("migrate to a database of another kind", USAGE, "migrate", *C, "--to",
         "mysql://db.example/feedback", says="--to", one_line=True),
    case("migrate over an existing file", USAGE, "migrate", *C, "--to", "sqlite://existing.db",
         says="already exists", one_line=True),
    case("migrate onto itself", USAGE, "migrate", *C, "--to", "feedback.db",
         says="the same database", one_line=True),
    case("migrate to a URL with its password", USAGE, "migrate", *C, "--to",
         f"postgresql://bot:{PGPASSWORD}@db.example/feedback", says="PGPASSWORD", one_line=True),
    case("backup of a PostgreSQL database", USAGE, "backup", "--config", "pg.toml", "--out",
         "b.db", says="pg_dump", one_line=True),
]
# fmt: on


class Rejecting(http.server.BaseHTTPRequestHandler):
    """A Bot API that rejects every token, as Telegram does a revoked one."""

    def _reject(self) -> None:
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _reject

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def rejecting_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Rejecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, rejecting_api: str) -> Path:
    """A folder as an operator's might be: a config, a database with answers and a stored
    cohort, and files and folders of their own (the sentinels)."""
    root = tmp_path_factory.mktemp("world")
    made = write_config(root)
    point_at(made, rejecting_api, root / "config.toml")
    unreachable = f"http://127.0.0.1:{free_port()}"
    point_at(made, unreachable, root / "unreachable.toml", startup_timeout="1s")
    (root / "pg.toml").write_text(
        (root / "config.toml")
        .read_text(encoding="utf-8")
        .replace('database = "feedback.db"', 'database = "postgresql://bot@db.example/feedback"'),
        encoding="utf-8",
    )
    (root / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    config = str(root / "config.toml")
    assert main(["import", "--config", config, str(root / "answers.csv")]) == 0
    add = ["--module", "risk-support", "--site", "Hull", "--when", "2 Dec 2099 9:30-16:30"]
    assert main(["cohort", "add", "--config", config, *add]) == 0
    conn = sqlite3.connect(root / "feedback.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    sentinels: dict[str, str | bytes] = {
        "notes.txt": "my notes",
        "existing.db": b"someone's own backup",
        "existing.csv": "someone's own export",
        "reports/report.html": "<p>someone's own report</p>",
        "cards/RS-LDN-0314-card-A5.png": b"someone's own card",
        "home/thesis.tex": "years of work",
        "home/work/data.csv": "a,b\n1,2\n",
        "changed.csv": CHANGED,
        "bad.csv": BAD_ROWS,
        "more.csv": "participant,cohort,phase,question,value\nP9,RS-LDN-0314,pre,role,Other\n",
        "bad-cohorts.csv": BAD_COHORTS,
        "cohorts.csv": "module,site,when\nrisk-support,Leeds,4 Dec 2099 9:30-16:30\n",
    }
    for name, content in sentinels.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def database_rows(database: Path) -> dict[str, list[str]]:
    if not database.is_file():
        return {"(no database file)": []}
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{t}"')) for t in tables}
    finally:
        conn.close()


def snapshot(root: Path) -> dict[str, object]:
    """Every file (by checksum) and folder under `root`, and the database row by row."""
    paths: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name in DB_FILES:
            continue  # compared by content below: SQLite may checkpoint or add -wal/-shm
        paths[name] = "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return {"paths": paths, "database": database_rows(root / "feedback.db")}


@dataclass
class Outcome:
    status: int
    output: str
    before: dict[str, object]
    after: dict[str, object]


def run_case(item: Case, root: Path) -> Outcome:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "PGPASSWORD")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, FEEDBACK_PSEUDONYM_KEY=KEY, PGPASSWORD=PGPASSWORD)
    env.update(item.env)
    before = snapshot(root)
    holder = None
    if item.locked:
        holder = sqlite3.connect(root / "feedback.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *item.argv],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    return Outcome(done.returncode, done.stdout + done.stderr, before, snapshot(root))


@pytest.fixture
def outcome(item: Case, world: Path, tmp_path: Path) -> Outcome:
    """The case, run in a copy of the world of its own."""
    root = tmp_path / "world"
    shutil.copytree(world, root)
    return run_case(item, root)


@pytest.mark.parametrize("item", CASES, ids=[c.name for c in CASES])
def test_a_mistake_changes_nothing_and_leaks_nothing(item: Case, outcome: Outcome) -> None:
    output = outcome.output
    assert outcome.status == item.status, output
    assert "Traceback" not in output, output
    for secret in SECRETS:
        assert secret not in output, "a secret reached the terminal"
    assert item.says in output, output
    if item.one_line:
        assert len(output.strip().splitlines()) == 1, output
    assert outcome.after["paths"] == outcome.before["paths"], "files changed, appeared or went"
    assert outcome.after["database"] == outcome.before["database"], "the database changed"
