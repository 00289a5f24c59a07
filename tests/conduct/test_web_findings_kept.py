"""The findings page keeps what each text contributes (web.findings.view): the first view reads
and keeps every text, a view after a new text reads and keeps that one, and what it shows is
the report rebuilt from scratch."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from logger.conduct import contributions
from logger.conduct.report import conduct_report
from storage.models import ConductText, ExtractedText, TextSource
from tests.support.findings import SHANGHAI, findings_url, night_call, shown_findings
from tests.support.web import new_browser, sign_in

THREAT = "你再不还钱，我们就去你单位找你领导。"


@pytest.fixture
def client(app, owner):
    return sign_in(new_browser(app, language="en"), "owner", "owner-password")


def kept(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(ConductText)).one()


def test_the_page_keeps_each_text_once_and_shows_the_rebuilt_report(
        client, services, session, negotiation, owner, monkeypatch):
    read: list[int] = []
    real = contributions.text_passages
    monkeypatch.setattr(contributions, "text_passages",
                        lambda item, source, text: read.append(text.id) or real(item, source,
                                                                                  text))
    call = night_call(services, session, negotiation, owner)
    assert kept(session) == 0
    before = shown_findings(client.get(findings_url(negotiation)))
    assert kept(session) == 1 and len(read) == 1

    text = ExtractedText(evidence_id=call.id, source=TextSource.ocr, text=THREAT)
    session.add(text)
    session.commit()
    after = shown_findings(client.get(findings_url(negotiation)))
    assert read[1:] == [text.id]  # only the new text is read
    assert kept(session) == 2
    assert after != before
    rebuilt = conduct_report(session, negotiation, default_zone=SHANGHAI, rebuild=True)
    assert {f.id for f in rebuilt.findings} == {i for found in after.values() for i, _ in found}
