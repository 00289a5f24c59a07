"""The encrypted blob store refuses every kind of damage and never returns unauthenticated
plaintext."""

from __future__ import annotations

import io
import os

import pytest

from storage.blobs.format import CHUNK_CT_SIZE, CHUNK_SIZE, HEADER_SIZE, TAG_SIZE
from storage.blobs.store import (
    BlobCorrupt,
    BlobStore,
)

from tests.support.blobs import chunk_offset, expected_file_size, payload, put


# --------------------------------------------------------------------------- damage

SIX_CHUNKS = 5 * CHUNK_SIZE + 123  # chunks 0..4 full, chunk 5 short and final


def flip(path, offset: int, bit: int = 0) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 1 << bit
    path.write_bytes(bytes(raw))


def read_chunkwise(store, blob_id) -> tuple[bytes, BlobCorrupt | None]:
    """What a careful caller gets: every chunk that read() returned, then the error."""
    got = bytearray()
    try:
        with store.open(blob_id) as reader:
            while piece := reader.read(CHUNK_SIZE):
                got += piece
    except BlobCorrupt as exc:
        return bytes(got), exc
    return bytes(got), None


def assert_corrupt_everywhere(store, blob_id, data, bad_chunk: int | None,
                              match: str | None = None, final_bad: bool = False):
    """Every way of reading the blob raises BlobCorrupt, and nothing from chunk `bad_chunk`
    on (None: nothing at all) reaches the caller. `final_bad`: the chunk now at the final
    position fails too (so open() refuses the blob)."""
    good = b"" if bad_chunk is None else data[: bad_chunk * CHUNK_SIZE]
    with pytest.raises(BlobCorrupt, match=match) as info:
        store.digest(blob_id)
    assert blob_id in str(info.value)
    got, error = read_chunkwise(store, blob_id)
    assert error is not None and good.startswith(got)  # open() checks the final chunk early
    dest = io.BytesIO()
    with pytest.raises(BlobCorrupt, match=match):
        store.copy_to(blob_id, dest)
    assert good.startswith(dest.getvalue())
    pieces = []
    with pytest.raises(BlobCorrupt, match=match):
        for piece in store.iter_plaintext(blob_id):
            pieces.append(piece)
    assert b"".join(pieces) == good
    file_size = store.path_for(blob_id).stat().st_size
    last_chunk = (file_size - HEADER_SIZE - 1) // CHUNK_CT_SIZE  # of the file as it is now
    if bad_chunk is not None and (final_bad or bad_chunk >= last_chunk):
        with pytest.raises(BlobCorrupt):
            store.open(blob_id)  # the final chunk is authenticated on open
    elif bad_chunk is not None:
        with store.open(blob_id) as reader:
            for _ in range(2):  # the failure is not cached as data
                reader.seek(bad_chunk * CHUNK_SIZE + 1)
                with pytest.raises(BlobCorrupt):
                    reader.read(10)
                assert reader.tell() == bad_chunk * CHUNK_SIZE + 1
            if bad_chunk > 0:
                reader.seek(0)
                assert reader.read(CHUNK_SIZE) == data[:CHUNK_SIZE]
            reader.seek(bad_chunk * CHUNK_SIZE - 5 if bad_chunk else 0)
            with pytest.raises(BlobCorrupt):
                reader.read(100)  # a read across into a bad chunk returns nothing


HEADER_POSITIONS = {"magic": 0, "version": 6, "wrap nonce": 7, "wrapped key": 30,
                    "wrap tag": HEADER_SIZE - 1}
CHUNK_POSITIONS = {  # (offset, chunk index)
    "first chunk": (chunk_offset(0) + 10, 0),
    "first chunk tag": (chunk_offset(1) - 1, 0),
    "middle chunk": (chunk_offset(2) + 40000, 2),
    "middle chunk tag": (chunk_offset(3) - TAG_SIZE, 3 - 1),
    "last chunk": (chunk_offset(5), 5),
    "last chunk tag": (expected_file_size(SIX_CHUNKS) - 1, 5),
}


@pytest.mark.parametrize("where", sorted(HEADER_POSITIONS))
@pytest.mark.parametrize("bit", [0, 7])
def test_flipped_header_bit(store, where, bit):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    flip(store.path_for(blob.blob_id), HEADER_POSITIONS[where], bit)
    with pytest.raises(BlobCorrupt):
        store.open(blob.blob_id)
    assert_corrupt_everywhere(store, blob.blob_id, data, None)


@pytest.mark.parametrize("where", sorted(CHUNK_POSITIONS))
@pytest.mark.parametrize("bit", [0, 5])
def test_flipped_chunk_bit(store, where, bit):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    offset, index = CHUNK_POSITIONS[where]
    flip(store.path_for(blob.blob_id), offset, bit)
    assert_corrupt_everywhere(store, blob.blob_id, data, index,
                              match=f"chunk {index} failed authentication")


def test_flipped_bit_in_small_and_empty_blobs(store):
    for size in (0, 1, 100):
        blob = put(store, payload(size))
        path = store.path_for(blob.blob_id)
        for offset in range(HEADER_SIZE, path.stat().st_size):
            original = path.read_bytes()
            flip(path, offset)
            with pytest.raises(BlobCorrupt):
                store.digest(blob.blob_id)
            with pytest.raises(BlobCorrupt):  # a one-chunk blob's only chunk is final
                store.open(blob.blob_id)
            with pytest.raises(BlobCorrupt):
                list(store.iter_plaintext(blob.blob_id))
            path.write_bytes(original)
        assert store.digest(blob.blob_id) == (blob.size, blob.sha256)


