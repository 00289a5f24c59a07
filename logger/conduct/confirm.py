"""Confirming a suggestion read from the words (logger.conduct.checks).

The collector heard speaking to someone other than the borrower about the debt (the third-party
rule's categories): a person who confirms it says who that was (a relative, the employer ...);
the contact is then recorded as a contact entry against the item
(`logger.conduct.contact_entries`, with its custody event), at the moment of the words, so it
counts under the third-party rule like any contact recorded by hand, and the suggestion gives
way to that contact's finding (`confirm_third_party`).

A sentence the resemblance model read as a rule's kind where no pattern matched: a person who
confirms it says the words mean it; the confirmation is kept (`FindingConfirmation`, and in the
custody log) and the finding counts from then on (`confirm_finding`).

Dismissing a suggestion is dismissing any finding (`logger.conduct.report.dismiss_finding`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from logger.conduct.checks import Finding
from logger.conduct.contact_entries import add_contact_entry
from logger.conduct.inputs import FILE_TIMES, KIND_CHANNELS, item_channel
from logger.conduct.report import ConductError, conduct_report, find_finding, keep_decision
from logger.i18n import Text
from storage.models import (Channel, ContactEntry, CustodyAction, Direction, Evidence,
                            FindingConfirmation, Negotiation, ThirdParty, TimePrecision, User)


def confirm_third_party(session: Session, negotiation: Negotiation, finding_ref: str, *,
                        relation: ThirdParty, name: str | None, actor: User | None,
                        default_zone: ZoneInfo, language: str = "zh") -> ContactEntry:
    """Confirm the suggestion `finding_ref` (its id or an unambiguous start of it): record the
    contact with `relation` (`name`: who, if known) against its item, and commit. Raises
    NotFound, or ConductError for a finding that is no suggestion or an item without a time."""
    report = conduct_report(session, negotiation, default_zone=default_zone)
    finding = find_finding(report, finding_ref)
    if finding.state != "suggested":
        raise ConductError(f"finding {finding.id} is not a suggestion waiting for a "
                           f"confirmation (it is {finding.state})")
    if finding.check != "third_party":
        raise ConductError(f"finding {finding.id} is not about a contact with someone else: "
                           "confirm it as it is (liuhen findings confirm)")
    item = session.get(Evidence, finding.evidence_id)
    # A call is a contact at its start, whichever second of it the words were said in.
    moment = item.occurred_at if item is not None and (
        finding.at is None or finding.offset_s is not None) else finding.at
    if item is None or moment is None:
        raise ConductError(f"evidence #{finding.evidence_id} has no time: set when it happened "
                           "on its page, then confirm the contact")
    # The words' time is the item's own (not a message's or a second in a recording): keep
    # what is known of it, a date alone for a day or for a screenshot's own time.
    items_time = moment == item.occurred_at
    day_only = items_time and (item.occurred_at_precision == TimePrecision.day or (
        item.kind in KIND_CHANNELS and item.occurred_at_source in FILE_TIMES))
    return add_contact_entry(
        session, negotiation=negotiation, actor=actor, occurred_at=moment,
        channel=item_channel(item) or Channel.other,
        description=_description(item.id, finding.quote or "", language),
        direction=Direction.from_them, third_party=ThirdParty(relation),
        third_party_name=(name or "").strip() or None, evidence_id=item.id,
        occurred_precision=TimePrecision.day if day_only else TimePrecision.minute)


def _description(evidence_id: int, quote: str, language: str) -> str:
    """The entry's description: the item and the sentence the contact was read from."""
    return Text("Read from the words of evidence #%(id)s and confirmed: %(quote)s",
                id=evidence_id, quote=quote).to(language)


def confirm_finding(session: Session, negotiation: Negotiation, finding_ref: str, *,
                    actor: User | None, default_zone: ZoneInfo) -> Finding:
    """Confirm a suggestion the resemblance model read (`finding_ref`: its id or an unambiguous
    start): from then on it counts, like a pattern's finding; recorded in the custody log;
    commit. A third-party suggestion is confirmed by recording the contact instead
    (logger.conduct.confirm). Raises NotFound, or ConductError for a finding that is no such
    suggestion."""
    report = conduct_report(session, negotiation, default_zone=default_zone)
    finding = find_finding(report, finding_ref)
    if finding.state != "suggested":
        raise ConductError(f"finding {finding.id} is not a suggestion waiting for a "
                           f"confirmation (it is {finding.state})")
    if finding.check == "third_party":
        raise ConductError(f"finding {finding.id} is a contact with someone else: confirm it "
                           "by saying who that was (on the findings page), which records the "
                           "contact")
    keep_decision(session, negotiation, finding,
                  FindingConfirmation(negotiation_id=negotiation.id, finding_id=finding.id,
                                      rule_id=finding.rule_id,
                                      confirmed_by=actor.id if actor else None),
                  actor=actor, action=CustodyAction.finding_confirmation, done="confirmed",
                  details={"phrase": finding.phrase})
    return finding.confirmed()
