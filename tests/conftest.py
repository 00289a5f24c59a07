"""Shared fixtures: each test builds its own world under tmp_path (data dir, vault, database,
blobs). Vaults use cheap key-derivation parameters so the suite stays fast; the production
defaults are exercised in tests/test_vault.py."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from logger.config import Config, VaultConfig, load_config
from tests.support.common import CHEAP_KDF, PASSPHRASE

pytest_plugins = ["tests.support.pg", "tests.support.blobs", "tests.support.web",
                  "tests.support.browser", "tests.support.schema", "tests.support.seaweed"]

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any attempt to reach a host other than this one: tests must not depend on the
    internet, and nothing Liuhen does in them may phone home."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def testdata() -> Path:
    assert TESTDATA.is_dir(), f"the shared test inputs are missing at {TESTDATA}"
    return TESTDATA


@pytest.fixture
def config(tmp_path) -> Config:
    base = load_config(env={})
    return dataclasses.replace(
        base.with_data_dir(tmp_path / "data"),
        vault=VaultConfig(kdf_memory_mib=8, kdf_iterations=1))


@pytest.fixture
def services(config):
    from logger.services import Services
    with Services.create(config, PASSPHRASE) as opened:
        yield opened


@pytest.fixture
def session(services):
    with services.session() as s:
        yield s


@pytest.fixture
def owner(session):
    from logger.accounts import add_user
    return add_user(session, "owner", "owner-password")


@pytest.fixture
def negotiation(session, owner):
    from tests.support.common import make_negotiation_in
    return make_negotiation_in(session, owner, collection_agency="某某催收公司")


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    return {"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_PASSPHRASE": PASSPHRASE,
            "LIUHEN_PASSWORD": "owner-password", **CHEAP_KDF}


@pytest.fixture
def cli(cli_env, monkeypatch, tmp_path):
    """Run `liuhen ...` in-process: cli("import", "--negotiation", "1", path)."""
    from logger.cli.main import cli as command
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args, env=None, input=None):
        return runner.invoke(command, [str(a) for a in args], env={**cli_env, **(env or {})},
                             input=input, catch_exceptions=False)
    return run


@pytest.fixture
def services_for(config, cli_env):
    """Open the data dir the `cli` fixture works on, in-process (after `cli("init")`)."""
    from logger.services import Services

    def open_services():
        return Services.open(config, cli_env["LIUHEN_PASSPHRASE"])
    return open_services