@pytest.mark.parametrize("keep", [
    HEADER_SIZE + 1000,  # inside chunk 0
    chunk_offset(3) + 100,  # inside a middle chunk
    chunk_offset(5) + 50,  # inside the last chunk
    expected_file_size(SIX_CHUNKS) - 1,  # one byte of the last tag gone
    chunk_offset(5) + 7,  # the last chunk shorter than a tag
])
def test_truncated_mid_chunk(store, keep):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    path.write_bytes(path.read_bytes()[:keep])
    index = (keep - HEADER_SIZE) // CHUNK_CT_SIZE
    if (keep - HEADER_SIZE) % CHUNK_CT_SIZE < TAG_SIZE:
        with pytest.raises(BlobCorrupt, match="truncated"):
            store.open(blob.blob_id)
        assert_corrupt_everywhere(store, blob.blob_id, data, None)
    else:
        assert_corrupt_everywhere(store, blob.blob_id, data, index)


@pytest.mark.parametrize("chunks_kept", [1, 3, 5])
def test_truncated_at_chunk_border_is_missing_final_chunk(store, chunks_kept):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    path.write_bytes(path.read_bytes()[: chunk_offset(chunks_kept)])
    assert_corrupt_everywhere(store, blob.blob_id, data, chunks_kept - 1,
                              match="truncated: final chunk missing")


def test_full_size_blob_truncated_at_border(store):
    data = payload(3 * CHUNK_SIZE)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    assert path.stat().st_size == chunk_offset(3)
    path.write_bytes(path.read_bytes()[: chunk_offset(2)])
    assert_corrupt_everywhere(store, blob.blob_id, data, 1, match="final chunk missing")


@pytest.mark.parametrize("keep", [0, 3, HEADER_SIZE - 1, HEADER_SIZE])
def test_truncated_to_header_or_less(store, keep):
    blob = put(store, payload(SIX_CHUNKS))
    path = store.path_for(blob.blob_id)
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(BlobCorrupt, match="truncated"):
        store.open(blob.blob_id)
    with pytest.raises(BlobCorrupt, match="truncated"):
        store.digest(blob.blob_id)


def _chunks(raw: bytes) -> tuple[bytes, list[bytes]]:
    body = raw[HEADER_SIZE:]
    return raw[:HEADER_SIZE], [body[i : i + CHUNK_CT_SIZE]
                               for i in range(0, len(body), CHUNK_CT_SIZE)]


def test_removed_middle_chunk(store):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    header, chunks = _chunks(path.read_bytes())
    del chunks[2]
    path.write_bytes(header + b"".join(chunks))
    assert_corrupt_everywhere(store, blob.blob_id, data, 2, match="chunk 2 failed",
                              final_bad=True)


def test_swapped_chunks(store):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    header, chunks = _chunks(path.read_bytes())
    chunks[1], chunks[3] = chunks[3], chunks[1]
    path.write_bytes(header + b"".join(chunks))
    assert_corrupt_everywhere(store, blob.blob_id, data, 1, match="chunk 1 failed")


def test_duplicated_chunk(store):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    header, chunks = _chunks(path.read_bytes())
    chunks.insert(2, chunks[1])
    path.write_bytes(header + b"".join(chunks))
    assert_corrupt_everywhere(store, blob.blob_id, data, 2, final_bad=True)


def test_extra_chunk_after_full_final_chunk(store):
    data = payload(3 * CHUNK_SIZE)
    blob = put(store, data)
    path = store.path_for(blob.blob_id)
    header, chunks = _chunks(path.read_bytes())
    path.write_bytes(header + b"".join(chunks) + chunks[1])
    assert_corrupt_everywhere(store, blob.blob_id, data, 2, match="more data follows",
                              final_bad=True)


@pytest.mark.parametrize("extra", [b"\0", b"\0" * TAG_SIZE, os.urandom(100),
                                   os.urandom(CHUNK_CT_SIZE)])
def test_bytes_appended(store, extra):
    for size in (SIX_CHUNKS, 3 * CHUNK_SIZE, 0):
        data = payload(size)
        blob = put(store, data)
        path = store.path_for(blob.blob_id)
        path.write_bytes(path.read_bytes() + extra)
        with pytest.raises(BlobCorrupt):
            store.digest(blob.blob_id)
        got, error = read_chunkwise(store, blob.blob_id)
        assert error is not None and data.startswith(got) and len(got) < max(1, len(data))


def test_blob_under_another_id(store):
    data = payload(1000)
    a = put(store, data)
    b = put(store, payload(10))
    store.path_for(b.blob_id).write_bytes(store.path_for(a.blob_id).read_bytes())
    with pytest.raises(BlobCorrupt, match="header failed authentication"):
        store.open(b.blob_id)
    assert_corrupt_everywhere(store, b.blob_id, data, None)

    renamed = "f" * 32
    target = store.path_for(renamed)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(store.path_for(a.blob_id), target)
    assert renamed in list(store.ids())
    with pytest.raises(BlobCorrupt):
        store.digest(renamed)


def test_wrong_store_key(store, tmp_path):
    data = payload(SIX_CHUNKS)
    blob = put(store, data)
    other = BlobStore(store.root, os.urandom(32))
    with pytest.raises(BlobCorrupt, match="header failed authentication"):
        other.open(blob.blob_id)
    assert_corrupt_everywhere(other, blob.blob_id, data, None)
    assert store.digest(blob.blob_id) == (blob.size, blob.sha256)


