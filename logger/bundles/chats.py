"""One conversation captured in several overlapping screenshots, as one text in the bundle.

Within a group of the bundle, the chat screenshots whose messages overlap (a conversation
scrolled and captured screen by screen: `logger.extract.chat_merge`) are joined, each message
once, in the order it was said, with who said it (本人 / 对方, or that the side is unknown), its
time (local) and the exhibits that show it. Each screenshot keeps its own .ocr.txt beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from logger.bundles.items import Exhibit
from logger.bundles.texts import said_by
from logger.extract.chat_merge import conversation_around, merge_conversations
from logger.i18n import translate
from logger.record.moments import human_stored, parse_stored, zone_label
from logger.record.sides import chat_roles
from storage.models import TextSource


@dataclass(frozen=True)
class ConversationFile:
    path: str
    content: str
    exhibits: tuple[Exhibit, ...]


def conversation_files(exhibits: list[Exhibit], language: str, tz: ZoneInfo
                       ) -> list[ConversationFile]:
    """A text for each conversation of two or more overlapping screenshots within a group, in
    the order of their first exhibit."""
    out = []
    for group in sorted({e.group for e in exhibits}):
        shots = [(e, segments) for e in exhibits if e.group == group
                 and (segments := _chat_segments(e)) is not None]
        pairs = [(e.evidence.id, segments) for e, segments in shots]
        by_id = {e.evidence.id: e for e, _ in shots}
        done: set[int] = set()
        for exhibit, _ in shots:
            if exhibit.evidence.id in done:
                continue
            ids = conversation_around(exhibit.evidence.id, pairs)
            done.update(ids)
            if len(ids) > 1:
                members = tuple(by_id[i] for i in ids)
                merged = merge_conversations([(i, s) for i, s in pairs if i in ids])
                out.append(_file(members, merged, language, tz))
    return out


def _chat_segments(exhibit: Exhibit) -> list[dict] | None:
    """The newest OCR text's segments (a person's correction, if any), when they are a chat's
    (messages with sides)."""
    texts = [t for t in exhibit.texts if t.source == TextSource.ocr]
    if not texts:
        return None
    segments = max(texts, key=lambda t: t.id).segments
    return segments if any(s.get("side") for s in segments) else None


def _file(members: tuple[Exhibit, ...], merged: list[dict], language: str,
          tz: ZoneInfo) -> ConversationFile:
    numbers = {e.evidence.id: e.number for e in members}
    head = [translate(language, "Exhibits %(numbers)s: one conversation in overlapping "
                                "screenshots", numbers=", ".join(numbers.values())),
            translate(language, "Content: %(what)s", what=translate(
                language, "the messages of the screenshots joined, each message once"))]
    for exhibit in members:
        head += [translate(language, "Original: %(path)s", path=exhibit.original_path),
                 translate(language, "Original SHA-256: %(sha256)s",
                           sha256=exhibit.evidence.sha256)]
    head.append(translate(language, "Read by machine from the screenshots (may contain errors); "
                                    "after each message, the exhibits that show it."))
    first = next((m["time"] for m in merged if m.get("time")), None)
    if first:
        head.append(translate(language, "Times are local time (%(zone)s).",
                              zone=zone_label(tz, parse_stored(first)[0])))
    body = []
    for message, role in zip(merged, chat_roles(merged), strict=True):
        where = ", ".join(numbers[i] for i in message["sources"] if i in numbers)
        if role == "title":
            body.append(translate(language, "Title of the conversation: %(title)s",
                                  title=message["text"].strip()))
            continue
        when = human_stored(message.get("time"), tz)
        body.append((f"[{when}] " if when else "") + said_by(message, role, language)
                    + f"{message['text'].strip()}  ({where})")
    content = "\n".join([*head, "", *body]) + "\n"
    return ConversationFile(f"texts/{members[0].stem}.conversation.txt", content, members)
