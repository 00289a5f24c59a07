"""The negotiation pages: the overview (home page), create, edit, and the header other pages
include."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import COMMON_CREDITORS
from storage.models import CustodyAction, CustodyEvent, Negotiation
from tests.support.common import make_negotiation_in
from tests.support.web import page_text, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def client(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def today() -> date:
    return datetime.now(SHANGHAI).date()


def cards(page) -> dict[str, str]:
    """Each negotiation card's text, by creditor, in the order shown."""
    html = page.get_data(as_text=True)
    found = re.findall(r'<li id="negotiation-\d+" data-testid="negotiation-card".*?</article>',
                       html, re.S)
    result = {}
    for card in found:
        text = " ".join(re.sub(r"<[^>]+>", " ", card).split())
        creditor = re.search(r'-title"><a href="[^"]+">([^<]+)</a>', card).group(1)
        result[creditor] = text
    return result


def test_the_overview_invites_a_newcomer_to_start(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="empty-overview"' in html and 'href="/negotiations/new"' in html
    assert "No negotiation yet" in page_text(page)


def test_create_a_negotiation(client, session, owner):
    form = client.get("/negotiations/new").get_data(as_text=True)
    assert '<datalist id="creditor-suggestions">' in form
    assert all(f'<option value="{name}">' in form for name in COMMON_CREDITORS)
    assert f'max="{today().isoformat()}"' in form

    reply = post_form(client, "/negotiations/new", {
        "creditor": "网商贷", "collection_agency": "某某资产管理",
        "account_reference": "WS-2024-118",
        "principal": "20,000", "outstanding": "23456.78", "currency": "cny",
        "overdue_since": "2024-11-02", "language": "zh"})
    assert reply.status_code == 302
    stored = session.exec(select(Negotiation)).one()
    assert (stored.owner_id, stored.creditor, stored.collection_agency) == \
        (owner.id, "网商贷", "某某资产管理")
    assert (stored.principal, stored.outstanding, stored.currency) == \
        (Decimal("20000"), Decimal("23456.78"), "CNY")
    assert (stored.overdue_since, stored.language) == (date(2024, 11, 2), "zh")
    assert "Negotiation with 网商贷 started." in page_text(client.get("/"))


def test_bad_input_is_explained_next_to_each_field_and_nothing_is_stored(client, session):
    future = (today() + timedelta(days=3)).isoformat()
    reply = post_form(client, "/negotiations/new", {
        "creditor": "", "principal": "about 5000", "outstanding": "-1", "currency": "RMB!",
        "overdue_since": future, "collection_agency": "留下的字"})
    assert reply.status_code == 400
    text = page_text(reply)
    for message in ("Nothing was saved yet.", "Name the creditor",
                    "Write an amount in digits, for example 12345.67.",
                    "An amount cannot be negative.", "Use a three-letter currency code",
                    "This date is in the future"):
        assert message in text, message
    html = reply.get_data(as_text=True)
    assert 'id="f-principal" name="principal" type="text" value="about 5000"' in html
    assert 'value="留下的字"' in html, "what was typed is kept"
    assert html.count('aria-invalid="true"') == 5
    assert session.exec(select(Negotiation)).all() == []


def test_an_edit_is_recorded_in_the_custody_log(client, session, owner):
    negotiation = make_negotiation_in(session, owner, principal=Decimal("12000"),
                                      overdue_since=date(2024, 10, 1))
    page = client.get(f"/negotiations/{negotiation.id}/edit")
    html = page.get_data(as_text=True)
    assert 'data-testid="negotiation-header"' in html and 'value="12000"' in html
    assert f'href="/negotiations/{negotiation.id}/edit" data-testid="link-edit" ' \
           'aria-current="page"' in html

    reply = post_form(client, f"/negotiations/{negotiation.id}/edit", {
        "creditor": "信用飞", "principal": "12000", "outstanding": "15000",
        "currency": "CNY", "overdue_since": "2024-10-01", "language": "auto",
        "collection_agency": "某某催收"})
    assert reply.status_code == 302
    event = session.exec(select(CustodyEvent)).one()
    assert event.action == CustodyAction.metadata_edit and event.actor_id == owner.id
    assert event.details == {"fields": {
        "collection_agency": {"old": None, "new": "某某催收"},
        "outstanding": {"old": None, "new": "15000"}}}
    assert "The change is recorded in the custody log." in page_text(client.get("/"))


def test_an_invalid_edit_changes_nothing(client, session, owner):
    negotiation = make_negotiation_in(session, owner)
    reply = post_form(client, f"/negotiations/{negotiation.id}/edit",
                      {"creditor": "花呗", "principal": "1.999"})
    assert reply.status_code == 400 and "Use at most two decimals" in page_text(reply)
    session.expire_all()
    assert session.get(Negotiation, negotiation.id).creditor == "信用飞"
    assert session.exec(select(CustodyEvent)).all() == []


def store(services, session, negotiation, owner, path, occurred_at=None):
    ingest(session=session, blobs=services.blobs,
           source=IncomingFile(io.BytesIO(path.read_bytes()), path.name),
           negotiation=negotiation, actor=owner, max_bytes=10**8,
           tz=services.config.locale.zone,
           details=EvidenceDetails(occurred_at=occurred_at) if occurred_at else None)


def test_the_overview_shows_stage_contact_and_evidence_most_urgent_first(
        client, services, session, owner, testdata):
    late = make_negotiation_in(session, owner, creditor="借呗", outstanding=Decimal("12000"),
                               overdue_since=today() - timedelta(days=40))
    for creditor, days in (("花呗", 6), ("微粒贷", 7)):
        make_negotiation_in(session, owner, creditor=creditor,
                            overdue_since=today() - timedelta(days=days))
    make_negotiation_in(session, owner, creditor="分期乐")
    called = datetime(2024, 12, 3, 7, 30, tzinfo=UTC)   # 15:30 in Shanghai
    store(services, session, late, owner, testdata / "audio" / "BAC009S0764W0121.wav", called)
    store(services, session, late, owner, testdata / "audio" / "BAC009S0764W0122.wav",
          called - timedelta(days=2))
    store(services, session, late, owner,
          testdata / "images" / "cnocr_multi-line_cn1_chat_bubble_white.png", called)

    shown = cards(client.get("/"))
    assert list(shown) == ["借呗", "微粒贷", "花呗", "分期乐"]
    assert "Late stage · 41 days overdue" in shown["借呗"]
    assert "Middle stage · 8 days overdue" in shown["微粒贷"]
    assert "Early stage · 7 days overdue" in shown["花呗"]
    assert "No overdue date" in shown["分期乐"]
    assert "CN¥12,000.00" in shown["借呗"]
    assert "Last contact 12/3/24, 3:30 PM (" in shown["借呗"] and "ago)" in shown["借呗"]
    assert "2 calls" in shown["借呗"] and "1 chat" in shown["借呗"]
    assert "Next promised payment —" in shown["借呗"]
    assert "None yet" in shown["花呗"]


def test_the_overview_lists_only_the_accounts_own(client, other_client, session, other_user):
    make_negotiation_in(session, other_user, creditor="京东金条")
    assert "京东金条" not in page_text(client.get("/"))
    assert "京东金条" in page_text(other_client.get("/"))
