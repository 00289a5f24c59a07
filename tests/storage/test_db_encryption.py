"""The SQLCipher engine: nothing readable on disk, the wrong key is a clear error, committed data
survives a killed process, and one engine serves several threads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlcipher3
from sqlmodel import select

from storage.db import DatabaseKeyError, make_engine, migrate, session
from storage.models import Evidence, EvidenceKind, ExtractedText, Negotiation, TextSource, User

SECRETS = ["我会还款的测试句子", "waiver-of-penalty-7731"]


def open_db(path: Path, key: bytes):
    engine = make_engine("", sqlite_path=path, key=key)
    migrate(engine)
    return engine


def add_evidence(engine, n: int, note: str | None = None, text: str | None = None) -> int:
    with session(engine) as s:
        user = s.exec(select(User)).first()
        if user is None:
            user = User(name="owner")
            s.add(user)
            s.flush()
            s.add(Negotiation(owner_id=user.id, creditor="bank"))
            s.flush()
        negotiation = s.exec(select(Negotiation)).first()
        item = Evidence(negotiation_id=negotiation.id, kind=EvidenceKind.call, note=note,
                        original_filename="call.m4a", media_type="audio/mp4", size=1,
                        sha256=f"{n:064x}", blob_id=f"{n:032x}")
        s.add(item)
        s.flush()
        if text is not None:
            s.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=text))
        s.commit()
        return item.id


def files_of(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def assert_no_plaintext(path: Path) -> None:
    found = files_of(path)
    assert path in found
    for file in found:
        raw = file.read_bytes()
        for secret in SECRETS:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert secret.encode(encoding) not in raw, f"{secret!r} readable in {file.name}"


def test_nothing_readable_on_disk(tmp_path):
    path = tmp_path / "liuhen.db"
    engine = open_db(path, os.urandom(32))
    add_evidence(engine, 1, note=f"对方：{SECRETS[0]}", text=f"they offered a {SECRETS[1]}")
    assert any(p.name.endswith("-wal") for p in files_of(path))  # WAL mode is on
    assert_no_plaintext(path)  # while open, with the write-ahead log in use
    engine.dispose()
    assert_no_plaintext(path)
    assert not path.read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()


def test_the_data_is_there_for_the_right_key(tmp_path):
    path, key = tmp_path / "liuhen.db", os.urandom(32)
    engine = open_db(path, key)
    item = add_evidence(engine, 1, note=SECRETS[0])
    engine.dispose()
    engine = make_engine("", sqlite_path=path, key=key)
    with session(engine) as s:
        assert s.get(Evidence, item).note == SECRETS[0]
    engine.dispose()
    # The key is used raw (no passphrase derivation), so other SQLCipher tools can open the file.
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    assert raw.execute("SELECT note FROM evidence").fetchall() == [(SECRETS[0],)]
    raw.close()


def test_a_wrong_key_is_a_clear_error(tmp_path):
    path = tmp_path / "liuhen.db"
    open_db(path, os.urandom(32)).dispose()
    with pytest.raises(DatabaseKeyError) as caught:
        make_engine("", sqlite_path=path, key=os.urandom(32))
    assert str(caught.value) == (
        f"the database at {path} cannot be opened with this vault's key "
        "(wrong vault, or the file is damaged)")


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="32 raw bytes"):
        make_engine("", sqlite_path=tmp_path / "x.db", key=b"short")
    with pytest.raises(ValueError, match="postgresql://") as caught:
        make_engine("mysql://root:hunter2@db/liuhen", sqlite_path=tmp_path / "x.db", key=b"")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ValueError, match="not a URL"):
        make_engine("not a url", sqlite_path=tmp_path / "x.db", key=b"")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_engine("", sqlite_path=tmp_path / "missing" / "x.db", key=os.urandom(32))


def test_a_commit_survives_a_killed_process(tmp_path):
    path, key = tmp_path / "liuhen.db", os.urandom(32)
    open_db(path, key).dispose()
    child = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from tests.storage.test_db_encryption import add_evidence
        from storage.db import make_engine
        engine = make_engine("", sqlite_path=Path({str(path)!r}), key=bytes.fromhex({key.hex()!r}))
        add_evidence(engine, 7, note="committed before the kill")
        print("committed", flush=True)
        time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "committed"
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    engine = make_engine("", sqlite_path=path, key=key)
    with session(engine) as s:
        assert [e.note for e in s.exec(select(Evidence)).all()] == ["committed before the kill"]
    engine.dispose()


def test_one_engine_serves_several_threads(tmp_path):
    engine = open_db(tmp_path / "liuhen.db", os.urandom(32))
    add_evidence(engine, 1)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                add_evidence(engine, 100 * n + i + 2, note=f"thread {n}")
        except BaseException as e:  # collected: an exception in a thread is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session(engine) as s:
        assert len(s.exec(select(Evidence)).all()) == 21
    engine.dispose()
