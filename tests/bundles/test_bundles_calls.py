"""An imported call log in a bundle: the exported file is one exhibit, its source, and each of
its calls is a row under it (time, number, name, type, duration, line), in the evidence list
(CSV, HTML) and in its text file, instead of the file's raw text; the letter lists the calls
among the contacts."""

from __future__ import annotations

import csv
import io
import re

import pytest

from logger.bundles.letter import draft_letter
from logger.conduct.calllog import import_call_log
from tests.support.bundles import PARTY, members, world  # noqa: F401  (world is a fixture)

CALLS = """number,name,start,duration_seconds,type
95188,信用飞客服,2024-12-02 09:00:05,0,missed
95188,信用飞客服,2024-12-02 23:10:00,95,incoming
"""


@pytest.fixture
def call_log(world):
    imported = import_call_log(session=world.session, blobs=world.services.blobs,
                               negotiation=world.negotiation, actor=world.owner,
                               data=CALLS.encode(), filename="calls-export.csv", tz=world.tz,
                               max_bytes=1 << 24)
    assert imported.added == 2
    return imported.evidence_id


def test_the_list_has_the_file_once_and_a_row_per_call(world, call_log, tmp_path):
    files = members(world.export(tmp_path / "b.zip").path)
    rows = list(csv.reader(io.StringIO(files["证据目录.csv"].decode("utf-8-sig"))))
    [file_row] = [r for r in rows if r[1].startswith("本人手机导出的通话记录：")]
    number = file_row[0]
    assert file_row[1] == ("本人手机导出的通话记录：共 2 次通话，2024-12-02 09:00 至 "
                           "2024-12-02 23:10")
    assert file_row[2] == "本人手机导出的通话记录；原文件名：calls-export.csv"
    assert len(file_row[7]) == 64
    # Formed over the calls' times (not undated, not the upload day).
    assert file_row[4] == "2024-12-02T09:00:05+08:00/2024-12-02T23:10:00+08:00"
    calls = [r for r in rows if r[0].startswith(f"{number}.")]
    assert [r[0] for r in calls] == [f"{number}.1", f"{number}.2"]
    assert calls[0][1] == "未接来电，95188（信用飞客服），时长0分00秒"
    assert calls[1][1].endswith("，95188（信用飞客服），时长1分35秒")
    assert calls[0][2] == f"证据 {number}（通话记录）第 2 行"
    assert [r[4] for r in calls] == ["2024-12-02T09:00:05+08:00", "2024-12-02T23:10:00+08:00"]
    assert calls[0][5] == file_row[5] and calls[0][7] == ""  # the file is the source
    original = [n for n in files if n.startswith(f"evidence/{number}_")]
    assert original == [f"evidence/{number}_2024-12-02_通话记录.csv"]
    assert files[original[0]] == CALLS.encode()

    html = files["证据目录.html"].decode()
    assert html.count("未接来电，95188（信用飞客服）") == 1
    assert "<td>2024-12-02 23:10</td>" in html
    texts = [n for n in files if n.startswith(f"texts/{number}_")]
    assert texts == [f"texts/{number}_2024-12-02_通话记录.calls.txt"]
    listed = files[texts[0]].decode()
    assert f"{number}.1  2024-12-02 09:00  未接来电" in listed and "时长1分35秒" in listed
    assert "duration_seconds" not in listed  # not the raw CSV


def test_the_purpose_of_the_group_spans_the_calls_in_html(world, call_log, tmp_path):
    files = members(world.export(tmp_path / "b.zip").path)
    html = files["证据目录.html"].decode()
    body = html.split("<tbody>")[1]
    rows = body.count("<tr>")
    cells = body.count("<td")
    # Every row has 8 cells but where a group's purpose spans several rows.
    spans = [int(n) for n in re.findall(r'rowspan="(\d+)"', body)]
    assert cells == rows * 8 - sum(n - 1 for n in spans)
    assert 3 in spans  # the file and its two calls under one purpose


def test_the_letter_lists_each_call_among_the_contacts(world, call_log):
    text = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                        party=PARTY)
    assert "2024年12月2日 09:00 通话记录：未接来电，95188（信用飞客服），时长0分00秒" in text
    contacts = text.split("二、")[1].split("三、")[0]
    assert contacts.count("95188（信用飞客服）") == 2  # each call once (a finding names one too)
