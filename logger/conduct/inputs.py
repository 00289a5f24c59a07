"""Gather what the conduct checks look at, from the database: contacts (evidence with a time and
a channel, imported call-log rows, entries the user added) and text passages (the latest
extracted text of each kind per evidence item).

A recorded call and its call-log row are one call: a recording is matched to the log row with
the same number (or an unknown one) starting within three minutes, the recording stands for the
call, and the log row tells its direction and is listed as related. An item holding many
messages with their own times (an SMS backup, whose text segments carry "time" and
"direction") counts as those messages, not as one contact; the calls in such a backup are left
to `liuhen calllog import`. Contacts the borrower made are left out. The exported call-log
files themselves are not read.

A text message or chat (`EvidenceKind.sms` / `chat`, or the channel sms, app_chat, wechat) is a
contact whatever its other fields say: without a channel it is taken from its kind, without a
direction it waits for one (`needs_direction`), and its words may be its author's whoever that
is. When its time is the one its file carries (a screenshot's EXIF or file name, an export's
date: `TimeSource.metadata` / `file_name`), that is when the picture or export was made, not
when the message came: it counts for its day, not by its hour (`Contact.day_only`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from sqlmodel import Session, select

from logger.conduct.calllog import list_call_log, normalise_number, same_number
from logger.conduct.checks import CHANNEL_WORDS, Contact, Passage
from logger.conduct.contact_entries import list_contact_entries
from logger.i18n import N_, Text, translate
from logger.record.evidence import list_evidence
from logger.record.sides import NOT_SAID, channel_sides, segment_side
from logger.record.trash import live
from storage.models import (CallLogEntry, CallType, Channel, ContactEntry, Direction, Evidence,
                            EvidenceKind, ExtractedText, TimeSource)
from storage.models.types import TimePrecision

# A phone logs a call when it starts ringing; a recorder starts when it is answered.
SAME_CALL_WITHIN = timedelta(seconds=180)
# Chat segments from the borrower's own side (right-hand bubbles) are not the collector's words.
OWN_SIDES = frozenset({"right", "me", "self", "user", "from_me", "mine"})
# Items whose words are one side's message (not a recording of both sides).
MESSAGE_CHANNELS = frozenset({Channel.sms, Channel.app_chat, Channel.wechat, Channel.email})
MESSAGE_KINDS = frozenset({EvidenceKind.sms, EvidenceKind.chat, EvidenceKind.email})
# A text or chat is a contact even when nobody set its channel: the channel its kind implies.
KIND_CHANNELS = {EvidenceKind.sms: Channel.sms, EvidenceKind.chat: Channel.app_chat}
# Times a file carries about itself (when a screenshot or an export was made).
FILE_TIMES = frozenset({TimeSource.metadata, TimeSource.file_name})
CALL_TYPE_WORDS = {
    CallType.incoming: N_("answered call"),
    CallType.outgoing: N_("outgoing call"),
    CallType.missed: N_("missed call"),
    CallType.rejected: N_("rejected call"),
    CallType.blocked: N_("blocked call"),
    CallType.voicemail: N_("call sent to voicemail"),
}


def gather(session: Session, negotiation_id: int) -> tuple[list[Contact], list[Passage]]:
    """(contacts by the other side or of unknown direction, oldest first; passages)."""
    # The calls of a call log in the trash are out of the record with it.
    kept = set(session.exec(select(Evidence.id).where(Evidence.negotiation_id == negotiation_id,
                                                      live())))
    rows = [row for row in list_call_log(session, negotiation_id) if row.evidence_id in kept]
    log_files = {row.evidence_id for row in rows}
    items = [e for e in list_evidence(session, negotiation_id)
             if e.id not in log_files and e.extracted_metadata.get("source") != "calllog"]
    by_id = {e.id: e for e in items}
    texts = newest_texts(session, list(by_id))
    messages = {evidence_id: found for (evidence_id, _), text in texts.items()
                if (found := message_contacts(by_id[evidence_id], text))}
    recorded = [c for e in items if e.id not in messages and (c := evidence_contact(e))]
    recorded += [c for found in messages.values() for c in found]
    contacts = merge_contacts(recorded, [log_contact(row) for row in rows])
    contacts = with_entries(contacts, list_contact_entries(session, negotiation_id))
    contacts = [c for c in contacts if c.from_them is not False]
    passages = [p for (evidence_id, source), text in sorted(texts.items())
                if by_id[evidence_id].direction != Direction.from_me
                for p in text_passages(by_id[evidence_id], source, text)]
    return sorted(contacts, key=lambda c: (c.at, c.key)), passages


def item_channel(item: Evidence) -> Channel | None:
    """The item's channel, or the one its kind implies for a text or chat without one."""
    return item.channel or KIND_CHANNELS.get(item.kind)


def is_message(item: Evidence) -> bool:
    """A text, chat or email, by its kind or its channel (either is enough)."""
    return item.kind in MESSAGE_KINDS or item.channel in MESSAGE_CHANNELS


