"""The `liuhen` command line, end to end in-process, with the JSON contract scripts rely on."""

import hashlib
import json
import shutil

import pytest

SHOW_KEYS = {"id", "negotiation_id", "kind", "channel", "direction", "occurred_at",
             "original_filename", "media_type", "size", "sha256", "counterpart_name",
             "counterpart_number", "parent_id", "texts", "jobs"}


@pytest.fixture
def world(cli, tmp_path):
    """init + owner + one negotiation, through the CLI."""
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--agency", "某催收公司",
              "--principal", "12,000.50", "--overdue-since", "2024-11-01", "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_init_creates_an_encrypted_data_dir(cli, tmp_path):
    result = cli("init", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kdf"] in ("argon2id", "scrypt")
    data = tmp_path / "data"
    assert (data / "vault.json").is_file() and (data / "liuhen.db").is_file()
    assert not (data / "liuhen.db").read_bytes().startswith(b"SQLite format 3")
    again = cli("init")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_wrong_passphrase_is_one_clear_line_and_touches_nothing(cli, world, tmp_path):
    data = tmp_path / "data"
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    result = cli("negotiation", "list", env={"LIUHEN_PASSPHRASE": "not it"})
    assert result.exit_code == 1
    assert result.stderr == f"liuhen: wrong passphrase for vault at {data / 'vault.json'}\n"
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before


def test_missing_passphrase_without_a_terminal_says_how_to_give_it(cli, world):
    result = cli("negotiation", "list", env={"LIUHEN_PASSPHRASE": ""})
    assert result.exit_code == 1 and "LIUHEN_PASSPHRASE" in result.stderr


def test_passphrase_file_from_config(cli, world, tmp_path):
    secret = tmp_path / "secret"
    from tests.support.common import PASSPHRASE
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    result = cli("negotiation", "list", env={"LIUHEN_PASSPHRASE": "",
                                             "LIUHEN_PASSPHRASE_FILE": str(secret)})
    assert result.exit_code == 0 and "信用飞" in result.stdout


def test_passwd_rewraps_the_key(cli, world):
    result = cli("passwd", env={"LIUHEN_NEW_PASSPHRASE": "a brand new passphrase"})
    assert result.exit_code == 0, result.output
    assert cli("negotiation", "list").exit_code == 1
    moved = cli("negotiation", "list", env={"LIUHEN_PASSPHRASE": "a brand new passphrase"})
    assert moved.exit_code == 0 and "信用飞" in moved.stdout


def test_import_reports_each_file_and_refused_ones_do_not_stop_the_rest(cli, world, tmp_path,
                                                                       testdata):
    wav = next((testdata / "audio").glob("*.wav"))
    call = tmp_path / "13800138000_20241203153012.wav"
    shutil.copy(wav, call)
    bad = tmp_path / "invoice.pdf.exe"
    bad.write_bytes(b"MZ\x90\x00" + b"\x00" * 500)
    eml = sorted((testdata / "email").glob("*.eml"))[0]
    result = cli("import", "--negotiation", world["id"], call, bad, eml, "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert [r["status"] for r in rows] == ["stored", "refused", "stored"]
    assert rows[0]["kind"] == "call" and rows[0]["occurred_at"] == "2024-12-03T15:30:12+08:00"
    assert "Windows program" in rows[1]["reason"]
    assert rows[2]["kind"] == "email"
    as_text = cli("evidence", "list", "--negotiation", world["id"]).stdout
    assert f"#{rows[0]['id']:<5} call     2024-12-03 15:30 " in as_text   # shown in Asia/Shanghai

    again = cli("import", "--negotiation", world["id"], call)
    assert again.exit_code == 1
    assert again.stdout.startswith(f"duplicate  {call.name}: “{call.name}” is already evidence "
                                   f"#{rows[0]['id']}")

    shown = json.loads(cli("show", rows[0]["id"], "--json").stdout)
    assert SHOW_KEYS <= set(shown)
    assert shown["sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
    assert shown["counterpart_number"] == "13800138000"
    assert shown["jobs"] == [{"kind": "transcribe", "status": "queued", "progress": 0.0,
                              "error": None}]
    assert shown["texts"] == []

    listed = json.loads(cli("evidence", "list", "--negotiation", world["id"], "--json").stdout)
    assert [i["id"] for i in listed][0] == rows[0]["id"]   # the call happened first
    assert {i["id"] for i in listed} == {rows[0]["id"], rows[2]["id"]}
    assert cli("verify").exit_code == 0


def test_note_is_searchable_and_not_in_the_raw_database(cli, world, tmp_path):
    text = tmp_path / "chat.txt"
    text.write_text("催收员说：下周五之前还三千就可以。\n", encoding="utf-8")
    result = cli("import", "--negotiation", world["id"], "--note", "我会还款的，请停止催收",
                 "--channel", "app_chat", "--direction", "from_them", text)
    assert result.exit_code == 0, result.output
    hits = json.loads(cli("search", "还款", "--json").stdout)
    assert len(hits) == 1 and hits[0]["source"] == "note" and "还款" in hits[0]["snippet"]
    assert cli("search", "停止催收").stdout.startswith("#")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("liuhen.db*"))
    assert "我会还款".encode() not in raw and "停止催收".encode() not in raw


def test_negotiation_list_json_and_unknown_ids(cli, world):
    listed = json.loads(cli("negotiation", "list", "--json").stdout)
    assert listed == [world]
    assert world["principal"] == "12000.50" and world["overdue_since"] == "2024-11-01"
    missing = cli("show", "999")
    assert missing.exit_code == 1 and missing.stderr == "liuhen: no evidence #999\n"
    nothing = cli("import", "--negotiation", "42", __file__)
    assert nothing.exit_code == 1 and "no negotiation #42" in nothing.stderr


def test_user_add_needs_a_password_and_refuses_duplicates(cli, world):
    assert "taken" in cli("user", "add", "小王").stderr
    short = cli("user", "add", "other", env={"LIUHEN_PASSWORD": "short"})
    assert short.exit_code == 1 and "at least 8" in short.stderr
    member = json.loads(cli("user", "add", "律师", "--json").stdout)
    assert member["role"] == "member"


def test_python_dash_m_logger_runs_the_same_cli(cli_env, tmp_path):
    import os
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "logger", "--help"], capture_output=True,
                            text=True, env={**os.environ, **cli_env}, cwd=tmp_path)
    assert result.returncode == 0 and "verify" in result.stdout and "import" in result.stdout
