"""The encrypted blob store: round trips, random access, failing writes, ids, memory."""

from __future__ import annotations

import email
import hashlib
import io
import os
import random
import stat
import tracemalloc

import pytest

from storage.blobs.format import CHUNK_SIZE, MAGIC
from storage.blobs.store import (
    BLOCK_SIZE,
    BlobError,
    BlobMissing,
    BlobReader,
    BlobStore,
    BlobTooLarge,
    InvalidBlobId,
)

from tests.support.blobs import MIB, expected_file_size, nothing_left, payload, put

SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, BLOCK_SIZE - 1,
         BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE, 5 * MIB + 123]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(store, size):
    data = payload(size, seed=size)
    stored = put(store, data)
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert len(stored.blob_id) == 32 and stored.blob_id == stored.blob_id.lower()
    int(stored.blob_id, 16)

    path = store.path_for(stored.blob_id)
    assert path == store.root / stored.blob_id[:2] / stored.blob_id
    assert path.stat().st_size == expected_file_size(size)  # 64 KiB is one (final) chunk
    raw = path.read_bytes()
    assert raw.startswith(MAGIC + b"\x01")
    if size >= 32:
        assert data[:32] not in raw

    with store.open(stored.blob_id) as reader:
        assert reader.read() == data
        assert reader.read() == b""
    assert b"".join(store.iter_plaintext(stored.blob_id)) == data
    assert all(len(c) == CHUNK_SIZE for c in list(store.iter_plaintext(stored.blob_id))[:-1])
    dest = io.BytesIO()
    assert store.copy_to(stored.blob_id, dest) == stored
    assert dest.getvalue() == data
    assert store.digest(stored.blob_id) == (size, stored.sha256)
    assert store.exists(stored.blob_id)


def test_ids_are_random_and_files_private(store):
    data = payload(1000)
    a, b = put(store, data), put(store, data)
    assert a.blob_id != b.blob_id and a.sha256 == b.sha256
    assert store.path_for(a.blob_id).read_bytes() != store.path_for(b.blob_id).read_bytes()
    assert sorted(store.ids()) == sorted([a.blob_id, b.blob_id])
    assert list(store.ids()) == sorted(store.ids())
    for blob in (a, b):
        path = store.path_for(blob.blob_id)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert nothing_left_in_tmp(store)


def nothing_left_in_tmp(store: BlobStore) -> bool:
    return store.temp_files() == [] and os.listdir(store.tmp_dir) == []


def test_root_is_created_lazily(tmp_path, key):
    store = BlobStore(tmp_path / "later" / "blobs", key)
    assert not (tmp_path / "later").exists()
    assert list(store.ids()) == [] and store.temp_files() == []
    assert not store.exists("0" * 32)
    assert not (tmp_path / "later").exists()
    put(store, b"x")
    assert store.root.is_dir()


def test_key_must_be_32_bytes(tmp_path):
    with pytest.raises(ValueError):
        BlobStore(tmp_path, b"short")


# --------------------------------------------------------------------------- random access


def test_seek_and_read_at_random_offsets(store):
    data = payload(5 * CHUNK_SIZE + 123, seed=7)
    blob = put(store, data)
    rng = random.Random(1)
    borders = [k * CHUNK_SIZE + d for k in range(6) for d in (-1, 0, 1)]
    offsets = [o for o in borders if o >= 0] + [rng.randrange(len(data)) for _ in range(60)]
    offsets += [len(data) - 1, len(data), len(data) + 10]
    with store.open(blob.blob_id) as reader:
        assert isinstance(reader, io.BufferedIOBase) and isinstance(reader, BlobReader)
        assert reader.readable() and reader.seekable() and not reader.writable()
        for offset in offsets:
            for length in (0, 1, 17, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 5, 3 * CHUNK_SIZE):
                assert reader.seek(offset) == offset
                assert reader.read(length) == data[offset : offset + length]
                assert reader.tell() == min(offset + length, max(offset, len(data))) or (
                    offset > len(data) and reader.tell() == offset)
        assert reader.seek(-10, io.SEEK_END) == len(data) - 10
        assert reader.read() == data[-10:]
        reader.seek(CHUNK_SIZE - 3)
        assert reader.seek(5, io.SEEK_CUR) == CHUNK_SIZE + 2
        assert reader.read(4) == data[CHUNK_SIZE + 2 : CHUNK_SIZE + 6]
        reader.seek(CHUNK_SIZE - 3)
        assert reader.read1(100) == data[CHUNK_SIZE - 3 : CHUNK_SIZE]  # stops at the border
        buf = bytearray(CHUNK_SIZE + 10)
        reader.seek(100)
        assert reader.readinto(buf) == len(buf)
        assert bytes(buf) == data[100 : 100 + len(buf)]
        reader.seek(len(data) - 4)
        assert reader.readinto(buf) == 4 and bytes(buf[:4]) == data[-4:]
        with pytest.raises(ValueError):
            reader.seek(-1)
        with pytest.raises(io.UnsupportedOperation):
            reader.fileno()
        with pytest.raises(io.UnsupportedOperation):
            reader.write(b"x")
        assert reader.size == len(data)
    assert reader.closed
    with pytest.raises(ValueError):
        reader.read(1)


