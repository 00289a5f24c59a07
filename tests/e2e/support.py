"""Helpers the browser tests import (conftest modules are not importable by name)."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).parent / "screenshots"


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot for people to look at (tests/e2e/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
