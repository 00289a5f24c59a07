"""Call logs from the phone (logger.conduct.calllog): the simple CSV and SMS Backup & Restore's calls
XML, unanswered and rejected calls included; only the collector's numbers kept; a bad file
refused whole with nothing stored; the exported file kept as evidence; re-imports add nothing
twice; and `liuhen calllog import`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.conduct.calllog import (SIMPLE_CSV, SMS_BACKUP_RESTORE, CallLogError, import_call_log,
                            list_call_log, normalise_number, parse_call_log, same_number)
from logger.record.custody import verify_chain
from storage.models import CallLogEntry, CallType, Evidence, EvidenceKind

SHANGHAI = ZoneInfo("Asia/Shanghai")

SIMPLE = """number,name,start,duration_seconds,type
95188,信用飞客服,2024-12-03 09:00:05,0,missed
95188,信用飞客服,2024-12-03 09:12:40,0,rejected
+86 21 6888 1234,,2024-12-03T10:01,0,missed
95188,信用飞客服,2024-12-03 11:30:00,248,incoming
13800138000,妈妈,2024-12-03 12:00:00,75,incoming
95188,信用飞客服,2024-12-03 18:45:00,31,outgoing
"""

SBR_XML = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 05/12/2024 21:14:03-->
<?xml-stylesheet type="text/xsl" href="calls.xsl"?>
<calls count="6" backup_set="7d2c" backup_date="1733404443000" type="full">
  <call number="+8695188" duration="0" date="1733187605000" type="3" presentation="1"
        subscription_id="1" post_dial_digits="" subscription_component_name="x"
        readable_date="3 Dec 2024 09:00:05" contact_name="信用飞客服" />
  <call number="95188" duration="0" date="1733188360123" type="5" presentation="1"
        readable_date="3 Dec 2024 09:12:40" contact_name="信用飞客服" />
  <call number="95188" duration="0" date="1733189000000" type="6" presentation="1"
        readable_date="3 Dec 2024 09:23:20" contact_name="信用飞客服" />
  <call number="95188" duration="12" date="1733189600000" type="4" presentation="1"
        readable_date="3 Dec 2024 09:33:20" contact_name="(Unknown)" />
  <call number="-2" duration="0" date="1733190000000" type="3" presentation="2"
        readable_date="3 Dec 2024 09:40:00" contact_name="(Unknown)" />
  <call number="13800138000" duration="120" date="1733191000000" type="2" presentation="1"
        readable_date="3 Dec 2024 09:56:40" contact_name="妈妈" />
</calls>
"""


def do_import(services, session, negotiation, owner, data: bytes, name="calls.csv", **kw):
    return import_call_log(session=session, blobs=services.blobs, negotiation=negotiation,
                           actor=owner, data=data, filename=name, tz=SHANGHAI,
                           max_bytes=1 << 24, **kw)


# --- numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("+86 138-0013-8000", "13800138000"), ("008613800138000", "13800138000"),
    ("8613800138000", "13800138000"), ("(021) 6888-1234", "02168881234"),
    ("+1 (212) 555-0100", "+12125550100"), ("95188", "95188"),
    ("-1", ""), ("-2", ""), ("", ""), ("Unknown", ""),
])
def test_numbers_are_normalised(raw, expected):
    assert normalise_number(raw) == expected


@pytest.mark.parametrize("a, b, same", [
    ("+12125550100", "2125550100", True), ("02168881234", "2168881234", True),
    ("13800138000", "13800138000", True), ("95188", "95188", True),
    ("95188", "195188", False), ("13800138000", "13800138001", False), ("", "", False),
])
def test_two_spellings_of_one_number_are_the_same(a, b, same):
    assert same_number(a, b) is same


# --- parsing -------------------------------------------------------------------------------

