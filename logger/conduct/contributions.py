"""What each extracted text contributes to its negotiation's conduct report, kept between reports
(`ConductText`), so the report after a change reads again only the texts that changed instead
of every text of the negotiation.

`gather_kept` gives exactly what `logger.conduct.inputs.gather` gives (the same contacts and
passages in the same order; tests/conduct/test_incremental.py compares the two reports after
changes, additions, the trash and deletions). It reads:
- the items' own fields and the list of their texts (id, source) with what is kept of each,
  in one query, never a text;
- for each item's newest text of each source, its kept contribution when the state it was read
  in is unchanged, else the text itself, read again (and kept, when asked);
- the call log and the contacts recorded by hand, whole (rows without texts, cheap to read).
It reads them into `Inputs` (`read_inputs`) and puts the report's contacts and passages
together from those (`assemble`); `update` reads a few items of `Inputs` again, which is how
`logger.conduct.kept` follows a change without reading the others.

A text's contribution is the messages it holds (`message_contacts`) and its passages with the
lexicon's matches for every category (`text_passages`; a rule keeps its own categories', which
are the same). Both depend on the text's row and on these fields of its item: id, kind, channel,
direction, time and the side a person gave a stereo call's left channel. The state digest holds
them, with a digest of the code, lexicons and translations the reading runs on, so nothing read
by an older reading is ever taken for current. A text is never changed in place: a new reading
or a correction is a new row with a new id (logger.extract.common, logger.record.text_edits),
which is what lets the list of texts be read without the texts (SQLite keeps a row's later
columns behind its text). Passages without a match are not kept: no check finds anything in
them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.conduct.checks import Contact, Passage
from logger.conduct.contact_entries import list_contact_entries
from logger.conduct.inputs import (evidence_contact, log_contact, merge_contacts,
                                   message_contacts, text_passages, with_entries)
from logger.conduct.lexicon import Match, categories, find_matches
from logger.i18n import CATALOGUES
from logger.record.sides import LEFT_CHANNEL, VOICE_A
from logger.record.trash import live
from storage.models import (CallLogEntry, Channel, ConductText, Direction, Evidence,
                            ExtractedText, TextSource)

# Bumped when what is kept changes shape.
FORMAT = 1
# The files whose code or data the reading runs: any change reads every text again.
_READING_FILES = ("conduct/inputs.py", "conduct/lexicon.py", "conduct/language/match.py",
                  "conduct/language/model.py", "conduct/language/tokens.py",
                  "conduct/language/resemblance.py", "conduct/rules/resemblance.npz",
                  "resemblance.py", "words.py", "record/sides.py", "i18n.py")
# What `evidence_contact` and the states read of an item (not its whole metadata).
_ITEM_COLUMNS = (Evidence.id, Evidence.kind, Evidence.channel, Evidence.direction,
                 Evidence.occurred_at, Evidence.occurred_at_source,
                 Evidence.occurred_at_precision, Evidence.counterpart_number,
                 Evidence.extracted_metadata["source"].as_string().label("made_from"),
                 Evidence.extracted_metadata[LEFT_CHANNEL].as_string().label("left_channel"),
                 Evidence.extracted_metadata[VOICE_A].as_string().label("voice_a"))
# What `log_contact` reads of a call.
_CALL_COLUMNS = (CallLogEntry.id, CallLogEntry.evidence_id, CallLogEntry.number,
                 CallLogEntry.started_at, CallLogEntry.call_type, CallLogEntry.line)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_CHUNK = 500  # ids per IN (…) when texts are read again
_SOURCES = sorted(str(source) for source in TextSource)


# What one text contributes: its messages and its passages that hold a match. Tuples, not lists:
# most are empty (the one empty tuple) and, held for every text, they are not for the garbage
# collector to sweep at each full collection.
Reading = tuple[tuple[Contact, ...], tuple[Passage, ...]]


class TextRef(NamedTuple):
    """One newest text of an item, as listed without reading it."""

    id: int
    evidence_id: int
    source: str


@dataclass
class Inputs:
    """What a report is assembled from, item by item (`logger.conduct.kept` keeps it between
    reports and reads again only the items a change touched): the items in the record that
    are no call-log file (rows of _ITEM_COLUMNS) and the contact each is, the call-log files,
    each newest text with its first text's id (the order `inputs.newest_texts` gives), and
    what each of those texts contributes."""

    items: dict[int, Any]
    own: dict[int, Contact | None]
    log_files: set[int]
    newest: dict[tuple[int, str], TextRef]
    first: dict[tuple[int, str], int]
    readings: dict[int, Reading]
    # The items and keys in the orders `assemble` reads them in, sorted once (see `update`).
    orders: dict[str, list] = field(default_factory=dict)


def gather_kept(session: Session, negotiation_id: int, *, keep: bool = False
                ) -> tuple[list[Contact], list[Passage]]:
    """What `gather` gives (contacts by the other side or of unknown direction, oldest first;
    the passages that hold a match), reading only the texts whose contribution is not kept
    for their current state. `keep`: store what was read again in `session` and drop what is
    kept for this negotiation's texts no longer read, then flush (the caller commits)."""
    inputs, rows = read_inputs(session, negotiation_id, keep=keep)
    return assemble(session, negotiation_id, inputs, [log_contact(row) for row in rows])


