"""Times and kinds of the conduct inputs. Every time is read and written in the negotiation's zone
(logger.conduct.zone.negotiation_zone): a contact typed on the page, a time typed at `liuhen
import`, a message's own time in a finding's reason, the page's findings when the owner's zone
(which the negotiation follows) changes. A text message or chat counts as a contact whatever
field is left unset: its channel comes from its kind, an unset direction waits for one, and a
screenshot's own time counts for its day, not its hour."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from logger.bundles.letter import draft_letter
from logger.conduct.contact_entries import list_contact_entries
from logger.conduct.report import conduct_report, configure_conduct
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (Channel, Direction, Evidence, EvidenceKind, ExtractedText,
                            Negotiation, TextSource, TimeSource, User)
from tests.support.intake import import_files, make_world
from tests.support.web import new_browser, post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = datetime(2024, 12, 3, 23, 10, tzinfo=SHANGHAI)
COURT = "我是朝阳区人民法院的，你的案子已经立案了。"
INSULT = "欠钱不还的老赖，你还有脸接电话？"


def add_item(services, session, negotiation, owner, *, kind, channel=None,
             direction=Direction.from_them, when=NIGHT, text=None, segments=None):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"{kind} {when} {text}\n".encode()), "x.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel, direction=direction,
                                          occurred_at=when))
    if text is not None or segments is not None:
        session.add(ExtractedText(evidence_id=item.id, source=TextSource.text,
                                  text=text or " ".join(s["text"] for s in segments),
                                  segments=segments or []))
        session.commit()
    return item


def report(session, negotiation):
    return conduct_report(session, negotiation, default_zone=SHANGHAI)


# --- Kinds ---------------------------------------------------------------------------------------

def test_a_chat_without_a_channel_is_a_contact(services, session, negotiation, owner):
    chat = add_item(services, session, negotiation, owner, kind=EvidenceKind.chat)
    state = report(session, negotiation)
    [night] = state.active()
    assert (night.rule_id, night.source) == ("cn.quiet_hours", f"evidence:{chat.id}")
    assert night.reason["en"].startswith("app message (evidence #")
    assert [d.contacts for d in state.per_day] == [1]


def test_a_text_without_a_channel_or_direction_is_a_contact_waiting_for_one(
        services, session, negotiation, owner):
    text = add_item(services, session, negotiation, owner, kind=EvidenceKind.sms,
                    direction=Direction.unknown)
    state = report(session, negotiation)
    [waiting] = state.needs_direction()
    assert (waiting.rule_id, waiting.evidence_id) == ("cn.quiet_hours", text.id)
    assert "text message" in waiting.reason["en"]
    assert [d.contacts for d in state.per_day] == [1] and state.active() == []


def test_a_text_is_a_message_whatever_channel_was_set(services, session, negotiation, owner):
    """Its words may be the borrower's own while nobody said who sent it."""
    add_item(services, session, negotiation, owner, kind=EvidenceKind.sms,
             channel=Channel.other, direction=Direction.unknown, when=None, text=INSULT)
    [insult] = report(session, negotiation).findings
    assert (insult.rule_id, insult.state) == ("cn.insults", "needs_direction")


def test_a_screenshots_own_time_counts_for_its_day_not_its_hour(services, session,
                                                                negotiation, owner):
    chat = add_item(services, session, negotiation, owner, kind=EvidenceKind.chat)
    chat.occurred_at_source = TimeSource.metadata  # when the screenshot was taken
    session.add(chat)
    session.commit()
    state = report(session, negotiation)
    assert state.findings == ()
    assert [(d.date.isoformat(), d.contacts) for d in state.per_day] == [("2024-12-03", 1)]
    assert sum(h.contacts for h in state.per_hour) == 0


def test_the_letter_lists_a_chat_by_its_channel(services, session, negotiation, owner):
    add_item(services, session, negotiation, owner, kind=EvidenceKind.document,
             channel=Channel.wechat, when=datetime(2024, 12, 3, 15, 0, tzinfo=SHANGHAI))
    text = draft_letter(session, negotiation, language="en", tz=SHANGHAI, party="张三")
    contacts = text.split("2. Contacts on record, in time order")[1].split("3. ")[0]
    assert "December 3, 2024, 15:00 WeChat (from them)" in contacts


