"""Writing one blob's ciphertext to S3 in bounded memory.

The ciphertext is cut into parts of PART_SIZE. A blob smaller than one part is one PUT at the
end; a larger one is a multipart upload, created when the first part is full, each part sent
from a thread while the next one fills (two part buffers in all), completed at the end and
aborted on any exception, so that nothing remains of a write that failed. A process killed in
the middle leaves an unfinished multipart upload, which `liuhen verify --repair` aborts.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

PART_SIZE = 8 << 20  # S3 wants parts of 5 MiB or more (but the last); 10,000 parts: 78 GiB


class _PartBody(io.RawIOBase):
    """A part's bytes as the seekable file botocore wants (it reads the body to sign and
    checksum it, then to send it, and seeks back on a retry), read straight from the buffer."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0

    def __len__(self) -> int:
        return len(self._view)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view),
                                                                     self._pos + size)
        data = bytes(self._view[self._pos:end])
        self._pos = max(self._pos, end)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class Upload:
    """The CipherWriter of one object: PUT at the end when it fits in a part, else a multipart
    upload with one part in flight while the next fills."""

    def __init__(self, client, bucket: str, key: str,
                 errors: Callable[[], AbstractContextManager]):
        self._client = client
        self._bucket = bucket
        self._key = key
        self._errors = errors
        self._buffers = [bytearray(PART_SIZE)]
        self._fill = 0
        self._written = 0
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self._pending: Future | None = None
        self._sender: ThreadPoolExecutor | None = None

    def tell(self) -> int:
        return self._written

    def write(self, data: memoryview | bytes) -> int:
        view = memoryview(data).cast("B")
        while view:
            take = min(len(view), PART_SIZE - self._fill)
            self._buffers[0][self._fill:self._fill + take] = view[:take]
            self._fill += take
            self._written += take
            view = view[take:]
            if self._fill == PART_SIZE:
                with self._errors():
                    self._send_part()
        return len(data)

    def _send_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ChecksumAlgorithm="CRC32")["UploadId"]
            self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-upload")
            self._buffers.append(bytearray(PART_SIZE))
        self._wait()  # the other buffer is free once its part is up
        number = len(self._parts) + 1
        body = _PartBody(memoryview(self._buffers[0])[:self._fill])
        self._pending = self._sender.submit(self._client.upload_part,
                                            Bucket=self._bucket, Key=self._key,
                                            UploadId=self._upload_id, PartNumber=number,
                                            Body=body, ChecksumAlgorithm="CRC32")
        self._parts.append({"PartNumber": number})
        self._buffers.reverse()
        self._fill = 0

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            answer = pending.result()
            part = self._parts[-1]
            part["ETag"] = answer["ETag"]
            if answer.get("ChecksumCRC32"):
                part["ChecksumCRC32"] = answer["ChecksumCRC32"]

    def finish(self) -> None:
        if self._upload_id is None:
            self._client.put_object(Bucket=self._bucket, Key=self._key,
                                    Body=_PartBody(memoryview(self._buffers[0])[:self._fill]))
        else:
            if self._fill:
                self._send_part()
            self._wait()
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts})
        self._close()

    def abort(self) -> None:
        """Leave nothing: wait for the part in flight, then abort the upload. Should the abort
        fail too, the upload stays a leftover for `verify --repair`."""
        with contextlib.suppress(Exception):
            self._wait()
        if self._upload_id is not None:
            with contextlib.suppress(Exception):
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key,
                                                    UploadId=self._upload_id)
        self._close()

    def _close(self) -> None:
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None
        self._buffers.clear()
