"""Every kind of letter, exported in a complaint bundle and read back from its PDF page by page
(pdftoppm -png for the ink, pdftotext for the words): each page has text, the confirmed facts
are there, the uncertain ones and the notes meant for the user are not, and the 黑猫 letter keeps
within its limits."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleError, BundlePurpose
from logger.bundles.letters.heimao import BODY_LIMIT, DEMAND_LIMIT, TITLE_LIMIT, body_of
from logger.promises.payments import record_payment
from logger.promises.promises import PromiseTerms, add_promise
from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty
from tests.support.bundles import PARTY, world  # noqa: F401  (world is a fixture)
from tests.support.letters import (ink, missed_promise_with_a_payment, notes_in, pdf_pages,
                                   undated_plan, unknown_night_call)

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or
                                shutil.which("pdftotext") is None,
                                reason="poppler-utils is missing: run tools/system-packages.sh")

# (kind, bundle language, the letter's title, words only that kind writes)
CASES = [("generic", "zh", "投诉信", "违规催收行为"),
         ("generic", "en", "Complaint", "Collection conduct that breaks the rules"),
         ("cbirc_12378", "zh", "金融消费者投诉书", "国家金融监督管理总局"),
         ("samr_12315", "zh", "消费者投诉书", "市场监督管理部门"),
         ("heimao", "zh", "投诉信用飞违规催收", "投诉要求"),
         ("cfpb", "en", "Complaint about debt collection", "What I want")]


@pytest.fixture
def record(world, testdata):
    """The world with a kept promise of theirs (confirmed) and three uncertain facts: a night
    call of unknown direction, a missed promise a recorded payment may have paid, an undated
    plan."""
    unknown_night_call(world, testdata)
    missed_promise_with_a_payment(world)
    undated_plan(world)
    stop = add_promise(world.session, negotiation=world.negotiation, actor=world.owner,
                       tz=world.tz, terms=PromiseTerms(
                           PromiseParty.them, PromiseKind.stop_calls,
                           due_at=datetime(2024, 12, 8, 0, 0, tzinfo=world.tz)))
    assert stop.id
    record_payment(world.session, negotiation=world.negotiation, actor=world.owner,
                   paid_at=datetime(2024, 11, 1, 10, 0, tzinfo=world.tz),
                   amount=Decimal("77.77"), method=PaymentMethod.wechat)
    return world


def export(world, tmp_path, kind: str, language: str, letter: str | None = None
           ) -> dict[str, bytes]:
    request = BundleRequest(negotiation=world.negotiation, purpose=BundlePurpose.complaint,
                            language=language, groups=world.groups(language), party=PARTY,
                            letter=letter, letter_kind=kind, timestamp=False)
    out = tmp_path / f"{kind}-{language}.zip"
    build_bundle(session=world.session, services=world.services, request=request, out=out,
                 actor=world.owner)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(("kind", "language", "title", "own_words"), CASES)
def test_every_kind_prints_only_confirmed_facts_on_every_page(record, tmp_path, kind, language,
                                                              title, own_words):
    files = export(record, tmp_path, kind, language)
    letter_name = "投诉信" if language == "zh" else "complaint-letter"
    text = files[f"{letter_name}.txt"].decode()
    pages = pdf_pages(files[f"{letter_name}.pdf"], tmp_path, kind)
    assert pages
    for number, (page_text, image) in enumerate(pages, start=1):
        assert flat(page_text), f"page {number} has no text"
        assert ink(image) > 0.005, f"page {number} is blank"
        assert notes_in(page_text) == [], (number, notes_in(page_text))
    printed = flat("".join(t for t, _ in pages))
    for words in (title, own_words, "13800138000", "08:00–22:00", PARTY):
        assert flat(words) in printed, words
    # Uncertain: the unknown-direction call, the promise a payment may have paid, the plan.
    for words in ("23:20", "11:20", "1,000.00", "1,500.00", "3,000.00", "77.77", "——未履行",
                  "—broken", "notkept", "notyetdue", "尚未到期"):
        assert words not in printed, words
    assert notes_in(text) == []
    # The stop-calls promise is confirmed (past its due time: no state is claimed).
    assert ("停止催收" if kind in ("generic", "cbirc_12378", "samr_12315", "heimao")
            and language == "zh" else "tostopcalling") in printed


def test_the_heimao_letter_keeps_within_its_limits_and_says_what_it_left_out(world, tmp_path):
    # Fifty findings of night calls: far more than 500 characters.
    from logger.conduct.contact_entries import add_contact_entry
    from storage.models import Channel
    for day in range(1, 26):
        for hour in (23, 6):
            add_contact_entry(world.session, negotiation=world.negotiation, actor=world.owner,
                              occurred_at=datetime(2024, 10, day, hour, 5, tzinfo=world.tz),
                              channel=Channel.call, description="催收电话")
    files = export(world, tmp_path, "heimao", "zh")
    text = files["投诉信.txt"].decode()
    title = text.splitlines()[0].removeprefix("标题：")
    demand = text.splitlines()[2].removeprefix("投诉要求：")
    assert len(title) <= TITLE_LIMIT and 0 < len(demand) <= DEMAND_LIMIT
    body = body_of(text)
    assert 300 < len(body) <= BODY_LIMIT, len(body)
    assert all(line.endswith("。") or line.endswith("：") for line in body.splitlines()), \
        "facts are cut whole, never in a sentence"
    pages = pdf_pages(files["投诉信.pdf"], tmp_path, "heimao")
    assert len(pages) == 1 and "投诉内容" in pages[0][0]


def test_an_edited_letter_is_printed_as_edited_and_the_draft_kept_beside_it(world, tmp_path):
    edited = "标题：投诉信用飞\r\n我改过的内容。\r\n"
    files = export(world, tmp_path, "heimao", "zh", letter=edited)
    assert files["投诉信.txt"].decode() == "标题：投诉信用飞\n我改过的内容。\n"
    assert "投诉要求" in files["投诉信_草稿.txt"].decode()
    [(page_text, _image)] = pdf_pages(files["投诉信.pdf"], tmp_path, "edited")
    assert "我改过的内容" in page_text and "投诉要求" not in page_text


def test_an_unknown_kind_is_refused_before_anything_is_written(world, tmp_path):
    request = BundleRequest(negotiation=world.negotiation, purpose=BundlePurpose.complaint,
                            language="zh", groups=world.groups(), party=PARTY,
                            letter_kind="fax")
    with pytest.raises(BundleError, match="cbirc_12378"):
        build_bundle(session=world.session, services=world.services, request=request,
                     out=tmp_path / "x.zip", actor=world.owner)
    assert not (tmp_path / "x.zip").exists()
