"""Browser tests' common parts (a pytest plugin, see tests/conftest.py): Debian's Chromium driven
by Playwright, headless, and a real `liuhen serve` on loopback.

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
from collections.abc import Iterator
from contextlib import contextmanager
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


def new_page(browser, **options):
    """A page in a context of its own (zh-CN, Shanghai, 1280 px unless `options` say otherwise)
    whose script errors and console errors are collected in `page.errors`."""
    settings = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai",
                "viewport": {"width": 1280, "height": 900}, **options}
    opened = browser.new_context(**settings).new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.errors = errors
    return opened


@pytest.fixture
def page(browser):
    opened = new_page(browser)
    yield opened
    opened.context.close()


class Server:
    def __init__(self, url: str, data_dir: Path, process: subprocess.Popen, log: Path):
        self.url, self.data_dir, self.process, self.log = url, data_dir, process, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving(tmp_path: Path, data_dir: Path, *, env: dict[str, str] | None = None,
            args: tuple[str, ...] = (), ready_path: str = "/") -> Iterator[Server]:
    """`liuhen serve` on a free loopback port over `data_dir`, with no LIUHEN_* variable of the
    test run's own environment (only CHEAP_KDF and `env`), until it answers `ready_path`;
    stopped on leaving."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    environment.update({"LIUHEN_DATA_DIR": str(data_dir), **CHEAP_KDF, **(env or {})})
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "logger", "serve", "--port", str(port),
                                    *args], env=environment, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=tmp_path)
    running = Server(f"http://127.0.0.1:{port}", data_dir, process, log)
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(running.url + ready_path, timeout=2):
                    break
            except OSError:
                assert process.poll() is None, running.output()
                assert time.monotonic() < deadline, "serve did not answer within 60 s\n" + \
                    running.output()
                time.sleep(0.3)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