def read_inputs(session: Session, negotiation_id: int, *, keep: bool
                ) -> tuple[Inputs, list[Any]]:
    """The negotiation's inputs (see `gather_kept` for `keep`) and its call log."""
    # Through the connection: plain rows, without the ORM's loading (a third of the time).
    items = session.connection().execute(sa.select(*_ITEM_COLUMNS).where(
        Evidence.negotiation_id == negotiation_id, live())).all()
    rows = call_log(session, negotiation_id, {item.id for item in items})
    inputs = Inputs({}, {}, {row.evidence_id for row in rows}, {}, {}, {})
    refresh(session, negotiation_id, inputs, items, keep=keep)
    return inputs, rows


def call_log(session: Session, negotiation_id: int, in_record: set[int] | None = None
             ) -> list[Any]:
    """The calls of the negotiation's call logs (rows of what `log_contact` reads, in the
    order of `list_call_log`), those of a call log in the record (`in_record`: its items'
    ids) when given: the calls of a call log in the trash are out of the record with it."""
    rows = session.connection().execute(
        sa.select(*_CALL_COLUMNS).where(CallLogEntry.negotiation_id == negotiation_id)
        .order_by(CallLogEntry.started_at, CallLogEntry.id)).all()
    return rows if in_record is None else [row for row in rows if row.evidence_id in in_record]


def update(session: Session, negotiation_id: int, inputs: Inputs, item_ids: set[int], *,
           keep: bool) -> None:
    """Read these items again into `inputs` (`keep` as for `gather_kept`); the orders sorted
    before stand when the items' times and their texts' keys are as they were."""
    shape = _shape(inputs, item_ids)
    forget(inputs, item_ids)
    refresh(session, negotiation_id, inputs,
            item_rows(session, negotiation_id, sorted(item_ids)), keep=keep)
    if _shape(inputs, item_ids) != shape:
        inputs.orders = {}


def _shape(inputs: Inputs, item_ids: set[int]) -> tuple[dict, dict]:
    """What the orders of `assemble` depend on, of these items."""
    return ({i: inputs.items[i].occurred_at for i in item_ids if i in inputs.items},
            {key: inputs.first[key] for key in keys_of(inputs, item_ids)})


def refresh(session: Session, negotiation_id: int, inputs: Inputs, items: Iterable[Any], *,
            keep: bool) -> None:
    """Put `items` (rows of _ITEM_COLUMNS, those of the negotiation in the record now) into
    `inputs` in place of what it holds for them, with their texts, read again where they
    changed (`keep` as for `gather_kept`)."""
    by_id = {e.id: e for e in items
             if e.id not in inputs.log_files and e.made_from != "calllog"}
    inputs.items.update(by_id)
    inputs.own.update((item_id, evidence_contact(e)) for item_id, e in by_id.items())
    newest, first, stored = _texts(session, negotiation_id, by_id)
    readings = _readings(session, list(newest.values()), stored, by_id, keep=keep)
    inputs.readings.update(readings)
    # A text replaced since it was listed (outside a transaction, on SQLite) is read as gone.
    inputs.newest.update((key, text) for key, text in newest.items() if text.id in readings)
    inputs.first.update((key, first[key]) for key, text in newest.items()
                        if text.id in readings)


def forget(inputs: Inputs, item_ids: set[int]) -> None:
    """Drop what `inputs` holds for these items."""
    for item_id in item_ids:
        inputs.items.pop(item_id, None)
        inputs.own.pop(item_id, None)
    for key in keys_of(inputs, item_ids):
        inputs.readings.pop(inputs.newest.pop(key).id, None)
        del inputs.first[key]


def keys_of(inputs: Inputs, item_ids: Iterable[int]) -> list[tuple[int, str]]:
    """The keys of these items' newest texts in `inputs`, in the order `assemble` reads them,
    found without going through every key."""
    return [key for item_id in sorted(item_ids) for source in _SOURCES
            if (key := (item_id, source)) in inputs.newest]