# --- Zones ---------------------------------------------------------------------------------------

def test_a_messages_own_time_is_written_in_the_negotiations_zone(services, session,
                                                                 negotiation, owner):
    add_item(services, session, negotiation, owner, kind=EvidenceKind.sms, channel=Channel.sms,
             when=datetime(2024, 12, 5, 12, 0, tzinfo=SHANGHAI),
             segments=[{"time": "2024-12-05T06:10:00Z", "direction": "from_them",
                        "counterpart": "95188", "text": COURT}])
    [court] = [f for f in report(session, negotiation).findings
               if f.rule_id == "cn.impersonation"]
    assert "(2024-12-05 14:10)" in court.reason["en"]
    assert "06:10:00Z" not in court.reason["en"]
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      rule_set="cn", timezone="America/New_York")
    [court] = [f for f in report(session, negotiation).findings
               if f.rule_id == "cn.impersonation"]
    assert "(2024-12-05 01:10)" in court.reason["en"]


def test_a_contact_typed_on_the_page_is_read_in_the_negotiations_zone(app, session,
                                                                      negotiation, owner):
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      timezone="America/New_York")
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    url = f"/negotiations/{negotiation.id}/findings"
    reply = post_form(browser, f"{url}/contacts", {
        "occurred_date": "2024-12-03", "occurred_time": "22:30", "channel": "visit",
        "direction": "from_them", "description": "Two men came to my door"})
    assert reply.status_code == 302
    [entry] = list_contact_entries(session, negotiation.id)
    assert entry.occurred_at == datetime(2024, 12, 4, 3, 30, tzinfo=UTC)
    inputs = browser.get(f"{url}/inputs").get_data(as_text=True)
    assert 'datetime="2024-12-03T22:30:00-05:00"' in inputs
    page = browser.get(url).get_data(as_text=True)
    assert 'datetime="2024-12-03T22:30:00-05:00"' in page  # after 21:00 in New York


def test_the_page_follows_the_owners_zone_when_it_changes(app, services, session, negotiation,
                                                          owner):
    # 21:40 in Shanghai is allowed; it is 22:40 in Tokyo, where the owner then says they live.
    add_item(services, session, negotiation, owner, kind=EvidenceKind.call,
             channel=Channel.call, when=datetime(2024, 12, 3, 21, 40, tzinfo=SHANGHAI))
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    url = f"/negotiations/{negotiation.id}/findings"
    assert 'data-rule="cn.quiet_hours" data-dismissed' not in browser.get(url).get_data(
        as_text=True)
    user = session.get(User, owner.id)
    user.timezone = "Asia/Tokyo"  # a setting of the account: no custody event
    session.add(user)
    session.commit()
    page = browser.get(url).get_data(as_text=True)
    assert 'data-rule="cn.quiet_hours" data-dismissed="false"' in page
    assert "Asia/Tokyo" in page


def test_a_time_typed_at_import_is_read_in_the_negotiations_zone(cli, services_for, tmp_path):
    """`liuhen import --occurred-at` in a New York negotiation: 11:00 there, not 11:00 in the
    config's zone (which was 22:00 the day before in New York, a false night-time finding)."""
    world = make_world(cli)
    with services_for() as services, services.session() as session:
        configure_conduct(session, session.get(Negotiation, world), actor=None,
                          default_zone=SHANGHAI, timezone="America/New_York")
    path = tmp_path / "sms.txt"
    path.write_text("Please call us back about your account.\n", encoding="utf-8")
    [item] = import_files(cli, world, "--kind", "sms", "--direction", "from_them",
                          "--counterpart-number", "2125550100", "--occurred-at",
                          "2024-12-03T11:00", path)
    with services_for() as services, services.session() as session:
        assert session.get(Evidence, item).occurred_at == datetime(2024, 12, 3, 11, 0,
                                                                   tzinfo=NEW_YORK)
        found = conduct_report(session, session.get(Negotiation, world),
                               default_zone=services.config.locale.zone).findings
        assert [f.rule_id for f in found if f.evidence_id == item] == []
