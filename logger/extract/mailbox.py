"""Split an mbox (a whole exported mailbox) into its messages, streaming.

A message starts at a line beginning with "From " (the rule Python's `mailbox` module and most
mail programs follow; bodies carry such lines escaped as ">From "). Each message is returned as
the exact bytes between its "From " line and the next, less the blank line that separates them,
so every message's bytes occur verbatim in the stored mailbox. Quoting (">From ") is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_SEPARATOR = b"From "


@dataclass
class MboxMessage:
    """One message: its number (from 1), the envelope line ("From sender date"), its bytes,
    `too_large` when it exceeded the limit (then `data` is empty), and `offset`: where its
    "From " line starts, counted from where the reading started."""

    number: int
    envelope: str
    data: bytes
    too_large: bool = False
    offset: int = 0


@dataclass
class MboxStats:
    """Filled while iterating: bytes read so far, and bytes before the first message."""

    bytes_read: int = 0
    leading_garbage: int = 0


def iter_mbox(stream: BinaryIO, *, max_message_bytes: int, stats: MboxStats | None = None,
              first_number: int = 1) -> Iterator[MboxMessage]:
    """Yield the messages of the mbox in `stream`, holding one message in memory at a time (a
    message over `max_message_bytes` is yielded empty with `too_large` set). A stream placed
    at a message's "From " line (an earlier message's `offset`) goes on from there, numbering
    from `first_number`."""
    stats = stats or MboxStats()
    envelope: bytes | None = None
    lines: list[bytes] = []
    size, number, start = 0, first_number - 1, 0
    while line := stream.readline():
        if line.startswith(_SEPARATOR):
            if envelope is not None:
                number += 1
                yield _message(number, envelope, lines, size > max_message_bytes, start)
            envelope, lines, size, start = line, [], 0, stats.bytes_read
            stats.bytes_read += len(line)
            continue
        stats.bytes_read += len(line)
        if envelope is None:
            stats.leading_garbage += len(line.strip())
        else:
            size += len(line)
            if size <= max_message_bytes:
                lines.append(line)
    if envelope is not None:
        yield _message(number + 1, envelope, lines, size > max_message_bytes, start)


def _message(number: int, envelope: bytes, lines: list[bytes], too_large: bool,
             offset: int) -> MboxMessage:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]  # the blank line before the next "From " belongs to the mailbox
    label = envelope.decode("utf-8", "replace").strip()[:200]
    return MboxMessage(number, label, b"" if too_large else b"".join(lines), too_large, offset)
