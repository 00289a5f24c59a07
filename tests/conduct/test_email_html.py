"""An email kept with its HTML body (in its text's segments, beside the text) is read for the
collector's words like one without: the HTML segment holds no words of its own, so the text is
the passage (as promise suggestions read it)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from logger.conduct.report import conduct_report
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import Channel, Direction, EvidenceKind, ExtractedText, TextSource

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDS = ("From: 催收部 <collect@example.com>\nSubject: 最后通知\n\n"
         "你这个老赖，再不还钱我们就联系你的家人和单位领导，让他们都知道你欠钱不还。")


def email(services, session, negotiation, owner, name: str, segments: list[dict]) -> int:
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"{name}\n".encode()), f"{name}.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=EvidenceKind.email, channel=Channel.email,
                                          direction=Direction.from_them,
                                          occurred_at=datetime(2024, 12, 3, 10, tzinfo=SHANGHAI)))
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.email, text=WORDS,
                              segments=segments))
    session.commit()
    return item.id


def test_an_email_with_its_html_is_read_like_one_without(services, session, negotiation, owner):
    plain = email(services, session, negotiation, owner, "plain", [])
    html = email(services, session, negotiation, owner, "html", [
        {"part": "html", "html": "<p>你这个老赖，再不还钱我们就联系你的家人和单位领导</p>"}])
    found = conduct_report(session, negotiation, default_zone=SHANGHAI).active()
    rules = {item: sorted(f.rule_id for f in found if f.evidence_id == item)
             for item in (plain, html)}
    assert rules[plain], "the words should give findings"
    assert rules[html] == rules[plain]
