"""Findings for a negotiation from what is stored (logger.conduct): recordings, call-log rows,
contacts recorded by hand, transcripts and message backups; stable ids and dismissals kept in
the custody log; rule sets and time zones per negotiation; counts per day and hour."""

from __future__ import annotations

import io
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.conduct.calllog import import_call_log
from logger.conduct.contact_entries import (ContactEntryError, add_contact_entry, list_contact_entries,
                                    remove_contact_entry)
from logger.conduct.report import ConductError, conduct_report, configure_conduct, dismiss_finding
from logger.conduct.ruleset import RuleSetError
from logger.errors import NotFound
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.custody import verify_chain
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind,
                            ExtractedText, TextSource, ThirdParty)
from tests.support.common import make_negotiation_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHICAGO = ZoneInfo("America/Chicago")
_serial = count(1)


def at(day: int, hh: int, mm: int = 0, ss: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(2024, 12, day, hh, mm, ss, tzinfo=zone)


def add_item(services, session, negotiation, owner, *, when, channel=Channel.call,
             direction=Direction.unknown, number=None, kind=EvidenceKind.call,
             segments=None, text=None, source=TextSource.transcript):
    """An evidence item through intake (a small file stands in for the recording), with the
    text a transcription or parse job would have written."""
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"item {next(_serial)}\n".encode()), "x.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel, direction=direction,
                                          occurred_at=when, counterpart_number=number))
    if segments is not None or text is not None:
        session.add(ExtractedText(evidence_id=item.id, source=source,
                                  text=text or " ".join(s["text"] for s in segments),
                                  segments=segments or []))
        session.commit()
    return item


def report(session, negotiation, zone=SHANGHAI):
    return conduct_report(session, negotiation, default_zone=zone)


def by_rule(findings) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for finding in findings:
        grouped.setdefault(finding.rule_id, []).append(finding)
    return grouped


def log_csv(*rows: str) -> bytes:
    return ("number,name,start,duration_seconds,type\n" + "\n".join(rows) + "\n").encode()


def import_log(services, session, negotiation, owner, data: bytes, **kw):
    kw.setdefault("numbers", ["95188"])
    return import_call_log(session=session, blobs=services.blobs, negotiation=negotiation,
                           actor=owner, data=data, filename=f"calls-{next(_serial)}.csv",
                           tz=SHANGHAI, max_bytes=1 << 24, **kw)


# --- findings from what is stored ----------------------------------------------------------

def test_a_negotiations_record_gives_findings_with_evidence_time_and_quote(
        services, session, negotiation, owner):
    call = add_item(services, session, negotiation, owner, when=at(3, 22, 31, 5), number="95188",
                    segments=[{"start": 0.0, "end": 4.2, "text": "喂，你好。"},
                              {"start": 64.5, "end": 71.0,
                               "text": "我是朝阳区人民法院的，你的案子已经立案了。"}])
    import_log(services, session, negotiation, owner, log_csv(
        *[f"95188,,2024-12-03 0{h}:00:00,0,missed" for h in range(1, 8)],
        "95188,,2024-12-03 22:30:00,95,incoming"))
    findings = report(session, negotiation).findings
    rules = by_rule(findings)
    assert set(rules) == {"cn.quiet_hours", "cn.unanswered_calls", "cn.impersonation"}

    impersonation = rules["cn.impersonation"][0]
    assert impersonation.evidence_id == call.id
    assert impersonation.quote == "我是朝阳区人民法院的，你的案子已经立案了。"
    assert impersonation.offset_s == 64.5
    assert impersonation.local_time == "2024-12-03T22:32:09+08:00"

    # The recording and its log row are one call; the night calls before 08:00 are flagged too.
    night = sorted(f.local_time for f in rules["cn.quiet_hours"])
    assert night == [f"2024-12-03T0{h}:00:00+08:00" for h in range(1, 8)] + [
        "2024-12-03T22:31:05+08:00"]
    recorded = [f for f in rules["cn.quiet_hours"] if f.evidence_id == call.id][0]
    assert recorded.source == f"evidence:{call.id}" and recorded.related[0].startswith("calllog:")
    assert "dismiss this finding" not in recorded.reason["en"]  # the log said: incoming
    assert rules["cn.unanswered_calls"][0].local_time == "2024-12-03T07:00:00+08:00"