def evidence_contact(item: Evidence) -> Contact | None:
    """A contact for an item that says when and how it happened (a text or chat says how by its
    kind). A photo or document without a channel is not a contact."""
    channel_of = item_channel(item)
    if item.occurred_at is None or channel_of is None or item.direction == Direction.from_me:
        return None
    number = normalise_number(item.counterpart_number) or None
    if number:
        what = _written_in_both("%(channel)s (evidence #%(id)s, %(number)s)", channel_of,
                                id=item.id, number=number)
    else:
        what = _written_in_both("%(channel)s (evidence #%(id)s)", channel_of, id=item.id)
    file_time = item.kind in KIND_CHANNELS and item.occurred_at_source in FILE_TIMES
    return Contact(
        key=f"evidence:{item.id}", at=item.occurred_at, channel=channel_of,
        from_them=True if item.direction == Direction.from_them else None,
        what=what, evidence_id=item.id,
        answered=True if channel_of == Channel.call else None, number=number,
        day_only=item.occurred_at_precision == TimePrecision.day or file_time)


def log_contact(row: CallLogEntry) -> Contact:
    what = Text("%(call)s (%(number)s, call log entry %(line)s)",
                call=Text(CALL_TYPE_WORDS[row.call_type]),
                number=row.number or Text("hidden number"), line=row.line)
    return Contact(
        key=f"calllog:{row.id}", at=row.started_at, channel=Channel.call,
        from_them=row.call_type != CallType.outgoing, what=_in_both(what),
        evidence_id=row.evidence_id,
        answered=row.call_type in (CallType.incoming, CallType.outgoing),
        number=row.number or None)


def entry_contact(entry: ContactEntry) -> Contact:
    from_them = {Direction.from_them: True, Direction.from_me: False}.get(entry.direction)
    what = Text("%(channel)s (recorded by hand, #%(id)s)",
                channel=Text(CHANNEL_WORDS[entry.channel]), id=entry.id)
    return Contact(
        key=f"contact:{entry.id}", at=entry.occurred_at, channel=entry.channel,
        from_them=from_them, what=_in_both(what),
        evidence_id=entry.evidence_id, number=entry.counterpart_number,
        third_party=entry.third_party, third_party_name=entry.third_party_name,
        day_only=entry.occurred_precision == TimePrecision.day)


def with_entries(contacts: list[Contact], entries: list[ContactEntry]) -> list[Contact]:
    """The contacts with the entries a person recorded by hand. An entry that says who an
    item's own contact was with (recorded against that item, at its time: a confirmed
    suggestion) is merged into it, so the call is not counted twice; the others are added."""
    merged = list(contacts)
    for entry in entries:
        added = entry_contact(entry)
        own = None
        if entry.third_party is not None and entry.evidence_id is not None:
            item = f"evidence:{entry.evidence_id}"
            near = [(abs(c.at - added.at), n) for n, c in enumerate(merged)
                    if c.key.split("#")[0] == item and abs(c.at - added.at) <= SAME_CALL_WITHIN]
            own = min(near)[1] if near else None
        if own is None:
            merged.append(added)
            continue
        contact = merged[own]
        merged[own] = replace(
            contact, third_party=added.third_party, third_party_name=added.third_party_name,
            from_them=added.from_them if contact.from_them is None else contact.from_them,
            related=(*contact.related, added.key))
    return merged


def merge_contacts(recorded: list[Contact], logged: list[Contact]) -> list[Contact]:
    """Recorded contacts, each call merged with its log row, then the log rows left over."""
    unused = {c.key: c for c in logged}
    by_time = sorted(logged, key=lambda c: (c.at, c.key))
    times = [c.at for c in by_time]
    merged = []
    for contact in recorded:
        row = None
        if contact.channel == Channel.call:
            # Only the rows within SAME_CALL_WITHIN can match: a slice of the sorted rows.
            near = by_time[bisect_left(times, contact.at - SAME_CALL_WITHIN):
                           bisect_right(times, contact.at + SAME_CALL_WITHIN)]
            row = _log_row_for(contact, [r for r in near if r.key in unused])
        if row is None:
            merged.append(contact)
            continue
        del unused[row.key]
        merged.append(Contact(
            key=contact.key, at=contact.at, channel=contact.channel,
            from_them=row.from_them if contact.from_them is None else contact.from_them,
            what=contact.what, evidence_id=contact.evidence_id, answered=True,
            number=contact.number or row.number, related=(row.key,)))
    return merged + list(unused.values())


def _log_row_for(call: Contact, rows) -> Contact | None:
    def distance(row: Contact) -> timedelta:
        return abs(row.at - call.at)
    candidates = [r for r in rows if distance(r) <= SAME_CALL_WITHIN
                  and (not call.number or not r.number or same_number(call.number, r.number))]
    return min(candidates, key=lambda r: (distance(r), r.key), default=None)


