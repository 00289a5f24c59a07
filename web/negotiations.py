"""Negotiations: the overview (the home page), create and edit."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import select

from storage.models import Negotiation
from web.access import current_user, db

bp = Blueprint("negotiations", __name__)


@bp.get("/")
def overview():
    rows = db().exec(select(Negotiation).where(Negotiation.owner_id == current_user().id)
                     .order_by(Negotiation.id)).all()
    return render_template("negotiations/overview.html", negotiations=rows)
