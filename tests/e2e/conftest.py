"""Browser tests: a real `liuhen serve` on loopback (its own data dir, first run included),
driven by Playwright through Debian's Chromium, headless. Screenshots of the main pages go to
tests/e2e/screenshots/ (not committed) for a person to look at.

Chromium comes from the Debian package (`tools/system-packages.sh` installs it); Playwright
cannot download its own browsers here, so the executable is named explicitly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.common import CHEAP_KDF

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: run tools/system-packages.sh as root "
                "(Debian package `chromium`)")


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True,
            # Running as root (CI) needs --no-sandbox; the pages are our own app on loopback.
            args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


class Server:
    def __init__(self, url: str, data_dir: Path, process: subprocess.Popen, log: Path):
        self.url, self.data_dir, self.process, self.log = url, data_dir, process, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def server(tmp_path):
    """`liuhen serve` on a data dir that does not exist yet, with no passphrase in its
    environment: the browser meets the first-run page, as a newcomer does after `make run`."""
    port = free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    env.update({"LIUHEN_DATA_DIR": str(data_dir), **CHEAP_KDF,
                "LIUHEN_WORKER_POLL_SECONDS": "1"})
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "logger", "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    running = Server(url, data_dir, process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                break
        except OSError:
            assert process.poll() is None, running.output()
            assert time.monotonic() < deadline, "serve did not answer within 60 s\n" + \
                running.output()
            time.sleep(0.3)
    yield running
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.errors = errors
    yield opened
    context.close()
