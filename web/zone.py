"""The signed-in person's time zone as a ZoneInfo (for reading typed times and grouping by day;
Flask-Babel formats with the same zone)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from web.i18n import select_timezone
from web.state import app_state


def user_zone() -> ZoneInfo:
    """The account's zone, else `locale.timezone`; a zone name this machine does not know falls
    back to the configured one rather than failing the page."""
    try:
        return ZoneInfo(select_timezone())
    except (ZoneInfoNotFoundError, ValueError):
        return app_state().config.locale.zone
