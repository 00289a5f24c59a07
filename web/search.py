"""Search: one box across all of the account's evidence. Filled in by the web issue."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    return render_template("base.html")
