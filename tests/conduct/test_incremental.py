"""The conduct report kept per text (logger.conduct.contributions): after each change, addition,
trashing and purge, the report that reads again only the changed texts equals the report
rebuilt from scratch, and only the changed texts are read again; on SQLCipher and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from logger.conduct import contributions
from logger.conduct.contact_entries import add_contact_entry
from logger.conduct.report import conduct_report
from logger.record.sides import LEFT_CHANNEL
from logger.record.trash import empty_trash, trash
from storage.models import (Channel, ConductText, Direction, EvidenceKind, ExtractedText,
                            TextSource, ThirdParty)
from tests.conduct.test_conduct import SHANGHAI, add_item, at, import_log, log_csv

THREAT = "你再不还钱，我们就去你单位找你领导，让你全家都知道你是老赖。"
MESSAGES = [
    {"time": "2024-12-03T15:10:00Z", "direction": "from_them", "speaker": "them",
     "counterpart": "95188", "text": "再不还就爆你通讯录。"},
    {"time": "2024-12-03T15:20:00Z", "direction": "from_me", "speaker": "me",
     "counterpart": "95188", "text": "我下周一定还。"},
    {"time": "2024-12-04T01:00:00Z", "direction": "from_them", "speaker": "them",
     "counterpart": "95188", "text": "你就是个老赖。"},
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def config(request, config):
    """Both databases: what is kept is JSON, compared and deleted through the foreign key."""
    if request.param == "sqlite":
        return config
    return dataclasses.replace(config, storage=dataclasses.replace(
        config.storage, database_url=request.getfixturevalue("postgres_db_url")))


@pytest.fixture
def read_again(monkeypatch) -> list[int]:
    """The ids of the items whose texts the kept report reads again, one entry per text."""
    read: list[int] = []
    real = contributions.text_passages

    def counted(item, source, text):
        read.append(item.id)
        return real(item, source, text)

    monkeypatch.setattr(contributions, "text_passages", counted)
    return read


@pytest.fixture
def world(services, session, negotiation, owner):
    """Calls with transcripts (one at night), a call log with missed calls, a message backup,
    a chat and an email of unknown direction, and a contact with a relative recorded by hand."""
    items = {
        "night_call": add_item(services, session, negotiation, owner, when=at(3, 22, 31, 5),
                               number="95188", direction=Direction.from_them, segments=[
                                   {"start": 0.0, "end": 4.0, "text": "喂，你好。"},
                                   {"start": 64.5, "end": 71.0, "text": THREAT}]),
        "stereo": add_item(services, session, negotiation, owner, when=at(4, 15),
                           direction=Direction.from_them, segments=[
                               {"speaker": "left", "start": 0.0, "end": 3.0,
                                "text": "你就是个老赖。"},
                               {"speaker": "right", "start": 3.0, "end": 6.0,
                                "text": "你这人真不要脸。"}]),
        "backup": add_item(services, session, negotiation, owner, when=at(3, 12),
                           channel=Channel.sms, kind=EvidenceKind.sms, segments=MESSAGES,
                           source=TextSource.text),
        "chat": add_item(services, session, negotiation, owner, when=at(5, 23, 10),
                         channel=None, kind=EvidenceKind.chat, source=TextSource.ocr,
                         segments=[{"time": "23:10", "text": "你这人真不要脸。"}]),
        "email": add_item(services, session, negotiation, owner, when=at(6, 7),
                          channel=Channel.email, kind=EvidenceKind.email, text=THREAT,
                          source=TextSource.email),
        "plain_call": add_item(services, session, negotiation, owner, when=at(6, 9),
                               number="95188", direction=Direction.from_them),
    }
    log = import_log(services, session, negotiation, owner, log_csv(
        *[f"95188,,2024-12-03 0{h}:00:00,0,missed" for h in range(1, 8)],
        "95188,,2024-12-03 22:30:00,95,incoming"))
    items["log"] = session.get(type(items["night_call"]), log.evidence_id)
    add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=at(5, 10),
                      channel=Channel.call, direction=Direction.from_them,
                      description="他们打给我妈妈", third_party=ThirdParty.relative,
                      third_party_name="妈妈")
    return items


def same_as_rebuilt(session, negotiation) -> dict:
    """The kept report (what was read again kept, committed), checked against a rebuild."""
    kept = conduct_report(session, negotiation, default_zone=SHANGHAI, keep=True)
    session.commit()
    rebuilt = conduct_report(session, negotiation, default_zone=SHANGHAI, rebuild=True)
    assert kept.as_dict() == rebuilt.as_dict()
    return kept.as_dict()


def test_the_kept_report_equals_a_rebuild_after_every_kind_of_change(
        services, session, negotiation, owner, world, read_again):
    first = same_as_rebuilt(session, negotiation)
    assert {f["rule_id"] for f in first["findings"]} >= {
        "cn.quiet_hours", "cn.unanswered_calls", "cn.insults", "cn.third_party"}
    # What waits for a direction (the chat and the email) is kept apart, as rebuilt.
    assert {f["evidence_id"] for f in first["findings"] if f["state"] == "needs_direction"} \
        >= {world["chat"].id, world["email"].id}
    assert len(read_again) == 5  # every text, once
    read_again.clear()
    assert same_as_rebuilt(session, negotiation) == first
    assert read_again == []  # nothing changed, nothing read

    # A changed item: the chat's direction set; only its text is read again.
    world["chat"].direction = Direction.from_them
    session.add(world["chat"])
    session.commit()
    changed = same_as_rebuilt(session, negotiation)
    assert changed != first and read_again == [world["chat"].id]

    # A person says whose the stereo call's left channel is (metadata, not the text).
    read_again.clear()
    stereo = world["stereo"]
    stereo.extracted_metadata = {**stereo.extracted_metadata, LEFT_CHANNEL: "me"}
    session.add(stereo)
    session.commit()
    same_as_rebuilt(session, negotiation)
    assert read_again == [stereo.id]

    # A time moved: the night call at noon; its transcript's passages move with it.
    read_again.clear()
    world["night_call"].occurred_at = at(3, 12, 31, 5)
    session.add(world["night_call"])
    session.commit()
    same_as_rebuilt(session, negotiation)
    assert read_again == [world["night_call"].id]

    # Added: a new item, and a new reading of the email (the newest text of a source counts).
    read_again.clear()
    added = add_item(services, session, negotiation, owner, when=at(7, 23, 30), number="95188",
                     direction=Direction.from_them, segments=[
                         {"start": 1.0, "end": 5.0, "text": THREAT}])
    session.add(ExtractedText(evidence_id=world["email"].id, source=TextSource.email,
                              text="您好，请尽快还款。"))
    session.commit()
    same_as_rebuilt(session, negotiation)
    assert sorted(read_again) == sorted([added.id, world["email"].id])

    # Trashed: an item and the call log (its calls leave the record with it).
    read_again.clear()
    trash(session, world["backup"], actor=owner, reason="duplicate")
    trash(session, world["log"], actor=owner, reason="wrong phone")
    same_as_rebuilt(session, negotiation)
    assert read_again == []

    # Purged: its texts are deleted, and what was kept of them with them.
    backup_texts = list(session.exec(select(ExtractedText.id).where(
        ExtractedText.evidence_id == world["backup"].id)))
    empty_trash(session, services.blobs, actor=owner, retention_days=0,
                now=datetime.now(UTC) + timedelta(days=1))
    assert session.exec(select(ConductText).where(
        ConductText.text_id.in_(backup_texts))).all() == []
    same_as_rebuilt(session, negotiation)


def test_a_state_kept_by_another_reading_is_read_again(session, negotiation, world,
                                                        read_again, monkeypatch):
    """What an older reading kept (other code, lexicons or translations) is never taken for
    current."""
    same_as_rebuilt(session, negotiation)
    read_again.clear()
    monkeypatch.setattr(contributions, "_reading_digest", lambda: "another reading")
    same_as_rebuilt(session, negotiation)
    assert len(read_again) == 5