def test_a_recording_of_a_call_the_borrower_made_is_not_a_contact(services, session,
                                                                   negotiation, owner):
    add_item(services, session, negotiation, owner, when=at(3, 23, 0, 40), number="95188")
    import_log(services, session, negotiation, owner,
               log_csv("95188,,2024-12-03 23:00:00,300,outgoing"))
    assert report(session, negotiation).findings == ()


def test_a_message_backup_counts_each_message_at_its_own_time(services, session, negotiation,
                                                                owner):
    segments = [
        {"time": "2024-12-03T15:10:00Z", "direction": "from_them", "speaker": "them",
         "counterpart": "95188", "text": "您的账单已逾期，请尽快处理。"},
        {"time": "2024-12-03T15:20:00Z", "direction": "from_me", "speaker": "me",
         "counterpart": "95188", "text": "我下周一定还，别再让你的同事都知道了。"},
        {"time": "2024-12-04T01:00:00Z", "direction": "from_them", "speaker": "them",
         "counterpart": "95188", "text": "再不还就爆你通讯录。"},
    ]
    item = add_item(services, session, negotiation, owner, when=at(3, 12), channel=Channel.sms,
                    kind=EvidenceKind.sms, segments=segments, source=TextSource.text)
    rules = by_rule(report(session, negotiation).findings)
    # 23:10 local is at night; 09:00 the next day is not; the item's own time (noon) is no
    # contact of its own.
    assert [f.local_time for f in rules["cn.quiet_hours"]] == ["2024-12-03T23:10:00+08:00"]
    assert rules["cn.quiet_hours"][0].source == f"evidence:{item.id}#0"
    # Only their message is quoted, not the borrower's own words.
    assert [f.quote for f in rules["cn.public_disclosure"]] == ["再不还就爆你通讯录。"]


def test_only_the_other_sides_chat_bubbles_and_the_newest_transcript_are_read(
        services, session, negotiation, owner):
    chat = add_item(services, session, negotiation, owner, when=None, channel=None,
                    kind=EvidenceKind.chat, source=TextSource.ocr, segments=[
                        {"side": "left", "time": "15:03", "text": "你这人真不要脸。"}])
    # A later OCR run (or a correction) replaces the earlier text for the checks.
    session.add(ExtractedText(evidence_id=chat.id, source=TextSource.ocr, text="edited",
                              segments=[
                                  {"side": "right", "time": "15:02",
                                   "text": "你再骂我老赖我就投诉你。"},
                                  {"side": "left", "time": "15:03", "text": "你就是个老赖。"}]))
    session.commit()
    findings = report(session, negotiation).findings
    assert [(f.rule_id, f.quote) for f in findings] == [("cn.insults", "你就是个老赖。")]
    assert findings[0].local_time is None and "15:03" in findings[0].reason["en"]


def test_a_stereo_calls_channel_a_person_said_is_theirs_is_not_read_as_the_collectors(
        services, session, negotiation, owner):
    call = add_item(services, session, negotiation, owner, when=at(3, 15),
                    direction=Direction.from_them, segments=[
                        {"speaker": "left", "start": 0.0, "end": 3.0, "text": "你就是个老赖。"},
                        {"speaker": "right", "start": 3.0, "end": 6.0, "text": "你这人真不要脸。"}])
    both = [f.quote for f in report(session, negotiation).findings if f.rule_id == "cn.insults"]
    assert sorted(both) == sorted(["你就是个老赖。", "你这人真不要脸。"])  # whose is unknown yet
    call.extracted_metadata = {**call.extracted_metadata, "left_channel": "me"}
    session.add(call)
    session.commit()
    quotes = [f.quote for f in report(session, negotiation).findings if f.rule_id == "cn.insults"]
    assert quotes == ["你这人真不要脸。"]


def test_a_screenshots_title_and_notices_are_not_words_anyone_said(services, session, negotiation,
                                                                  owner):
    add_item(services, session, negotiation, owner, when=None, channel=None,
             kind=EvidenceKind.chat, source=TextSource.ocr, segments=[
                 {"kind": "title", "text": "老赖"},
                 {"kind": "notice", "text": "你就是个老赖。"},
                 {"kind": "message", "side": "left", "text": "你这人真不要脸。"}])
    quotes = [f.quote for f in report(session, negotiation).findings]
    assert quotes == ["你这人真不要脸。"]


