"""Collection-conduct findings: which contacts and words on record look like breaches of the
collection rules, computed on demand from what is stored, never stored themselves. What each
text contributes (its messages, its passages with the lexicon's matches) is kept, so a report
reads again only the texts that changed (`logger.conduct.contributions`), and a process that
keeps (`keep=True`, the web) reads again only the items changed since its last report of the
negotiation and checks the contacts again only when they changed (`logger.conduct.kept`); the
findings equal a rebuild from every text (`rebuild=True`).

Rule sets are data (`logger/conduct/rules/*.toml`, read by `logger.conduct.ruleset`); the
checks are in `logger.conduct.checks`, their inputs come from `logger.conduct.inputs`. Each
negotiation uses one rule set (chosen, or by default the one covering its time zone), with
rules switched off as the user chose (`configure_conduct`). A finding's id is a hash of its
rule, record and moment, so the same inputs give the same ids and a dismissal
(`dismiss_finding`, kept in the custody log with its reason) sticks.

For the web pages, the timeline and the bundle, one call gives everything::

    report = conduct_report(session, negotiation, default_zone=config.locale.zone)

`report` is a `ConductReport` of plain frozen dataclasses (`report.as_dict()` is the same as
JSON, which `liuhen conduct report --json` prints):

- `rule_set` (`RuleSet`: id, name {zh, en}, rules), `rule_set_chosen` (False: the default for
  the zone), `timezone` (IANA name), `timezone_from` ("negotiation", "owner" or "config"),
  `rules`: `RuleState(rule, enabled)` for each rule of the set, with description {zh, en},
  legal sources (document and provision, each {zh, en}, and whether checked), params.
- `findings`: every `Finding` (see logger.conduct.checks), dismissed ones too with their
  `dismissal` (reason, at, by), each with its rule's `legal_sources`. Each has a `state`:
  "active" (a suggested breach, counted), "needs_direction" (about a contact or message whose
  direction is unknown: shown apart with a way to set it, never counted, never in a letter or a
  bundle's purposes), "suggested" (a third-party contact read from the words, or a sentence the
  resemblance model read as misconduct where no pattern matched: shown apart, not counted until
  a person confirms it, logger.conduct.confirm) or "dismissed".
  `active()` gives the counted ones; `needs_direction()` those waiting for a direction,
  `suggested()` those waiting for a confirmation;
  `by_evidence()` maps an evidence id to its active findings (a bundle item's purpose);
  `on_lines()` maps a record ("evidence:12", "calllog:7") to the findings its timeline line
  shows, active and waiting for a direction (the timeline's flags).
- `per_day`: `DayCount(date, contacts, unanswered_calls, outside_hours, findings)` for each
  local day with a contact or a finding, oldest first (the chart of contacts per day);
  `per_hour`: 24 `HourCount(hour, contacts, forbidden)` (contacts per local hour of day, and
  whether an enabled time-of-day rule forbids any of that hour: the shaded hours).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from logger.conduct.checks import Contact, Dismissal, Finding, allowed_at
from logger.conduct.contributions import gather_kept
from logger.conduct.inputs import gather
from logger.conduct.kept import checked_findings, gathered, once
from logger.conduct.ruleset import Rule, RuleSet, default_rule_set, get_rule_set
from logger.conduct.zone import ConductError, parse_zone, zone_of
from logger.errors import NotFound
from logger.record import custody
from logger.record.archive import is_archived
from logger.record.moments import machine_time
from storage.models import (Channel, ConductSetting, CustodyAction, FindingConfirmation,
                            FindingDismissal, Negotiation, User)
from storage.models.types import utcnow

__all__ = ["KEEP", "MIN_ID_PREFIX", "ConductChoice", "ConductError", "ConductReport", "DayCount",
           "HourCount", "RuleState", "conduct_choice", "conduct_report", "configure_conduct",
           "dismiss_finding", "find_finding", "finding_dict"]

KEEP = object()  # configure_conduct: leave this setting as it is
MIN_ID_PREFIX = 6


@dataclass(frozen=True)
class ConductChoice:
    rule_set: RuleSet
    rule_set_chosen: bool
    zone: ZoneInfo
    timezone_from: str
    disabled: frozenset[str]


@dataclass(frozen=True)
class RuleState:
    rule: Rule
    enabled: bool


@dataclass(frozen=True)
class DayCount:
    date: date
    contacts: int
    unanswered_calls: int
    outside_hours: int
    findings: int


@dataclass(frozen=True)
class HourCount:
    hour: int
    contacts: int
    forbidden: bool


@dataclass(frozen=True)
class ConductReport:
    negotiation_id: int
    rule_set: RuleSet
    rule_set_chosen: bool
    timezone: str
    timezone_from: str
    rules: tuple[RuleState, ...]
    findings: tuple[Finding, ...]
    per_day: tuple[DayCount, ...]
    per_hour: tuple[HourCount, ...]

    def active(self) -> list[Finding]:
        """The suggested breaches that count: neither dismissed nor waiting for a direction."""
        return [f for f in self.findings if f.state == "active"]

    def needs_direction(self) -> list[Finding]:
        """Findings about a contact or message whose direction nobody has set yet."""
        return [f for f in self.findings if f.state == "needs_direction"]

    def suggested(self) -> list[Finding]:
        """Findings read from the words only, waiting for a person to confirm or dismiss them."""
        return [f for f in self.findings if f.state == "suggested"]

    def by_evidence(self) -> dict[int, list[Finding]]:
        flags: dict[int, list[Finding]] = {}
        for finding in self.active():
            if finding.evidence_id is not None:
                flags.setdefault(finding.evidence_id, []).append(finding)
        return flags

    def on_lines(self) -> dict[str, list[Finding]]:
        """"evidence:<id>" / "calllog:<id>" -> the findings that line of the timeline shows
        (active or waiting for a direction), in the report's order. A finding about a message
        of a backup or a contact recorded by hand is shown on the item it belongs to; one about
        an imported call, on that call's line."""
        lines: dict[str, list[Finding]] = {}
        for finding in self.findings:
            if finding.dismissal is not None:
                continue
            if finding.source.startswith("calllog:"):
                lines.setdefault(finding.source, []).append(finding)
            elif finding.evidence_id is not None:
                lines.setdefault(f"evidence:{finding.evidence_id}", []).append(finding)
        return lines

    def as_dict(self) -> dict:
        return {
            "negotiation_id": self.negotiation_id,
            "rule_set": {"id": self.rule_set.id, "name": dict(self.rule_set.name),
                         "chosen": self.rule_set_chosen},
            "timezone": {"name": self.timezone, "from": self.timezone_from},
            "rules": [{**s.rule.as_dict(), "enabled": s.enabled} for s in self.rules],
            "findings": [finding_dict(f, ZoneInfo(self.timezone)) for f in self.findings],
            "per_day": [{**asdict(d), "date": d.date.isoformat()} for d in self.per_day],
            "per_hour": [asdict(h) for h in self.per_hour],
        }


