"""What each extracted text contributes to its negotiation's conduct report, kept between reports
(`ConductText`), so the report after a change reads again only the texts that changed instead
of every text of the negotiation.

`gather_kept` gives exactly what `logger.conduct.inputs.gather` gives (the same contacts and
passages in the same order; tests/conduct/test_incremental.py compares the two reports after
changes, additions, the trash and deletions). It reads:
- the items' own fields and the list of their texts (id, source, edit time), never a text;
- for each item's newest text of each source, its kept contribution when the state it was read
  in is unchanged, else the text itself, read again (and kept, when asked);
- the call log and the contacts recorded by hand, whole (rows without texts, cheap to read).

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
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.conduct.calllog import list_call_log
from logger.conduct.checks import Contact, Passage
from logger.conduct.contact_entries import list_contact_entries
from logger.conduct.inputs import (evidence_contact, log_contact, merge_contacts,
                                   message_contacts, text_passages, with_entries)
from logger.conduct.lexicon import Match, categories, find_matches
from logger.i18n import CATALOGUES
from logger.record.sides import LEFT_CHANNEL
from logger.record.trash import live
from storage.models import Channel, ConductText, Direction, Evidence, ExtractedText

# Bumped when what is kept changes shape.
FORMAT = 1
# The files whose code or data the reading runs: any change reads every text again.
_READING_FILES = ("conduct/inputs.py", "conduct/lexicon.py", "conduct/language/match.py",
                  "conduct/language/model.py", "conduct/language/tokens.py",
                  "record/sides.py", "i18n.py")
# What `evidence_contact` and the states read of an item (not its whole metadata).
_ITEM_COLUMNS = (Evidence.id, Evidence.kind, Evidence.channel, Evidence.direction,
                 Evidence.occurred_at, Evidence.occurred_at_source,
                 Evidence.occurred_at_precision, Evidence.counterpart_number,
                 Evidence.extracted_metadata["source"].as_string().label("made_from"),
                 Evidence.extracted_metadata[LEFT_CHANNEL].as_string().label("left_channel"))
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_CHUNK = 500  # ids per IN (…) when texts are read again


class TextRef(NamedTuple):
    """One newest text of an item, as listed without reading it."""

    id: int
    evidence_id: int
    source: str


def gather_kept(session: Session, negotiation_id: int, *, keep: bool = False
                ) -> tuple[list[Contact], list[Passage]]:
    """What `gather` gives (contacts by the other side or of unknown direction, oldest first;
    the passages that hold a match), reading only the texts whose contribution is not kept
    for their current state. `keep`: store what was read again in `session` and drop what is
    kept for this negotiation's texts no longer read, then flush (the caller commits)."""
    # Through the connection: plain rows, without the ORM's loading (a third of the time).
    items = session.connection().execute(sa.select(*_ITEM_COLUMNS).where(
        Evidence.negotiation_id == negotiation_id, live())).all()
    in_record = {item.id for item in items}
    # The calls of a call log in the trash are out of the record with it.
    rows = [row for row in list_call_log(session, negotiation_id) if row.evidence_id in in_record]
    log_files = {row.evidence_id for row in rows}
    items = sorted((e for e in items if e.id not in log_files and e.made_from != "calllog"),
                   key=lambda e: (e.occurred_at or _FAR_FUTURE, e.id))
    by_id = {e.id: e for e in items}
    newest = _newest_texts(session, negotiation_id, by_id)
    readings = _readings(session, negotiation_id, list(newest.values()), by_id, keep=keep)
    # A text replaced since it was listed (outside a transaction, on SQLite) is read as gone.
    newest = {key: text for key, text in newest.items() if text.id in readings}
    messages = {key[0]: found for key, text in newest.items()
                if (found := readings[text.id][0])}
    recorded = [c for e in items if e.id not in messages and (c := evidence_contact(e))]
    recorded += [c for found in messages.values() for c in found]
    contacts = merge_contacts(recorded, [log_contact(row) for row in rows])
    contacts = with_entries(contacts, list_contact_entries(session, negotiation_id))
    contacts = [c for c in contacts if c.from_them is not False]
    passages = [p for key, text in sorted(newest.items())
                if by_id[key[0]].direction != Direction.from_me for p in readings[text.id][1]]
    return sorted(contacts, key=lambda c: (c.at, c.key)), passages