def item_rows(session: Session, negotiation_id: int, item_ids: list[int]) -> list[Any]:
    """Rows of _ITEM_COLUMNS of these items, those of the negotiation in the record."""
    found = []
    for chunk in _chunks(item_ids):
        found += session.connection().execute(sa.select(*_ITEM_COLUMNS).where(
            Evidence.id.in_(chunk), Evidence.negotiation_id == negotiation_id, live())).all()
    return found


def assemble(session: Session, negotiation_id: int, inputs: Inputs, logged: list[Contact]
             ) -> tuple[list[Contact], list[Passage]]:
    """What `gather_kept` gives, from `inputs`, the calls of the call log (`logged`, as
    `log_contact` gives them) and the contacts recorded by hand (read now)."""
    newest, readings, orders = inputs.newest, inputs.readings, inputs.orders
    if not orders:
        items = inputs.items
        orders["items"] = sorted(items, key=lambda i: (items[i].occurred_at or _FAR_FUTURE, i))
        orders["first"] = sorted(newest, key=inputs.first.__getitem__)
        orders["keys"] = sorted(newest)
    messages = {key[0]: found for key in orders["first"]
                if (found := readings[newest[key].id][0])}
    recorded = [c for i in orders["items"] if i not in messages and (c := inputs.own[i])]
    recorded += [c for found in messages.values() for c in found]
    contacts = merge_contacts(recorded, logged)
    contacts = with_entries(contacts, list_contact_entries(session, negotiation_id))
    contacts = [c for c in contacts if c.from_them is not False]
    passages = [p for key in orders["keys"] if inputs.items[key[0]].direction != Direction.from_me
                for p in readings[newest[key].id][1]]
    # By time, then key: two stable sorts on the contacts' own values, without a key tuple per
    # contact (tens of thousands of objects the collector would sweep while they live).
    contacts.sort(key=attrgetter("key"))
    contacts.sort(key=attrgetter("at"))
    return contacts, passages


def _texts(session: Session, negotiation_id: int, by_id: dict[int, Any]
           ) -> tuple[dict[tuple[int, str], TextRef], dict[tuple[int, str], int],
                      dict[int, tuple[str, str, str]]]:
    """For the items `by_id`: (item id, source) -> its newest text, the keys in the order
    `inputs.newest_texts` gives them, and -> the id of its first text (which sets that
    order); and text id -> (state, messages, passages) kept for any of their texts, read in
    the same query. Every item of the negotiation is read for more than a few."""
    query = (sa.select(ExtractedText.id, ExtractedText.evidence_id, ExtractedText.source,
                       ConductText.state, sa.cast(ConductText.messages, sa.Text),
                       sa.cast(ConductText.passages, sa.Text))
             .join(Evidence, Evidence.id == ExtractedText.evidence_id)
             .outerjoin(ConductText, ConductText.text_id == ExtractedText.id)
             .where(Evidence.negotiation_id == negotiation_id, live())
             .order_by(ExtractedText.id))
    if len(by_id) <= _CHUNK:
        query = query.where(ExtractedText.evidence_id.in_(list(by_id)))
    newest: dict[tuple[int, str], TextRef] = {}
    first: dict[tuple[int, str], int] = {}
    stored: dict[int, tuple[str, str, str]] = {}
    for text_id, evidence_id, source, state, messages, passages in \
            session.connection().execute(query):
        if evidence_id not in by_id:
            continue
        if state is not None:
            stored[text_id] = (state, messages, passages)
        key = (evidence_id, str(source))
        first.setdefault(key, text_id)
        newest[key] = TextRef(text_id, evidence_id, str(source))
    return newest, first, stored


def _readings(session: Session, texts: list[TextRef], stored: dict[int, tuple[str, str, str]],
              by_id: dict[int, Any], *, keep: bool
              ) -> dict[int, Reading]:
    """Text id -> (messages, passages) of each of `texts`, kept (`stored`) or read again."""
    states = {text.id: _state(text, _item_fields(by_id[text.evidence_id])) for text in texts}
    readings: dict[int, Reading] = {}
    for text in texts:
        row = stored.get(text.id)
        if row is not None and row[0] == states[text.id]:
            readings[text.id] = (_contacts_from(row[1]), _passages_from(row[2]))
    stale = [text for text in texts if text.id not in readings]
    read = {}
    for text, item, row in _read_again(session, stale):
        readings[text.id] = (tuple(message_contacts(item, row)),
                             _matched(text_passages(item, text.source, row)))
        # The state of the item as read now (it may have changed since it was listed).
        read[text.id] = _state(text, (item.id, item.kind, item.channel, item.direction,
                                      item.occurred_at,
                                      (item.extracted_metadata or {}).get(LEFT_CHANNEL),
                                      (item.extracted_metadata or {}).get(VOICE_A)))
    if keep:
        _store(session, read, readings, gone=set(stored) - set(states))
    return readings


