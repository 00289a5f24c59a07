"""A file on its way in: what a source hands intake (`IncomingFile`), what a person says about
it (`EvidenceDetails`), and the reading of its bytes as they stream into the blob store: the
head kept for sniffing, a mailbox's messages counted, and a small file's bytes kept in memory
so its metadata is read without decrypting the blob again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from logger.errors import LiuhenError
from logger.intake.sniff import HEAD_SIZE, sniff
from logger.intake.sniff.text import could_be_mailbox
from storage.models import Channel, Direction, EvidenceKind, TimeSource
from storage.models.types import TimePrecision

MAX_FILENAME_CHARS = 255
# Files up to this size are kept in memory while they stream in, for their metadata; a larger
# one is read back from its blob (memory stays bounded whatever the upload).
KEEP_BYTES = 1 << 20
# A message of a mailbox starts at a line beginning with "From " (`logger.extract.mailbox`).
_MESSAGE_START = b"\nFrom "


@dataclass
class IncomingFile:
    """A file arriving from any source. `declared_type` (a browser's Content-Type, say) is
    recorded but never trusted."""

    stream: BinaryIO
    filename: str
    declared_type: str | None = None
    source: str = "cli"


@dataclass
class EvidenceDetails:
    """What a person says about the file that the file cannot tell. Each given field wins over
    what is extracted from the file. A given `occurred_at` is a person's unless
    `occurred_at_source` says otherwise (an email's attachment: `parent`); `day` precision
    means only its date is known (`logger.record.when.on_day`)."""

    kind: EvidenceKind | None = None
    channel: Channel | None = None
    direction: Direction | None = None
    occurred_at: datetime | None = None
    occurred_at_source: TimeSource = TimeSource.person
    occurred_at_precision: TimePrecision = TimePrecision.minute
    counterpart_name: str | None = None
    counterpart_number: str | None = None
    subject: str | None = None
    note: str | None = None


def clean_filename(name: str) -> str:
    """Keep the user's name for display only (it never names a file on disk): drop any path,
    control characters and absurd length."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILENAME_CHARS] or "unnamed"


def read_head(stream: BinaryIO) -> bytes:
    """Up to HEAD_SIZE first bytes of `stream` (fewer only at its end)."""
    parts, got = [], 0
    while got < HEAD_SIZE:
        piece = stream.read(HEAD_SIZE - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


class MessageCounter:
    """Counts the messages of a mailbox in the bytes fed to it, as `logger.extract.mailbox`
    splits them: one per line that begins with "From ", the first line included."""

    def __init__(self) -> None:
        self.messages = 0
        self._tail = b"\n"  # the file's first line counts as if a line ended before it

    def feed(self, data: bytes) -> None:
        if data:
            # The tail is shorter than the separator, so no match lies wholly inside it.
            seen = self._tail + data
            self.messages += seen.count(_MESSAGE_START)
            self._tail = seen[-(len(_MESSAGE_START) - 1):]


class Prefixed(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream (fed to `counter` as
    they pass). Up to KEEP_BYTES of them are kept: `kept()` is the whole file when it was no
    larger, else None."""

    def __init__(self, head: bytes, rest: BinaryIO, counter: MessageCounter | None = None):
        self._head = memoryview(head)
        self._rest = rest
        self._counter = counter
        self._kept: bytearray | None = bytearray()

    def readable(self) -> bool:
        return True

    def kept(self) -> bytes | None:
        return bytes(self._kept) if self._kept is not None else None

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            data = self._head[:n].tobytes()
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(buffer))
            n = len(data)
        buffer[:n] = data
        if self._counter is not None:
            self._counter.feed(data)
        if self._kept is not None:
            if len(self._kept) + n > KEEP_BYTES:
                self._kept = None
            else:
                self._kept += data
        return n


def items_in(stream: BinaryIO, filename: str) -> int:
    """How many items storing this file would add: one, and for a mailbox one more per message
    (each becomes an item of its own). A file intake would refuse counts as one."""
    head = read_head(stream)
    if not could_be_mailbox(head):
        return 1
    try:
        family = sniff(head, filename).family
    except LiuhenError:
        return 1
    if family != "mailbox":
        return 1
    counter = MessageCounter()
    counter.feed(head)
    while piece := stream.read(1 << 20):
        counter.feed(piece)
    return 1 + counter.messages