def test_contacts_recorded_by_hand_count_and_a_third_party_is_named(services, session,
                                                                     negotiation, owner):
    entry = add_contact_entry(session, negotiation=negotiation, actor=owner,
                              occurred_at=at(4, 22, 15), channel=Channel.call,
                              description="催收员打电话给我妈妈，说我欠钱不还",
                              third_party=ThirdParty.relative, third_party_name="妈妈")
    add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=at(5, 10),
                      channel=Channel.visit, description="两个人上门")
    rules = by_rule(report(session, negotiation).findings)
    assert [f.source for f in rules["cn.third_party"]] == [f"contact:{entry.id}"]
    assert "妈妈" in rules["cn.third_party"][0].reason["zh"]
    assert [f.source for f in rules["cn.quiet_hours"]] == [f"contact:{entry.id}"]
    events = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.contact_entry)).all()
    assert [e.details["contact_entry"]["third_party_name"] for e in events] == ["妈妈", None]


def test_a_contact_entry_can_be_removed_with_its_history_kept(services, session, negotiation,
                                                              owner):
    entry = add_contact_entry(session, negotiation=negotiation, actor=owner,
                              occurred_at=at(4, 9), channel=Channel.visit, description="上门")
    with pytest.raises(ContactEntryError, match="say why"):
        remove_contact_entry(session, negotiation=negotiation, entry_id=entry.id, reason=" ",
                             actor=owner)
    remove_contact_entry(session, negotiation=negotiation, entry_id=entry.id,
                         reason="wrong day", actor=owner)
    assert list_contact_entries(session, negotiation.id) == []
    deletion = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.deletion)).one()
    assert deletion.details["reason"] == "wrong day"
    assert deletion.details["contact_entry"]["description"] == "上门"
    assert verify_chain(session)[1] == []


def test_a_contact_entry_refuses_evidence_of_another_negotiation(services, session, negotiation,
                                                                 owner):
    other = make_negotiation_in(session, owner, creditor="借呗")
    item = add_item(services, session, other, owner, when=at(3, 9))
    with pytest.raises(NotFound):
        add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=at(3, 9),
                          channel=Channel.call, description="x", evidence_id=item.id)
    with pytest.raises(ContactEntryError, match="say what happened"):
        add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=at(3, 9),
                          channel=Channel.call, description="  ")


# --- dismissals ----------------------------------------------------------------------------

def test_a_dismissal_sticks_is_listed_with_its_reason_and_is_in_the_custody_log(
        services, session, negotiation, owner):
    add_item(services, session, negotiation, owner, when=at(3, 23), direction=Direction.from_them)
    add_item(services, session, negotiation, owner, when=at(4, 6), direction=Direction.from_them)
    first = report(session, negotiation).findings
    assert len(first) == 2
    assert [f.id for f in report(session, negotiation).findings] == [f.id for f in first]

    dismissed = dismiss_finding(session, negotiation, first[0].id[:8],
                                reason="我同意他们晚上打来", actor=owner, default_zone=SHANGHAI)
    assert dismissed.id == first[0].id and dismissed.dismissal.by == "owner"
    again = report(session, negotiation)
    assert [f.id for f in again.active()] == [first[1].id]
    kept = [f for f in again.findings if f.id == first[0].id][0]
    assert kept.dismissal.reason == "我同意他们晚上打来"

    event = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.finding_dismissal)).one()
    assert event.details["finding_id"] == first[0].id
    assert event.details["reason"] == "我同意他们晚上打来"
    assert event.evidence_id == first[0].evidence_id
    assert verify_chain(session)[1] == []

    with pytest.raises(ConductError, match="already dismissed"):
        dismiss_finding(session, negotiation, first[0].id, reason="again", actor=owner,
                        default_zone=SHANGHAI)
    with pytest.raises(ConductError, match="say why"):
        dismiss_finding(session, negotiation, first[1].id, reason="", actor=owner,
                        default_zone=SHANGHAI)
    with pytest.raises(NotFound, match="no finding"):
        dismiss_finding(session, negotiation, "0123456789abcdef", reason="x", actor=owner,
                        default_zone=SHANGHAI)


