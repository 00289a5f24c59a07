"""Browser tests: a real `liuhen serve` on loopback (its own data dir, first run included),
driven by Playwright through Debian's Chromium, headless (tests/support/browser.py: `browser`,
`page`). Screenshots of the main pages go to tests/e2e/screenshots/ (not committed) for a person
to look at."""

from __future__ import annotations

import pytest

from tests.support.browser import serving


@pytest.fixture
def server(tmp_path):
    """`liuhen serve` on a data dir that does not exist yet, with no passphrase in its
    environment: the browser meets the first-run page, as a newcomer does after `make run`."""
    with serving(tmp_path, tmp_path / "data", env={"LIUHEN_WORKER_POLL_SECONDS": "1"}) as running:
        yield running
