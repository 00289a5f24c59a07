"""The scratch files of an export (storage.scratch): the encrypted spool holds only ciphertext
under a key that never leaves memory, has no name, is refused when changed, stays small in
memory; a nameless file gets its name only when complete, and where the kernel will not link it
a copy takes its place. A bundle built either way checks out and leaves nothing behind."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import logger.bundles.build as build
import storage.scratch as scratch
from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleGroup, BundlePurpose
from logger.bundles.verify import verify_bundle
from logger.intake.ingest import IncomingFile, ingest
from storage.blobs.format import BlobCorrupt
from storage.datadir import export_leftovers, unknown_entries
from storage.scratch import EncryptedSpool, nameless_file, publish
from tests.support.web import post_form

MARKER = b"SCRATCH-PLAINTEXT-MARKER "


def on_disk(spool: EncryptedSpool) -> bytes:
    fd = spool._file.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0)


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536, 1_000_003])
def test_the_spool_gives_back_what_was_written_and_keeps_only_ciphertext(tmp_path, size):
    data = (MARKER * (size // len(MARKER) + 1))[:size]
    with EncryptedSpool(tmp_path) as spool:
        for start in range(0, size, 7777):
            spool.write(memoryview(data)[start:start + 7777])
        assert list(tmp_path.iterdir()) == []   # no name, even while it is written
        spool.finish()
        assert MARKER not in on_disk(spool)
        assert b"".join(spool.chunks()) == data and spool.size == size
    assert list(tmp_path.iterdir()) == []


def test_without_o_tmpfile_the_spool_is_unlinked_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(scratch, "nameless_file", lambda directory: None)
    with EncryptedSpool(tmp_path) as spool:
        spool.write(MARKER * 10_000)
        assert list(tmp_path.iterdir()) == []
        spool.finish()
        assert b"".join(spool.chunks()) == MARKER * 10_000


def test_a_changed_spool_is_refused(tmp_path):
    with EncryptedSpool(tmp_path) as spool:
        spool.write(MARKER * 10_000)
        spool.finish()
        fd = spool._file.fileno()
        middle = os.fstat(fd).st_size // 2
        os.pwrite(fd, bytes([os.pread(fd, 1, middle)[0] ^ 1]), middle)
        with pytest.raises(BlobCorrupt):
            b"".join(spool.chunks())


def test_zipfile_writes_to_the_spool_with_data_descriptors(tmp_path):
    with EncryptedSpool(tmp_path) as spool:
        with zipfile.ZipFile(spool, "w") as archive:
            archive.writestr("a.txt", MARKER * 5000)
            with archive.open("b.bin", "w", force_zip64=True) as member:
                member.write(os.urandom(300_000))
        spool.finish()
        data = b"".join(spool.chunks())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None and archive.read("a.txt") == MARKER * 5000


def test_the_spool_uses_little_memory_whatever_the_size(tmp_path):
    block = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        with EncryptedSpool(tmp_path) as spool:
            for _ in range(48):
                spool.write(block)
            spool.finish()
            total = sum(len(chunk) for chunk in spool.chunks())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 48 << 20
    assert peak < 6 << 20, f"the spool used {peak / 2**20:.1f} MiB"


def nameless_with(tmp_path: Path, data: bytes) -> int:
    fd = nameless_file(tmp_path)
    if fd is None:
        pytest.skip("no O_TMPFILE here")
    os.write(fd, data)
    return fd


def test_a_nameless_file_is_named_only_when_published_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "bundle.zip"
    target.write_bytes(b"the bundle of last week")
    fd = nameless_with(tmp_path, MARKER * 100)
    try:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.zip"]
        publish(fd, target)
    finally:
        os.close(fd)
    assert target.read_bytes() == MARKER * 100
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.zip"]


def test_where_linking_is_refused_the_file_is_copied_into_place(tmp_path, monkeypatch):
    def refuse(fd, name):
        raise PermissionError(1, "Operation not permitted", str(name))
    monkeypatch.setattr(scratch, "_link", refuse)
    fd = nameless_with(tmp_path, MARKER * 100)
    try:
        publish(fd, tmp_path / "bundle.zip")
        publish(fd, tmp_path / "bundle.zip")   # again, over the first
    finally:
        os.close(fd)
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.zip"]
    assert (tmp_path / "bundle.zip").read_bytes() == MARKER * 100


@pytest.fixture
def item(services, session, owner, negotiation):
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(MARKER * 20_000), "记录.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=10**8,
                  tz=services.config.locale.zone)


@pytest.mark.parametrize("nameless", [True, False])
def test_a_cli_bundle_checks_out_and_leaves_nothing_either_way(
        nameless, services, session, owner, negotiation, item, tmp_path, monkeypatch):
    if not nameless:   # as on a system without O_TMPFILE: through the encrypted spool
        monkeypatch.setattr(build, "nameless_file", lambda directory: None)
    out = tmp_path / "exports" / "bundle.zip"
    request = BundleRequest(negotiation=negotiation, purpose=BundlePurpose.complaint,
                            language="zh", groups=[BundleGroup("备份", [item.id])],
                            party="张三", timestamp=False)
    result = build_bundle(session=session, services=services, request=request, out=out,
                          actor=owner)
    assert verify_bundle(out).exit_code == 0
    assert result.bytes == out.stat().st_size
    assert [p.name for p in out.parent.iterdir()] == ["bundle.zip"]
    data_dir = services.config.storage.data_dir
    assert export_leftovers(data_dir) == [] and unknown_entries(data_dir) == []


def open_files_under(folder: Path) -> list[str]:
    """Files this process holds open in `folder` that have no name (a spool)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)) and target.endswith("(deleted)"):
            found.append(target)
    return found


def test_the_page_sends_the_spool_and_drops_it(services, session, owner, negotiation, item,
                                               client, tmp_path):
    data_dir = services.config.storage.data_dir
    reply = post_form(client, f"/negotiations/{negotiation.id}/bundle",
                      {"purpose": "backup", "lang": "zh", "item": [item.id]})
    assert reply.status_code == 200 and reply.mimetype == "application/zip"
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.get_data()
    assert int(reply.headers["Content-Length"]) == len(body)
    reply.close()
    (tmp_path / "download.zip").write_bytes(body)
    assert verify_bundle(tmp_path / "download.zip").exit_code == 0
    assert open_files_under(data_dir) == []   # the spool is closed, so gone
    assert export_leftovers(data_dir) == [] and unknown_entries(data_dir) == []