def newest_texts(session: Session, evidence_ids: list[int]
                  ) -> dict[tuple[int, str], ExtractedText]:
    """The newest extracted text of each source per item (re-transcription keeps old ones)."""
    if not evidence_ids:
        return {}
    newest: dict[tuple[int, str], ExtractedText] = {}
    for text in session.exec(select(ExtractedText)
                             .where(ExtractedText.evidence_id.in_(evidence_ids))
                             .order_by(ExtractedText.id)):
        newest[(text.evidence_id, str(text.source))] = text
    return newest


def message_contacts(item: Evidence, text: ExtractedText) -> list[Contact]:
    """The messages of a backup-like item: segments with an aware "time" and a "direction"."""
    contacts = []
    channel = item_channel(item) or Channel.sms
    for index, segment in enumerate(text.segments):
        at = _segment_time(segment)
        if at is None or "direction" not in segment or "call" in str(segment.get("status", "")):
            continue
        direction = str(segment["direction"])
        number = normalise_number(str(segment.get("counterpart") or "")) or None
        if number:
            what = Text("%(channel)s (evidence #%(id)s, message %(n)s, %(number)s)",
                        channel=Text(CHANNEL_WORDS[channel]), id=item.id, n=index + 1,
                        number=number)
        else:
            what = Text("%(channel)s (evidence #%(id)s, message %(n)s)",
                        channel=Text(CHANNEL_WORDS[channel]), id=item.id, n=index + 1)
        contacts.append(Contact(
            key=f"evidence:{item.id}#{index}", at=at, channel=channel,
            from_them={"from_them": True, "from_me": False}.get(direction),
            what=_in_both(what), evidence_id=item.id, number=number))
    return contacts


def _written_in_both(message: str, channel: Channel, **values: object) -> tuple[str, str]:
    """`_in_both(Text(message, channel=Text(CHANNEL_WORDS[channel]), **values))`, with the
    message and the channel's word translated once for all the contacts that use them."""
    return tuple(template % {"channel": word, **values}
                 for template, word in _templates(message, channel))


@cache
def _templates(message: str, channel: Channel) -> tuple[tuple[str, str], ...]:
    """(the message, the channel's word) in zh, then in en, as `Text.to` writes them."""
    return tuple((translate(language, message), translate(language, CHANNEL_WORDS[channel]))
                 for language in ("zh", "en"))


def _in_both(what: Text) -> tuple[str, str]:
    """A contact's `what`, (zh, en)."""
    return what.to("zh"), what.to("en")


def _segment_time(segment: dict) -> datetime | None:
    value = segment.get("time")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def text_passages(item: Evidence, source: str, text: ExtractedText) -> list[Passage]:
    unknown = _message_of_unknown_direction(item)
    channels = channel_sides(item)
    if not any(str(segment.get("text") or "").strip() for segment in text.segments):
        # No segment holds words of its own (none at all, or only an email's HTML kept beside
        # its text): the text is one passage, as promise suggestions read it.
        return [Passage(item.id, source, 0, text.text, at=item.occurred_at,
                        author_unknown=unknown)]
    passages = []
    for index, segment in enumerate(text.segments):
        words = str(segment.get("text") or "")
        if not words.strip() or _own(segment, channels) or segment.get("kind") in NOT_SAID:
            continue
        start = segment.get("start")
        start = float(start) if isinstance(start, (int, float)) else None
        passages.append(Passage(
            evidence_id=item.id, source=source, index=index, text=words, start_s=start,
            shown_time=str(segment["time"]) if segment.get("time") else None,
            at=_segment_time(segment) or _moment(item.occurred_at, start),
            author_unknown=unknown and not _says_who(segment)))
    return passages


def _message_of_unknown_direction(item: Evidence) -> bool:
    """A message (text, chat, email) whose direction nobody has set: its words may be the
    borrower's own. A recording holds both sides whoever dialled, so its direction does not
    say who spoke."""
    return is_message(item) and item.direction == Direction.unknown


def _says_who(segment: dict) -> bool:
    """Whether a segment names its side (a chat bubble, a message in a backup)."""
    return bool(segment.get("side") or segment.get("direction") in ("from_them", "from_me")
                or segment.get("speaker") in ("them", "me"))


def _own(segment: dict, channels: dict[str, str]) -> bool:
    """A segment the borrower wrote or said: a right-hand chat bubble, a message sent, or a
    stereo call's channel a person said is theirs. A transcript's "speaker" left/right alone
    says nothing about who is who."""
    return (str(segment.get("side", "")).lower() in OWN_SIDES
            or segment.get("speaker") == "me" or segment.get("direction") == "from_me"
            or segment_side(segment, channels) == "me")


def _moment(started: datetime | None, offset_s: float | None) -> datetime | None:
    if started is None:
        return None
    return started + timedelta(seconds=offset_s) if offset_s is not None else started
