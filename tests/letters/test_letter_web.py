"""The letter on the bundle page: the kinds, the confirmed facts with their ticks, the uncertain
ones listed apart with where to settle them, the redraft from the picks, the 黑猫 length notice,
and the export: the letter as edited, the draft beside it, and the custody log saying the user
edited it. Also the CLI's --letter-kind."""

from __future__ import annotations

import html
import io
import zipfile

from sqlmodel import select

from logger.bundles.letters.plan import Section, plan_letter
from storage.models import CustodyAction, CustodyEvent
from tests.support.bundles import world  # noqa: F401  (world is a fixture)
from tests.support.letters import notes_in, unknown_night_call
from tests.support.web import page_text, post_form


def url(world) -> str:
    return f"/negotiations/{world.negotiation.id}/bundle"


def form(world, **extra) -> dict:
    items = world.items
    data = {"purpose": "complaint", "lang": "zh", "party": "李四",
            "item": [items["night_call"].id, items["day_call"].id],
            f"group-{items['night_call'].id}": "1", f"group-{items['day_call'].id}": "1",
            "purpose-1": "证明催收方深夜来电", "facts_shown": "1"}
    data.update(extra)
    return data


def facts(world):
    plan = plan_letter(world.session, world.negotiation, language="zh", tz=world.tz)
    return plan, [f.key for f in plan.confirmed]


def last_export(world) -> CustodyEvent:
    return world.session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export).order_by(CustodyEvent.seq.desc())).first()


def test_the_page_offers_the_kinds_the_facts_and_what_is_uncertain(world, client, testdata):
    call = unknown_night_call(world, testdata)
    reply = client.get(url(world), headers={"Accept-Language": "zh"})
    html = reply.get_data(as_text=True)
    for kind in ("generic", "cbirc_12378", "samr_12315", "heimao", "cfpb"):
        assert f'<option value="{kind}"' in html
    plan, keys = facts(world)
    for key in keys:
        assert f'data-testid="fact-{key}"' in html and f'value="{key}" checked' in html
    text = page_text(reply)
    assert "以下内容确认之前不会写入投诉信" in text
    assert "记录中没有说明这次联系是谁发起的" in text and f'href="/evidence/{call.id}"' in html
    letter = html.split('data-testid="letter">')[1].split("</textarea>")[0]
    assert notes_in(letter) == [] and "23:20" not in letter


def test_unticking_a_finding_and_redrafting_as_heimao_shows_the_limits(world, client):
    plan, keys = facts(world)
    [finding] = plan.picked(Section.finding)
    reply = post_form(client, url(world), form(
        world, letter_kind="heimao", redraft="1", letter="旧的文字",
        fact=[k for k in keys if k != finding.key]))
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert f'value="{finding.key}" checked' not in html
    assert '<option value="heimao" selected' in html
    letter = html.split('data-testid="letter">')[1].split("</textarea>")[0]
    assert "标题：投诉信用飞催收及还款协商问题" in letter and "旧的文字" not in letter
    assert "08:00–22:00" not in letter
    assert "黑猫投诉的标题最多 30 个字，投诉内容最多 500 个字" in page_text(reply)


def test_export_keeps_the_edited_letter_its_draft_and_says_so_in_the_custody_log(world,
                                                                                 client):
    edited = "标题：投诉信用飞\r\n我改过的投诉内容。\r\n"
    reply = post_form(client, url(world), form(world, letter_kind="heimao", letter=edited,
                                               fact=facts(world)[1]))
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    with zipfile.ZipFile(io.BytesIO(reply.get_data())) as archive:
        assert archive.read("投诉信.txt").decode() == "标题：投诉信用飞\n我改过的投诉内容。\n"
        draft = archive.read("投诉信_草稿.txt").decode()
    reply.close()
    assert draft.startswith("标题：投诉信用飞违规催收") and "08:00–22:00" in draft
    letter = last_export(world).details["letter"]
    assert (letter["kind"], letter["edited_by_user"], letter["event"]) == (
        "heimao", True, "letter edited by the user")
    assert len(letter["draft_sha256"]) == 64


def test_an_unedited_letter_is_the_draft_alone(world, client):
    page = client.get(url(world) + "?purpose=complaint&lang=zh")
    drafted = page.get_data(as_text=True).split('data-testid="letter">')[1].split(
        "</textarea>")[0]
    drafted = html.unescape(drafted).replace("\n", "\r\n")  # as a browser posts it
    reply = post_form(client, url(world), form(world, letter=drafted, fact=facts(world)[1],
                                               party="owner"))
    try:
        with zipfile.ZipFile(io.BytesIO(reply.get_data())) as archive:
            assert "投诉信_草稿.txt" not in archive.namelist()
    finally:
        reply.close()
    assert last_export(world).details["letter"]["edited_by_user"] is False


def test_the_cli_drafts_and_exports_a_kind(cli, testdata, tmp_path):
    for args in (("init",), ("user", "add", "owner"),
                 ("negotiation", "add", "--creditor", "信用飞"),
                 ("import", "--negotiation", "1",
                  testdata / "email" / "demisto_chinese_gb2312_encoding.eml")):
        assert cli(*args).exit_code == 0, args
    drafted = cli("export", "--negotiation", "1", "--print-letter", "--letter-kind",
                  "cbirc_12378")
    assert drafted.exit_code == 0, drafted.output
    assert drafted.stdout.startswith("金融消费者投诉书") and "二、被投诉机构" in drafted.stdout
    assert "left out (uncertain)" in drafted.stderr and "left out" not in drafted.stdout
    wrong = cli("export", "--negotiation", "1", "--print-letter", "--letter-kind", "fax")
    assert wrong.exit_code == 2 and "cbirc_12378" in wrong.output
    out = tmp_path / "cfpb.zip"
    done = cli("export", "--negotiation", "1", "--purpose", "complaint", "--out", out,
               "--letter-kind", "cfpb", "--lang", "en")
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(out) as archive:
        assert archive.read("complaint-letter.txt").decode().startswith(
            "Complaint about debt collection by 信用飞")


def test_an_english_reader_sees_the_letter_controls_in_english(world, client):
    reply = client.get(url(world), headers={"Accept-Language": "en"})
    fieldset = reply.get_data(as_text=True).split('data-testid="letter-fieldset"')[1].split(
        'data-testid="letter"')[0]
    for words in ("Kind of letter", "Heimao Tousu, a public complaint platform",
                  "Not in the letter until someone settles it",
                  "The record does not say who started this contact.", "Settle it",
                  "Redraft the letter from these choices"):
        assert words in fieldset, words
    assert "以下内容" not in fieldset and "记录中" not in fieldset
