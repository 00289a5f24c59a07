"""The time zone a request's times are read and shown in.

A request about one negotiation (web.access notes the first one it resolves) reads the times
typed into it and shows its times in that negotiation's zone (`logger.conduct.zone`: its own,
else its owner's, else `locale.timezone`), whoever is signed in: a helper living elsewhere types
and reads the times the rules judge, and the page says which zone they are in (`zone_note`).
Every other page (the overview, settings, notifications) is in the account's zone. Flask-Babel
formats in `page_zone` (web.i18n); exports (bundles, the API) are written in `zone_of`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g

from logger.conduct.zone import negotiation_zone
from logger.record.moments import zone_label
from storage.models import Negotiation
from web.access import db
from web.state import app_state


def user_zone() -> ZoneInfo:
    """The signed-in account's zone, else `locale.timezone`; a zone name this machine does not
    know falls back to the configured one rather than failing the page."""
    user = g.get("user")
    configured = app_state().config.locale.zone
    if user is None or not user.timezone:
        return configured
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return configured


def zone_of(negotiation: Negotiation) -> ZoneInfo:
    """The negotiation's zone: its own, else its owner's, else `locale.timezone`."""
    return negotiation_zone(db(), negotiation, default_zone=app_state().config.locale.zone)


def page_zone() -> ZoneInfo:
    """This request's zone: its negotiation's, else the account's. Kept for the request (the
    forms, Flask-Babel and the zone note each ask) while the negotiation and the account's zone
    stay as they are."""
    negotiation_id = g.get("negotiation_id")
    user = g.get("user")
    key = (negotiation_id, user.id if user else None, user.timezone if user else None)
    kept = g.get("page_zone")
    if kept is not None and kept[0] == key:
        return kept[1]
    negotiation = db().get(Negotiation, negotiation_id) if negotiation_id is not None else None
    zone = zone_of(negotiation) if negotiation is not None else user_zone()
    g.page_zone = (key, zone)
    return zone


def zone_note() -> str | None:
    """"America/New_York, UTC-05:00" when this page's times are in a zone other than the
    reader's own (the page then says so), else None."""
    zone = page_zone()
    return zone_label(zone) if zone.key != user_zone().key else None
