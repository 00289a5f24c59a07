"""The encrypted blob store: evidence files, each encrypted under its own random key.

`BlobStore` encrypts and decrypts; where the ciphertext lives is its backend
(`storage.blobs.backend`: the local folder, the default; `storage.blobs.s3`: S3-compatible object
storage), which only ever sees ciphertext. The byte format of a blob, with its version, is
described in `storage.blobs.format`; how writing and verifying reach the speed of SHA-256 alone
in a few MiB of memory, in `storage.blobs.stream`; the seekable reader is in
`storage.blobs.reader`.

Blob ids are random (`secrets.token_hex(16)`), never derived from a file name or content, and
every method checks an id's form (32 lowercase hex characters; else InvalidBlobId, a
ValueError) before a backend sees it, so no id can reach outside the store.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blobs.backend import Backend, Leftover, LocalBackend, PendingWrites, new_blob_id
from storage.blobs.format import (
    HEADER_SIZE,
    BlobCorrupt,
    BlobError,
    BlobMissing,
    BlobTooLarge,
    InvalidBlobId,
    check_blob_id,
    layout_for,
    new_header,
    open_header,
)
from storage.blobs.reader import BlobReader, iter_chunks
from storage.blobs.stream import BLOCK_SIZE, decrypt_stream, encrypt_stream, write_all

__all__ = ["BLOCK_SIZE", "BlobCorrupt", "BlobError", "BlobMissing", "BlobReader", "BlobStore",
           "BlobTooLarge", "InvalidBlobId", "PendingWrites", "StoredBlob"]


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str  # random, 32 lowercase hex chars
    size: int  # plaintext bytes
    sha256: str  # lowercase hex of the plaintext


class BlobStore:
    def __init__(self, backend: Backend | Path, key: bytes, *, lock_dir: Path | None = None):
        """`backend`: where the ciphertext lives (a path means the local folder there);
        `lock_dir`: where the intake lock's file is when the database is SQLite
        (`storage.blobs.lock`; the local folder itself by default)."""
        if len(key) != 32:
            raise ValueError("the blob store key must be 32 bytes (vault.subkey('blobs'))")
        self.backend: Backend = (LocalBackend(backend) if isinstance(backend, (str, Path))
                                 else backend)
        self.lock_dir = lock_dir if lock_dir is not None else getattr(self.backend, "root", None)
        self._store = AESGCM(bytes(key))

    def __repr__(self) -> str:
        return f"BlobStore({self.backend!r})"

    # The local folder's own places (tests and the local-only tools look at files directly).
    @property
    def root(self) -> Path:
        return self.backend.root

    @property
    def tmp_dir(self) -> Path:
        return self.backend.tmp_dir

    def path_for(self, blob_id: str) -> Path:
        return self.backend.path_for(blob_id)

    def temp_files(self) -> list[Path]:
        return self.backend.temp_files()

    def exists(self, blob_id: str) -> bool:
        return self.backend.exists(check_blob_id(blob_id))

    # ----------------------------------------------------------------------------- writing

    def pending(self) -> PendingWrites | None:
        """Where `write` may leave blobs to be made durable together (`PendingWrites.settle`,
        before anything refers to them); None for a backend that writes each one whole."""
        return PendingWrites(self.backend) if isinstance(self.backend, LocalBackend) else None

    def write(self, stream: BinaryIO, *, max_size: int | None = None,
              pending: PendingWrites | None = None) -> StoredBlob:
        """Encrypt everything `stream` yields into a new blob; returns its id, size and sha256.
        With `pending`, the blob exists only once it is settled.

        Nothing remains on disk if this raises (BlobTooLarge once more than `max_size` bytes
        were read, or whatever the stream raises)."""
        blob_id = pending.new_id() if pending is not None else new_blob_id(self.backend)
        writer = (self.backend.deferred_writer(blob_id, pending) if pending is not None
                  else self.backend.writer(blob_id))
        with writer as out:
            header, aes = new_header(self._store, blob_id)
            write_all(out, memoryview(header))
            size, sha256 = encrypt_stream(stream, aes, out, max_size)
        return StoredBlob(blob_id, size, sha256)

    # ----------------------------------------------------------------------------- reading

    def _open_source(self, blob_id: str):
        """The blob's ciphertext source, its layout and the cipher of the blob key (the header
        authenticated). The caller closes the source."""
        source = self.backend.source(check_blob_id(blob_id))
        try:
            header = source.pread(HEADER_SIZE, 0)
            aes = open_header(self._store, blob_id, header)
            return source, layout_for(blob_id, source.size), aes
        except BaseException:
            source.close()
            raise

    def open(self, blob_id: str) -> BlobReader:
        """A seekable reader of the plaintext. The final chunk is authenticated here, so the
        size (which parsers often seek to first) is known to be right, and so is the empty
        blob, whose reads would otherwise never touch its one chunk."""
        source, layout, aes = self._open_source(blob_id)
        reader = BlobReader(blob_id, source, layout, aes)
        try:
            reader._load(layout.chunks - 1)
        except BaseException:
            reader.close()
            raise
        return reader

    def iter_plaintext(self, blob_id: str) -> Iterator[bytes]:
        source, layout, aes = self._open_source(blob_id)  # errors now, not at the first next()
        return iter_chunks(blob_id, _after_header(blob_id, source), layout, aes)

    def copy_to(self, blob_id: str, dest: BinaryIO) -> StoredBlob:
        """Decrypt the blob into `dest`. If this raises BlobCorrupt, `dest` has received only
        authenticated chunks before the bad one and should be discarded."""
        size, sha256 = self._decrypt(blob_id, lambda block: write_all(dest, block))
        return StoredBlob(blob_id, size, sha256)

    def digest(self, blob_id: str) -> tuple[int, str]:
        """(size, sha256 hex) of the plaintext, authenticating every chunk."""
        return self._decrypt(blob_id, None)

    def _decrypt(self, blob_id: str, sink) -> tuple[int, str]:
        source, layout, aes = self._open_source(blob_id)
        with _after_header(blob_id, source) as f:
            return decrypt_stream(blob_id, f, layout, aes, sink)

    # ----------------------------------------------------------------------------- managing

    def delete(self, blob_id: str) -> None:
        self.backend.delete(check_blob_id(blob_id))

    def ids(self) -> Iterator[str]:
        """Every stored blob id, in sorted order (leftovers of writes are not blobs)."""
        return self.backend.ids()

    def leftovers(self) -> list[Leftover]:
        """What interrupted writes left; remove them only when no write can be running."""
        return self.backend.leftovers()

    # ------------------------------------------------------------- ciphertext, for backups

    def raw_chunks(self, blob_id: str) -> Iterator[bytes]:
        """The blob's ciphertext as stored (header included), in pieces of at most 1 MiB."""
        source = self.backend.source(check_blob_id(blob_id))
        with source.stream() as f:
            while piece := f.read(BLOCK_SIZE):
                yield piece

    def write_raw(self, blob_id: str, pieces: Iterable[bytes]) -> None:
        """Store ciphertext written by `raw_chunks` under its own id (a restore). Its header
        must open under this store's key, so a blob of another vault is refused (BlobCorrupt);
        `digest` authenticates the rest."""
        pieces = iter(pieces)
        head = bytearray()
        for piece in pieces:
            head += piece
            if len(head) >= HEADER_SIZE:
                break
        open_header(self._store, check_blob_id(blob_id), bytes(head[:HEADER_SIZE]))
        with self.backend.writer(blob_id) as out:
            write_all(out, memoryview(head))
            for piece in pieces:
                write_all(out, memoryview(piece))


def _after_header(blob_id: str, source) -> io.RawIOBase:
    """The source's ciphertext as a stream positioned after the header (owns the source)."""
    f = source.stream()
    try:
        skipped = f.read(HEADER_SIZE)
        if len(skipped) != HEADER_SIZE:
            raise BlobCorrupt(blob_id, "the file shrank while it was read")
    except BaseException:
        f.close()
        raise
    return f
