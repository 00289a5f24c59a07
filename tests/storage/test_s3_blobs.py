"""The blob store on S3-compatible object storage, against a real SeaweedFS server: round trips,
random access, failing writes, leftovers and orphans through `liuhen verify`, backups, memory,
refusals, and a file taken in by intake and read back."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
import socket
import tracemalloc

import pytest

from logger.intake.ingest import IncomingFile, ingest
from logger.record.verify import repair, verify
from logger.services import S3SecretUnavailable, Services, open_blob_store, read_s3_secret
from storage.blobs.backend import BlobStoreUnavailable, LocalBackend
from storage.blobs.format import CHUNK_SIZE, MAGIC
from storage.blobs.s3 import PART_SIZE, WINDOW, S3Backend
from storage.blobs.store import BlobMissing, BlobStore, BlobTooLarge, InvalidBlobId

from tests.support.blobs import MIB, expected_file_size, payload, put
from tests.support.common import PASSPHRASE, make_negotiation_in
from tests.support.seaweed import with_s3

PREFIX = "liuhen/"


@pytest.fixture
def backend(seaweed, s3_bucket):
    return S3Backend(bucket=s3_bucket, prefix=PREFIX, endpoint=seaweed.endpoint,
                     region=seaweed.region, access_key=seaweed.access_key,
                     secret_key=seaweed.secret_key)


@pytest.fixture
def s3_store(backend, key, tmp_path):
    return BlobStore(backend, key, lock_dir=tmp_path / "lock")


@pytest.fixture
def client(seaweed):
    return seaweed.client()


def keys(client, bucket: str) -> list[str]:
    return [entry["Key"] for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket) for entry in page.get("Contents", ())]


def uploads(client, bucket: str) -> list[str]:
    return [upload["Key"] for upload in
            client.list_multipart_uploads(Bucket=bucket).get("Uploads", ())]


def nothing_left(store: BlobStore, client, bucket: str) -> bool:
    return (keys(client, bucket) == [] and uploads(client, bucket) == []
            and list(store.ids()) == [] and store.leftovers() == [])


def count_gets(backend: S3Backend) -> list[str]:
    """The Range of every GetObject the backend sends from now on (None: the whole object)."""
    sent = []
    backend.client.meta.events.register(
        "before-call.s3.GetObject",
        lambda params, **_: sent.append(params["headers"].get("Range")))
    return sent


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, 20 * MIB + 3])
def test_round_trip(s3_store, client, s3_bucket, size):
    data = payload(size, seed=size)
    stored = put(s3_store, data)
    assert stored.size == size and stored.sha256 == hashlib.sha256(data).hexdigest()

    key = f"{PREFIX}blobs/{stored.blob_id[:2]}/{stored.blob_id}"
    assert keys(client, s3_bucket) == [key] and uploads(client, s3_bucket) == []
    head = client.head_object(Bucket=s3_bucket, Key=key)
    assert head["ContentLength"] == expected_file_size(size)
    # Under one part: one PUT; above: a multipart upload of 8 MiB parts (its ETag counts them).
    parts = -(-expected_file_size(size) // PART_SIZE)
    assert head["ETag"].endswith(f'-{parts}"') if parts > 1 else "-" not in head["ETag"]
    raw = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert raw.startswith(MAGIC + b"\x01")
    for start in (0, size // 2, max(0, size - 32)):
        if size >= 32:
            assert data[start:start + 32] not in raw   # the object store sees ciphertext only

    with s3_store.open(stored.blob_id) as reader:
        assert reader.read() == data
    assert b"".join(s3_store.iter_plaintext(stored.blob_id)) == data
    dest = io.BytesIO()
    assert s3_store.copy_to(stored.blob_id, dest) == stored
    assert dest.getvalue() == data
    assert s3_store.digest(stored.blob_id) == (size, stored.sha256)
    assert s3_store.exists(stored.blob_id)


def test_seeks_and_reads_in_the_middle_ask_a_window_at_a_time(s3_store, backend):
    size = 3 * MIB + 12345
    data = payload(size, seed=7)
    blob = put(s3_store, data)
    gets = count_gets(backend)
    rng = random.Random(3)
    with s3_store.open(blob.blob_id) as reader:
        for _ in range(40):
            offset, length = rng.randrange(size), rng.randrange(1, 200_000)
            assert reader.seek(offset) == offset
            assert reader.read(length) == data[offset:offset + length]
        reader.seek(CHUNK_SIZE - 10)
        assert reader.read(20) == data[CHUNK_SIZE - 10:CHUNK_SIZE + 10]
        reader.seek(-5, io.SEEK_END)
        assert reader.read() == data[-5:]

    gets.clear()
    with s3_store.open(blob.blob_id) as reader:
        pieces = iter(lambda: reader.read(CHUNK_SIZE), b"")
        assert b"".join(pieces) == data
    windows = -(-(size + size // CHUNK_SIZE * 16 + 83) // WINDOW)
    # The header, the last chunk (read when opening), then one request per window.
    assert len(gets) <= windows + 2, gets
    assert all(get.startswith("bytes=") for get in gets)


# --------------------------------------------------------------------------- failing writes


class FailingStream(io.RawIOBase):
    def __init__(self, fail_after: int):
        self.left = fail_after

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            raise OSError("connection reset by peer")
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


@pytest.mark.parametrize("fail_after", [0, 5000, PART_SIZE, 2 * PART_SIZE + 12345])
def test_failing_stream_leaves_no_object_and_no_upload(s3_store, client, s3_bucket,
                                                       fail_after):
    with pytest.raises(OSError, match="connection reset"):
        s3_store.write(FailingStream(fail_after))
    assert nothing_left(s3_store, client, s3_bucket)


def test_too_large_leaves_nothing(s3_store, client, s3_bucket):
    limit = PART_SIZE + MIB
    with pytest.raises(BlobTooLarge) as info:
        s3_store.write(io.BytesIO(bytes(limit + 1)), max_size=limit)
    assert info.value.limit == limit
    assert nothing_left(s3_store, client, s3_bucket)
    assert s3_store.write(io.BytesIO(bytes(limit)), max_size=limit).size == limit


# --------------------------------------------------------------------------- management


def test_ids_exists_delete(s3_store, client, s3_bucket):
    a, b = put(s3_store, b"one"), put(s3_store, b"two")
    misplaced = ("00" if a.blob_id[:2] != "00" else "01") + "/" + a.blob_id
    for stray in (f"{PREFIX}blobs/{a.blob_id[:2]}/notes.txt", f"{PREFIX}blobs/{misplaced}",
                  f"{PREFIX}other/{a.blob_id}", f"blobs/{a.blob_id[:2]}/{'c' * 32}"):
        client.put_object(Bucket=s3_bucket, Key=stray, Body=b"stray")
    assert list(s3_store.ids()) == sorted([a.blob_id, b.blob_id])

    s3_store.delete(a.blob_id)
    s3_store.delete(a.blob_id)   # idempotent
    assert not s3_store.exists(a.blob_id) and s3_store.exists(b.blob_id)
    assert list(s3_store.ids()) == [b.blob_id]
    for call in (s3_store.open, s3_store.digest, s3_store.iter_plaintext,
                 lambda i: s3_store.copy_to(i, io.BytesIO()),
                 lambda i: list(s3_store.raw_chunks(i))):
        with pytest.raises(BlobMissing, match=a.blob_id):
            call(a.blob_id)
    with pytest.raises(InvalidBlobId):
        s3_store.open("../" + "a" * 29)


def test_raw_chunks_restore_into_another_store(s3_store, key, tmp_path, seaweed, s3_bucket,
                                               client):
    data = payload(2 * MIB + 99, seed=11)
    blob = put(s3_store, data)
    raw = list(s3_store.raw_chunks(blob.blob_id))
    assert all(len(piece) <= MIB for piece in raw)
    stored = client.get_object(Bucket=s3_bucket,
                               Key=s3_store.backend.key_for(blob.blob_id))["Body"].read()
    assert b"".join(raw) == stored

    local = BlobStore(tmp_path / "restored", key)
    local.write_raw(blob.blob_id, iter(raw))
    assert local.digest(blob.blob_id) == (blob.size, blob.sha256)
    other = BlobStore(S3Backend(bucket=s3_bucket, prefix="restored/", endpoint=seaweed.endpoint,
                                access_key=seaweed.access_key, secret_key=seaweed.secret_key),
                      key, lock_dir=tmp_path / "lock")
    other.write_raw(blob.blob_id, local.raw_chunks(blob.blob_id))
    with other.open(blob.blob_id) as reader:
        assert reader.read() == data


def test_memory_stays_bounded(s3_store):
    size = 48 * MIB + 5
    block = payload(MIB, seed=5)

    def blocks():
        left = size
        while left:
            yield block[:min(left, MIB)]
            left -= min(left, MIB)

    class Generated(io.RawIOBase):
        def __init__(self):
            self.pieces, self.rest = blocks(), b""

        def readable(self):
            return True

        def readinto(self, buffer):
            if not self.rest:
                self.rest = next(self.pieces, b"")
            n = min(len(buffer), len(self.rest))
            buffer[:n], self.rest = self.rest[:n], self.rest[n:]
            return n

    expected = hashlib.sha256(b"".join(blocks())).hexdigest()
    tracemalloc.start()
    try:
        blob = s3_store.write(Generated())
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert s3_store.digest(blob.blob_id) == (size, expected)
        _, digest_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"tracemalloc peaks: write {write_peak / MIB:.1f} MiB, digest {digest_peak / MIB:.1f}")
    assert write_peak < 30 * MIB, write_peak   # two 8 MiB parts and the 5 MiB ring
    assert digest_peak < 16 * MIB, digest_peak


# --------------------------------------------------------------------------- refusals


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_endpoint(key, tmp_path, seaweed):
    endpoint = f"http://127.0.0.1:{free_port()}"
    backend = S3Backend(bucket="liuhen", endpoint=endpoint, access_key=seaweed.access_key,
                        secret_key=seaweed.secret_key, attempts=1)
    with pytest.raises(BlobStoreUnavailable) as info:
        backend.check()
    message = str(info.value)
    assert f"cannot reach the S3 bucket liuhen at {endpoint}" in message
    assert "`storage.s3_endpoint`" in message
    with pytest.raises(BlobStoreUnavailable, match="cannot reach"):
        BlobStore(backend, key, lock_dir=tmp_path).write(io.BytesIO(b"lost?"))


def test_wrong_credentials_and_missing_bucket(seaweed, s3_bucket):
    def check(**given):
        settings = {"bucket": s3_bucket, "endpoint": seaweed.endpoint,
                    "access_key": seaweed.access_key, "secret_key": seaweed.secret_key, **given}
        with pytest.raises(BlobStoreUnavailable) as info:
            S3Backend(**settings).check()
        assert seaweed.secret_key not in str(info.value)
        return str(info.value)

    wrong_secret = check(secret_key="not-the-secret")
    assert "refused the secret key" in wrong_secret and "LIUHEN_S3_SECRET_KEY" in wrong_secret
    assert "`storage.s3_secret_key_file`" in wrong_secret
    unknown_key = check(access_key="NOSUCHKEY")
    assert "does not know the access key 'NOSUCHKEY'" in unknown_key
    assert "`storage.s3_access_key`" in unknown_key
    missing = check(bucket="no-such-bucket-here")
    assert "the bucket no-such-bucket-here does not exist" in missing
    assert "`storage.s3_bucket`" in missing
    S3Backend(bucket=s3_bucket, endpoint=seaweed.endpoint, access_key=seaweed.access_key,
              secret_key=seaweed.secret_key).check()


# --------------------------------------------------------------------------- configuration


def test_secret_key_sources(config, tmp_path, seaweed, s3_bucket):
    s3 = with_s3(config, seaweed, s3_bucket, tmp_path / "s3-secret", prefix="p")
    assert (tmp_path / "s3-secret").stat().st_mode & 0o777 == 0o600
    assert read_s3_secret(s3, env={}) == seaweed.secret_key
    assert read_s3_secret(s3, env={"LIUHEN_S3_SECRET_KEY": "from-env"}) == "from-env"
    store = open_blob_store(s3, bytes(32), env={})
    assert isinstance(store.backend, S3Backend) and store.backend.prefix == "p/"
    assert store.lock_dir == config.storage.blob_dir
    store.backend.check()

    no_file = dataclasses.replace(s3, storage=dataclasses.replace(s3.storage,
                                                                  s3_secret_key_file=""))
    with pytest.raises(S3SecretUnavailable) as info:
        open_blob_store(no_file, bytes(32), env={})
    assert "LIUHEN_S3_SECRET_KEY" in str(info.value)
    assert "`storage.s3_secret_key_file`" in str(info.value)
    assert isinstance(open_blob_store(config, bytes(32), env={}).backend, LocalBackend)


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def s3_services(config, seaweed, s3_bucket, tmp_path, monkeypatch):
    monkeypatch.delenv("LIUHEN_S3_SECRET_KEY", raising=False)
    s3 = with_s3(config, seaweed, s3_bucket, tmp_path / "s3-secret", prefix=PREFIX)
    with Services.create(s3, PASSPHRASE) as services:
        yield services


def test_intake_reads_back_and_verifies_clean(s3_services, client, s3_bucket):
    from logger.accounts import add_user
    data = "通话记录 call notes\n".encode() * 40_000
    with s3_services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        item = ingest(session=session, blobs=s3_services.blobs,
                      source=IncomingFile(io.BytesIO(data), "notes.txt"),
                      negotiation=negotiation, actor=owner, max_bytes=10**8,
                      tz=s3_services.config.locale.zone)
        assert keys(client, s3_bucket) == [f"{PREFIX}blobs/{item.blob_id[:2]}/{item.blob_id}"]
        report = verify(session, s3_services.blobs, config=s3_services.config)
        assert report.ok, report.problems
        assert report.evidence_checked == 1 and report.bytes_checked == len(data)
    # Nothing of the blob in the data dir: the folder only holds the intake lock.
    blob_dir = s3_services.config.storage.blob_dir
    assert [p.name for p in blob_dir.iterdir()] == [".intake.lock"]

    with Services.open(s3_services.config, PASSPHRASE) as reopened:
        with reopened.blobs.open(item.blob_id) as reader:
            assert reader.read() == data


def test_orphan_and_unfinished_upload_found_by_verify_and_repaired(s3_services, client,
                                                                   s3_bucket):
    from logger.accounts import add_user
    blobs = s3_services.blobs
    with s3_services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        kept = ingest(session=session, blobs=blobs,
                      source=IncomingFile(io.BytesIO(b"kept"), "kept.txt"),
                      negotiation=negotiation, actor=owner, max_bytes=10**8,
                      tz=s3_services.config.locale.zone)
        orphan = blobs.write(io.BytesIO(b"nobody refers to me"))
        # What a process killed in the middle of a large blob leaves.
        key = blobs.backend.key_for("ab" + "0" * 30)
        upload = client.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
        client.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload, PartNumber=1,
                           Body=bytes(PART_SIZE))

        report = verify(session, blobs, config=s3_services.config)
        assert sorted(p.kind for p in report.problems) == ["orphan_blob", "temp_file"]
        leftover = next(p for p in report.problems if p.kind == "temp_file")
        assert f"s3://{s3_bucket}/{key}: unfinished multipart upload {upload}" in \
            leftover.message

        removed = repair(session, blobs, config=s3_services.config)
        assert f"removed orphan blob {orphan.blob_id}" in removed
        assert any(line.startswith(f"removed s3://{s3_bucket}/{key}") for line in removed)
        assert uploads(client, s3_bucket) == []
        assert list(blobs.ids()) == [kept.blob_id]
        assert verify(session, blobs, config=s3_services.config).ok
