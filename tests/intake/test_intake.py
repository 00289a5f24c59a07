"""Intake: one function for every source; real files from shared/testdata."""

import hashlib
import io
import shutil
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from logger.errors import DuplicateEvidence, FileTooLarge, UnsupportedFile
from logger.intake import ingest as intake_module
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (Channel, CustodyEvent, Direction, Evidence, EvidenceKind, Job,
                            JobKind)
from tests.support.common import make_negotiation_in


def store(services, session, negotiation, owner, path_or_bytes, name=None, **kw):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    name = name or path_or_bytes.name
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name, source="test"),
                  negotiation=negotiation, actor=owner,
                  max_bytes=kw.pop("max_bytes", services.config.intake.max_file_bytes),
                  tz=services.config.locale.zone, **kw)


def nothing_stored(services, session):
    return (session.exec(select(Evidence)).all() == []
            and session.exec(select(CustodyEvent)).all() == []
            and list(services.blobs.ids()) == [] and services.blobs.temp_files() == [])


def test_call_recording_named_by_a_phone_recorder(services, session, negotiation, owner,
                                                  testdata, tmp_path):
    wav = next((testdata / "audio").glob("*.wav"))
    named = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    shutil.copy(wav, named)
    item = store(services, session, negotiation, owner, named)

    assert item.kind == EvidenceKind.call and item.channel == Channel.call
    assert item.counterpart_number == "13800138000"
    # 15:30:12 in Asia/Shanghai is 07:30:12 UTC.
    assert item.occurred_at == datetime(2024, 12, 3, 7, 30, 12, tzinfo=UTC)
    assert item.media_type.startswith("audio/")
    assert item.extracted_metadata["duration_s"] > 0.5
    data = wav.read_bytes()
    assert (item.size, item.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    with services.blobs.open(item.blob_id) as reader:
        assert reader.read() == data
    event = session.exec(select(CustodyEvent)).one()
    assert (event.action, event.evidence_id, event.details["sha256"]) == \
        ("intake", item.id, item.sha256)
    jobs = session.exec(select(Job).where(Job.evidence_id == item.id)).all()
    assert [(j.kind, j.status) for j in jobs] == [(JobKind.transcribe, "queued")]


def test_blob_is_named_by_random_id_never_by_the_user(services, session, negotiation, owner):
    item = store(services, session, negotiation, owner, b"hello, this is a note\n",
                 name="../../etc/passwd.txt")
    assert item.original_filename == "passwd.txt"
    stored = [p for p in services.blobs.root.rglob("*") if p.is_file()
              and not p.name.startswith(".")]
    assert [p.name for p in stored] == [item.blob_id]
    assert "passwd" not in str(stored[0])


def test_email_and_screenshot_get_their_kind_and_jobs(services, session, negotiation, owner,
                                                     testdata):
    eml = sorted((testdata / "email").glob("*.eml"))[0]
    mail = store(services, session, negotiation, owner, eml)
    assert mail.kind == EvidenceKind.email and mail.media_type == "message/rfc822"
    png = sorted((testdata / "images").glob("*.png"))[0]
    shot = store(services, session, negotiation, owner, png)
    assert shot.media_type == "image/png"
    kinds = {e: [j.kind for j in session.exec(select(Job).where(Job.evidence_id == e))]
             for e in (mail.id, shot.id)}
    assert kinds == {mail.id: [JobKind.parse_email], shot.id: [JobKind.ocr]}


def test_type_comes_from_content_not_name(services, session, negotiation, owner, testdata):
    png = sorted((testdata / "images").glob("*.png"))[0]
    item = store(services, session, negotiation, owner, png.read_bytes(), name="call.mp3")
    assert item.media_type == "image/png" and item.kind != EvidenceKind.call


@pytest.mark.parametrize("data, name, words", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "call.m4a",
     "Windows program"),
    (b"", "empty.mp3", "empty"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "x.wav", "accepts"),
])
def test_refused_types_store_nothing(services, session, negotiation, owner, data, name, words):
    with pytest.raises(UnsupportedFile, match=words):
        store(services, session, negotiation, owner, data, name=name)
    assert nothing_stored(services, session)


def test_size_limit_names_the_config_key_and_stores_nothing(services, session, negotiation,
                                                            owner):
    with pytest.raises(FileTooLarge, match=r"intake\.max_file_mb"):
        store(services, session, negotiation, owner, b"a line of text\n" * 100_000,
              name="big.txt", max_bytes=1024 * 1024)
    assert nothing_stored(services, session)


def test_duplicate_in_the_same_negotiation_names_the_existing_item(services, session,
                                                                   negotiation, owner):
    first = store(services, session, negotiation, owner, b"same words\n", name="a.txt")
    with pytest.raises(DuplicateEvidence, match=f"#{first.id}") as refused:
        store(services, session, negotiation, owner, b"same words\n", name="b.txt")
    assert refused.value.existing_id == first.id
    assert list(services.blobs.ids()) == [first.blob_id]
    other = make_negotiation_in(session, owner, creditor="网商贷")
    again = store(services, session, other, owner, b"same words\n", name="b.txt")
    assert again.negotiation_id == other.id and again.blob_id != first.blob_id


def test_failure_after_the_blob_is_written_leaves_nothing(services, session, negotiation,
                                                         owner, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(intake_module.custody, "append_events", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store(services, session, negotiation, owner, b"some text\n", name="a.txt")
    assert nothing_stored(services, session)


def test_what_the_person_says_wins_over_what_the_file_says(services, session, negotiation,
                                                         owner, testdata, tmp_path):
    named = tmp_path / "13800138000_20241203153012.wav"
    shutil.copy(next((testdata / "audio").glob("*.wav")), named)
    when = datetime(2024, 12, 4, 1, 0, tzinfo=UTC)
    item = store(services, session, negotiation, owner, named, details=EvidenceDetails(
        direction=Direction.from_them, occurred_at=when, counterpart_name="王经理",
        note="他说可以减免罚息"))
    assert (item.direction, item.occurred_at, item.counterpart_name, item.note) == \
        (Direction.from_them, when, "王经理", "他说可以减免罚息")
    assert item.counterpart_number == "13800138000"
