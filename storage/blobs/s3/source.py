"""Reading one blob's ciphertext from S3: its size from HEAD, random access by ranged GETs of
WINDOW-aligned windows, and the whole object as one streamed GET read a window ahead.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

WINDOW = 1 << 20     # bytes fetched per ranged GET: 16 chunks of the blob format
_WINDOWS_KEPT = 2    # the reader jumps between the last chunk and the start when it opens


class ObjectSource:
    """One object's ciphertext: its size from HEAD, its bytes by ranged GETs of WINDOW-aligned
    windows, the last two kept, so that reading chunk after chunk asks once per window."""

    def __init__(self, client, bucket: str, key: str,
                 errors: Callable[[], AbstractContextManager]):
        self._client = client
        self._bucket = bucket
        self._key = key
        self._errors = errors
        with errors():
            head = client.head_object(Bucket=bucket, Key=key)
        self.size = int(head["ContentLength"])
        self._windows: list[tuple[int, bytes]] = []

    def pread(self, size: int, offset: int) -> bytes:
        end = min(offset + size, self.size)
        if size <= 0 or offset >= end:
            return b""
        if end - offset > WINDOW:
            return self._get(offset, end)
        first = offset // WINDOW
        data = self._window(first)[offset - first * WINDOW:end - first * WINDOW]
        if (end - 1) // WINDOW > first:  # a chunk across the border: the next window's start
            data += self._window(first + 1)[:end - (first + 1) * WINDOW]
        return data

    def _window(self, index: int) -> bytes:
        for kept, data in self._windows:
            if kept == index:
                return data
        start = index * WINDOW
        data = self._get(start, min(self.size, start + WINDOW))
        self._windows = [(index, data), *self._windows][:_WINDOWS_KEPT]
        return data

    def _get(self, start: int, stop: int) -> bytes:
        with self._errors():
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key,
                                             Range=f"bytes={start}-{stop - 1}")
            with contextlib.closing(answer["Body"]) as body:
                return body.read()

    def stream(self) -> io.RawIOBase:
        with self._errors():
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key)
        return _BodyStream(answer["Body"], self._errors)

    def close(self) -> None:
        self._windows = []


class _BodyStream(io.RawIOBase):
    """A GET's body as a raw stream whose readinto fills the buffer (short only at the end).
    One WINDOW is read ahead in a thread, so the network works while the caller decrypts."""

    def __init__(self, body, errors: Callable[[], AbstractContextManager]):
        self._body = body
        self._errors = errors
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-read")
        self._next: Future | None = self._reader.submit(body.read, WINDOW)
        self._piece = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        filled = 0
        while filled < len(buffer):
            if not self._piece:
                if self._next is None:
                    break
                with self._errors():
                    data = self._next.result()
                self._next = self._reader.submit(self._body.read, WINDOW) if data else None
                self._piece = memoryview(data)
            n = min(len(buffer) - filled, len(self._piece))
            buffer[filled:filled + n] = self._piece[:n]
            self._piece = self._piece[n:]
            filled += n
        return filled

    def close(self) -> None:
        if not self.closed:
            self._reader.shutdown(wait=True, cancel_futures=True)  # a read in flight ends first
            self._body.close()
        super().close()
