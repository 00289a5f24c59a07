"""The first-run and unlock pages with the vault in the PostgreSQL database (`storage.vault_in
= "database"`): the first-run page of one web server creates it there, the unlock page of another
(its own data dir, nothing shared but the database) opens it, and `liuhen serve` with a key file
opens it without a page."""

from __future__ import annotations

import dataclasses
import threading
from importlib.metadata import entry_points

import pytest
from sqlmodel import select

from logger.bundles.signing import KEY_FILE_NAME
from logger.cli.main import Context
from logger.services import Services
from storage.models import Role, User
from tests.support.common import PASSPHRASE
from tests.support.web import new_browser, page_text, post_form, sign_in
from web import create_app
from web.cli import BACKGROUND_GROUP, build_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def machine(config, tmp_path, postgres_db_url):
    def make(name: str, **storage):
        own = config.with_data_dir(tmp_path / name / "data")
        return dataclasses.replace(own, storage=dataclasses.replace(
            own.storage, database_url=postgres_db_url, vault_in="database", **storage))
    return make


@pytest.fixture
def no_passphrase_in_env(monkeypatch):
    monkeypatch.delenv("LIUHEN_PASSPHRASE", raising=False)
    monkeypatch.delenv("LIUHEN_KEY_FILE", raising=False)


def first_run_form():
    return {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, "name": "阿明",
            "password": "a-good-password", "password_again": "a-good-password"}


def test_one_server_creates_the_vault_in_the_database_and_another_unlocks_it(machine):
    first_config, second_config = machine("web1"), machine("web2")
    first = create_app(config=first_config)
    second = create_app(config=second_config)
    try:
        browser = new_browser(first)
        assert browser.get("/").headers["Location"] == "/setup"
        assert new_browser(second).get("/").headers["Location"] == "/setup"
        reply = post_form(browser, "/setup", first_run_form())
        assert reply.status_code == 302 and reply.headers["Location"] == "/negotiations/new"
        assert not (first_config.storage.data_dir / "vault.json").exists()

        # The second server, locked until now, finds the vault in the database.
        other = new_browser(second)
        assert other.get("/").headers["Location"] == "/unlock"
        assert other.get("/setup").headers["Location"] == "/unlock"
        wrong = post_form(other, "/unlock", {"passphrase": "not the passphrase"})
        assert wrong.status_code == 400
        assert "That passphrase does not open the vault." in page_text(wrong)
        assert post_form(other, "/unlock", {"passphrase": PASSPHRASE}).headers["Location"] \
            == "/login"
        sign_in(other, "阿明", "a-good-password")  # the owner the first server made
        assert other.get("/negotiations/new").status_code == 200
        assert second.secret_key == first.secret_key, "sessions agree across the servers"
        for own in (first_config, second_config):
            data_dir = own.storage.data_dir  # the second one's is not even made
            names = {p.name for p in data_dir.iterdir()} if data_dir.exists() else set()
            assert not names & {"vault.json", KEY_FILE_NAME}, names
    finally:
        first.extensions["liuhen"].close()
        second.extensions["liuhen"].close()
    with Services.open(second_config, PASSPHRASE) as services, services.session() as session:
        assert [(u.name, u.role) for u in session.exec(select(User))] == [("阿明", Role.owner)]


def test_serve_with_a_key_file_opens_the_vault_in_the_database(machine, tmp_path,
                                                              no_passphrase_in_env):
    key_path = tmp_path / "web2.key"
    with Services.create(machine("admin"), PASSPHRASE) as services:
        services.vault.add_key_file(key_path, label="web2")
    stop = threading.Event()
    app, threads = build_app(Context(machine("web2", key_file=str(key_path))), stop,
                             skip={e.name for e in entry_points(group=BACKGROUND_GROUP)})
    try:
        assert app.extensions["liuhen"].services is not None, "no page needed to unlock"
        assert new_browser(app).get("/", follow_redirects=True).request.path == "/setup", \
            "open, with no account yet"
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        app.extensions["liuhen"].close()
