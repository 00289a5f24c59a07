"""Whole-blob encryption and decryption at the speed of SHA-256 alone, in bounded memory.

Writing and verifying a blob are bounded by SHA-256 (AES-GCM with AES-NI is several times
faster). Both hashlib and `cryptography`'s AEAD release the GIL on large buffers, so a helper
thread hashes 1 MiB blocks while the calling thread reads, encrypts (or decrypts) and writes the
same blocks; a ring of RING blocks bounds memory to a few MiB whatever the file size. Blobs that
fit in one block are done inline, without the thread. While writing, the kernel is asked every
8 MiB to start writing the file out (Linux sync_file_range), so the disk works during the write
rather than only at the final fsync. Measured in bench/blob_throughput.py.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import queue
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blobs.format import (
    CHUNK_CT_SIZE,
    CHUNK_SIZE,
    TAG_SIZE,
    BlobCorrupt,
    BlobError,
    BlobTooLarge,
    Layout,
    chunk_nonce,
    decrypt_chunk_into,
)

CHUNKS_PER_BLOCK = 16
BLOCK_SIZE = CHUNKS_PER_BLOCK * CHUNK_SIZE  # plaintext bytes handled per step (1 MiB)
RING = 4  # plaintext blocks in flight between the calling thread and the hashing thread
WRITEBACK_WINDOW = 8 << 20  # start the kernel's writeback every this many bytes written
_spare = threading.local()  # encrypt_stream's buffers between writes (`_take_buffers`)


class Hasher:
    """SHA-256 of a sequence of blocks, in a helper thread when `threaded`.

    `acquire()` before reusing one of the RING buffers: it returns once at most RING - 1
    submitted blocks are still waiting to be hashed (the thread works in order, so the block
    that last used the buffer being reused is done)."""

    def __init__(self, threaded: bool):
        self._sha = hashlib.sha256()
        self._thread = None
        if threaded:
            self._queue: queue.SimpleQueue = queue.SimpleQueue()
            self._slots = threading.Semaphore(RING)
            self._thread = threading.Thread(target=self._run, name="blob-sha256", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (block := self._queue.get()) is not None:
            self._sha.update(block)
            self._slots.release()

    def acquire(self) -> None:
        if self._thread is not None:
            self._slots.acquire()

    def release(self) -> None:
        if self._thread is not None:
            self._slots.release()

    def submit(self, block: memoryview) -> None:
        if self._thread is None:
            self._sha.update(block)
        else:
            self._queue.put(block)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def hexdigest(self) -> str:
        self.stop()
        return self._sha.hexdigest()


def filler(stream: BinaryIO) -> Callable[[memoryview], int]:
    """fill(buf) reads into buf until it is full or the stream ends; returns the count.
    Uses readinto() where the stream has it, read() otherwise; short reads are fine."""
    readinto = getattr(stream, "readinto", None)
    eof = False

    def read_some(view: memoryview) -> int | None:
        nonlocal readinto
        if readinto is not None:
            try:
                return readinto(view)
            except (io.UnsupportedOperation, NotImplementedError, AttributeError):
                readinto = None
        data = stream.read(len(view))
        if data is None:
            return None
        if len(data) > len(view):
            raise BlobError("the input stream returned more bytes than were asked for")
        view[: len(data)] = data
        return len(data)

    def fill(view: memoryview) -> int:
        nonlocal eof
        filled = 0
        while not eof and filled < len(view):
            got = read_some(view[filled:])
            if got is None:
                raise BlobError("the input stream is non-blocking and had no data ready")
            if got == 0:
                eof = True
            filled += got
        return filled

    return fill


@functools.cache
def sync_file_range() -> Callable[[int, int, int], object] | None:
    """Linux sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE), or None elsewhere.

    It starts writeback of a range and returns without waiting. Calling it as a blob is
    written lets the disk work while the CPU hashes and encrypts, instead of all at the final
    fsync (which alone cost ~40% of a 1 GB write in bench/blob_throughput.py)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return lambda fd, offset, length: fn(fd, offset, length, 2)  # 2: SYNC_FILE_RANGE_WRITE


def write_all(out, data: memoryview) -> None:
    while data:
        written = out.write(data)
        if written is None or written >= len(data):
            return
        data = data[written:]