def conduct_choice(session: Session, negotiation: Negotiation, *, default_zone: ZoneInfo
                   ) -> ConductChoice:
    """The rule set, time zone and switched-off rules in force for the negotiation. The zone is
    the negotiation's own, else its owner's, else `default_zone` (config `locale.timezone`)."""
    setting = session.get(ConductSetting, negotiation.id) or ConductSetting(
        negotiation_id=negotiation.id)
    return _choice(setting, session.get(User, negotiation.owner_id), default_zone)


def _choice(setting: ConductSetting, owner: User | None, default_zone: ZoneInfo
            ) -> ConductChoice:
    zone, zone_from = zone_of(setting, owner, default_zone)
    chosen = setting.rule_set is not None
    rule_set = get_rule_set(setting.rule_set) if chosen else default_rule_set(zone.key)
    return ConductChoice(rule_set, chosen, zone, zone_from, frozenset(setting.disabled_rules))


def configure_conduct(session: Session, negotiation: Negotiation, *, actor: User | None,
                      default_zone: ZoneInfo, rule_set: object = KEEP, timezone: object = KEEP,
                      disable: tuple[str, ...] = (), enable: tuple[str, ...] = ()
                      ) -> ConductChoice:
    """Change the negotiation's rule set (an id, or None for the zone's default), time zone
    (an IANA name, or None to follow the owner / config) and switched-off rules; record it in
    the custody log and commit. Raises ConductError / RuleSetError naming what is unknown."""
    current = session.get(ConductSetting, negotiation.id)
    setting = ConductSetting(
        negotiation_id=negotiation.id,
        rule_set=current.rule_set if current else None,
        timezone=current.timezone if current else None,
        disabled_rules=list(current.disabled_rules) if current else [])
    if rule_set is not KEEP:
        setting.rule_set = get_rule_set(rule_set).id if rule_set is not None else None
    if timezone is not KEEP:
        setting.timezone = parse_zone(timezone).key if timezone is not None else None
    effective = _choice(setting, session.get(User, negotiation.owner_id), default_zone).rule_set
    for rule_id in (*disable, *enable):
        effective.rule(rule_id)  # raises for a rule the set does not have
    setting.disabled_rules = sorted((set(setting.disabled_rules) | set(disable)) - set(enable))
    setting.updated_at = utcnow()
    custody.lock_chain(session)
    custody.append_event(session, action=CustodyAction.conduct_settings,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         details={"rule_set": setting.rule_set, "timezone": setting.timezone,
                                  "disabled_rules": list(setting.disabled_rules),
                                  "effective_rule_set": effective.id})
    session.merge(setting)
    session.commit()
    return conduct_choice(session, negotiation, default_zone=default_zone)