def _store(session: Session, read: dict[int, str],
           readings: dict[int, Reading], *, gone: set[int]) -> None:
    """Keep the texts `read` again (text id -> the state they were read in); drop what is
    kept for the texts `gone`."""
    for chunk in _chunks(sorted(set(read) | gone)):
        session.execute(sa.delete(ConductText).where(ConductText.text_id.in_(chunk)))
    if read:
        session.execute(sa.insert(ConductText.__table__), [
            {"text_id": text_id, "state": state,
             "messages": [_contact_json(c) for c in readings[text_id][0]],
             "passages": [_passage_json(p) for p in readings[text_id][1]]}
            for text_id, state in read.items()])
    session.flush()


def _read_again(session: Session, texts: list[TextRef]
                ) -> Iterable[tuple[TextRef, Evidence, ExtractedText]]:
    """Each text with its item and its row."""
    by_id = {text.id: text for text in texts}
    for chunk in _chunks(list(by_id)):
        rows = session.exec(select(ExtractedText, Evidence)
                            .join(Evidence, Evidence.id == ExtractedText.evidence_id)
                            .where(ExtractedText.id.in_(chunk))).all()
        for text, item in rows:
            yield by_id[text.id], item, text


def _matched(passages: list[Passage]) -> tuple[Passage, ...]:
    """The passages that hold a match, each with its matches for every category and without
    its text (no check reads it once the matches are known)."""
    every = categories()
    found = []
    for passage in passages:
        matches = tuple(find_matches(passage.text, every))
        if matches:
            found.append(replace(passage, text="", matches=matches))
    return tuple(found)


def _item_fields(item: Any) -> tuple:
    """What a text's reading reads of its item (a row of _ITEM_COLUMNS)."""
    return (item.id, item.kind, item.channel, item.direction, item.occurred_at,
            item.left_channel, item.voice_a)


def _state(text: TextRef, item: tuple) -> str:
    """A digest of everything a text's reading depends on: the reading itself, the text, and
    its item's fields (`_item_fields`)."""
    kind, channel, direction, occurred_at, left, voice_a = item[1:]
    moment = occurred_at.astimezone(UTC).isoformat() if occurred_at else None
    parts = (_reading_digest(), text.id, text.source, item[0], kind, channel, direction,
             moment, left, voice_a)
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


@cache
def _reading_digest() -> str:
    """A digest of the code, lexicons and translations a text's reading runs on."""
    digest = hashlib.sha256(f"{FORMAT}|{sorted(categories())}".encode())
    root = Path(__file__).resolve().parents[1]
    paths = [root / name for name in _READING_FILES]
    paths += sorted((root / "conduct" / "rules").glob("lexicon_*.toml"))
    paths += sorted(Path(CATALOGUES).glob("*/LC_MESSAGES/*.po"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _contact_json(contact: Contact) -> dict:
    return {"key": contact.key, "at": contact.at.isoformat(), "channel": str(contact.channel),
            "from_them": contact.from_them, "what": list(contact.what),
            "evidence_id": contact.evidence_id, "number": contact.number}


def _contacts_from(kept: str) -> tuple[Contact, ...]:
    if kept == "[]":
        return ()
    return tuple(Contact(key=c["key"], at=datetime.fromisoformat(c["at"]),
                         channel=Channel(c["channel"]), from_them=c["from_them"],
                         what=tuple(c["what"]), evidence_id=c["evidence_id"],
                         number=c["number"])
                 for c in json.loads(kept))


def _passage_json(passage: Passage) -> dict:
    return {"evidence_id": passage.evidence_id, "source": passage.source,
            "index": passage.index, "start_s": passage.start_s,
            "shown_time": passage.shown_time, "at": _iso(passage.at),
            "author_unknown": passage.author_unknown,
            "matches": [[m.category, m.phrase, m.sentence, m.suggested]
                        for m in passage.matches or ()]}


def _passages_from(kept: str) -> tuple[Passage, ...]:
    if kept == "[]":
        return ()
    return tuple(Passage(evidence_id=p["evidence_id"], source=p["source"], index=p["index"],
                         text="", start_s=p["start_s"], shown_time=p["shown_time"],
                         at=datetime.fromisoformat(p["at"]) if p["at"] else None,
                         author_unknown=p["author_unknown"],
                         matches=tuple(Match(*m) for m in p["matches"]))
                 for p in json.loads(kept))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