def encrypt_stream(stream: BinaryIO, aes: AESGCM, out,
                   max_size: int | None) -> tuple[int, str]:
    """Read `stream` to its end, writing its chunks to `out` (after the header already there);
    returns (plaintext size, sha256 hex). Raises BlobTooLarge once more than `max_size` bytes
    were read.

    Blocks are read one ahead: a block's last chunk is flagged final only once the next read
    came back empty, so a plaintext of exactly k chunks ends with a full final chunk."""
    fill = filler(stream)
    buffers = _take_buffers()
    plain, cipher = buffers
    total = 0

    def read_block(slot: int) -> memoryview:
        nonlocal total
        got = fill(plain[slot])
        total += got
        if max_size is not None and total > max_size:
            raise BlobTooLarge(max_size, total)
        return plain[slot][:got]

    current = read_block(0)
    hasher = Hasher(threaded=len(current) == BLOCK_SIZE)  # a short first block is the only one
    # Only a local file has a descriptor to start the kernel's writeback on.
    writeback = sync_file_range() if hasattr(out, "fileno") else None
    written = synced = out.tell()
    try:
        hasher.acquire()
        hasher.submit(current)
        counter, slot = 0, 0
        while True:
            slot = (slot + 1) % RING
            hasher.acquire()
            following = read_block(slot) if len(current) == BLOCK_SIZE else current[:0]
            if following:
                hasher.submit(following)
            else:
                hasher.release()
            counter, size = _encrypt_block(aes, current, counter, not following, cipher, out)
            written += size
            if writeback is not None and written - synced >= WRITEBACK_WINDOW:
                writeback(out.fileno(), synced, written - synced)
                synced = written
            if not following:
                break
            current = following
    finally:
        hasher.stop()
        _spare.buffers = buffers
    return total, hasher.hexdigest()


def _take_buffers() -> tuple[list[memoryview], memoryview]:
    """This thread's ring and cipher buffer, made once (a write after write of small files
    would otherwise spend more on allocating 5 MiB than on the file); taken while in use."""
    buffers = getattr(_spare, "buffers", None)
    _spare.buffers = None
    if buffers is None:
        buffers = ([memoryview(bytearray(BLOCK_SIZE)) for _ in range(RING)],
                   memoryview(bytearray(CHUNKS_PER_BLOCK * CHUNK_CT_SIZE)))
    return buffers


def _encrypt_block(aes: AESGCM, block: memoryview, counter: int, final: bool,
                   cipher: memoryview, out) -> tuple[int, int]:
    """Encrypt `block` as chunks `counter`, `counter + 1`, ... and write them; returns the next
    counter and the bytes written. Only the last chunk of the final block is flagged final."""
    count = max(1, -(-len(block) // CHUNK_SIZE))
    dst = 0
    for j in range(count):
        piece = block[j * CHUNK_SIZE : (j + 1) * CHUNK_SIZE]
        nonce = chunk_nonce(counter + j, final and j == count - 1)
        dst += aes.encrypt_into(nonce, piece, None, cipher[dst : dst + len(piece) + TAG_SIZE])
    write_all(out, cipher[:dst])
    return counter + count, dst


def decrypt_stream(blob_id: str, f: io.RawIOBase, layout: Layout, aes: AESGCM,
                   sink: Callable[[memoryview], object] | None) -> tuple[int, str]:
    """Authenticate and decrypt every chunk of the blob open as `f` (positioned after the
    header), passing authenticated plaintext blocks to `sink`; returns (size, sha256 hex)."""
    n = layout.chunks
    plain = [memoryview(bytearray(BLOCK_SIZE)) for _ in range(RING)]
    cipher = memoryview(bytearray(CHUNKS_PER_BLOCK * CHUNK_CT_SIZE))
    hasher = Hasher(threaded=layout.plaintext_size > BLOCK_SIZE)
    try:
        first, slot = 0, 0
        while first < n:
            count = min(CHUNKS_PER_BLOCK, n - first)
            want = layout.offset(first + count) - layout.offset(first)
            got = 0
            while got < want:
                more = f.readinto(cipher[got:want])
                if not more:
                    raise BlobCorrupt(blob_id, "the file shrank while it was read")
                got += more
            hasher.acquire()
            block = plain[slot]
            src = dst = 0
            for index in range(first, first + count):
                ct_size = layout.ct_size(index)
                pt_size = ct_size - TAG_SIZE
                decrypt_chunk_into(aes, blob_id, index, index == n - 1,
                                   cipher[src : src + ct_size], block[dst : dst + pt_size])
                src += ct_size
                dst += pt_size
            hasher.submit(block[:dst])
            if sink is not None:
                sink(block[:dst])
            first += count
            slot = (slot + 1) % RING
    finally:
        hasher.stop()
    return layout.plaintext_size, hasher.hexdigest()