def conduct_report(session: Session, negotiation: Negotiation, *, default_zone: ZoneInfo,
                   keep: bool = False, rebuild: bool = False, in_memory: bool = False
                   ) -> ConductReport:
    """Compute the negotiation's findings and contact counts (see the module docstring).

    Each text is read again only when it changed since its contribution was kept
    (`logger.conduct.contributions`); `keep`: keep what was read again, in `session`, flushed
    (the caller commits). `in_memory` (a long-running process: the web): read again only
    the items changed since this process's last report of the negotiation, as custody events
    and new texts say (`logger.conduct.kept`). `rebuild`: read every text, keeping nothing
    (the same report)."""
    choice = conduct_choice(session, negotiation, default_zone=default_zone)
    checked: dict = {}  # what is computed from the contacts alone, kept with them
    if rebuild:
        contacts, passages = gather(session, negotiation.id)
    elif in_memory:
        contacts, passages, checked = gathered(session, negotiation.id, keep=keep)
    else:
        contacts, passages = gather_kept(session, negotiation.id, keep=keep)
    # An archived negotiation is over: no checks run for it (its rules keep their settings).
    enabled = [] if is_archived(negotiation) else [
        r for r in choice.rule_set.rules if r.id not in choice.disabled]
    computed: dict[str, Finding] = {}
    for rule in enabled:
        for finding in checked_findings(checked, choice.rule_set.id, rule, contacts, passages,
                                        choice.zone):
            computed.setdefault(finding.id, finding)
    dismissals = _dismissals(session, negotiation.id)
    confirmed = _confirmations(session, negotiation.id)
    findings = sorted((f.dismissed(dismissals[f.id]) if f.id in dismissals else
                       f.confirmed() if f.id in confirmed else f
                       for f in computed.values()),
                      key=lambda f: (f.at or datetime.max.replace(tzinfo=UTC), f.rule_id, f.id))
    quiet = [r for r in enabled if r.check == "quiet_hours"]
    basis = (choice.rule_set.id, tuple(r.id for r in quiet), choice.zone.key)
    return ConductReport(
        negotiation_id=negotiation.id, rule_set=choice.rule_set,
        rule_set_chosen=choice.rule_set_chosen, timezone=choice.zone.key,
        timezone_from=choice.timezone_from,
        rules=tuple(RuleState(r, r.id not in choice.disabled) for r in choice.rule_set.rules),
        findings=tuple(findings),
        per_day=_per_day(findings, choice.zone, lambda: once(checked, ("per_day", *basis),
                                      lambda: _contact_days(contacts, quiet, choice.zone))),
        per_hour=once(checked, ("per_hour", *basis),
                      lambda: _per_hour(contacts, quiet, choice.zone)))


def dismiss_finding(session: Session, negotiation: Negotiation, finding_ref: str, *,
                    reason: str, actor: User | None, default_zone: ZoneInfo) -> Finding:
    """Mark a finding as not a breach, with the reason, in the custody log too; commit.
    `finding_ref` is its id or an unambiguous start of it (6 characters or more). Returns the
    finding as dismissed. Raises NotFound, ConductError (no reason, already dismissed)."""
    reason = reason.strip()
    if not reason:
        raise ConductError("say why the finding is dismissed (for example “I asked them to "
                           "call after 22:00”); the reason is kept in the custody log")
    report = conduct_report(session, negotiation, default_zone=default_zone)
    finding = find_finding(report, finding_ref)
    if finding.dismissal is not None:
        raise ConductError(f"finding {finding.id} was already dismissed on "
                           f"{finding.dismissal.at:%Y-%m-%d}: {finding.dismissal.reason}")
    row = FindingDismissal(negotiation_id=negotiation.id, finding_id=finding.id,
                           rule_id=finding.rule_id, reason=reason,
                           dismissed_by=actor.id if actor else None)
    keep_decision(session, negotiation, finding, row, actor=actor,
                  action=CustodyAction.finding_dismissal, done="dismissed",
                  details={"reason": reason})
    return finding.dismissed(Dismissal(reason, row.dismissed_at, actor.name if actor else None))


def keep_decision(session: Session, negotiation: Negotiation, finding: Finding, row: object, *,
                  actor: User | None, action: CustodyAction, done: str, details: dict) -> None:
    """Keep a person's decision about a finding (its `row`: a dismissal, a confirmation) and
    its custody event, under the chain's lock; commit. ConductError when someone else decided
    the same finding at the same moment (the row's unique key)."""
    custody.lock_chain(session)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConductError(f"finding {finding.id} was {done} at the same moment by someone "
                           "else; list the findings again") from None
    custody.append_event(session, action=action, actor_id=actor.id if actor else None,
                         negotiation_id=negotiation.id, evidence_id=finding.evidence_id,
                         details={"finding_id": finding.id, "rule_id": finding.rule_id,
                                  "source": finding.source, "local_time": finding.local_time,
                                  "quote": finding.quote, **details})
    session.commit()


