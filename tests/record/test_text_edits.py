"""OCR and document text is corrected as a transcript is (logger.record.text_edits): a new version
beside the machine's, which is kept; a `text_edit` custody event; the newest version is what the
page shows first, what search marks as newest, what the conduct checks read and what a bundle
names plainly; a chat bubble keeps its side and time, a PDF page its page and its line breaks."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.conduct.report import conduct_report
from logger.errors import NotFound
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.custody import verify_chain
from logger.record.search import find_results
from logger.record.text_edits import TextEditError, save_edited_text
from logger.record.transcripts import save_edited_transcript
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind,
                            ExtractedText, TextSource)
from tests.support.bundles import members, world  # noqa: F401  (world is a fixture)
from tests.support.uploads import page_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHAT = [{"side": "them", "time": "2024-12-03T14:10:00Z", "box": [1, 2, 3, 4],
         "text": "你再不还钱我就去你单位闹"},
        {"side": "me", "time": "2024-12-03T14:11:00Z", "box": [5, 6, 7, 8],
         "text": "我下周还"}]
PAGES = [{"page": 1, "text": "还款协议\n甲方：张三\n乙方：某某公司"},
         {"page": 2, "text": "甲方应于2024年12月20日前还款3000元。"}]


def add_item(services, session, negotiation, owner, *, name, kind, source, segments,
             channel=None):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"{name}\n".encode()), f"{name}.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel,
                                          direction=Direction.from_them,
                                          occurred_at=datetime(2024, 12, 3, 22, 10,
                                                               tzinfo=SHANGHAI)))
    text = ExtractedText(evidence_id=item.id, source=source, engine="rapidocr",
                         text="\n".join(s["text"] for s in segments), segments=segments)
    session.add(text)
    session.commit()
    return item, text


@pytest.fixture
def chat(services, session, negotiation, owner):
    return add_item(services, session, negotiation, owner, name="chat", kind=EvidenceKind.chat,
                    source=TextSource.ocr, segments=CHAT, channel=Channel.wechat)


@pytest.fixture
def pdf(services, session, negotiation, owner):
    return add_item(services, session, negotiation, owner, name="agreement",
                    kind=EvidenceKind.document, source=TextSource.pdf, segments=PAGES)


def events(session, action) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.action == action)))


def test_an_ocr_correction_is_a_new_version_that_keeps_sides_and_times(session, owner,
                                                                       negotiation, chat):
    item, machine = chat
    version = save_edited_text(session, item, base_id=machine.id, actor=owner,
                               lines=["你再不还钱我就去你单位闹，让你同事都知道", "我下周还"])
    session.refresh(machine)
    assert machine.segments == CHAT and not machine.edited  # the machine's text is kept
    assert version.edited and version.source == TextSource.ocr and version.id > machine.id
    assert [{k: v for k, v in s.items() if k != "text"} for s in version.segments] == [
        {k: v for k, v in s.items() if k != "text"} for s in CHAT]
    [event] = events(session, CustodyAction.text_edit)
    assert event.details == {"base_text_id": machine.id, "text_id": version.id,
                             "source": "ocr", "changes": [
                                 {"segment": 0, "old": CHAT[0]["text"],
                                  "new": "你再不还钱我就去你单位闹，让你同事都知道"}]}
    assert events(session, CustodyAction.transcript_edit) == []
    assert verify_chain(session)[1] == []
    # The conduct checks read the newest text: the corrected words are found.
    found = conduct_report(session, negotiation, default_zone=SHANGHAI).active()
    assert any(f.quote and "同事都知道" in f.quote for f in found)


def test_a_pdf_correction_keeps_its_pages_and_line_breaks(session, owner, pdf):
    item, machine = pdf
    lines = ["还款协议\n甲方：张三  \n乙方：某某公司\n", "甲方应于2024年12月20日前还款3500元。"]
    version = save_edited_text(session, item, base_id=machine.id, actor=owner, lines=lines)
    assert [s["page"] for s in version.segments] == [1, 2]
    assert version.segments[0]["text"] == "还款协议\n甲方：张三\n乙方：某某公司"
    [event] = events(session, CustodyAction.text_edit)
    assert [c["segment"] for c in event.details["changes"]] == [1]  # trailing spaces: no change
    hits = find_results(session, "3500元", owner=owner)
    assert [(r.hit.text_id, r.moment.newest) for r in hits.results] == [(version.id, True)]
    old = find_results(session, "3000元", owner=owner)
    assert [(r.hit.text_id, r.moment.newest) for r in old.results] == [(machine.id, False)]


def test_a_correction_that_does_not_fit_is_refused(session, owner, pdf, chat):
    item, machine = pdf
    with pytest.raises(TextEditError, match="nothing was changed"):
        save_edited_text(session, item, base_id=machine.id, actor=owner,
                         lines=[s["text"] for s in PAGES])
    with pytest.raises(TextEditError, match="2 segments"):
        save_edited_text(session, item, base_id=machine.id, actor=owner, lines=["x"])
    with pytest.raises(NotFound):  # another item's text
        save_edited_text(session, item, base_id=chat[1].id, actor=owner, lines=["a", "b"])
    with pytest.raises(NotFound):  # not a transcript
        save_edited_transcript(session, item, base_id=machine.id, actor=owner,
                               lines=["a", "b"])
    assert events(session, CustodyAction.text_edit) == []


# --- the pages ---------------------------------------------------------------------------------

def test_the_image_page_corrects_its_text(client, session, chat):
    item, machine = chat
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert 'data-testid="correct-text"' in page and f'value="{machine.id}"' in page
    reply = client.post(f"/evidence/{item.id}/text", data={
        "csrf_token": page_token(client), "base_id": machine.id,
        "segment": [CHAT[0]["text"], "我下周一定还"]})
    assert reply.status_code == 302 and re.search(r"#text-\d+$", reply.location)
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "我下周一定还" in page and 'data-testid="text-versions"' in page
    assert 'data-edited="true"' in page
    assert "文字已修正（1 行）" in page  # the custody history (a Chinese account)
    # Nothing changed: no new version.
    newest = session.exec(select(ExtractedText).order_by(ExtractedText.id.desc())).first()
    client.post(f"/evidence/{item.id}/text", data={
        "csrf_token": page_token(client), "base_id": newest.id,
        "segment": [s["text"] for s in newest.segments]})
    assert len(events(session, CustodyAction.text_edit)) == 1


def test_the_document_page_corrects_its_text(client, session, pdf, other_client):
    item, machine = pdf
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert 'data-testid="correct-text"' in page
    form = {"base_id": machine.id, "segment": [PAGES[0]["text"], "甲方应于2024年12月25日前还款"]}
    assert other_client.post(f"/evidence/{item.id}/text", data={
        "csrf_token": page_token(other_client), **form}).status_code == 404
    client.post(f"/evidence/{item.id}/text", data={"csrf_token": page_token(client), **form})
    assert "12月25日" in client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert len(events(session, CustodyAction.text_edit)) == 1


def test_a_bundle_names_the_newest_version_plainly_and_keeps_the_machines(world, tmp_path):
    item = world.items["white_chat"]
    machine = session_text(world.session, item.id)
    corrected = save_edited_text(world.session, item, base_id=machine.id, actor=world.owner,
                                 lines=["我们会通知你的单位"])
    files = members(world.export(tmp_path / "b.zip").path)
    ocr = sorted(n for n in files if n.startswith("texts/") and "聊天记录截图.ocr" in n
                 and n.startswith("texts/3-1"))
    assert ocr == [f"texts/3-1_2024-12-04_聊天记录截图.ocr-{machine.id}.txt",
                   "texts/3-1_2024-12-04_聊天记录截图.ocr.txt"]
    newest = files[ocr[1]].decode()
    assert corrected.segments[0]["text"] in newest and "人工校对" in newest
    assert machine.text in files[ocr[0]].decode()


def session_text(session, evidence_id: int) -> ExtractedText:
    return session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == evidence_id)).one()
