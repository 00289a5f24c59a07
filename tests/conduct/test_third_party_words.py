"""A collector heard speaking to someone other than the borrower about the debt (a relative, a
colleague, a contact: the lexicon's `third_party_contact`) is read from the words: a suggestion
under the third-party rule, with its reason and the sentence, not counted until a person
confirms it (the contact is then recorded against the item and counts, once) or dismisses it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.bundles.letter import draft_letter
from logger.conduct import checks
from logger.conduct.checks import CHECKS, Contact, Passage
from logger.conduct.confirm import confirm_third_party
from logger.conduct.contact_entries import add_contact_entry, list_contact_entries
from logger.conduct.lexicon import Match
from logger.conduct.report import ConductError, conduct_report, dismiss_finding
from logger.conduct.ruleset import get_rule_set
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.timeline_flags import conduct_flags
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind,
                            ExtractedText, TextSource, ThirdParty)
from tests.support.web import new_browser, post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALLED_AT = datetime(2024, 12, 3, 14, 0, tzinfo=SHANGHAI)
COLLEAGUE = "您是张伟的同事吧？他欠我们五千。"
COURT = "我是朝阳区人民法院的，你的案子已经立案了。"


def add_item(services, session, negotiation, owner, *, text=COLLEAGUE, kind=EvidenceKind.call,
             channel=Channel.call, direction=Direction.from_them, start=42.0):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"{kind} {text}\n".encode()), "item.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel, direction=direction,
                                          occurred_at=CALLED_AT))
    segment = {"text": text} if start is None else {"start": start, "end": start + 4,
                                                     "text": text}
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=text,
                              segments=[segment]))
    session.commit()
    return item


@pytest.fixture
def call(services, session, negotiation, owner):
    """A recording a colleague made of the collector's call to them (saved in the record)."""
    return add_item(services, session, negotiation, owner)


def report(session, negotiation):
    return conduct_report(session, negotiation, default_zone=SHANGHAI)


def letter(session, negotiation) -> str:
    return draft_letter(session, negotiation, language="en", tz=SHANGHAI, party="张三")


# --- The check ----------------------------------------------------------------------------------

def test_the_check_reads_the_words_as_a_suggestion_quoting_the_sentence(monkeypatch):
    said = "Is this John's mother? Your son owes us money."
    monkeypatch.setattr(checks, "find_matches", lambda text, wanted: [
        Match("third_party_contact", "Is this John's mother", said)]
        if "third_party_contact" in wanted else [])
    rule = get_rule_set("us").rule("us.third_party")
    passage = Passage(evidence_id=4, source="transcript", index=0, text=said, start_s=3.0,
                      at=datetime(2024, 12, 3, 15, 0, tzinfo=UTC))
    [found] = CHECKS[rule.check](rule, [], [passage], ZoneInfo("America/New_York"))
    assert (found.rule_id, found.evidence_id, found.state) == ("us.third_party", 4, "suggested")
    assert found.quote == said and found.legal_sources == rule.sources
    assert "Read from the words, not from a contact you recorded" in found.reason["en"]
    assert "从言语中看出" in found.reason["zh"]
    # A contact someone recorded with a third party for that item stands for it instead.
    recorded = Contact(key="contact:1", at=passage.at, channel=Channel.call, from_them=True,
                       what=("电话", "call"), evidence_id=4, third_party=ThirdParty.relative)
    [instead] = CHECKS[rule.check](rule, [recorded], [passage], ZoneInfo("America/New_York"))
    assert (instead.source, instead.state) == ("contact:1", "active")


# --- Through the record ---------------------------------------------------------------------------

def test_words_to_someone_else_are_a_suggestion_not_yet_counted(session, negotiation, call):
    state = report(session, negotiation)
    [suggestion] = state.suggested()
    assert (suggestion.rule_id, suggestion.evidence_id, suggestion.state) == (
        "cn.third_party", call.id, "suggested")
    assert "您是张伟的同事" in suggestion.quote
    assert "Read from the words" in suggestion.reason["en"]
    assert suggestion.offset_s == 42.0
    assert [f.rule_id for f in state.active()] == []
    assert state.on_lines() == {f"evidence:{call.id}": [suggestion]}
    assert [d.findings for d in state.per_day] == [0]
    assert "张伟" not in letter(session, negotiation)
    [flag] = conduct_flags(session, negotiation, [call.id], default_zone=SHANGHAI)[call.id]
    assert (flag.finding_id, flag.suggested) == (suggestion.id, True)


