"""A throwaway PostgreSQL server for the tests and benchmarks, started from the binaries on
the machine (`initdb`, `pg_ctl`) in a temporary folder, on a free port on 127.0.0.1.

`initdb` and `postgres` refuse to run as root. Run as root (as CI does), the server runs as
the unprivileged `postgres` user (`runuser -u postgres --`), which owns its folder. Clients
log in with a password (SCRAM), read by libpq from a password file (PGPASSFILE), as a
deployment would; the password is in no URL and in no environment variable.

Each test gets a database of its own, made from a migrated template (`CREATE DATABASE …
TEMPLATE`, which copies files instead of running the migrations again), and dropped after.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.storage.manage import migrate_schema
from core.storage.target import Postgres

SUPERUSER = "postgres"
TEMPLATE = "feedback_template"
ENV_REQUIRE = "FEEDBACK_REQUIRE_POSTGRES"


class PostgresUnavailable(Exception):
    """No PostgreSQL binaries here (or they cannot be run); `str()` says what is missing."""


def _binaries() -> Path:
    """The folder of initdb and pg_ctl: on the PATH, else Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    raise PostgresUnavailable("no initdb and pg_ctl on the PATH or in /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One server for a whole test session (each pytest-xdist worker is a session of its own,
    with its own folder, port and server) or benchmark run. Tests need no durability and run
    it without fsync; `durable` keeps PostgreSQL's defaults (benchmarks)."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        self.bin = _binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="feedback-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.password = secrets.token_hex(16)
        self.passfile = self.folder / "pgpass"
        self._names = itertools.count(1)
        self._runner: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root, and there is no postgres user"
                ) from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root, and there is no runuser")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._runner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self._runner, *command], check=True, capture_output=True, text=True, timeout=120
        )

    def start(self) -> None:
        pwfile = self.folder / "superuser-password"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._runner:
            user = pwd.getpwnam("postgres")
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        try:
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
            for attempt in range(3):
                try:
                    self._pg_ctl_start()
                    break
                except subprocess.CalledProcessError:
                    # The free port may have been taken meanwhile (test workers start their
                    # servers at the same moment): try another.
                    if attempt == 2:
                        raise
                    self.port = _free_port()
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            raise PostgresUnavailable(f"the server did not start: {detail}") from None
        finally:
            pwfile.unlink(missing_ok=True)
        self.passfile.write_text(f"127.0.0.1:{self.port}:*:*:{self.password}\n", encoding="utf-8")
        self.passfile.chmod(0o600)
        os.environ["PGPASSFILE"] = str(self.passfile)
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        migrate_schema(self.target(TEMPLATE))

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        if os.environ.get("PGPASSFILE") == str(self.passfile):
            del os.environ["PGPASSFILE"]

    def target(self, database: str, user: str = SUPERUSER) -> Postgres:
        return Postgres(f"postgresql://{user}@127.0.0.1:{self.port}/{database}")

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, each on its own (CREATE DATABASE cannot be in a
        transaction)."""
        import psycopg

        with psycopg.connect(self.target(database).url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    def fresh(self, *, migrated: bool = True) -> Postgres:
        """A new database of its own: migrated (a copy of the template), or empty."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        template = f" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY" if migrated else ""
        self.execute(f"CREATE DATABASE {name}{template}")
        return self.target(name)

    def drop(self, target: Postgres) -> None:
        name = target.url.rsplit("/", 1)[1].split("?", 1)[0]
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def postgres_server(durable: bool = False) -> Iterator[PostgresServer]:
    """A started server, stopped (and its folder removed) afterwards."""
    server = PostgresServer(durable)
    try:
        server.start()
        yield server
    finally:
        server.stop()
