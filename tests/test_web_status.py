"""`liuhen serve` on a data dir that does not exist yet, and the app's headers."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

from conftest import CHEAP_KDF, PASSPHRASE
from web import create_app


def test_an_unlocked_data_dir_without_accounts_asks_for_the_first_one(services):
    client = create_app(services).test_client()
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/setup"
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_creates_the_data_dir_on_first_run_and_serves(tmp_path):
    port = free_port()
    env = {**os.environ, "LIUHEN_DATA_DIR": str(tmp_path / "data"),
           "LIUHEN_PASSPHRASE": PASSPHRASE, **CHEAP_KDF}
    server = subprocess.Popen([sys.executable, "-m", "logger", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    assert reply.url.endswith("/setup"), reply.url
                    assert 'name="password"' in reply.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
        assert (tmp_path / "data" / "vault.json").is_file()
        written = [p for p in (tmp_path / "data").rglob("*")]
        assert written and all(p.stat().st_mode & 0o077 == 0 for p in written), \
            "everything in the data dir must be private to its user"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
