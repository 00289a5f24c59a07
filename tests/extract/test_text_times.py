"""The times written in text exports of messages (logger.extract.text_times) and what the
extract_text job does with them and with an SMS backup's (issue 13): the content's time replaces
the date in the file's name, is logged like a person's edit, and never replaces a person's."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.extract.text_times import message_times
from storage.models import CustodyEvent
from tests.extract.test_document_jobs import sms_backup_xml
from tests.support.intake import import_files, make_world, run_jobs, show

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, tzinfo=UTC)
EXPORT = """短信记录 95188
2024-12-05 10:23:11 95188: 【网商贷】您的借款已逾期，请于2024年12月12日 18:00前还款。
还款截止时间：2024-12-12 18:00
[2024/12/05 10:40] 我：我下周五还3000
网商贷(95188) 2024-12-05 11:02
好的，已登记。
"""


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)


def test_the_lines_that_say_when_a_message_was_sent():
    assert message_times(EXPORT, SHANGHAI, now=NOW) == [
        local(2024, 12, 5, 10, 23, 11), local(2024, 12, 5, 10, 40), local(2024, 12, 5, 11, 2)]


@pytest.mark.parametrize("line, expected", [
    ("2024年12月5日 下午3:05 张三：你好", local(2024, 12, 5, 15, 5)),
    ("【2024-12-05 09:01】 收到", local(2024, 12, 5, 9, 1)),
    ("2024-12-05T09:01:30 hello", local(2024, 12, 5, 9, 1, 30)),
    ("请于2024年12月12日 18:00前还款", None),      # inside a message: what it says
    ("还款截止时间：2024-12-12 18:00", None),       # after a label
    ("12月5日 10:23 没有年份", None),               # no year: no guess
    ("2024-02-30 10:00 不存在的日子", None),
    ("2030-01-01 10:00 未来", None),                # later than tomorrow
    ("1989-12-31 10:00 太早", None),
])
def test_single_lines(line, expected):
    assert message_times(line, SHANGHAI, now=NOW) == ([expected] if expected else [])


@pytest.fixture
def world(cli) -> int:
    return make_world(cli)


def time_edits(services_for, item) -> list[dict]:
    with services_for() as services, services.session() as session:
        return [e.details for e in session.exec(select(CustodyEvent).where(
            CustodyEvent.evidence_id == item, CustodyEvent.action == "metadata_edit")).all()]


def test_a_text_export_is_dated_by_its_first_message_not_its_file_name(cli, world, tmp_path,
                                                                       services_for):
    path = tmp_path / "短信 95188 20241206.txt"
    path.write_text(EXPORT, encoding="utf-8")
    [item] = import_files(cli, world, path)
    shown = show(cli, item)
    assert (shown["occurred_at"], shown["occurred_at_source"],
            shown["occurred_at_precision"]) == ("2024-12-06", "file_name", "day")
    run_jobs(cli)
    shown = show(cli, item)
    assert (shown["occurred_at"], shown["occurred_at_source"],
            shown["occurred_at_precision"]) == ("2024-12-05T10:23:11+08:00", "content", "minute")
    assert time_edits(services_for, item) == [{"by": "extract_text job", "changes": {
        "occurred_at": {"old": "2024-12-06T04:00:00Z", "new": "2024-12-05T02:23:11Z"},
        "occurred_at_source": {"old": "file_name", "new": "content"},
        "occurred_at_precision": {"old": "day", "new": "minute"}}}]


def test_a_persons_time_is_not_replaced_by_the_messages(cli, world, tmp_path, services_for):
    path = tmp_path / "export.txt"
    path.write_text(EXPORT, encoding="utf-8")
    [item] = import_files(cli, world, "--occurred-at", "2024-12-04", path)
    run_jobs(cli)
    shown = show(cli, item)
    assert (shown["occurred_at"], shown["occurred_at_source"],
            shown["occurred_at_precision"]) == ("2024-12-04", "person", "day")
    assert time_edits(services_for, item) == []


def test_a_text_without_time_stamps_stays_undated(cli, world, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("催收员说下周再打来。\n还款截止时间：2024-12-12 18:00\n", encoding="utf-8")
    [item] = import_files(cli, world, path)
    run_jobs(cli)
    shown = show(cli, item)
    assert shown["occurred_at"] is None and shown["occurred_at_source"] is None


def test_an_sms_backup_is_dated_by_its_content(cli, world, tmp_path):
    path = tmp_path / "sms-20241209.xml"
    path.write_bytes(sms_backup_xml())
    [item] = import_files(cli, world, path)
    assert show(cli, item)["occurred_at_source"] == "file_name"
    run_jobs(cli)
    shown = show(cli, item)
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2024-12-03T15:30:00+08:00",
                                                                   "content")
