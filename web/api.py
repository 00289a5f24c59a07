"""The JSON API under /api/v1 (bearer tokens): filled in by the web issue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
