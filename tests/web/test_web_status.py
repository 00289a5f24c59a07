"""`liuhen serve`: on a data dir that does not exist yet, on a locked one, with a passphrase
from the environment; the background worker once the data dir is open; the app's headers."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from importlib.metadata import entry_points

import pytest
from sqlmodel import select

from logger.cli.main import Context
from logger.config import load_config
from logger.services import Services
from storage.models import Role, User
from tests.support.common import CHEAP_KDF, PASSPHRASE
from tests.support.web import post_form
from web import create_app
from web.cli import BACKGROUND_GROUP, build_app

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_an_unlocked_data_dir_without_accounts_asks_for_the_first_one(services):
    client = create_app(services).test_client()
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/setup"
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert 'name="passphrase"' not in page.get_data(as_text=True)
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(data_dir, **env):
    """`liuhen serve` in a subprocess with no terminal; yields a URL opener that keeps cookies
    and the base URL, once the server answers."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "LIUHEN_PASSPHRASE"}
    environment.update({"LIUHEN_DATA_DIR": str(data_dir), **CHEAP_KDF, **env})
    server = subprocess.Popen([sys.executable, "-m", "logger", "serve", "--port", str(port)],
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                opener.open(f"{base}/static/css/liuhen.css", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        yield opener, base
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stdout.close()


def assert_private(data_dir):
    written = list(data_dir.rglob("*"))
    assert written and all(p.stat().st_mode & 0o077 == 0 for p in written), \
        "everything in the data dir must be private to its user"


def test_serve_with_a_passphrase_creates_the_data_dir_on_first_run(tmp_path):
    data_dir = tmp_path / "data"
    with serving(data_dir, LIUHEN_PASSPHRASE=PASSPHRASE) as (opener, base):
        with opener.open(f"{base}/", timeout=10) as reply:
            assert reply.url.endswith("/setup"), reply.url
            page = reply.read().decode()
        assert 'name="password"' in page and 'name="passphrase"' not in page
        assert (data_dir / "vault.json").is_file()
        assert_private(data_dir)


def test_serve_without_a_passphrase_lets_a_newcomer_create_everything_in_the_browser(tmp_path):
    data_dir = tmp_path / "data"
    with serving(data_dir) as (opener, base):
        with opener.open(f"{base}/", timeout=10) as reply:
            assert reply.url.endswith("/setup"), reply.url
            page = reply.read().decode()
        assert 'name="passphrase"' in page and not data_dir.exists()
        form = {"csrf_token": CSRF_FIELD.search(page).group(1), "name": "阿明",
                "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE,
                "password": "a-good-password", "password_again": "a-good-password"}
        with opener.open(f"{base}/setup", urllib.parse.urlencode(form).encode(),
                         timeout=60) as reply:
            assert reply.url.endswith("/negotiations/new"), reply.url
        assert_private(data_dir)
    config = load_config(env={}).with_data_dir(data_dir)
    with Services.open(config, PASSPHRASE) as services, services.session() as session:
        assert [(u.name, u.role) for u in session.exec(select(User))] == [("阿明", Role.owner)]


def test_serve_without_a_passphrase_on_an_existing_data_dir_shows_the_unlock_page(config):
    Services.create(config, PASSPHRASE).close()
    with serving(config.storage.data_dir) as (opener, base):
        with opener.open(f"{base}/", timeout=10) as reply:
            assert reply.url.endswith("/unlock"), reply.url
            assert 'name="passphrase"' in reply.read().decode()


@pytest.fixture
def no_passphrase_in_env(monkeypatch):
    monkeypatch.delenv("LIUHEN_PASSPHRASE", raising=False)


# The other background services (folder watch, mail-in, scheduler ...) are left out: these tests
# are about when the worker starts.
ALL_BUT_THE_WORKER = {entry.name for entry in entry_points(group=BACKGROUND_GROUP)} - {"worker"}


def test_the_worker_starts_once_the_unlock_page_opens_the_data_dir(config, no_passphrase_in_env):
    Services.create(config, PASSPHRASE).close()
    stop = threading.Event()
    app, threads = build_app(Context(config), stop, skip=ALL_BUT_THE_WORKER)
    try:
        assert app.extensions["liuhen"].services is None and threads == []
        browser = app.test_client()
        assert browser.get("/").headers["Location"] == "/unlock"
        assert threads == [], "nothing runs before the data dir is open"
        post_form(browser, "/unlock", {"passphrase": PASSPHRASE})
        assert [t.name for t in threads] == ["liuhen-worker"] and threads[0].is_alive()
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        app.extensions["liuhen"].close()
    assert not any(t.is_alive() for t in threads)


def test_no_worker_means_none_after_unlock_either(config, no_passphrase_in_env):
    Services.create(config, PASSPHRASE).close()
    stop = threading.Event()
    app, threads = build_app(Context(config), stop, skip=ALL_BUT_THE_WORKER | {"worker"})
    try:
        post_form(app.test_client(), "/unlock", {"passphrase": PASSPHRASE})
        assert app.extensions["liuhen"].services is not None and threads == []
    finally:
        stop.set()
        app.extensions["liuhen"].close()


def test_with_a_passphrase_the_worker_starts_at_once(config, monkeypatch):
    Services.create(config, PASSPHRASE).close()
    monkeypatch.setenv("LIUHEN_PASSPHRASE", PASSPHRASE)
    stop = threading.Event()
    context = Context(config)
    app, threads = build_app(context, stop, skip=ALL_BUT_THE_WORKER)
    try:
        assert app.extensions["liuhen"].services is not None
        assert [t.name for t in threads] == ["liuhen-worker"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        context.close()
