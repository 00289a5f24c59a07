"""The on-disk format of one encrypted blob (format version 1), and the errors of the blob store.

A blob file is a header followed by the payload, the STREAM construction used by age::

    offset  size  field
    0       6     magic b"LHBLOB"
    6       1     format version, 0x01
    7       12    wrap nonce (random)
    19      48    the blob key: 32 random bytes encrypted with AES-256-GCM under the store key
                  (`vault.subkey("blobs")`), 16-byte tag last;
                  associated data = magic || version || blob id (32 ASCII hex chars)
    67      ...   payload: chunk 0, chunk 1, ..., chunk n-1

Chunk i is AES-256-GCM under the blob key of plaintext bytes [i * 65536, (i + 1) * 65536), with
no associated data and nonce = i as an 11-byte big-endian integer || one flag byte, 0x01 on the
final chunk and 0x00 on every other. Each chunk is its ciphertext followed by its 16-byte tag,
so every chunk but the last occupies exactly 65552 bytes.

Rules:
- Every chunk but the last holds exactly 65536 plaintext bytes; the last holds 1..65536. A
  plaintext of exactly k * 65536 bytes is k chunks, the last of them full and flagged final
  (no extra empty chunk is added). The empty plaintext is a single empty final chunk (16 bytes).
- A writer never produces an empty final chunk after a full one, so a reader refuses it.
- The number of chunks, and so which chunk must carry the final flag, follows from the file
  length alone: n = ceil((length - 67) / 65552). That is what makes random access safe:
  truncation at any point, a dropped, repeated, reordered or appended chunk, or any changed
  bit makes some chunk fail authentication, and a reader never returns bytes of a chunk that
  has not been authenticated.
- The blob id is bound into the key wrap, so a file copied under another id, a header changed
  in any bit, or the wrong store key is refused before any chunk is read.

A future version changes the version byte; a reader refuses versions it does not know.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"LHBLOB"
VERSION = 1
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
CHUNK_CT_SIZE = CHUNK_SIZE + TAG_SIZE
KEY_SIZE = 32
NONCE_SIZE = 12
HEADER_SIZE = len(MAGIC) + 1 + NONCE_SIZE + KEY_SIZE + TAG_SIZE  # 67

_BLOB_ID = re.compile(r"[0-9a-f]{32}")


class BlobError(Exception):
    """Base of every blob store error."""


class InvalidBlobId(BlobError, ValueError):
    """A string that is not a blob id (32 lowercase hex characters) was given as one."""

    def __init__(self, blob_id: object):
        super().__init__(f"not a valid blob id: {blob_id!r}")


class BlobMissing(BlobError):
    def __init__(self, blob_id: str):
        super().__init__(f"blob {blob_id} is missing (no file for it)")
        self.blob_id = blob_id


class BlobCorrupt(BlobError):
    """The blob failed authentication or is malformed; `what` says how."""

    def __init__(self, blob_id: str, what: str):
        super().__init__(f"blob {blob_id} is corrupt: {what}")
        self.blob_id = blob_id
        self.what = what


class BlobTooLarge(BlobError):
    def __init__(self, limit: int, seen: int):
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit
        self.seen = seen


def check_blob_id(blob_id: object) -> str:
    if not isinstance(blob_id, str) or not _BLOB_ID.fullmatch(blob_id):
        raise InvalidBlobId(blob_id)
    return blob_id


def is_blob_id(name: str) -> bool:
    return _BLOB_ID.fullmatch(name) is not None


def chunk_nonce(index: int, final: bool) -> bytes:
    return ((index << 8) | final).to_bytes(NONCE_SIZE, "big")


def _header_aad(blob_id: str) -> bytes:
    return MAGIC + bytes([VERSION]) + blob_id.encode("ascii")


def new_header(store: AESGCM, blob_id: str) -> tuple[bytes, AESGCM]:
    """A fresh header for `blob_id` and the cipher of its new random blob key."""
    blob_key = os.urandom(KEY_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    wrapped = store.encrypt(nonce, blob_key, _header_aad(blob_id))
    return MAGIC + bytes([VERSION]) + nonce + wrapped, AESGCM(blob_key)


def open_header(store: AESGCM, blob_id: str, header: bytes) -> AESGCM:
    """The cipher of the blob key in `header`, or BlobCorrupt."""
    if len(header) < HEADER_SIZE:
        raise BlobCorrupt(blob_id, f"truncated: the header has {len(header)} of "
                                   f"{HEADER_SIZE} bytes")
    if header[: len(MAGIC)] != MAGIC:
        raise BlobCorrupt(blob_id, "not a Liuhen blob (bad magic bytes)")
    if header[len(MAGIC)] != VERSION:
        raise BlobCorrupt(blob_id, f"unsupported blob format version {header[len(MAGIC)]}")
    start = len(MAGIC) + 1
    nonce = header[start : start + NONCE_SIZE]
    wrapped = header[start + NONCE_SIZE : HEADER_SIZE]
    try:
        blob_key = store.decrypt(nonce, wrapped, _header_aad(blob_id))
    except InvalidTag:
        raise BlobCorrupt(blob_id, "the header failed authentication (wrong store key, a "
                                   "damaged header, or a file stored under another id)") from None
    return AESGCM(blob_key)


@dataclass(frozen=True)
class Layout:
    """Where the chunks of a blob file of `file_size` bytes are, derived from its length."""

    file_size: int
    chunks: int
    plaintext_size: int

    def offset(self, index: int) -> int:
        """File offset of chunk `index` (index == chunks gives the end of the file)."""
        if index >= self.chunks:
            return self.file_size
        return HEADER_SIZE + index * CHUNK_CT_SIZE

    def ct_size(self, index: int) -> int:
        return self.offset(index + 1) - self.offset(index)


def layout_for(blob_id: str, file_size: int) -> Layout:
    if file_size < HEADER_SIZE:
        raise BlobCorrupt(blob_id, f"truncated: the header has {file_size} of "
                                   f"{HEADER_SIZE} bytes")
    payload = file_size - HEADER_SIZE
    if payload == 0:
        raise BlobCorrupt(blob_id, "truncated: final chunk missing (the file holds no chunks)")
    chunks = -(-payload // CHUNK_CT_SIZE)
    last = payload - (chunks - 1) * CHUNK_CT_SIZE
    if last < TAG_SIZE:
        raise BlobCorrupt(blob_id, f"truncated: chunk {chunks - 1} is incomplete "
                                   f"({last} bytes, shorter than its tag)")
    if last == TAG_SIZE and chunks > 1:
        raise BlobCorrupt(blob_id, f"chunk {chunks - 1} is an empty chunk after a full one "
                                   "(truncated or not written by Liuhen)")
    return Layout(file_size, chunks, payload - chunks * TAG_SIZE)


def decrypt_chunk_into(aes: AESGCM, blob_id: str, index: int, final: bool, ct, out) -> None:
    """Authenticate and decrypt chunk `index` into `out` (exactly len(ct) - 16 bytes).

    On failure `out` is wiped (OpenSSL writes plaintext before checking the tag) and
    BlobCorrupt is raised."""
    try:
        aes.decrypt_into(chunk_nonce(index, final), ct, None, out)
    except InvalidTag:
        out[:] = bytes(len(out))
        raise diagnose(aes, blob_id, index, final, ct) from None


def decrypt_chunk(aes: AESGCM, blob_id: str, index: int, final: bool, ct) -> bytes:
    try:
        return aes.decrypt(chunk_nonce(index, final), ct, None)
    except InvalidTag:
        raise diagnose(aes, blob_id, index, final, ct) from None


def diagnose(aes: AESGCM, blob_id: str, index: int, final: bool, ct) -> BlobCorrupt:
    """Say why chunk `index` failed. A chunk that authenticates with the other final flag
    shows truncation at a chunk border, or data appended after the final chunk; its
    plaintext is discarded either way."""
    try:
        aes.decrypt(chunk_nonce(index, not final), ct, None)
    except InvalidTag:
        return BlobCorrupt(blob_id, f"chunk {index} failed authentication")
    if final:
        return BlobCorrupt(blob_id, f"truncated: final chunk missing (the file ends after "
                                    f"chunk {index}, which is not the final one)")
    return BlobCorrupt(blob_id, f"chunk {index} is the final chunk but more data follows it "
                                "(data appended to the blob)")
