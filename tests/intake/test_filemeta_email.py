"""logger.intake.filemeta.email: Date, Subject and addresses from an .eml's header block."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from logger.intake.filemeta import extract_metadata
from logger.intake.sniff import HEAD_SIZE, sniff
from logger.intake.sniff.types import EML
from tests.support.media import (
    SHANGHAI, START, CountingReader, email_bytes, encoded_word, meta_of,
)

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"


@pytest.mark.parametrize("path", sorted((TESTDATA / "email").glob("*.eml")), ids=lambda p: p.name)
def test_every_real_email_is_read_without_error(path):
    meta = meta_of(path.read_bytes(), path.name)
    assert meta.problems == []
    assert meta.extra.get("from")


def test_chinese_gb2312_spam_headers_decode_to_readable_chinese():
    meta = meta_of((TESTDATA / "email/spamscope_mail_test_12_gb2312_spam.eml").read_bytes())
    assert meta.subject == "代开各地增值税发票"
    assert meta.extra["from_name"] == "张先生"
    assert meta.extra["from_address"] == "baoguan@hotmail.com"
    assert meta.extra["to"] == "danglüe@email.com"  # raw 8-bit UTF-8 in the header
    assert meta.occurred_at == datetime(2018, 5, 13, 4, 32, 22, tzinfo=UTC)


def test_raw_utf8_subject_and_headers_of_a_thunderbird_message():
    meta = meta_of((TESTDATA / "email/demisto_chinese_email_test_utf8_raw_header.eml").read_bytes())
    assert meta.subject == "示例邮件"
    assert meta.occurred_at == datetime(2019, 1, 23, 17, 55, 56, tzinfo=UTC)
    assert meta.extra["message_id"] == "<5b4831d0-5322-ea23-6312-864ff419a1f1@test.com>"
    assert meta.extra["date_header"] == "Wed, 23 Jan 2019 18:55:56 +0100"


def test_malformed_and_partial_real_emails():
    spam = meta_of((TESTDATA / "email/spamscope_mail_malformed_3_html_only_bad_boundary.eml")
                   .read_bytes())
    assert spam.subject == "Ahorre Dinero en su Recibo de Luz"
    assert spam.extra["from_name"] == "El Punto de los Frutos & Verdes"
    unknown = meta_of((TESTDATA / "email/demisto_test-unknown-8bit.eml").read_bytes())
    assert unknown.extra["from_address"] == "test@test.com"
    assert "testwürth@test.com" in unknown.extra["cc"]
    dsn = meta_of((TESTDATA / "email/phpmimemailparser_failure_truncated_dsn_gb2312.eml")
                  .read_bytes())
    assert dsn.subject is None and dsn.occurred_at is None


def test_gb2312_declared_but_gbk_bytes_still_decode():
    with pytest.raises(UnicodeEncodeError):
        "镕".encode("gb2312")  # 镕 is GBK only: a strict gb2312 decoder would fail
    meta = meta_of(email_bytes(b"Subject: " + encoded_word("gb2312", "朱镕基的还款通知".encode("gbk"))))
    assert meta.subject == "朱镕基的还款通知"


def test_a_character_split_across_two_encoded_words_survives():
    data = "逾期还款提醒".encode("gbk")
    subject = encoded_word("GBK", data[:5]) + b"\r\n " + encoded_word("GBK", data[5:])
    assert meta_of(email_bytes(b"Subject: " + subject)).subject == "逾期还款提醒"


def test_big5_and_raw_gbk_and_mislabelled_utf8_headers():
    assert meta_of(email_bytes(b"Subject: " + encoded_word("big5", "還款協議".encode("big5")))
                   ).subject == "還款協議"
    assert meta_of(email_bytes(b"Subject: " + "催收函".encode("gbk"))).subject == "催收函"
    assert meta_of(email_bytes(b"Subject: " + encoded_word("gb2312", "协商还款".encode("utf-8")))
                   ).subject == "协商还款"
    assert meta_of(email_bytes(b"Subject: " + encoded_word("x-no-such-charset", "你好".encode()))
                   ).subject == "你好"


@pytest.mark.parametrize("header", [
    b"Subject: =?utf-8?B?!!!not base64?=", b"Subject: =?utf-8?Q?=ZZ=E4?=",
    b"Subject: =?utf-8?X?abc?=", b"Subject: =?gbk?B?" + b"QUFB" * 5000 + b"?=",
    b"Subject: \xff\xfe\x00\x01", b"From: =?gbk?B?1cXPyMn6?= <<<@@@>>>", b"Date: yesterday-ish",
    b"Date: Tue, 31 Feb 2024 25:61:00 +9999", b"Message-ID: \x01\x02",
])
def test_broken_headers_never_raise(header):
    meta = meta_of(email_bytes(header), file_type=EML)
    assert isinstance(meta.problems, list)


def test_dates_without_a_zone_or_implausible_are_handled():
    assert meta_of(email_bytes(b"Date: Tue, 3 Dec 2024 07:30:12 -0000")).occurred_at == START
    bad = meta_of(email_bytes(b"Date: no date at all"))
    assert bad.occurred_at is None and "Date header" in bad.problems[0]
    old = meta_of(email_bytes(b"Date: Thu, 1 Jan 1970 00:00:00 +0000"))
    assert old.occurred_at is None and "implausible" in old.problems[0]


def test_only_a_bounded_header_prefix_is_read():
    long_header = email_bytes(b"X-Junk: " + b"a" * 400_000)
    meta = meta_of(long_header)
    assert "only that much was read" in meta.problems[0]
    huge_body = email_bytes(b"Subject: x", body=b"x" * 5_000_000)
    reader = CountingReader(huge_body)
    extract_metadata(sniff(huge_body[:HEAD_SIZE]), reader, "x.eml", tz=SHANGHAI)
    assert reader.bytes_read <= 256 * 1024
