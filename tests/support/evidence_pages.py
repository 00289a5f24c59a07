"""Helpers of the evidence page tests (tests/web/test_web_evidence*.py): a transcript, one upload
through the page, extracted text added by hand, custody events of one action, a form with its
CSRF token, a hostile email (script, tracker, inline image)."""

from __future__ import annotations

from email.message import EmailMessage

from sqlmodel import select

from storage.models import CustodyAction, CustodyEvent, ExtractedText, TextSource
from tests.support.uploads import page_token, post_files

TRANSCRIPT = [{"start": 0.0, "end": 2.5, "text": " 您好，这里是信用飞催收部。", "speaker": None},
              {"start": 2.5, "end": 6.0, "text": " 你这个月十五号之前必须还款。", "speaker": None},
              {"start": 6.0, "end": 9.2, "text": " 我下周三前可以先还五千。", "speaker": None}]


def upload_one(client, negotiation, path, name=None) -> int:
    reply = post_files(client, negotiation.id, [(name or path.name, path.read_bytes())])
    result = reply.get_json()["results"][0]
    assert result["status"] == "stored", result
    return result["evidence_id"]


def add_text(session, evidence_id: int, source: TextSource, text: str, segments=(), **kw):
    row = ExtractedText(evidence_id=evidence_id, source=source, text=text,
                        segments=list(segments), **kw)
    session.add(row)
    session.commit()
    return row


def custody(session, action: CustodyAction) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.action == action)
                             .order_by(CustodyEvent.seq)).all())


def csrf_form(client, **fields) -> dict:
    return {"csrf_token": page_token(client), **fields}


def hostile_email() -> bytes:
    message = EmailMessage()
    message["From"] = "催收中心 <collect@example.com>"
    message["To"] = "me@example.com"
    message["Subject"] = "最后通知"
    message["Date"] = "Tue, 03 Dec 2024 15:30:00 +0800"
    message.set_content("最后通知：请于十五日前还款。")
    message.add_alternative(
        '<p onclick="steal()">请于<b>十五日</b>前还款。</p><script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">'
        '<img src="cid:seal@x" alt="seal"><a href="https://example.com/pay">付款</a>',
        subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image",
                                         subtype="png", cid="<seal@x>")
    return message.as_bytes()
