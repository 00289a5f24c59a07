"""The conduct findings pages (web/findings.py, web/findings/inputs.py): findings with their
evidence, moment and local time; dismissing with a reason; switching rules and rule sets;
importing a call log and recording contacts; the charts; the flags and summary partials; and
that another account, or a form without its CSRF token, changes nothing."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from flask import g, render_template_string
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from logger.conduct.calllog import list_call_log
from logger.conduct.contact_entries import add_contact_entry, list_contact_entries
from storage.models import (CallLogEntry, Channel, ContactEntry, CustodyAction, CustodyEvent,
                            FindingDismissal, ThirdParty)
from tests.support.findings import (COURT, SHANGHAI, custody, finding_html, findings_url,
                                    night_call, shown_findings)
from tests.support.web import csrf, new_browser, post_form, sign_in, visible_text



@pytest.fixture
def client(app, owner):
    """The owner's browser asking for English pages (the checks read the English words; the
    Chinese page has its own test)."""
    return sign_in(new_browser(app, language="en"), "owner", "owner-password")


@pytest.fixture
def call(services, session, negotiation, owner):
    return night_call(services, session, negotiation, owner)


# --- The findings page ----------------------------------------------------------------------


def test_a_night_call_is_shown_with_its_quote_link_and_local_time(client, negotiation, call):
    reply = client.get(findings_url(negotiation))
    assert reply.status_code == 200
    shown = shown_findings(reply)
    assert set(shown) == {"cn.quiet_hours", "cn.impersonation"}

    night = finding_html(reply, shown["cn.quiet_hours"][0][0])
    assert 'datetime="2024-12-03T22:31:05+08:00"' in night
    assert "Dec 3, 2024, 10:31:05\u202fPM" in night or "Dec 3, 2024, 10:31:05 PM" in night
    assert f'href="/evidence/{call.id}"' in night
    assert "outside the allowed hours 08:00–22:00" in night

    words = finding_html(reply, shown["cn.impersonation"][0][0])
    assert COURT in words and 'data-testid="finding-quote"' in words
    assert f'href="/evidence/{call.id}?t=64.5"' in words
    assert 'datetime="2024-12-03T22:32:09+08:00"' in words
    page = reply.get_data(as_text=True)
    assert 'data-rule-set="cn"' in page and "Asia/Shanghai" in page


def test_the_page_speaks_chinese_in_zh(app, negotiation, call):
    browser = sign_in(new_browser(app, language="zh"), "owner", "owner-password")
    # Not prose: zone names, acronyms, file patterns, "App" (the channel "App 聊天") and the
    # account's name.
    not_prose = re.compile(r"[A-Za-z_]+/[\w/+-]+|\b[A-Z]{2,5}\b|\S+\.\w{2,4}\b|\bApp\b|owner")
    for url in (findings_url(negotiation), f"{findings_url(negotiation)}/inputs"):
        texts = visible_text(browser.get(url).get_data(as_text=True))
        leftovers = [t for t in texts if re.search(r"[A-Za-z]{3,}", not_prose.sub("", t))]
        assert not leftovers, f"{url}: untranslated {leftovers}"
    texts = " ".join(visible_text(browser.get(findings_url(negotiation)).get_data(as_text=True)))
    assert "2024年12月3日 22:31:05" in texts and "在 08:00–22:00 以外联系" in texts


def test_a_dismissed_finding_is_kept_with_its_reason_and_hidden(client, session, negotiation,
                                                                 call):
    night_id = shown_findings(client.get(findings_url(negotiation)))["cn.quiet_hours"][0][0]
    reply = post_form(client, f"{findings_url(negotiation)}/dismiss",
                      {"finding_id": night_id, "reason": "I asked them to call after work"})
    assert reply.status_code == 302

    events = custody(session, CustodyAction.finding_dismissal)
    assert [(e.details["finding_id"], e.details["reason"]) for e in events] == [
        (night_id, "I asked them to call after work")]
    page = client.get(findings_url(negotiation))
    assert "cn.quiet_hours" not in shown_findings(page)
    assert 'data-testid="show-dismissed"' in page.get_data(as_text=True)

    everything = client.get(f"{findings_url(negotiation)}?dismissed=1")
    assert shown_findings(everything)["cn.quiet_hours"] == [(night_id, True)]
    assert "I asked them to call after work" in finding_html(everything, night_id)


def test_a_dismissal_needs_a_reason(client, session, negotiation, call):
    night_id = shown_findings(client.get(findings_url(negotiation)))["cn.quiet_hours"][0][0]
    reply = post_form(client, f"{findings_url(negotiation)}/dismiss",
                      {"finding_id": night_id, "reason": "  "}, follow_redirects=True)
    assert "Say why the finding is dismissed" in reply.get_data(as_text=True)
    assert session.exec(select(FindingDismissal)).all() == []
    assert shown_findings(reply)["cn.quiet_hours"] == [(night_id, False)]


def test_a_rule_switched_off_hides_its_findings_until_switched_on(client, session, negotiation,
                                                                   call):
    url = f"{findings_url(negotiation)}/rules"
    post_form(client, url, {"rule_id": "cn.quiet_hours", "enabled": "0"})
    page = client.get(findings_url(negotiation))
    assert set(shown_findings(page)) == {"cn.impersonation"}
    html = page.get_data(as_text=True)
    assert re.search(r'data-rule="cn.quiet_hours" data-enabled="false"', html)
    # With the time-of-day rule off, no hour is shaded.
    assert 'data-forbidden="true"' not in html
    assert custody(session, CustodyAction.conduct_settings)[-1].details["disabled_rules"] == [
        "cn.quiet_hours"]

    post_form(client, url, {"rule_id": "cn.quiet_hours", "enabled": "1"})
    assert set(shown_findings(client.get(findings_url(negotiation)))) == {
        "cn.quiet_hours", "cn.impersonation"}


def test_an_unknown_rule_is_refused(client, session, negotiation, call):
    reply = post_form(client, f"{findings_url(negotiation)}/rules",
                      {"rule_id": "us.call_frequency", "enabled": "0"})
    assert reply.status_code == 400
    assert custody(session, CustodyAction.conduct_settings) == []


def test_the_rule_set_and_time_zone_are_chosen_per_negotiation(client, session, negotiation,
                                                               call):
    url = f"{findings_url(negotiation)}/settings"
    refused = post_form(client, url, {"rule_set": "us", "timezone": "Mars/Olympus"},
                        follow_redirects=True)
    assert "is not a time zone Liuhen knows" in refused.get_data(as_text=True)
    assert custody(session, CustodyAction.conduct_settings) == []

    post_form(client, url, {"rule_set": "us", "timezone": "America/Chicago"})
    page = client.get(findings_url(negotiation))
    html = page.get_data(as_text=True)
    assert 'data-rule-set="us"' in html and "America/Chicago" in html
    # 22:31 in Shanghai is 08:31 in Chicago: allowed there; the words are still a finding.
    assert set(shown_findings(page)) == {"us.false_representation"}
    forbidden = sorted(int(h) for h in re.findall(
        r'data-hour="(\d+)" data-contacts="\d+" data-forbidden="true"', html))
    assert forbidden == [0, 1, 2, 3, 4, 5, 6, 7, 21, 22, 23]
    event = custody(session, CustodyAction.conduct_settings)[-1]
    assert (event.details["rule_set"], event.details["timezone"]) == ("us", "America/Chicago")


def test_the_charts_show_24_hours_with_the_forbidden_ones_marked(client, negotiation, call):
    html = client.get(findings_url(negotiation)).get_data(as_text=True)
    hours = re.findall(r'data-testid="hour-bar" data-hour="(\d+)" data-contacts="(\d+)" '
                       r'data-forbidden="(true|false)"', html)
    assert [int(h) for h, _, _ in hours] == list(range(24))
    assert [int(h) for h, _, forbidden in hours if forbidden == "true"] == [
        0, 1, 2, 3, 4, 5, 6, 7, 22, 23]
    assert {int(h): int(n) for h, n, _ in hours if int(n)} == {22: 1}
    assert html.count('data-testid="forbidden-band"') == 2     # 00–08 and 22–24
    assert 'role="img" aria-labelledby="hour-chart-title hour-chart-desc"' in html
    days = re.findall(r'data-testid="day-bar" data-date="([\d-]+)" data-contacts="(\d+)"', html)
    assert 30 <= len(days) <= 60 and days[-1] == ("2024-12-03", "1")
    assert 'data-testid="day-table"' in html and 'data-testid="hour-table"' in html
    assert " style=" not in html        # the CSP forbids inline styles


def test_a_negotiation_without_contacts_has_an_empty_state(client, negotiation):
    html = client.get(findings_url(negotiation)).get_data(as_text=True)
    assert 'data-testid="findings-empty"' in html and 'data-testid="charts-empty"' in html
    assert html.count('data-testid="hour-bar"') == 24


# --- Inputs: the call log and contacts recorded by hand -------------------------------------

def calls_csv(*rows: str) -> bytes:
    return ("number,name,start,duration_seconds,type\n" + "\n".join(rows) + "\n").encode()


def upload(client, negotiation, data: bytes, filename="calls.csv", **fields):
    return client.post(f"{findings_url(negotiation)}/calllog",
                       data={"csrf_token": csrf(client), **fields,
                             "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_call_log_with_seven_unanswered_calls_gives_the_daily_limit_finding(
        client, session, negotiation):
    data = calls_csv(*[f"95188,,2024-12-05 {h:02}:00:00,0,missed" for h in range(9, 16)],
                     "13800138000,Mum,2024-12-05 12:30:00,60,incoming")
    reply = upload(client, negotiation, data, numbers="95188")
    assert reply.status_code == 302, reply.get_data(as_text=True)
    rows = list_call_log(session, negotiation.id)
    assert len(rows) == 7 and {r.number for r in rows} == {"95188"}

    page = client.get(findings_url(negotiation))
    shown = shown_findings(page)
    assert list(shown) == ["cn.unanswered_calls"]
    finding = finding_html(page, shown["cn.unanswered_calls"][0][0])
    assert "7 unanswered calls on 2024-12-05, more than the limit of 6 a day" in finding
    assert f'href="/evidence/{rows[0].evidence_id}"' in finding
    assert "Call log imported: 7 calls added" in page.get_data(as_text=True)
    assert "Hidden number" not in client.get(f"{findings_url(negotiation)}/inputs").get_data(
        as_text=True)


def test_an_sms_backup_and_restore_calls_file_keeps_every_call_when_asked(client, session,
                                                                         negotiation):
    start = int(datetime(2024, 12, 5, 23, 10, tzinfo=SHANGHAI).timestamp() * 1000)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<calls count="1">'
           f'<call number="+86 21 5555 0100" duration="0" date="{start}" type="3" '
           f'contact_name="(Unknown)" /></calls>').encode()
    assert upload(client, negotiation, xml, "calls-20241206.xml", all_numbers="1"
                  ).status_code == 302
    shown = shown_findings(client.get(findings_url(negotiation)))
    assert list(shown) == ["cn.quiet_hours"]


def test_a_call_log_that_cannot_be_read_stores_nothing_and_says_why(client, session,
                                                                   negotiation):
    reply = upload(client, negotiation, b"when,who\n2024-12-05,95188\n", numbers="95188")
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "The call log was not imported. What Liuhen found:" in html
    assert '<p class="error-detail">not a call log Liuhen reads' in html
    assert list_call_log(session, negotiation.id) == []

    unknown = upload(client, negotiation, calls_csv("95188,,2024-12-05 10:00:00,0,missed"))
    assert unknown.status_code == 400
    assert "does not know the collector’s numbers" in unknown.get_data(as_text=True)


def test_an_upload_over_the_limit_is_refused_unread(client, session, negotiation, monkeypatch):
    monkeypatch.setattr("web.findings.inputs.MAX_UPLOAD_BYTES", 1000)
    reply = upload(client, negotiation, calls_csv(
        *[f"95188,,2024-12-05 10:{m:02}:00,0,missed" for m in range(60)]), numbers="95188")
    assert reply.status_code == 302
    assert "larger than 0 MB" in client.get(reply.location).get_data(as_text=True)
    assert list_call_log(session, negotiation.id) == []


def test_the_uploaded_call_log_is_never_spooled_to_a_temporary_file(client, session,
                                                                   negotiation, monkeypatch):
    def no_disk(*_args, **_kwargs):
        raise AssertionError("werkzeug spooled the upload to a temporary file")

    monkeypatch.setattr("werkzeug.formparser.SpooledTemporaryFile", no_disk)
    padding = "x" * 60_000          # 10 rows of an ignored column: 600 kB, over werkzeug's 500
    data = ("number,name,start,duration_seconds,type,notes\n" + "".join(
        f"95188,,2024-12-05 1{n}:00:00,0,missed,{padding}\n" for n in range(10))).encode()
    # Encoded here in memory: the test client would itself spool a body this big to a file.
    boundary, body = encode_multipart({"csrf_token": csrf(client), "numbers": "95188",
                                       "file": FileStorage(io.BytesIO(data), "calls.csv")})
    reply = client.post(f"{findings_url(negotiation)}/calllog", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert reply.status_code == 302
    assert len(list_call_log(session, negotiation.id)) == 10


def test_a_contact_with_a_third_party_is_a_finding(client, session, negotiation):
    reply = post_form(client, f"{findings_url(negotiation)}/contacts", {
        "occurred_at": "2024-12-04T10:15", "channel": "call", "direction": "from_them",
        "description": "They called my mother and told her about the loan",
        "third_party": "relative", "third_party_name": "my mother"})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    entry = list_contact_entries(session, negotiation.id)[0]
    assert entry.third_party == ThirdParty.relative
    assert entry.occurred_at == datetime(2024, 12, 4, 2, 15, tzinfo=entry.occurred_at.tzinfo)

    page = client.get(findings_url(negotiation))
    shown = shown_findings(page)
    assert list(shown) == ["cn.third_party"]
    assert "contacted my mother (a relative) by call instead of you" in finding_html(
        page, shown["cn.third_party"][0][0])
    inputs = client.get(f"{findings_url(negotiation)}/inputs").get_data(as_text=True)
    assert "A relative: my mother" in inputs

    post_form(client, f"{findings_url(negotiation)}/contacts/remove",
              {"entry_id": str(entry.id), "reason": "wrong negotiation"})
    assert list_contact_entries(session, negotiation.id) == []
    assert custody(session, CustodyAction.deletion)[-1].details["reason"] == "wrong negotiation"
    assert shown_findings(client.get(findings_url(negotiation))) == {}


def test_a_contact_form_with_a_mistake_is_shown_again_with_the_field_marked(client, session,
                                                                          negotiation):
    reply = post_form(client, f"{findings_url(negotiation)}/contacts", {
        "occurred_date": "yesterday evening", "channel": "visit",
        "description": "Two men came to my door"})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert 'data-testid="error-occurred_date"' in html and "Two men came to my door" in html
    assert session.exec(select(ContactEntry)).all() == []


# --- The partials other pages include --------------------------------------------------------

def test_the_flags_and_summary_partials(app, client, session, owner, other_user, negotiation,
                                        call):
    with app.test_request_context("/"):
        g.user = owner
        flags = render_template_string('{% include "findings/_flags.html" %}', evidence=call)
        summary = render_template_string('{% include "findings/_summary.html" %}',
                                         negotiation=negotiation)
        line = render_template_string(
            '{% with evidence=item %}{% include "findings/_flags.html" %}{% endwith %}',
            item=type("Line", (), {"id": call.id})())
    with app.test_request_context("/"):
        g.user = other_user
        foreign = render_template_string('{% include "findings/_flags.html" %}', evidence=call)
    assert sorted(re.findall(r'data-testid="conduct-flag" data-rule="([\w.]+)"', flags)) == [
        "cn.impersonation", "cn.quiet_hours"]
    assert f'href="/negotiations/{negotiation.id}/findings?all=cn.quiet_hours#finding-' in flags
    assert line == flags
    assert 'data-count="2"' in summary and 'data-rule="cn.quiet_hours" data-count="1"' in summary
    assert foreign.strip() == ""


# --- Isolation and CSRF -----------------------------------------------------------------------

def test_another_account_gets_404_and_changes_nothing(other_client, session, negotiation, call,
                                                      owner):
    entry = add_contact_entry(session, negotiation=negotiation, actor=owner,
                              occurred_at=datetime(2024, 12, 4, 10, tzinfo=SHANGHAI),
                              channel=Channel.visit, description="a visit")
    base = findings_url(negotiation)
    assert other_client.get(base).status_code == 404
    assert other_client.get(f"{base}/inputs").status_code == 404
    before = len(session.exec(select(CustodyEvent)).all())
    for path, form in (("dismiss", {"finding_id": "0" * 16, "reason": "x"}),
                       ("rules", {"rule_id": "cn.quiet_hours", "enabled": "0"}),
                       ("settings", {"rule_set": "us"}),
                       ("contacts", {"occurred_at": "2024-12-04T10:00", "channel": "call",
                                     "description": "x"}),
                       ("contacts/remove", {"entry_id": str(entry.id), "reason": "x"})):
        assert post_form(other_client, f"{base}/{path}", form).status_code == 404, path
    assert upload(other_client, negotiation, calls_csv("95188,,2024-12-05 10:00:00,0,missed"),
                  numbers="95188").status_code == 404
    session.expire_all()
    assert len(session.exec(select(CustodyEvent)).all()) == before
    assert len(list_contact_entries(session, negotiation.id)) == 1


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, session,
                                                                     negotiation, call):
    night_id = shown_findings(client.get(findings_url(negotiation)))["cn.quiet_hours"][0][0]
    base = findings_url(negotiation)
    for path, form in (("dismiss", {"finding_id": night_id, "reason": "because"}),
                       ("rules", {"rule_id": "cn.quiet_hours", "enabled": "0"}),
                       ("settings", {"rule_set": "us"}),
                       ("contacts", {"occurred_at": "2024-12-04T10:00", "channel": "call",
                                     "description": "x", "third_party": "employer"})):
        assert client.post(f"{base}/{path}", data=form).status_code == 400, path
    refused = client.post(f"{base}/calllog", content_type="multipart/form-data", data={
        "numbers": "95188", "file": (io.BytesIO(calls_csv("95188,,2024-12-05 10:00:00,0,missed")),
                                     "calls.csv")})
    assert refused.status_code == 400
    session.expire_all()
    assert session.exec(select(FindingDismissal)).all() == []
    assert session.exec(select(CallLogEntry)).all() == []
    assert session.exec(select(ContactEntry)).all() == []
    assert custody(session, CustodyAction.conduct_settings) == []
    assert shown_findings(client.get(base))["cn.quiet_hours"] == [(night_id, False)]


def test_a_long_list_shows_the_first_findings_of_a_rule_and_offers_the_rest(client,
                                                                            negotiation):
    nights = [f"95188,,2024-{10 + d // 30}-{1 + d % 30:02} 23:30:00,0,missed" for d in range(53)]
    assert upload(client, negotiation, calls_csv(*nights), numbers="95188").status_code == 302
    page = client.get(findings_url(negotiation))
    assert len(shown_findings(page)["cn.quiet_hours"]) == 50
    assert "Show the other 3 findings of this rule" in page.get_data(as_text=True)
    everything = client.get(f"{findings_url(negotiation)}?all=cn.quiet_hours")
    assert len(shown_findings(everything)["cn.quiet_hours"]) == 53
