"""The search page: Chinese words of one, two and more characters, metadata (a phone number),
snippets marked safely, links to the moment in a recording, pages, and only one's own evidence."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlmodel import select

from storage.models import ExtractedText, TextSource
from tests.support.common import make_negotiation_in, store_item
from web.search import PAGE_SIZE

CALL_SEGMENTS = [
    {"start": 0.0, "end": 2.0, "text": "喂，你好。"},
    {"start": 2.0, "end": 6.5, "text": "关于你的欠款，"},
    {"start": 65.5, "end": 70.0, "text": "我们同意减免罚息，下周五还款。"},
]



@pytest.fixture
def call(services, session, negotiation, owner):
    return store_item(services, session, negotiation, owner, "call.txt",
                    texts=[(TextSource.transcript, CALL_SEGMENTS)],
                    counterpart_number="13800138000", counterpart_name="王经理")


def results(page) -> list[dict]:
    """The results on a page: evidence id, source, snippet (as HTML) and link."""
    html = page.get_data(as_text=True)
    found = []
    for li in re.findall(r'<li class="search-result card"(.*?)</li>', html, re.S):
        found.append({
            "id": int(re.search(r'data-evidence-id="(\d+)"', li).group(1)),
            "source": re.search(r'data-source="(\w+)"', li).group(1),
            "snippet": re.search(r'data-testid="search-snippet">(.*?)</p>', li, re.S).group(1),
            "href": unescape(re.search(r'class="search-result-link" href="([^"]+)"', li).group(1)),
        })
    return found


def test_an_empty_box_explains_what_can_be_found(client):
    page = client.get("/search")
    assert page.status_code == 200
    assert 'data-testid="search-empty"' in page.get_data(as_text=True)
    assert results(page) == []


@pytest.mark.parametrize("query", ["罚", "罚息", "减免罚息", "下周五还款"])
def test_chinese_words_of_any_length_find_the_call(client, call, query):
    [hit] = results(client.get("/search", query_string={"q": query}))
    assert hit["id"] == call.id and hit["source"] == "transcript"
    assert f"<mark>{query}</mark>" in hit["snippet"]


def test_a_transcript_hit_links_to_the_moment_in_the_recording(client, call):
    [hit] = results(client.get("/search", query_string={"q": "还款"}))
    assert hit["href"] == f"/evidence/{call.id}?t=65.5#seg-2"
    page = client.get("/search", query_string={"q": "还款"}).get_data(as_text=True)
    assert "1:05" in page  # 65.5 s, for people
    opened = client.get(hit["href"].split("#")[0])
    assert opened.status_code == 200
    assert 'id="seg-2"' in opened.get_data(as_text=True)  # the anchor exists on the item's page
    [early] = results(client.get("/search", query_string={"q": "欠款"}))
    assert early["href"] == f"/evidence/{call.id}?t=2#seg-1"


def test_a_hit_in_an_older_transcript_points_into_that_version(client, session, call):
    session.add(ExtractedText(evidence_id=call.id, source=TextSource.transcript,
                              text="更正：同意分期", segments=[{"start": 1.0, "text": "更正：同意分期"}]))
    session.commit()
    # Only the older version says 减免; both say 同意, and the item is then one result, the
    # newer version's.
    [old] = [h["href"] for h in results(client.get("/search", query_string={"q": "减免"}))]
    [new] = [h["href"] for h in results(client.get("/search", query_string={"q": "同意"}))]
    first = session.exec(select(ExtractedText).where(ExtractedText.evidence_id == call.id)
                         .order_by(ExtractedText.id)).first()
    assert old == f"/evidence/{call.id}?t=65.5#text-{first.id}-seg-2"
    assert new == f"/evidence/{call.id}?t=1#seg-0"


def test_a_phone_number_finds_the_item_by_its_metadata(client, call):
    [hit] = results(client.get("/search", query_string={"q": "13800138000"}))
    assert hit["id"] == call.id and hit["source"] == "metadata"
    assert "<mark>13800138000</mark>" in hit["snippet"] and "王经理" in hit["snippet"]
    assert hit["href"] == f"/evidence/{call.id}#details"


def test_ocr_notes_and_file_names_link_to_their_place(client, services, session, negotiation,
                                                        owner):
    chat = store_item(services, session, negotiation, owner, "微信截图.txt", note="对方威胁上门",
                    texts=[(TextSource.ocr, [{"text": "你好", "side": "left"},
                                             {"text": "明天不还就上门", "side": "left"}])])
    [ocr] = results(client.get("/search", query_string={"q": "明天"}))
    assert ocr["href"] == f"/evidence/{chat.id}#seg-1" and ocr["source"] == "ocr"
    [note] = results(client.get("/search", query_string={"q": "威胁"}))
    assert note["href"] == f"/evidence/{chat.id}#note" and note["source"] == "note"
    [name] = results(client.get("/search", query_string={"q": "截图"}))
    assert name["source"] == "metadata"


def test_snippets_are_escaped_before_matches_are_marked(client, services, session, negotiation,
                                                         owner):
    store_item(services, session, negotiation, owner, "evil.txt",
             note='<script>alert(1)</script> <b>还款</b> & "quotes"')
    page = client.get("/search", query_string={"q": "还款 <script>"})
    html = page.get_data(as_text=True)
    [hit] = results(page)
    assert "<script>" not in html and "<b>" not in html
    assert hit["snippet"].startswith("<mark>&lt;script&gt;</mark>")
    assert "&lt;b&gt;<mark>还款</mark>&lt;/b&gt; &amp; &#34;quotes&#34;" in hit["snippet"]
    assert 'value="还款 &lt;script&gt;"' in html  # the box keeps the query, escaped


def test_nothing_found_says_so(client, call):
    page = client.get("/search", query_string={"q": "不存在的词"})
    html = page.get_data(as_text=True)
    assert 'data-testid="search-no-results"' in html and "不存在的词" in html


def test_results_are_grouped_by_negotiation_and_can_be_narrowed(client, services, session,
                                                                  negotiation, owner, call):
    other_case = make_negotiation_in(session, owner, creditor="招商银行信用卡")
    second = store_item(services, session, other_case, owner, "letter.txt", note="请尽快还款")
    html = client.get("/search", query_string={"q": "还款"}).get_data(as_text=True)
    groups = re.findall(r'data-testid="search-group" data-negotiation-id="(\d+)"', html)
    assert sorted(map(int, groups)) == sorted([negotiation.id, other_case.id])
    assert "招商银行信用卡" in html and negotiation.creditor in html
    narrowed = client.get("/search", query_string={"q": "还款", "negotiation": other_case.id})
    assert [h["id"] for h in results(narrowed)] == [second.id]
    assert 'data-testid="search-scope"' in narrowed.get_data(as_text=True)


def test_results_come_in_pages(client, services, session, negotiation, owner):
    for n in range(PAGE_SIZE + 3):
        store_item(services, session, negotiation, owner, f"n{n}.txt", note=f"第{n}次催收电话")
    first = client.get("/search", query_string={"q": "催收"})
    assert len(results(first)) == PAGE_SIZE
    assert 'data-testid="search-next"' in first.get_data(as_text=True)
    second = client.get("/search", query_string={"q": "催收", "page": 2})
    assert len(results(second)) == 3
    assert 'data-testid="search-next"' not in second.get_data(as_text=True)
    ids = {h["id"] for h in results(first)} | {h["id"] for h in results(second)}
    assert len(ids) == PAGE_SIZE + 3


def test_another_account_never_sees_the_results(client, other_client, call, negotiation):
    assert results(other_client.get("/search", query_string={"q": "还款"})) == []
    assert results(other_client.get("/search", query_string={"q": "13800138000"})) == []
    narrowed = other_client.get("/search", query_string={"q": "还款",
                                                         "negotiation": negotiation.id})
    assert narrowed.status_code == 404
    assert len(results(client.get("/search", query_string={"q": "还款"}))) == 1


def test_search_needs_a_signed_in_account(app, call):
    reply = app.test_client().get("/search", query_string={"q": "还款"})
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_the_page_is_in_chinese_and_in_english(client, call):
    html = client.get("/search", query_string={"q": "还款"},
                      headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "录音第 1:05" in html and "在转写文字中" in html
    assert "in the transcript" not in html
    client.post("/settings/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    english = client.get("/search", query_string={"q": "还款"}).get_data(as_text=True)
    assert "in the transcript" in english and "into the recording" in english


def csrf_token(client) -> str:
    html = client.get("/search").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
