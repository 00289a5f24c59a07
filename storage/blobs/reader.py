"""Reading one blob: a seekable file object over its plaintext, and a chunk iterator.

Both authenticate each 64 KiB chunk before any of its bytes leave (format: storage.blobs.format).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blobs.backend import CipherSource
from storage.blobs.format import (
    CHUNK_SIZE,
    TAG_SIZE,
    BlobCorrupt,
    Layout,
    decrypt_chunk,
    decrypt_chunk_into,
)


def iter_chunks(blob_id: str, f: io.RawIOBase, layout: Layout, aes: AESGCM) -> Iterator[bytes]:
    with f:
        for index in range(layout.chunks):
            ct_size = layout.ct_size(index)
            ct = f.read(ct_size)
            if len(ct) != ct_size:
                raise BlobCorrupt(blob_id, "the file shrank while it was read")
            yield decrypt_chunk(aes, blob_id, index, index == layout.chunks - 1, ct)


class BlobReader(io.BufferedIOBase):
    """A read-only, seekable view of a blob's plaintext, decrypting one chunk at a time.

    Only the current chunk is kept (decrypted and authenticated); a chunk that fails
    authentication raises BlobCorrupt and none of its bytes are returned. A failed read
    leaves the position unchanged. `fileno()` is unsupported on purpose: the source
    underneath holds ciphertext. One reader is for one thread at a time."""

    def __init__(self, blob_id: str, source: CipherSource, layout: Layout, aes: AESGCM):
        super().__init__()
        self.blob_id = blob_id
        self.size = layout.plaintext_size
        self._source = source
        self._layout = layout
        self._aes = aes
        self._pos = 0
        self._chunk = bytearray(CHUNK_SIZE)
        self._chunk_index = -1  # the chunk held in self._chunk, -1 for none
        self._chunk_len = 0

    def __repr__(self) -> str:
        return f"<BlobReader {self.blob_id} size={self.size}>"

    def readable(self) -> bool:
        self._check_open()
        return True

    def seekable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return False

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed blob reader")

    def close(self) -> None:
        if not self.closed:
            try:
                self._source.close()
            finally:
                self._chunk[:] = bytes(len(self._chunk))
                self._chunk_index = -1
                super().close()

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence!r}, should be 0, 1 or 2)")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def _load(self, index: int) -> memoryview:
        """The authenticated plaintext of chunk `index`."""
        if index != self._chunk_index:
            layout = self._layout
            ct_size = layout.ct_size(index)
            ct = self._source.pread(ct_size, layout.offset(index))
            if len(ct) != ct_size:
                raise BlobCorrupt(self.blob_id, "the file shrank while it was read")
            self._chunk_index = -1
            out = memoryview(self._chunk)[: ct_size - TAG_SIZE]
            decrypt_chunk_into(self._aes, self.blob_id, index, index == layout.chunks - 1,
                               ct, out)
            self._chunk_index = index
            self._chunk_len = len(out)
        return memoryview(self._chunk)[: self._chunk_len]

    def readinto(self, buffer) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        want = min(len(view), max(0, self.size - self._pos))
        done = 0
        pos = self._pos
        while done < want:
            chunk = self._load(pos // CHUNK_SIZE)
            start = pos % CHUNK_SIZE
            take = min(want - done, len(chunk) - start)
            view[done : done + take] = chunk[start : start + take]
            done += take
            pos += take
        self._pos = pos
        return done

    def readinto1(self, buffer) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        rest_of_chunk = CHUNK_SIZE - self._pos % CHUNK_SIZE
        return self.readinto(view[:rest_of_chunk])

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        remaining = max(0, self.size - self._pos)
        if size is None or size < 0 or size > remaining:
            size = remaining
        buffer = bytearray(size)
        got = self.readinto(buffer)
        del buffer[got:]
        return bytes(buffer)

    def peek(self, size: int = 0) -> bytes:
        """The rest of the current chunk, without moving (makes readline() fast)."""
        self._check_open()
        if self._pos >= self.size:
            return b""
        chunk = self._load(self._pos // CHUNK_SIZE)
        return bytes(chunk[self._pos % CHUNK_SIZE :])

    def read1(self, size: int = -1) -> bytes:
        self._check_open()
        rest_of_chunk = CHUNK_SIZE - self._pos % CHUNK_SIZE
        if size is None or size < 0 or size > rest_of_chunk:
            size = rest_of_chunk
        return self.read(size)

    def readall(self) -> bytes:
        return self.read(-1)
