"""`liuhen export` and `liuhen verify-bundle` end to end: a data dir made with the CLI, real
files imported with it, bundles exported and checked."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest


@pytest.fixture
def imported(cli, testdata):
    """A data dir with one negotiation (#1) and three items: a night call (#1), an email (#2),
    a chat screenshot (#3)."""
    assert cli("init").exit_code == 0
    assert cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    for path, extra in (
            (testdata / "audio" / "BAC009S0764W0121.wav",
             ["--occurred-at", "2024-12-03T22:30", "--direction", "from_them",
              "--counterpart-number", "13800138000"]),
            (testdata / "email" / "demisto_chinese_gb2312_encoding.eml", []),
            (testdata / "images" / "cnocr_multi-line_cn1_chat_bubble_white.png",
             ["--occurred-at", "2024-12-04T14:00"])):
        result = cli("import", "--negotiation", "1", *extra, path)
        assert result.exit_code == 0, result.output
    return cli


def read(path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def test_export_writes_a_bundle_that_verify_bundle_accepts(imported, tmp_path):
    out = tmp_path / "court.zip"
    result = imported("export", "--negotiation", "1", "--purpose", "court", "--out", out,
                      "--party", "张三", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["exhibits"] == 3 and summary["path"] == str(out) and out.is_file()
    check = imported("verify-bundle", out)
    assert check.exit_code == 0 and "INTACT" in check.output
    assert json.loads(read(out, "manifest.json"))["purpose"] == "court"
    assert summary["manifest_sha256"] == hashlib.sha256(read(out, "manifest.json")).hexdigest()


def test_items_channels_and_groups_choose_what_goes_in(imported, tmp_path):
    out = tmp_path / "calls.zip"
    result = imported("export", "--negotiation", "1", "--purpose", "backup", "--out", out,
                      "--lang", "en", "--channel", "call", "--channel", "chat",
                      "--group", "3=Shows the chat about repayment")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(read(out, "evidence-list.csv").decode("utf-8-sig"))))
    assert [(r[0], r[3]) for r in rows[1:]] == [
        ("1-1", "Shows the chat about repayment"),
        ("2-1", "Shows the collector called after 22:00")]
    picked = tmp_path / "picked.zip"
    assert imported("export", "--negotiation", "1", "--purpose", "backup", "--out", picked,
                    "--items", "2").exit_code == 0
    with zipfile.ZipFile(picked) as archive:
        originals = [n for n in archive.namelist() if n.startswith("evidence/")]
    assert originals == ["evidence/1-1_2023-03-07_电子邮件.eml"]


def test_the_complaint_letter_is_drafted_then_edited_then_exported(imported, tmp_path):
    draft = imported("export", "--negotiation", "1", "--print-letter")
    assert draft.exit_code == 0 and "投诉信" in draft.stdout and "、投诉请求" in draft.stdout
    letter = tmp_path / "letter.txt"
    letter.write_text(draft.stdout.replace("投诉人：owner", "投诉人：张三"), encoding="utf-8")
    out = tmp_path / "complaint.zip"
    result = imported("export", "--negotiation", "1", "--purpose", "complaint", "--out", out,
                      "--letter", letter)
    assert result.exit_code == 0, result.output
    assert read(out, "投诉信.txt").decode() == letter.read_text(encoding="utf-8")


def test_show_key_prints_the_fingerprint_bundles_are_signed_with(imported, tmp_path):
    shown = json.loads(imported("export", "--show-key", "--json").output)
    out = tmp_path / "b.zip"
    assert imported("export", "--negotiation", "1", "--purpose", "backup", "--out",
                    out).exit_code == 0
    assert json.loads(read(out, "manifest.sig"))["fingerprint"] == shown["fingerprint"]
    text = imported("export", "--show-key").output
    assert f"fingerprint: {shown['fingerprint']}" in text
    assert imported("verify-bundle", out, "--key", shown["fingerprint"]).exit_code == 0


def test_mistakes_are_explained(imported, tmp_path):
    result = imported("export", "--negotiation", "1", "--out", tmp_path / "x.zip")
    assert result.exit_code == 1 and "--purpose court|complaint|backup" in result.output
    result = imported("export", "--negotiation", "1", "--purpose", "backup", "--out",
                      tmp_path / "x.zip", "--items", "1,99")
    assert result.exit_code == 1 and "#99" in result.output
    result = imported("export", "--negotiation", "1", "--purpose", "backup", "--out",
                      tmp_path / "x.zip", "--group", "1,2")
    assert result.exit_code == 2 and "=" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_verify_bundle_exits_1_and_names_an_altered_file(imported, tmp_path):
    out = tmp_path / "b.zip"
    assert imported("export", "--negotiation", "1", "--purpose", "backup", "--out",
                    out).exit_code == 0
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(out) as old, zipfile.ZipFile(tampered, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            new.writestr(name, data + b"!" if name.endswith(".png") else data)
    result = imported("verify-bundle", tampered)
    assert result.exit_code == 1
    assert any(line.startswith("ALTERED ") and "evidence/3-1_2024-12-04_聊天记录截图.png" in line
               for line in result.output.splitlines())
