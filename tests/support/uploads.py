"""Multipart bodies for the upload tests, built by hand (as a browser sends them) so that the
tests exercise the app's own streaming parser, including bodies far larger than memory should
hold: `NoiseUpload` produces its bytes as they are read."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets

BOUNDARY = "----LiuhenTestBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
CSRF_FIELD = re.compile(r'name="csrf-token" content="([^"]+)"')


def field_part(name: str, value: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            f"{value}\r\n").encode()


def file_head(filename: str, media_type: str = "application/octet-stream",
              name: str = "file") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: {media_type}\r\n\r\n").encode()


def closing() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


def multipart(files: list[tuple[str, bytes]], fields: dict[str, str] | None = None) -> bytes:
    """Fields first (as the page's form sends its token), then the files."""
    body = b"".join(field_part(k, v) for k, v in (fields or {}).items())
    for name, data in files:
        body += file_head(name) + data + b"\r\n"
    return body + closing()


def page_token(client, path: str = "/") -> str:
    found = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def post_files(client, negotiation_id: int, files: list[tuple[str, bytes]], *,
               token: str | None = "page", fields: dict[str, str] | None = None,
               as_json: bool = True):
    """POST files to the upload endpoint the way upload.js does (token in a header, JSON back),
    or as the plain form does (`as_json=False`: token as the first field)."""
    headers = {"Accept": "application/json"} if as_json else {"Accept": "text/html"}
    fields = dict(fields or {})
    if token == "page":
        token = page_token(client)
    if token is not None:
        if as_json:
            headers["X-CSRFToken"] = token
        else:
            fields = {"csrf_token": token, **fields}
    return client.post(f"/negotiations/{negotiation_id}/upload",
                       data=multipart(files, fields), content_type=CONTENT_TYPE,
                       headers=headers)


class NoiseUpload(io.RawIOBase):
    """A multipart body holding one WAV file of `size` bytes (a valid header, then random
    noise), produced piece by piece as it is read: it never exists in memory as a whole."""

    def __init__(self, size: int, filename: str = "noise.wav", fields: dict | None = None):
        header = wav_header(size - 44)
        self.file_sha256 = hashlib.sha256(header)  # of the file's bytes, as they are produced
        self.head = b"".join(field_part(k, v) for k, v in (fields or {}).items())
        self.head += file_head(filename, "audio/wav") + header
        self.tail = b"\r\n" + closing()
        self.noise_left = size - 44
        self.length = len(self.head) + self.noise_left + len(self.tail)
        self._pending = memoryview(self.head)
        self._block = os.urandom(1 << 20)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            if self.noise_left > 0:
                n = min(self.noise_left, len(self._block))
                self.noise_left -= n
                # A fresh prefix per block, so no two blocks (or uploads) are identical.
                piece = secrets.token_bytes(min(16, n)) + self._block[16:n]
                self.file_sha256.update(piece)
                self._pending = memoryview(piece)
            elif self.tail:
                self._pending, self.tail = memoryview(self.tail), b""
            else:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def wav_header(data_bytes: int, rate: int = 16000) -> bytes:
    """A 16-bit mono PCM WAV header for `data_bytes` of samples."""
    def u32(v: int) -> bytes:
        return (v & 0xFFFFFFFF).to_bytes(4, "little")

    def u16(v: int) -> bytes:
        return v.to_bytes(2, "little")
    return (b"RIFF" + u32(36 + data_bytes) + b"WAVEfmt " + u32(16) + u16(1) + u16(1)
            + u32(rate) + u32(rate * 2) + u16(2) + u16(16) + b"data" + u32(data_bytes))
