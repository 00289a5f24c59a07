"""A call or message whose direction is unknown is not counted as the collector's conduct: its
finding waits for a person to set the direction ("direction unknown — set it"), apart from the
counted ones, out of the complaint letter, the bundle's purposes and the counts, until the
direction is set; then it counts (from them) or goes away (from me)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from logger.bundles.items import prefilled_purposes
from logger.bundles.letter import draft_letter
from logger.conduct.report import conduct_report
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.evidence import edit_evidence
from logger.record.timeline import read_timeline
from logger.tokens import create_token
from storage.models import Channel, Direction, EvidenceKind, ExtractedText, TextSource
from tests.support.web import post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2024, 12, 3, 22, 40, tzinfo=SHANGHAI)


def add_item(services, session, negotiation, owner, *, when, name, channel=Channel.call,
             kind=EvidenceKind.call, direction=Direction.unknown, text=None):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"{name}\n".encode()), f"{name}.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel, direction=direction,
                                          occurred_at=when, counterpart_number="95188"))
    if text is not None:
        session.add(ExtractedText(evidence_id=item.id, source=TextSource.text, text=text))
        session.commit()
    return item


@pytest.fixture
def night_call(services, session, negotiation, owner):
    """A recording at 22:40 whose file name did not say who called."""
    return add_item(services, session, negotiation, owner, when=NIGHT, name="night")


def report(session, negotiation):
    return conduct_report(session, negotiation, default_zone=SHANGHAI)


def conduct_section(session, negotiation) -> str:
    """The letter's section on the collection conduct ("": an empty section is left out)."""
    text = draft_letter(session, negotiation, language="en", tz=SHANGHAI, party="张三")
    heading = "Collection conduct that breaks the rules"
    return text.split(heading)[1].split("\n\n")[0] if heading in text else ""


def test_an_unknown_direction_call_at_night_waits_for_a_direction(session, negotiation, owner,
                                                                  night_call):
    state = report(session, negotiation)
    assert state.active() == []
    [waiting] = state.needs_direction()
    assert (waiting.rule_id, waiting.evidence_id, waiting.state) == (
        "cn.quiet_hours", night_call.id, "needs_direction")
    assert "方向不详" in waiting.reason["zh"]
    assert state.by_evidence() == {}  # so no bundle purpose says "called after 22:00"
    assert [d.findings for d in state.per_day] == [0]
    assert [d.outside_hours for d in state.per_day] == [0]
    assert state.on_lines() == {f"evidence:{night_call.id}": [waiting]}
    assert "22:40" not in conduct_section(session, negotiation)
    assert conduct_section(session, negotiation) == ""  # no placeholder (issue 16)
    purpose = prefilled_purposes(session, negotiation, [night_call], tz=SHANGHAI)
    assert "22:00" not in purpose[night_call.id][1][0]

    # A person says the collector called: the same finding counts, in the letter too.
    edit_evidence(session, night_call, actor=owner, changes={"direction": Direction.from_them})
    state = report(session, negotiation)
    assert [f.id for f in state.active()] == [waiting.id] and state.needs_direction() == []
    assert "方向不详" not in state.active()[0].reason["zh"]
    assert "22:40" in conduct_section(session, negotiation)
    assert "22:00" in prefilled_purposes(session, negotiation, [night_call],
                                         tz=SHANGHAI)[night_call.id][1][0]

    # Or that the borrower called: nothing is left.
    edit_evidence(session, night_call, actor=owner, changes={"direction": Direction.from_me})
    assert report(session, negotiation).findings == ()


def test_words_in_a_message_of_unknown_direction_are_not_the_collectors(
        services, session, negotiation, owner):
    sms = add_item(services, session, negotiation, owner, when=NIGHT.replace(hour=12),
                   name="sms", channel=Channel.sms, kind=EvidenceKind.sms,
                   text="再不还就爆你通讯录。")
    recording = add_item(services, session, negotiation, owner, when=NIGHT.replace(hour=13),
                         name="call", text="再不还就爆你通讯录。")
    state = report(session, negotiation)
    # A recording holds both sides whoever dialled: its words count as before.
    assert [f.evidence_id for f in state.active()] == [recording.id]
    assert [(f.evidence_id, f.rule_id) for f in state.needs_direction()] == [
        (sms.id, "cn.public_disclosure")]
    edit_evidence(session, sms, actor=owner, changes={"direction": Direction.from_them})
    assert sorted(f.evidence_id for f in report(session, negotiation).active()) == [
        sms.id, recording.id]


def test_the_timeline_flag_says_set_the_direction(session, negotiation, night_call):
    [line] = read_timeline(session, negotiation, default_zone=SHANGHAI).lines
    [flag] = line.findings
    assert flag.needs_direction and flag.source == f"evidence:{night_call.id}"


# --- the pages ---------------------------------------------------------------------------------

def test_the_findings_page_lists_it_apart_with_a_link_to_set_it(client, session, negotiation,
                                                                night_call):
    page = client.get(f"/negotiations/{negotiation.id}/findings").get_data(as_text=True)
    assert 'data-count="0"' in re.search(r'data-testid="active-count"[^>]*>', page).group(0)
    section = page.split('data-testid="direction-unknown"')[1]
    assert f'href="/evidence/{night_call.id}#details"' in section
    assert 'data-testid="set-direction"' in section
    assert 'data-testid="rule-group" data-rule="cn.quiet_hours"' not in page
    assert 'data-testid="findings-empty"' not in page
    summary = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert 'data-testid="conduct-summary" data-count="0"' in summary


def test_the_timeline_and_the_evidence_page_say_direction_unknown(client, session, owner,
                                                                  negotiation, night_call):
    for url in (f"/negotiations/{negotiation.id}", f"/evidence/{night_call.id}"):
        page = client.get(url).get_data(as_text=True)
        flag = re.search(r'<a class="badge badge-unknown" href="([^"]+)"[^>]*'
                         r'data-testid="direction-needed"', page)
        assert flag and flag.group(1) == f"/evidence/{night_call.id}#details", url
        assert 'data-testid="conduct-flag"' not in page, url
    post_form(client, f"/evidence/{night_call.id}/details",
              {"direction": "from_them", "occurred_at": "2024-12-03T22:40:00"})
    page = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert 'data-testid="direction-needed"' not in page
    assert 'data-testid="conduct-flag" data-rule="cn.quiet_hours"' in page


def test_the_api_gives_the_findings_state(app, session, owner, negotiation, night_call):
    _, token = create_token(session, owner, "phone")
    reply = app.test_client().get(f"/api/v1/negotiations/{negotiation.id}/timeline",
                                  headers={"Authorization": f"Bearer {token}"})
    [line] = reply.get_json()["items"]
    assert [f["state"] for f in line["findings"]] == ["needs_direction"]