def finding_dict(finding: Finding, zone: ZoneInfo) -> dict:
    """A finding as JSON (`liuhen findings --json`); the field names are a contract. Times are
    ISO 8601 in the negotiation's `zone`, with its offset."""
    dismissal = finding.dismissal
    return {
        "id": finding.id, "rule_id": finding.rule_id, "check": finding.check,
        "evidence_id": finding.evidence_id, "source": finding.source,
        "at": machine_time(finding.at, zone),
        "local_time": finding.local_time, "offset_s": finding.offset_s,
        "quote": finding.quote, "phrase": finding.phrase, "reason": dict(finding.reason),
        "related": list(finding.related),
        "related_evidence_ids": list(finding.related_evidence_ids),
        "state": finding.state, "suggested": finding.suggested,
        "legal_sources": [source.as_dict() for source in finding.legal_sources],
        "dismissed": None if dismissal is None else {
            "reason": dismissal.reason, "by": dismissal.by,
            "at": machine_time(dismissal.at, zone)},
    }


def _dismissals(session: Session, negotiation_id: int) -> dict[str, Dismissal]:
    rows = session.exec(select(FindingDismissal, User.name)
                        .join(User, User.id == FindingDismissal.dismissed_by, isouter=True)
                        .where(FindingDismissal.negotiation_id == negotiation_id))
    return {row.finding_id: Dismissal(row.reason, row.dismissed_at, name) for row, name in rows}


def _confirmations(session: Session, negotiation_id: int) -> set[str]:
    return set(session.exec(select(FindingConfirmation.finding_id)
                            .where(FindingConfirmation.negotiation_id == negotiation_id)))


def find_finding(report: ConductReport, ref: str) -> Finding:
    """The finding whose id is `ref` or starts with it (6 characters or more); NotFound, or
    ConductError when the start is ambiguous."""
    ref = ref.strip().lower()
    matches = [f for f in report.findings if f.id == ref] or \
        ([f for f in report.findings if f.id.startswith(ref)] if len(ref) >= MIN_ID_PREFIX else [])
    hint = f"list them with `liuhen findings --negotiation {report.negotiation_id} --all`"
    if not matches:
        raise NotFound(f"no finding “{ref}” in negotiation #{report.negotiation_id} ({hint})")
    if len(matches) > 1:
        raise ConductError(f"“{ref}” starts {len(matches)} findings' ids; give more of it")
    return matches[0]


def _outside_hours(contact: Contact, quiet: list[Rule], zone: ZoneInfo) -> bool:
    if contact.day_only:   # its time of day is not known
        return False
    local = contact.at.astimezone(zone).time()
    return any(contact.channel in r.params["channels"] and not allowed_at(r, local)
               for r in quiet)


def _per_day(findings: list[Finding], zone: ZoneInfo, contact_days: Callable[[], tuple]
             ) -> tuple[DayCount, ...]:
    """`contact_days`: `_contact_days` of the report's contacts (kept with them)."""
    totals, unanswered, outside = contact_days()
    flagged = Counter(f.at.astimezone(zone).date() for f in findings
                      if f.at is not None and f.state == "active")
    return tuple(DayCount(day, totals[day], unanswered[day], outside[day], flagged[day])
                 for day in sorted(set(totals) | set(flagged)))


def _contact_days(contacts: list[Contact], quiet: list[Rule], zone: ZoneInfo
                  ) -> tuple[Counter[date], Counter[date], Counter[date]]:
    totals: Counter[date] = Counter()
    unanswered: Counter[date] = Counter()
    outside: Counter[date] = Counter()
    for contact in contacts:
        day = contact.at.astimezone(zone).date()
        totals[day] += 1
        unanswered[day] += contact.channel == Channel.call and contact.answered is False
        # A contact of unknown direction may be the borrower's own: not counted against them.
        outside[day] += contact.from_them is not None and _outside_hours(contact, quiet, zone)
    return totals, unanswered, outside


def _per_hour(contacts: list[Contact], quiet: list[Rule], zone: ZoneInfo
              ) -> tuple[HourCount, ...]:
    counts = Counter(c.at.astimezone(zone).hour for c in contacts if not c.day_only)
    return tuple(HourCount(hour, counts[hour], any(_hour_forbidden(r, hour) for r in quiet))
                 for hour in range(24))


def _hour_forbidden(rule: Rule, hour: int) -> bool:
    moments = [time(hour, minute) for minute in range(60)] + [time(hour, 59, 59)]
    return any(not allowed_at(rule, moment) for moment in moments)
