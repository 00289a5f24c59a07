"""The conduct report kept in memory between reports (logger.conduct.kept, what the web uses):
after each change made the way the app makes it, the report equals a rebuild from scratch;
only the items a change touched are read again (a new text, an edit of an item's fields or
text), and everything is read again after a change that is not about one item (an intake, the
trash, a call log, a contact entry); on SQLCipher and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from logger.conduct import contributions, kept
from logger.conduct.contact_entries import add_contact_entry
from logger.conduct.report import conduct_report, dismiss_finding
from logger.record.evidence import edit_evidence
from logger.record.sides import set_left_channel
from logger.record.text_edits import save_edited_text
from logger.record.trash import trash
from storage.models import (CallLogEntry, Channel, CustodyEvent, Direction, ExtractedText,
                            TextSource)
from tests.conduct.test_conduct import SHANGHAI, add_item, at, import_log, log_csv
# Fixtures; `config` runs each test on SQLCipher and on PostgreSQL.
from tests.conduct.test_incremental import (MESSAGES, THREAT, config, read_again,  # noqa: F401
                                            world)


@pytest.fixture
def items_read(monkeypatch) -> list[int]:
    """How many items each report reads (their fields, whole: every item, or those touched)."""
    read: list[int] = []
    real = contributions.refresh

    def counted(session, negotiation_id, inputs, items, *, keep):
        items = list(items)
        read.append(len(items))
        return real(session, negotiation_id, inputs, items, keep=keep)

    monkeypatch.setattr(contributions, "refresh", counted)
    return read


def same_as_rebuilt(session, negotiation) -> dict:
    """The report kept in memory (what was read again kept, committed), against a rebuild."""
    report = conduct_report(session, negotiation, default_zone=SHANGHAI, keep=True,
                            in_memory=True)
    session.commit()
    rebuilt = conduct_report(session, negotiation, default_zone=SHANGHAI, rebuild=True)
    assert report.as_dict() == rebuilt.as_dict()
    return report.as_dict()


def test_only_the_items_a_change_touched_are_read_again(
        services, session, negotiation, owner, world, read_again, items_read):
    first = same_as_rebuilt(session, negotiation)
    everything = items_read[0]
    assert everything >= 6 and len(read_again) == 5
    items_read.clear()
    read_again.clear()
    assert same_as_rebuilt(session, negotiation) == first
    assert items_read == [] and read_again == []  # nothing changed, nothing read

    # A new reading of one item (a job finished: a text, no custody event).
    session.add(ExtractedText(evidence_id=world["plain_call"].id, source=TextSource.transcript,
                              text=THREAT))
    session.commit()
    changed = same_as_rebuilt(session, negotiation)
    assert changed != first
    assert items_read == [1] and read_again == [world["plain_call"].id]

    # A person's edits: the chat's direction, the stereo call's left channel, a time moved,
    # a corrected transcript; each item alone is read again.
    for change, item in (
            (lambda: edit_evidence(session, world["chat"], actor=owner,
                                   changes={"direction": Direction.from_them}), "chat"),
            (lambda: set_left_channel(session, world["stereo"], side="me", actor=owner),
             "stereo"),
            (lambda: edit_evidence(session, world["night_call"], actor=owner,
                                   changes={"occurred_at": at(3, 12, 31, 5)}), "night_call"),
            (lambda: save_edited_text(session, world["night_call"], base_id=_newest(
                session, world["night_call"]), lines=["喂，你好。", "你就是个老赖。"],
                actor=owner), "night_call")):
        items_read.clear()
        read_again.clear()
        before = same_as_rebuilt(session, negotiation)
        change()
        assert same_as_rebuilt(session, negotiation) != before
        assert items_read == [1] and read_again == [world[item].id], item

    # A dismissal and the rule settings are read with every report: nothing read again.
    finding = next(f for f in changed["findings"] if f["state"] == "active")
    dismiss_finding(session, negotiation, finding["id"], reason="我同意的", actor=owner,
                    default_zone=SHANGHAI)
    items_read.clear()  # the dismissal's own report reads everything (no memory kept there)
    dismissed = same_as_rebuilt(session, negotiation)
    assert next(f for f in dismissed["findings"] if f["id"] == finding["id"])["dismissed"]
    assert items_read == []


@pytest.mark.parametrize("change", ["intake", "trash", "call log", "contact entry"])
def test_a_change_not_about_one_item_reads_everything_again(
        services, session, negotiation, owner, world, items_read, change):
    same_as_rebuilt(session, negotiation)
    everything = items_read[0]
    items_read.clear()
    if change == "intake":
        add_item(services, session, negotiation, owner, when=at(7, 23, 30), number="95188",
                 direction=Direction.from_them, segments=[{"start": 1.0, "text": THREAT}])
    elif change == "trash":
        trash(session, world["log"], actor=owner, reason="wrong phone")
    elif change == "call log":
        import_log(services, session, negotiation, owner,
                   log_csv(*[f"95188,,2024-12-04 0{h}:00:00,0,missed" for h in range(1, 8)]))
    else:
        add_contact_entry(session, negotiation=negotiation, actor=owner,
                          occurred_at=at(6, 23), channel=Channel.visit,
                          direction=Direction.from_them, description="上门")
    same_as_rebuilt(session, negotiation)
    assert items_read and items_read[0] >= everything - 1


def test_the_checks_of_contacts_run_again_only_when_the_contacts_changed(
        session, negotiation, owner, world, monkeypatch):
    same_as_rebuilt(session, negotiation)
    ran: list[str] = []
    for name in kept.CONTACT_CHECKS:
        real = kept.CHECKS[name]
        monkeypatch.setitem(kept.CHECKS, name, lambda *a, _real=real, _name=name:
                            ran.append(_name) or _real(*a))
    def checks_run() -> list[str]:
        """The contact checks the kept report ran (checked against a rebuild after)."""
        ran.clear()
        conduct_report(session, negotiation, default_zone=SHANGHAI, keep=True, in_memory=True)
        session.commit()
        found = sorted(ran)
        same_as_rebuilt(session, negotiation)
        return found

    # New words in a call: its passages change, its contact does not.
    session.add(ExtractedText(evidence_id=world["plain_call"].id, source=TextSource.transcript,
                              text=THREAT))
    session.commit()
    assert checks_run() == []
    # The call moved to the night: a contact changed, the checks run again.
    edit_evidence(session, world["plain_call"], actor=owner,
                  changes={"occurred_at": at(6, 23, 15)})
    assert "quiet_hours" in checks_run()
    report = same_as_rebuilt(session, negotiation)
    assert any(f["rule_id"] == "cn.quiet_hours" and f["evidence_id"] == world["plain_call"].id
               for f in report["findings"])


def _newest(session, item) -> int:
    return session.exec(select(func.max(ExtractedText.id)).where(
        ExtractedText.evidence_id == item.id)).one()


def test_new_words_replace_only_their_items_passages(session, negotiation, world, monkeypatch):
    """Texts that change no contact (new words, words corrected away) replace their items'
    passages in what is kept, without putting the contacts together again; a text whose
    messages differ puts them together again."""
    same_as_rebuilt(session, negotiation)
    assembled: list[int] = []
    real = kept.assemble
    monkeypatch.setattr(kept, "assemble", lambda *args: assembled.append(1) or real(*args))
    for item, text in ((world["plain_call"], THREAT), (world["stereo"], "你好，我是客服。"),
                       (world["night_call"], "喂，你好。")):
        session.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=text))
    session.commit()
    report = same_as_rebuilt(session, negotiation)
    assert assembled == []
    words = {f["evidence_id"] for f in report["findings"] if f["check"] == "lexicon"}
    assert world["plain_call"].id in words
    assert not words & {world["stereo"].id, world["night_call"].id}

    session.add(ExtractedText(evidence_id=world["backup"].id, source=TextSource.text,
                              text=MESSAGES[0]["text"], segments=MESSAGES[:1]))
    session.commit()
    same_as_rebuilt(session, negotiation)
    assert assembled == [1]


def test_calls_added_to_a_call_log_already_stored_are_read(
        services, session, negotiation, owner, world, items_read):
    """Importing a stored call log again keeps the calls it left out before, without a custody
    event: the kept report reads the call log again (and no item)."""
    data = log_csv("95188,,2024-12-08 10:00:00,0,missed", "95199,,2024-12-08 01:10:00,0,missed")
    import_log(services, session, negotiation, owner, data)
    before = same_as_rebuilt(session, negotiation)
    head = session.exec(select(func.max(CustodyEvent.seq))).one()
    items_read.clear()
    added = import_log(services, session, negotiation, owner, data, numbers=["95188", "95199"])
    assert added.file_was_known and added.added == 1
    assert session.exec(select(func.max(CustodyEvent.seq))).one() == head
    after = same_as_rebuilt(session, negotiation)
    assert items_read == []
    night = session.exec(select(CallLogEntry.id).where(CallLogEntry.number == "95199")).one()
    assert f"calllog:{night}" in {f["source"] for f in after["findings"]}
    assert f"calllog:{night}" not in {f["source"] for f in before["findings"]}


def test_a_report_while_another_follows_the_negotiation_reads_everything(
        session, negotiation, world, items_read, monkeypatch):
    """One report at a time follows a negotiation's kept inputs (changed in place); one that
    would wait too long reads everything instead, leaving them to the other."""
    same_as_rebuilt(session, negotiation)
    everything = items_read[0]
    monkeypatch.setattr(kept, "_WAIT_S", 0.01)
    items_read.clear()
    with kept._FOLLOWING[(str(session.get_bind().url), negotiation.id)]:
        same_as_rebuilt(session, negotiation)
    assert items_read == [everything]
    items_read.clear()
    same_as_rebuilt(session, negotiation)
    assert items_read == []
