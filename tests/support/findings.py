"""Helpers of the findings page tests: its address, a call at night, and the findings, a
finding's HTML and the custody events a page shows or wrote."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind,
                            ExtractedText, TextSource)

SHANGHAI = ZoneInfo("Asia/Shanghai")
COURT = "我是朝阳区人民法院的，你的案子已经立案了。"
FINDING = re.compile(r'<li class="finding[^"]*" id="finding-(\w+)"[^>]*data-rule="([\w.]+)"'
                     r'[^>]*data-dismissed="(true|false)"')


def findings_url(negotiation) -> str:
    return f"/negotiations/{negotiation.id}/findings"


def night_call(services, session, negotiation, owner):
    """A recorded call from the collector at 22:31:05 Shanghai time, in which they pose as a
    court 64.5 seconds in."""
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(b"recording stand-in\n"), "call.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=EvidenceKind.call, channel=Channel.call,
                                          direction=Direction.from_them,
                                          occurred_at=datetime(2024, 12, 3, 22, 31, 5,
                                                               tzinfo=SHANGHAI),
                                          counterpart_number="95188"))
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=COURT,
                              segments=[{"start": 0.0, "end": 3.0, "text": "喂，你好。"},
                                        {"start": 64.5, "end": 71.0, "text": COURT}]))
    session.commit()
    return item


def shown_findings(reply) -> dict[str, list[tuple[str, bool]]]:
    """rule id -> [(finding id, dismissed)] as the page lists them."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for finding_id, rule_id, dismissed in FINDING.findall(reply.get_data(as_text=True)):
        found.setdefault(rule_id, []).append((finding_id, dismissed == "true"))
    return found


def finding_html(reply, finding_id: str) -> str:
    html = reply.get_data(as_text=True)
    start = html.index(f'id="finding-{finding_id}"')
    return html[start:html.index("</li>", start)]


def custody(session, action: CustodyAction) -> list[CustodyEvent]:
    session.expire_all()
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.action == action)))
