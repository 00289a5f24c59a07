"""Pytest plugin: a real PostgreSQL server for the tests (`pytest_plugins = ["fixtures_pg"]`).

`postgres_url` (session): the admin URL of a server that lets us CREATE DATABASE. It is
LIUHEN_TEST_PG_URL when set, else a throwaway cluster started with initdb/pg_ctl in a temp dir,
listening on loopback only, stopped and removed at the end of the session. When running as root
the cluster runs as the `postgres` system user (initdb refuses root).

`postgres_db_url` (function): a fresh, empty database for one test, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from logger.services import Services
from storage.db import make_engine, migrate
from tests.support.common import PASSPHRASE

NOT_INSTALLED = (
    "PostgreSQL is needed for these tests: apt-get install postgresql (or set LIUHEN_TEST_PG_URL)"
)
SERVER_USER = "postgres"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("LIUHEN_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _find_bindir()
    if bindir is None:
        pytest.fail(NOT_INSTALLED, pytrace=False)
    cluster = _Cluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def fresh_database(postgres_url: str, prefix: str = "liuhen_test") -> Iterator[str]:
    """A new, empty database on the server of `postgres_url` (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _psycopg_dsn(postgres_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            # FORCE: a test that failed may still hold a connection open.
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_db_url(postgres_url: str) -> Iterator[str]:
    with fresh_database(postgres_url) as url:
        yield url


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _find_bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    # Newest version first; Debian's /usr/bin/pg_config may point at /usr/bin (no initdb there).
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="liuhen-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        self.started = False

    def start(self) -> str:
        if self.as_root:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError:
                pytest.fail(f"running as root, and PostgreSQL refuses root: create the "
                            f"`{SERVER_USER}` user (the postgresql package does) or set "
                            "LIUHEN_TEST_PG_URL", pytrace=False)
            shutil.chown(self.root, user=SERVER_USER)
        self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        port = _free_port()
        options = (f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   # a throwaway cluster: durability would only slow the tests down
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.started = True
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}",
                        pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A migrated database, once on SQLCipher and once on PostgreSQL."""
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else ""
    built = make_engine(url, sqlite_path=tmp_path / "liuhen.db", key=os.urandom(32))
    migrate(built)
    yield built
    built.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request, config):
    """An open data dir (the `config` fixture's) whose database is SQLCipher, or PostgreSQL."""
    if request.param == "postgres":
        storage = dataclasses.replace(config.storage,
                                      database_url=request.getfixturevalue("postgres_db_url"))
        config = dataclasses.replace(config, storage=storage)
    with Services.create(config, PASSPHRASE) as services:
        yield services