def test_the_simple_csv_reads_unanswered_and_rejected_calls_in_local_time():
    log = parse_call_log(SIMPLE.encode(), tz=SHANGHAI)
    assert log.format == SIMPLE_CSV
    assert [c.call_type for c in log.calls] == [
        CallType.missed, CallType.rejected, CallType.missed, CallType.incoming,
        CallType.incoming, CallType.outgoing]
    first = log.calls[0]
    assert first.number == "95188" and first.name == "信用飞客服" and first.line == 2
    assert first.started_at == datetime(2024, 12, 3, 1, 0, 5, tzinfo=UTC)
    assert log.calls[2].number == "2168881234" and log.calls[2].name is None
    assert log.calls[3].duration_s == 248


def test_the_simple_csv_from_chinese_excel():
    # GB18030 with reordered columns, an extra column, slash dates and Chinese type words.
    text = ("类别,type,start,number,name,duration_seconds\n"
            "x,未接,2024/12/3 9:05,95188,客服,\n"
            "x,拒接,2024/12/03 21:59:59,95188,客服,0\n")
    log = parse_call_log(text.encode("gb18030"), tz=SHANGHAI)
    assert [(c.call_type, c.started_at.astimezone(SHANGHAI).strftime("%d %H:%M:%S"))
            for c in log.calls] == [(CallType.missed, "03 09:05:00"),
                                    (CallType.rejected, "03 21:59:59")]


def test_an_offset_in_the_csv_wins_over_the_zone():
    text = ("number,name,start,duration_seconds,type\n"
            "2125550100,,2024-03-10T08:30:00-04:00,0,missed\n")
    (call,) = parse_call_log(text.encode(), tz=SHANGHAI).calls
    assert call.started_at == datetime(2024, 3, 10, 12, 30, tzinfo=UTC)


def test_sms_backup_and_restore_calls_xml():
    log = parse_call_log(SBR_XML.encode(), tz=SHANGHAI)
    assert log.format == SMS_BACKUP_RESTORE
    assert [(c.number, c.call_type) for c in log.calls] == [
        ("95188", CallType.missed), ("95188", CallType.rejected), ("95188", CallType.blocked),
        ("95188", CallType.voicemail), ("", CallType.missed), ("13800138000", CallType.outgoing)]
    assert log.calls[0].started_at == datetime(2024, 12, 3, 1, 0, 5, tzinfo=UTC)
    assert log.calls[1].started_at.microsecond == 123000
    assert log.calls[3].name is None and log.calls[0].name == "信用飞客服"
    assert [c.line for c in log.calls] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("data, message", [
    (b"phone,when\n95188,today\n", "needs the header number,name,start,duration_seconds,type"),
    (SIMPLE.replace("0,missed", "0,ringing", 1).encode(), "line 2: type “ringing”"),
    (SIMPLE.replace("2024-12-03 09:12:40", "3rd of Dec", 1).encode(), "line 3: start"),
    (SIMPLE.replace(",248,", ",4 min,", 1).encode(), "line 5: duration_seconds"),
    (SBR_XML.replace('type="5"', 'type="9"').encode(), "call #2: type “9”"),
    (SBR_XML[:600].encode(), "damaged or cut short"),
    (b"<?xml version='1.0'?><smses count='0'></smses>", "pick the calls-*.xml file"),
    (b"<?xml version='1.0'?><!DOCTYPE calls [<!ENTITY a 'b'>]><calls>&a;</calls>",
     "declares a DTD"),
])
def test_a_bad_file_is_refused_with_what_to_fix(data, message):
    with pytest.raises(CallLogError) as refused:
        parse_call_log(data, tz=SHANGHAI)
    assert message in str(refused.value)


# --- importing -----------------------------------------------------------------------------

