"""The XML that the Android app "SMS Backup & Restore" writes: messages (<smses>) and call logs
(<calls>), read into one `Message` each, with its time, direction and the other party.

In an <sms>, `type` 1 is received (from them), 2 sent (from me); 3-6 are drafts and messages the
phone tried to send (from me, with a status). An <mms> says the same with `msg_box`. `date` is
milliseconds since 1970 UTC. In a <call>, `type` 1 is incoming, 2 outgoing, 3 missed, 4
voicemail, 5 rejected, 6 blocked; `duration` is in seconds.

The XML is parsed with the standard library's expat, which resolves no external entities and
(expat >= 2.4) refuses entity-expansion bombs; it is streamed, element by element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from logger.intake.filemeta.common import clean_text
from logger.intake.filemeta.recorder_names import _normalise_number as normalise_number
from storage.models import Direction

ROOTS = ("smses", "calls")
_SMS_TYPES = {"1": (Direction.from_them, None), "2": (Direction.from_me, None),
              "3": (Direction.from_me, "draft"), "4": (Direction.from_me, "outbox"),
              "5": (Direction.from_me, "failed"), "6": (Direction.from_me, "queued")}
_CALL_TYPES = {"1": (Direction.from_them, "incoming call"),
               "2": (Direction.from_me, "outgoing call"),
               "3": (Direction.from_them, "missed call"), "4": (Direction.from_them, "voicemail"),
               "5": (Direction.from_them, "rejected call"),
               "6": (Direction.from_them, "blocked call")}
_UNKNOWN_NAMES = {"", "null", "(unknown)", "unknown"}


@dataclass
class Message:
    """One SMS, MMS or call. `address` is the other party as written; `number` the same as
    digits when it is a phone number; `status` says what kind of entry it is when not a plain
    message ("draft", "failed", "missed call", ...)."""

    time: datetime | None
    direction: Direction
    address: str | None
    number: str | None
    contact_name: str | None
    text: str
    status: str | None = None

    def segment(self) -> dict:
        """The message as an ExtractedText segment."""
        data = {"time": self.time.isoformat().replace("+00:00", "Z") if self.time else None,
                "speaker": "me" if self.direction == Direction.from_me else "them",
                "direction": str(self.direction), "counterpart": self.address,
                "counterpart_name": self.contact_name, "status": self.status, "text": self.text}
        return {k: v for k, v in data.items() if v is not None}


def root_name(head: bytes) -> str | None:
    """The local name of the XML document's root element (read from its first bytes)."""
    parser = ET.XMLPullParser(events=("start",))
    try:
        parser.feed(head)
        for _, element in parser.read_events():
            return element.tag.rsplit("}", 1)[-1]
    except ET.ParseError:
        return None
    return None


def iter_backup(stream: BinaryIO) -> Iterator[Message]:
    """The messages (or calls) of a backup, in file order. Raises ET.ParseError for XML that is
    not well formed (what was yielded before the error stays good)."""
    for _, element in ET.iterparse(stream, events=("end",)):
        tag = element.tag
        if tag == "sms":
            yield _sms(element)
        elif tag == "mms":
            yield _mms(element)
        elif tag == "call":
            yield _call(element)
        else:
            continue
        element.clear()  # keep memory flat on a large backup


def _sms(element: ET.Element) -> Message:
    direction, status = _SMS_TYPES.get(element.get("type", ""), (Direction.unknown, None))
    return _message(element, direction, status, element.get("body") or "")


def _mms(element: ET.Element) -> Message:
    box = element.get("msg_box", "")
    direction = {"1": Direction.from_them, "2": Direction.from_me}.get(box, Direction.unknown)
    texts = [part.get("text") or "" for part in element.iter("part")
             if part.get("ct") == "text/plain"]
    others = [part.get("ct") for part in element.iter("part")
              if part.get("ct") not in ("text/plain", "application/smil")]
    text = "\n".join(t for t in texts if t)
    if others:
        text = f"{text}\n[{', '.join(o or '?' for o in others)}]".strip()
    return _message(element, direction, None, text)


def _call(element: ET.Element) -> Message:
    direction, status = _CALL_TYPES.get(element.get("type", ""), (Direction.unknown, "call"))
    duration = element.get("duration") or "0"
    text = f"{status}, {duration} s" if duration.isdigit() and int(duration) else status
    return _message(element, direction, status, text, address_attribute="number")


def _message(element: ET.Element, direction: Direction, status: str | None, text: str, *,
             address_attribute: str = "address") -> Message:
    address = clean_text(element.get(address_attribute) or "", 100)
    name = clean_text(element.get("contact_name") or "", 100)
    return Message(time=_time(element.get("date")), direction=direction, address=address,
                   number=normalise_number(address) if address else None,
                   contact_name=None if (name or "").lower() in _UNKNOWN_NAMES else name,
                   text=text.replace("\r\n", "\n"), status=status)


def _time(millis: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