def test_reader_serves_parsers(store):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(png, format="PNG")
    blob = put(store, png.getvalue())
    with store.open(blob.blob_id) as reader, Image.open(reader) as image:
        image.load()
        assert image.size == (40, 30) and image.getpixel((3, 3)) == (200, 10, 10)

    import wave

    import mutagen

    sound = io.BytesIO()
    with wave.open(sound, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\1" * 16000)
    blob = put(store, sound.getvalue())
    with store.open(blob.blob_id) as reader:
        audio = mutagen.File(reader)
        assert audio.info.sample_rate == 8000 and audio.info.length == pytest.approx(2.0)

    message = (b"From: bank@example.com\r\nSubject: =?utf-8?b?5YC65Yqh?=\r\n\r\n"
               + b"line\r\n" * 20000)
    blob = put(store, message)
    with store.open(blob.blob_id) as reader:
        parsed = email.message_from_binary_file(reader)
        assert parsed["From"] == "bank@example.com"
        assert parsed.get_payload().count("line") == 20000
    with store.open(blob.blob_id) as reader:
        lines = reader.readlines()
        assert b"".join(lines) == message


# --------------------------------------------------------------------------- failing writes


@pytest.mark.parametrize("size,limit", [(1000, 999), (3 * MIB, 2 * MIB + 5),
                                        (BLOCK_SIZE + 1, BLOCK_SIZE)])
def test_max_size(store, size, limit):
    with pytest.raises(BlobTooLarge) as info:
        store.write(io.BytesIO(payload(size)), max_size=limit)
    assert str(info.value) == f"the file is larger than the limit of {limit} bytes"
    assert info.value.limit == limit and info.value.seen > limit
    assert isinstance(info.value, BlobError)
    assert nothing_left(store)


@pytest.mark.parametrize("size", [0, 999, BLOCK_SIZE])
def test_max_size_reached_exactly_is_fine(store, size):
    blob = store.write(io.BytesIO(payload(size)), max_size=size)
    assert blob.size == size


class FailingStream(io.RawIOBase):
    def __init__(self, fail_after: int):
        self.left = fail_after

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            raise OSError("connection reset by peer")
        n = min(len(buffer), self.left, 10000)
        buffer[:n] = b"z" * n
        self.left -= n
        return n


@pytest.mark.parametrize("fail_after", [0, 5000, BLOCK_SIZE, 2 * BLOCK_SIZE + 12345])
def test_failing_stream_leaves_nothing(store, fail_after):
    with pytest.raises(OSError, match="connection reset"):
        store.write(FailingStream(fail_after))
    assert nothing_left(store)


class Trickle:
    """A read()-only stream that returns a few bytes at a time."""

    def __init__(self, data: bytes, step: int):
        self.data = memoryview(data)
        self.step = step

    def read(self, n: int = -1) -> bytes:
        n = min(n, self.step)
        piece, self.data = self.data[:n], self.data[n:]
        return bytes(piece)


@pytest.mark.parametrize("size", [0, CHUNK_SIZE, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE + 3])
def test_short_reads_and_read_only_streams(store, size):
    data = payload(size)
    blob = store.write(Trickle(data, 7777))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert store.path_for(blob.blob_id).stat().st_size == expected_file_size(size)
    with store.open(blob.blob_id) as reader:
        assert reader.read() == data


# --------------------------------------------------------------------------- management


def test_missing_blob(store):
    absent = "a" * 32
    put(store, b"something")
    for call in (store.open, store.digest, store.iter_plaintext,
                 lambda i: store.copy_to(i, io.BytesIO())):
        with pytest.raises(BlobMissing, match=absent):
            call(absent)
    assert not store.exists(absent)


def test_delete_is_idempotent(store):
    blob = put(store, b"gone soon")
    store.delete(blob.blob_id)
    assert not store.exists(blob.blob_id)
    store.delete(blob.blob_id)
    store.delete("b" * 32)
    assert list(store.ids()) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 32, "a" * 31, "a" * 33,
                                 "g" * 32, "/" + "a" * 31, "..", "", None, 12, "a" * 31 + "\n"])
def test_hostile_ids_are_refused(store, bad):
    for call in (store.path_for, store.open, store.exists, store.delete, store.digest,
                 store.iter_plaintext, lambda i: store.copy_to(i, io.BytesIO())):
        with pytest.raises(InvalidBlobId):
            call(bad)
    assert issubclass(InvalidBlobId, ValueError)


def test_ids_and_temp_files(store):
    a, b = put(store, b"one"), put(store, b"two")
    leftover = store.tmp_dir / f"{'c' * 32}.x.part"
    leftover.write_bytes(b"half a blob")
    (store.root / a.blob_id[:2] / "notes.txt").write_text("stray")
    (store.root / "zz").mkdir()
    misplaced = store.root / ("00" if a.blob_id[:2] != "00" else "01") / a.blob_id
    misplaced.parent.mkdir(exist_ok=True)
    misplaced.write_bytes(b"")
    assert sorted(store.ids()) == sorted([a.blob_id, b.blob_id])
    assert store.temp_files() == [leftover]


# --------------------------------------------------------------------------- memory


class PatternStream(io.RawIOBase):
    """`size` bytes made on the fly (a 1 MiB random block, varied per block)."""

    def __init__(self, size: int):
        self.left = size
        self.block = bytearray(payload(MIB, seed=size))
        self.counter = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left, MIB)
        if n <= 0:
            return 0
        self.block[:8] = self.counter.to_bytes(8, "big")
        self.counter += 1
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def test_memory_stays_bounded(store):
    size = 200 * MIB + 5
    expected = hashlib.sha256()
    stream = PatternStream(size)
    buf = bytearray(MIB)
    while n := stream.readinto(buf):
        expected.update(memoryview(buf)[:n])

    tracemalloc.start()
    try:
        blob = store.write(PatternStream(size))
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert store.digest(blob.blob_id) == (size, expected.hexdigest())
        _, digest_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.sha256 == expected.hexdigest()
    print(f"tracemalloc peaks: write {write_peak}, digest {digest_peak}")
    assert write_peak < 16 * MIB, write_peak
    assert digest_peak < 16 * MIB, digest_peak
