"""Helpers the browser tests import (conftest modules are not importable by name)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).parent / "screenshots"


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot for people to look at (tests/e2e/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serving_app(app) -> Iterator[str]:
    """`app` (over a data dir a test filled through the domain) on a free loopback port, in
    threads of this process, as `liuhen serve` would answer; yields its address. For pages
    whose content a test sets up directly, without uploads and the worker."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
