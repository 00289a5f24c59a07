"""`liuhen verify`: blobs re-hashed, chain walked, orphans found and repaired."""

import io
import json

from logger.intake.ingest import IncomingFile, ingest
from logger.record.verify import repair, verify


def add(services, session, negotiation, owner, data: bytes, name: str):
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=negotiation,
                  actor=owner, max_bytes=10**8, tz=services.config.locale.zone)


def test_clean_store_verifies(services, session, negotiation, owner):
    add(services, session, negotiation, owner, b"one\n" * 50_000, "a.txt")
    add(services, session, negotiation, owner, b"two\n", "b.txt")
    report = verify(session, services.blobs)
    assert report.ok and report.evidence_checked == 2 and report.events_checked == 2
    assert report.bytes_checked == 200_004
    assert report.summary().startswith("verified 2 item(s), 0.2 MB and 2 custody event(s)")


def test_one_changed_byte_in_a_blob_file_is_reported_with_its_item(services, session,
                                                                   negotiation, owner):
    add(services, session, negotiation, owner, b"first\n", "a.txt")
    item = add(services, session, negotiation, owner, b"second item\n" * 10_000, "b.txt")
    path = services.blobs.path_for(item.blob_id)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    report = verify(session, services.blobs)
    assert [(p.kind, p.evidence_id) for p in report.problems] == \
        [("blob_unreadable", item.id)]
    assert f"evidence #{item.id} (“b.txt”" in report.problems[0].message


def test_missing_blob_and_orphan_blob_and_temp_file(services, session, negotiation, owner):
    gone = add(services, session, negotiation, owner, b"will vanish\n", "gone.txt")
    services.blobs.path_for(gone.blob_id).unlink()
    orphan = services.blobs.write(io.BytesIO(b"nobody refers to me"))
    temp = services.blobs.root / "tmp" / "interrupted.part"
    temp.parent.mkdir(exist_ok=True)
    temp.write_bytes(b"half")
    report = verify(session, services.blobs)
    assert sorted(p.kind for p in report.problems) == ["blob_missing", "orphan_blob", "temp_file"]

    removed = repair(session, services.blobs)
    assert f"removed orphan blob {orphan.blob_id}" in removed
    assert not services.blobs.exists(orphan.blob_id) and not temp.exists()
    after = verify(session, services.blobs)
    assert [p.kind for p in after.problems] == ["blob_missing"]   # evidence is never "repaired"


def test_cli_prints_one_line_per_problem_and_exits_1(cli, services, session, negotiation,
                                                    owner):
    item = add(services, session, negotiation, owner, b"text\n", "a.txt")
    services.blobs.path_for(item.blob_id).unlink()
    services.close()
    result = cli("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"evidence #{item.id} (“a.txt”, blob {item.blob_id}): the blob file is missing"]
    as_json = json.loads(cli("verify", "--json").stdout)
    assert as_json["ok"] is False and as_json["problems"][0]["evidence_id"] == item.id
