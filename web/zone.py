"""The signed-in person's time zone as a ZoneInfo (for reading typed times and grouping by day;
Flask-Babel formats with the same zone), and a negotiation's zone, the one its exports (bundles,
the API's times) are written in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logger.conduct.zone import negotiation_zone
from storage.models import Negotiation
from web.access import db
from web.i18n import select_timezone
from web.state import app_state


def user_zone() -> ZoneInfo:
    """The account's zone, else `locale.timezone`; a zone name this machine does not know falls
    back to the configured one rather than failing the page."""
    try:
        return ZoneInfo(select_timezone())
    except (ZoneInfoNotFoundError, ValueError):
        return app_state().config.locale.zone


def zone_of(negotiation: Negotiation) -> ZoneInfo:
    """The negotiation's zone: its own, else its owner's, else `locale.timezone`."""
    return negotiation_zone(db(), negotiation, default_zone=app_state().config.locale.zone)