def test_import_keeps_the_collectors_calls_and_stores_the_file(services, session, negotiation,
                                                                 owner):
    done = do_import(services, session, negotiation, owner, SIMPLE.encode(),
                     numbers=["95188", "021-6888 1234"])
    assert (done.added, done.other_numbers, done.file_was_known) == (5, 1, False)
    assert done.numbers == ("2168881234", "95188")
    rows = list_call_log(session, negotiation.id)
    assert [r.call_type for r in rows][:3] == [CallType.missed, CallType.rejected,
                                               CallType.missed]
    assert all(r.evidence_id == done.evidence_id for r in rows)
    item = session.get(Evidence, done.evidence_id)
    assert item.kind == EvidenceKind.document and item.original_filename == "calls.csv"
    assert "5 calls with the collector" in item.note
    assert verify_chain(session)[1] == []


def test_without_numbers_the_negotiations_known_numbers_are_kept(services, session, negotiation,
                                                                   owner):
    with pytest.raises(CallLogError, match="--number"):
        do_import(services, session, negotiation, owner, SIMPLE.encode())
    assert session.exec(select(Evidence)).all() == []
    do_import(services, session, negotiation, owner, SBR_XML.encode(), name="calls-1.xml",
              numbers=["95188"])
    done = do_import(services, session, negotiation, owner, SIMPLE.encode())
    assert done.numbers == ("95188",) and done.other_numbers == 2


def test_all_numbers_keeps_every_call_and_hidden_numbers(services, session, negotiation, owner):
    done = do_import(services, session, negotiation, owner, SBR_XML.encode(), name="c.xml",
                     all_numbers=True)
    assert done.added == 6 and "" in done.numbers


def test_a_bad_row_stores_nothing(services, session, negotiation, owner):
    broken = SIMPLE.replace("0,rejected", "0,picked up").encode()
    with pytest.raises(CallLogError, match="line 3"):
        do_import(services, session, negotiation, owner, broken, numbers=["95188"])
    assert session.exec(select(Evidence)).all() == []
    assert session.exec(select(CallLogEntry)).all() == []


def test_no_matching_call_stores_nothing(services, session, negotiation, owner):
    with pytest.raises(CallLogError, match="nothing was stored"):
        do_import(services, session, negotiation, owner, SIMPLE.encode(), numbers=["10086"])
    assert session.exec(select(Evidence)).all() == []


def test_importing_again_or_an_overlapping_export_adds_each_call_once(services, session,
                                                                       negotiation, owner):
    first = do_import(services, session, negotiation, owner, SIMPLE.encode(), numbers=["95188"])
    again = do_import(services, session, negotiation, owner, SIMPLE.encode(), numbers=["95188"])
    assert again.file_was_known and again.evidence_id == first.evidence_id
    assert (again.added, again.already_known) == (0, 4)
    # A later export of the same phone: the first two calls again, plus one new one.
    later = "\n".join(SIMPLE.splitlines()[:3]) + "\n95188,,2024-12-04 08:00:00,0,missed\n"
    overlap = do_import(services, session, negotiation, owner, later.encode(),
                        name="calls-later.csv")
    assert (overlap.added, overlap.already_known) == (1, 2)
    assert overlap.evidence_id != first.evidence_id
    assert len(list_call_log(session, negotiation.id)) == 5


# --- the command line ----------------------------------------------------------------------

def test_calllog_import_and_list_from_the_command_line(cli, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    export = tmp_path / "calls-20241205.xml"
    export.write_text(SBR_XML, encoding="utf-8")
    refused = cli("calllog", "import", "--negotiation", "1", export)
    assert refused.exit_code == 1 and "--number" in refused.stderr
    done = cli("calllog", "import", "--negotiation", "1", "--number", "95188", "--json", export)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert (result["added"], result["other_numbers"], result["format"]) == (
        4, 2, SMS_BACKUP_RESTORE)
    assert result["first"] == "2024-12-03T01:00:05Z"
    listed = json.loads(cli("calllog", "list", "--negotiation", "1", "--json").stdout)
    assert [row["type"] for row in listed] == ["missed", "rejected", "blocked", "voicemail"]
    assert listed[0]["local_time"] == "2024-12-03 09:00:05"
    text = cli("calllog", "list", "--negotiation", "1").stdout
    assert "missed" in text and "95188" in text
