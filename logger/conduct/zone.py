"""The time zone a negotiation's local times are read and shown in: its own (its conduct
setting), else its owner's, else the config's `locale.timezone`. Apart from
logger.conduct.report, so that a command that only shows times loads no checks, rule sets or
intake; the report and the rule set it picks by default read the zone from here."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from logger.errors import LiuhenError
from storage.models import ConductSetting, Negotiation, User


class ConductError(LiuhenError):
    """A conduct setting or dismissal was refused; the message says why."""


def parse_zone(name: object) -> ZoneInfo:
    """An IANA time zone by name; ConductError naming it when there is none."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConductError(f"“{name}” is not a known time zone (for example Asia/Shanghai, "
                           "America/New_York)") from None


def zone_of(setting: ConductSetting, owner: User | None, default_zone: ZoneInfo
            ) -> tuple[ZoneInfo, str]:
    """The zone in force and where it comes from: "negotiation", "owner" or "config"."""
    if setting.timezone:
        return parse_zone(setting.timezone), "negotiation"
    if owner is not None and owner.timezone:
        return parse_zone(owner.timezone), "owner"
    return default_zone, "config"


def negotiation_zone(session: Session, negotiation: Negotiation, *, default_zone: ZoneInfo
                     ) -> ZoneInfo:
    """The zone local times of this negotiation are read and shown in."""
    setting = session.get(ConductSetting, negotiation.id) or ConductSetting(
        negotiation_id=negotiation.id)
    return zone_of(setting, session.get(User, negotiation.owner_id), default_zone)[0]
