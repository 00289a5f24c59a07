"""The encrypted blob store: evidence files, each encrypted under its own random key.

Layout under `root`: `<id[:2]>/<id>` for each blob (mode 0600, folders 0700), `tmp/` for writes
in progress and the leftovers of interrupted ones. The byte format of a blob file, with its
version, is described in `storage.blobs.format`; how writing and verifying reach the speed of
SHA-256 alone in a few MiB of memory, in `storage.blobs.stream`; the seekable reader is in
`storage.blobs.reader`.

Blob ids are random (`secrets.token_hex(16)`), never derived from a file name or content, and
every method checks an id's form (32 lowercase hex characters; else InvalidBlobId, a
ValueError) before it becomes a path, so no id can reach outside `root`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blobs.format import (
    HEADER_SIZE,
    BlobCorrupt,
    BlobError,
    BlobMissing,
    BlobTooLarge,
    InvalidBlobId,
    Layout,
    check_blob_id,
    is_blob_id,
    layout_for,
    new_header,
    open_header,
)
from storage.blobs.reader import BlobReader, iter_chunks
from storage.blobs.stream import BLOCK_SIZE, decrypt_stream, encrypt_stream, write_all
from storage.fsutil import fsync_dir

__all__ = ["BLOCK_SIZE", "BlobCorrupt", "BlobError", "BlobMissing", "BlobReader", "BlobStore",
           "BlobTooLarge", "InvalidBlobId", "StoredBlob"]

_HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str  # random, 32 lowercase hex chars
    size: int  # plaintext bytes
    sha256: str  # lowercase hex of the plaintext


class BlobStore:
    def __init__(self, root: Path, key: bytes):
        if len(key) != 32:
            raise ValueError("the blob store key must be 32 bytes (vault.subkey('blobs'))")
        self.root = Path(root)
        self._store = AESGCM(bytes(key))

    def __repr__(self) -> str:
        return f"BlobStore(root={str(self.root)!r})"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def path_for(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.root / blob_id[:2] / blob_id

    def exists(self, blob_id: str) -> bool:
        return self.path_for(blob_id).is_file()

    # ----------------------------------------------------------------------------- writing

    def write(self, stream: BinaryIO, *, max_size: int | None = None) -> StoredBlob:
        """Encrypt everything `stream` yields into a new blob; returns its id, size and sha256.

        Nothing remains on disk if this raises (BlobTooLarge once more than `max_size` bytes
        were read, or whatever the stream raises)."""
        for directory in (self.root, self.tmp_dir):
            if not directory.is_dir():
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        blob_id = secrets.token_hex(16)
        while self.path_for(blob_id).exists():  # 2**-128; cheap to rule out anyway
            blob_id = secrets.token_hex(16)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{blob_id}.", suffix=".part", dir=self.tmp_dir)
        try:
            with open(fd, "wb", buffering=0) as out:
                header, aes = new_header(self._store, blob_id)
                write_all(out, memoryview(header))
                size, sha256 = encrypt_stream(stream, aes, out, max_size)
                os.fsync(out.fileno())
            final = self.path_for(blob_id)
            if not final.parent.is_dir():
                final.parent.mkdir(mode=0o700, exist_ok=True)
                fsync_dir(self.root)
            os.replace(tmp_name, final)
            fsync_dir(final.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return StoredBlob(blob_id, size, sha256)

    # ----------------------------------------------------------------------------- reading

    def _open_fd(self, blob_id: str) -> tuple[int, Layout, AESGCM]:
        """An open descriptor positioned after the authenticated header, the layout and the
        cipher of the blob key. The caller closes the descriptor."""
        path = self.path_for(blob_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobMissing(blob_id) from None
        try:
            size = os.fstat(fd).st_size
            header = os.read(fd, HEADER_SIZE)
            aes = open_header(self._store, blob_id, header)
            return fd, layout_for(blob_id, size), aes
        except BaseException:
            os.close(fd)
            raise

    def open(self, blob_id: str) -> BlobReader:
        """A seekable reader of the plaintext. The final chunk is authenticated here, so the
        size (which parsers often seek to first) is known to be right, and so is the empty
        blob, whose reads would otherwise never touch its one chunk."""
        fd, layout, aes = self._open_fd(blob_id)
        reader = BlobReader(blob_id, fd, layout, aes)
        try:
            reader._load(layout.chunks - 1)
        except BaseException:
            reader.close()
            raise
        return reader

    def iter_plaintext(self, blob_id: str) -> Iterator[bytes]:
        fd, layout, aes = self._open_fd(blob_id)  # errors now, not at the first next()
        return iter_chunks(blob_id, open(fd, "rb", buffering=0), layout, aes)

    def copy_to(self, blob_id: str, dest: BinaryIO) -> StoredBlob:
        """Decrypt the blob into `dest`. If this raises BlobCorrupt, `dest` has received only
        authenticated chunks before the bad one and should be discarded."""
        size, sha256 = self._decrypt(blob_id, lambda block: write_all(dest, block))
        return StoredBlob(blob_id, size, sha256)

    def digest(self, blob_id: str) -> tuple[int, str]:
        """(size, sha256 hex) of the plaintext, authenticating every chunk."""
        return self._decrypt(blob_id, None)

    def _decrypt(self, blob_id: str, sink) -> tuple[int, str]:
        fd, layout, aes = self._open_fd(blob_id)
        with open(fd, "rb", buffering=0) as f:
            return decrypt_stream(blob_id, f, layout, aes, sink)

    # ----------------------------------------------------------------------------- managing

    def delete(self, blob_id: str) -> None:
        path = self.path_for(blob_id)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def ids(self) -> Iterator[str]:
        """Every stored blob id, in sorted order (temp files are not blobs)."""
        try:
            shards = sorted(e.name for e in os.scandir(self.root)
                            if len(e.name) == 2 and set(e.name) <= _HEX and e.is_dir())
        except FileNotFoundError:
            return
        for shard in shards:
            try:
                names = sorted(e.name for e in os.scandir(self.root / shard)
                               if e.is_file(follow_symlinks=False))
            except FileNotFoundError:
                continue
            yield from (name for name in names if is_blob_id(name) and name[:2] == shard)

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted writes under root/tmp. A write in progress in another
        process shows here too; remove these only when no write can be running."""
        try:
            return sorted(Path(e.path) for e in os.scandir(self.tmp_dir) if e.is_file())
        except FileNotFoundError:
            return []