def _newest_texts(session: Session, negotiation_id: int, by_id: dict[int, Any]
                  ) -> dict[tuple[int, str], TextRef]:
    """(item id, source) -> its newest text, the keys in the order `inputs.newest_texts`
    gives them (that of each key's first text, by id)."""
    found = session.connection().execute(
        sa.select(ExtractedText.id, ExtractedText.evidence_id, ExtractedText.source)
        .join(Evidence, Evidence.id == ExtractedText.evidence_id)
        .where(Evidence.negotiation_id == negotiation_id, live())
        .order_by(ExtractedText.id)).all()
    newest: dict[tuple[int, str], TextRef] = {}
    for text_id, evidence_id, source in found:
        if evidence_id in by_id:
            newest[(evidence_id, str(source))] = TextRef(text_id, evidence_id, str(source))
    return newest


def _readings(session: Session, negotiation_id: int, texts: list[TextRef],
              by_id: dict[int, Any], *, keep: bool
              ) -> dict[int, tuple[list[Contact], list[Passage]]]:
    """Text id -> (messages, passages) of each of `texts`, kept or read again."""
    states = {text.id: _state(text, _item_fields(by_id[text.evidence_id])) for text in texts}
    stored = {text_id: (state, messages, passages) for text_id, state, messages, passages
              in session.connection().execute(
                  sa.select(ConductText.text_id, ConductText.state,
                            sa.cast(ConductText.messages, sa.Text),
                            sa.cast(ConductText.passages, sa.Text))
                  .join(ExtractedText, ExtractedText.id == ConductText.text_id)
                  .join(Evidence, Evidence.id == ExtractedText.evidence_id)
                  .where(Evidence.negotiation_id == negotiation_id))}
    readings: dict[int, tuple[list[Contact], list[Passage]]] = {}
    for text in texts:
        row = stored.get(text.id)
        if row is not None and row[0] == states[text.id]:
            readings[text.id] = (_contacts_from(row[1]), _passages_from(row[2]))
    stale = [text for text in texts if text.id not in readings]
    read = {}
    for text, item, row in _read_again(session, stale):
        readings[text.id] = (message_contacts(item, row),
                             _matched(text_passages(item, text.source, row)))
        # The state of the item as read now (it may have changed since it was listed).
        read[text.id] = _state(text, (item.id, item.kind, item.channel, item.direction,
                                      item.occurred_at,
                                      (item.extracted_metadata or {}).get(LEFT_CHANNEL)))
    if keep:
        _store(session, read, readings, gone=set(stored) - set(states))
    return readings


def _store(session: Session, read: dict[int, str],
           readings: dict[int, tuple[list[Contact], list[Passage]]], *, gone: set[int]) -> None:
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


def _matched(passages: list[Passage]) -> list[Passage]:
    """The passages that hold a match, each with its matches for every category and without
    its text (no check reads it once the matches are known)."""
    every = categories()
    found = []
    for passage in passages:
        matches = tuple(find_matches(passage.text, every))
        if matches:
            found.append(replace(passage, text="", matches=matches))
    return found


def _item_fields(item: Any) -> tuple:
    """What a text's reading reads of its item (a row of _ITEM_COLUMNS)."""
    return (item.id, item.kind, item.channel, item.direction, item.occurred_at,
            item.left_channel)


def _state(text: TextRef, item: tuple) -> str:
    """A digest of everything a text's reading depends on: the reading itself, the text, and
    its item's fields (`_item_fields`)."""
    kind, channel, direction, occurred_at, left = item[1:]
    moment = occurred_at.astimezone(UTC).isoformat() if occurred_at else None
    parts = (_reading_digest(), text.id, text.source, item[0], kind, channel, direction,
             moment, left)
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


def _contacts_from(kept: str) -> list[Contact]:
    if kept == "[]":
        return []
    return [Contact(key=c["key"], at=datetime.fromisoformat(c["at"]),
                    channel=Channel(c["channel"]), from_them=c["from_them"],
                    what=tuple(c["what"]), evidence_id=c["evidence_id"], number=c["number"])
            for c in json.loads(kept)]


def _passage_json(passage: Passage) -> dict:
    return {"evidence_id": passage.evidence_id, "source": passage.source,
            "index": passage.index, "start_s": passage.start_s,
            "shown_time": passage.shown_time, "at": _iso(passage.at),
            "author_unknown": passage.author_unknown,
            "matches": [[m.category, m.phrase, m.sentence] for m in passage.matches or ()]}


def _passages_from(kept: str) -> list[Passage]:
    if kept == "[]":
        return []
    return [Passage(evidence_id=p["evidence_id"], source=p["source"], index=p["index"],
                    text="", start_s=p["start_s"], shown_time=p["shown_time"],
                    at=datetime.fromisoformat(p["at"]) if p["at"] else None,
                    author_unknown=p["author_unknown"],
                    matches=tuple(Match(*m) for m in p["matches"]))
            for p in json.loads(kept)]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