def test_confirming_records_the_contact_and_it_counts_once(session, negotiation, owner, call):
    [suggestion] = report(session, negotiation).suggested()
    entry = confirm_third_party(session, negotiation, suggestion.id[:8],
                                relation=ThirdParty.colleague, name="张伟的同事", actor=owner,
                                default_zone=SHANGHAI)
    assert (entry.evidence_id, entry.third_party, entry.third_party_name) == (
        call.id, ThirdParty.colleague, "张伟的同事")
    assert entry.occurred_at == CALLED_AT  # the call's start, not the second the words came
    assert "您是张伟的同事" in entry.description
    event = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.contact_entry)).all()[-1]
    assert event.details["contact_entry"]["third_party"] == "colleague"

    state = report(session, negotiation)
    assert state.suggested() == []
    [counted] = state.active()
    assert (counted.rule_id, counted.source, counted.state) == (
        "cn.third_party", f"evidence:{call.id}", "active")
    assert "张伟的同事" in counted.reason["zh"]
    assert [d.contacts for d in state.per_day] == [1], "the call and its entry are one contact"
    assert "张伟的同事 (colleague) by call instead of me" in letter(session, negotiation)
    [flag] = conduct_flags(session, negotiation, [call.id], default_zone=SHANGHAI)[call.id]
    assert (flag.rule.id, flag.suggested) == ("cn.third_party", False)


def test_a_dismissed_suggestion_stays_out(session, negotiation, owner, call):
    [suggestion] = report(session, negotiation).suggested()
    dismiss_finding(session, negotiation, suggestion.id, reason="他们打给的是我自己",
                    actor=owner, default_zone=SHANGHAI)
    state = report(session, negotiation)
    assert state.suggested() == [] and state.active() == []
    assert [f.state for f in state.findings] == ["dismissed"]
    with pytest.raises(ConductError, match="not a suggestion"):
        confirm_third_party(session, negotiation, suggestion.id, relation=ThirdParty.friend,
                            name=None, actor=owner, default_zone=SHANGHAI)


def test_only_a_suggestion_can_be_confirmed(session, negotiation, owner, services):
    add_item(services, session, negotiation, owner, text=COURT)
    [finding] = report(session, negotiation).active()
    with pytest.raises(ConductError, match="not a suggestion"):
        confirm_third_party(session, negotiation, finding.id, relation=ThirdParty.relative,
                            name=None, actor=owner, default_zone=SHANGHAI)
    assert list_contact_entries(session, negotiation.id) == []


def test_an_item_already_recorded_as_a_third_party_contact_gives_no_suggestion(
        session, negotiation, owner, call):
    add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=CALLED_AT,
                      channel=Channel.call, description="他们打电话给我同事",
                      third_party=ThirdParty.colleague, evidence_id=call.id)
    state = report(session, negotiation)
    assert state.suggested() == []
    assert [f.rule_id for f in state.active()] == ["cn.third_party"]


def test_the_words_of_a_message_of_unknown_author_wait_for_a_direction(
        services, session, negotiation, owner):
    add_item(services, session, negotiation, owner, kind=EvidenceKind.sms, channel=Channel.sms,
             direction=Direction.unknown, start=None)
    [waiting] = [f for f in report(session, negotiation).findings
                 if f.rule_id == "cn.third_party"]
    assert waiting.state == "needs_direction" and waiting.suggested
    assert "does not say who sent this message" in waiting.reason["en"]
    assert "Read from the words" in waiting.reason["en"]


# --- The page ------------------------------------------------------------------------------------

def test_the_page_lists_the_suggestion_and_confirms_it(app, session, negotiation, call):
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    url = f"/negotiations/{negotiation.id}/findings"
    page = browser.get(url).get_data(as_text=True)
    [suggestion] = report(session, negotiation).suggested()
    shown = re.search(rf'<li[^>]*id="finding-{suggestion.id}"[^>]*data-state="suggested".*?</li>',
                      page, re.S)
    assert shown and 'data-testid="confirm-form"' in shown.group(0)
    assert 'data-testid="dismiss-form"' in shown.group(0)
    assert "您是张伟的同事" in shown.group(0)
    flags = browser.get(f"/evidence/{call.id}").get_data(as_text=True)
    assert 'data-testid="conduct-suggestion"' in flags

    reply = post_form(browser, f"{url}/confirm", {"finding_id": suggestion.id,
                                                  "third_party": "relative",
                                                  "third_party_name": "my aunt"})
    assert reply.status_code == 302
    [entry] = list_contact_entries(session, negotiation.id)
    assert (entry.third_party, entry.third_party_name) == (ThirdParty.relative, "my aunt")
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="suggestions"' not in page
    assert "contacted my aunt (a relative) by call instead of you" in page
    flags = browser.get(f"/evidence/{call.id}").get_data(as_text=True)
    assert 'data-testid="conduct-suggestion"' not in flags
    assert 'data-rule="cn.third_party"' in flags
    again = post_form(browser, f"{url}/confirm", {"finding_id": suggestion.id,
                                                  "third_party": "relative"})
    assert again.status_code == 302 and len(list_contact_entries(session, negotiation.id)) == 1
    assert post_form(browser, f"{url}/confirm", {"finding_id": suggestion.id,
                                                 "third_party": "alien"}).status_code == 400