# --- rule sets, switches and time zones --------------------------------------------------------

def test_rules_can_be_switched_off_and_on_and_the_rule_set_chosen(services, session,
                                                                  negotiation, owner):
    add_item(services, session, negotiation, owner, when=at(3, 21, 30),
             direction=Direction.from_them)
    assert report(session, negotiation).findings == ()
    # In the US rule set the same 21:30 is after 9 p.m. (read in Shanghai time here).
    choice = configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                               rule_set="us")
    assert choice.rule_set.id == "us" and choice.zone.key == "Asia/Shanghai"
    assert [f.rule_id for f in report(session, negotiation).findings] == ["us.inconvenient_hours"]
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      disable=("us.inconvenient_hours",))
    state = report(session, negotiation)
    assert state.findings == ()
    assert [s.enabled for s in state.rules if s.rule.id == "us.inconvenient_hours"] == [False]
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      enable=("us.inconvenient_hours",))
    assert len(report(session, negotiation).findings) == 1
    with pytest.raises(RuleSetError, match="has no rule “cn.quiet_hours”"):
        configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                          disable=("cn.quiet_hours",))
    with pytest.raises(RuleSetError, match="no rule set “fr”"):
        configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                          rule_set="fr")
    events = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.conduct_settings)).all()
    assert len(events) == 3


def test_the_zone_comes_from_the_negotiation_then_the_owner_then_the_config(
        services, session, negotiation, owner):
    add_item(services, session, negotiation, owner, when=datetime(2024, 12, 3, 3, 30,
                                                                   tzinfo=ZoneInfo("UTC")),
             direction=Direction.from_them)
    # 03:30 UTC: 11:30 in Shanghai (the config), 21:30 the evening before in Chicago.
    state = report(session, negotiation)
    assert (state.timezone, state.timezone_from, state.rule_set.id) == (
        "Asia/Shanghai", "config", "cn")
    assert state.findings == ()
    owner.timezone = "America/Chicago"
    session.add(owner)
    session.commit()
    state = report(session, negotiation)
    assert (state.timezone_from, state.rule_set.id, state.rule_set_chosen) == ("owner", "us",
                                                                              False)
    assert [f.local_time for f in state.findings] == ["2024-12-02T21:30:00-06:00"]
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      timezone="Asia/Shanghai", rule_set="cn")
    state = report(session, negotiation)
    assert (state.timezone, state.timezone_from, state.findings) == ("Asia/Shanghai",
                                                                     "negotiation", ())
    with pytest.raises(ConductError, match="not a known time zone"):
        configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                          timezone="Mars/Olympus")


def test_counts_per_day_and_hour_mark_the_forbidden_hours(services, session, negotiation, owner):
    import_log(services, session, negotiation, owner, log_csv(
        "95188,,2024-12-03 07:59:59,0,missed", "95188,,2024-12-03 08:00:00,0,rejected",
        "95188,,2024-12-03 21:59:59,60,incoming", "95188,,2024-12-04 22:00:00,0,missed",
        "95188,,2024-12-04 12:00:00,30,outgoing"))
    state = report(session, negotiation)
    days = {d.date.isoformat(): d for d in state.per_day}
    assert set(days) == {"2024-12-03", "2024-12-04"}
    assert (days["2024-12-03"].contacts, days["2024-12-03"].unanswered_calls,
            days["2024-12-03"].outside_hours, days["2024-12-03"].findings) == (3, 2, 1, 1)
    assert (days["2024-12-04"].contacts, days["2024-12-04"].outside_hours) == (1, 1)
    hours = {h.hour: h for h in state.per_hour}
    assert len(hours) == 24
    assert [h for h in hours if hours[h].forbidden] == [0, 1, 2, 3, 4, 5, 6, 7, 22, 23]
    assert (hours[7].contacts, hours[8].contacts, hours[21].contacts, hours[22].contacts) == (
        1, 1, 1, 1)
    data = state.as_dict()
    assert data["per_day"][0]["date"] == "2024-12-03" and len(data["per_hour"]) == 24
    assert state.by_evidence().keys() == {state.findings[0].evidence_id}
