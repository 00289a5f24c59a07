"""Call logs exported from the phone: unanswered and rejected calls count for the conduct rules
even when nothing was recorded.

Two formats are read, told apart by their content:

- **The simple CSV** (documented for people who build it by hand or convert another export):
  the header `number,name,start,duration_seconds,type` (any column order, extra columns
  ignored), `start` a local date-time such as `2024-12-03 22:15:08` or `2024-12-03T22:15`
  (an offset such as `+08:00` is honoured; otherwise it is read in the negotiation's time zone),
  `type` one of incoming, outgoing, missed, rejected (also blocked, voicemail, and the Chinese
  来电/去电/未接/拒接). UTF-8 (with or without BOM) or GB18030, as Excel on a Chinese Windows
  saves it.
- **SMS Backup & Restore** `calls-*.xml` (SyncTech's Android app, the most installed call-log
  backup app, whose format is stable and publicly described): `<call number= duration=
  date= type= contact_name= />`, `date` in milliseconds since 1970 UTC, `type` Android's
  CallLog.Calls type (1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 blocked,
  7 answered on another device).

A phone's log holds every call, the borrower's mother's too, so only the collector's numbers
are kept: those named on the command line, else the numbers already in the negotiation. The
exported file itself is stored as evidence through intake (encrypted, hashed, in the custody
log), and each kept row points to it. A file with any unreadable row is refused whole, with the
line to fix; nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from logger.errors import DuplicateEvidence, LiuhenError
from logger.i18n import LANGUAGES, Text
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.blobs.store import BlobStore
from storage.models import (CallLogEntry, CallType, Channel, ContactEntry, Evidence, EvidenceKind,
                            Negotiation, User)

SIMPLE_CSV = "simple-csv"
SMS_BACKUP_RESTORE = "sms-backup-restore-xml"
FORMAT_NAMES = {SIMPLE_CSV: "simple CSV", SMS_BACKUP_RESTORE: "SMS Backup & Restore calls XML"}
SIMPLE_COLUMNS = ("number", "name", "start", "duration_seconds", "type")
MAX_CALL_LOG_BYTES = 64 * 1024 * 1024
# Android CallLog.Calls.TYPE values as SMS Backup & Restore writes them.
ANDROID_TYPES = {"1": CallType.incoming, "2": CallType.outgoing, "3": CallType.missed,
                 "4": CallType.voicemail, "5": CallType.rejected, "6": CallType.blocked,
                 "7": CallType.incoming}
TYPE_WORDS = {
    **{t.value: t for t in CallType},
    "来电": CallType.incoming, "已接来电": CallType.incoming, "呼入": CallType.incoming,
    "去电": CallType.outgoing, "已拨电话": CallType.outgoing, "呼出": CallType.outgoing,
    "未接": CallType.missed, "未接来电": CallType.missed,
    "拒接": CallType.rejected, "已拒接": CallType.rejected,
    "拦截": CallType.blocked, "已拦截": CallType.blocked,
}
# Prefixes by which two spellings of one number differ: country codes and the trunk 0.
_SAME_NUMBER_PREFIXES = frozenset({"+", "+1", "1", "0", "+86", "86", "0086"})
_NUMBER_SEPARATORS = re.compile(r"[\s\-().·/]")
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MAX_ERRORS_SHOWN = 5


class CallLogError(LiuhenError):
    """A call log could not be imported; nothing was stored."""


@dataclass(frozen=True)
class ParsedCall:
    number: str
    name: str | None
    started_at: datetime   # aware UTC
    duration_s: int
    call_type: CallType
    line: int              # CSV line, or the call's position among the XML's <call> elements


@dataclass(frozen=True)
class ParsedLog:
    format: str
    calls: tuple[ParsedCall, ...]


@dataclass(frozen=True)
class CallLogImport:
    """What an import did. `file_was_known`: the same file is already evidence (its id is
    `evidence_id`); its rows were added only where missing."""

    evidence_id: int
    file_was_known: bool
    format: str
    calls_in_file: int
    added: int
    already_known: int
    other_numbers: int
    numbers: tuple[str, ...]
    first: datetime | None
    last: datetime | None


def normalise_number(raw: str | None) -> str:
    """Digits only, "+" kept for non-Chinese international numbers, Chinese numbers as
    national numbers ("+86 138-0013-8000" -> "13800138000"); "" for a hidden or absent number
    (Android writes -1, -2, -3 for private, unknown and payphone)."""
    text = (raw or "").strip()
    if text.startswith("-"):
        return ""
    text = _NUMBER_SEPARATORS.sub("", text)
    plus, digits = text.startswith("+"), text.lstrip("+")
    if not digits.isdigit() or len(digits) > 20:
        return ""
    if digits.startswith("0086") and len(digits) > 10:
        digits, plus = digits[4:], False
    elif plus and digits.startswith("86"):
        digits, plus = digits[2:], False
    elif not plus and len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    return ("+" if plus else "") + digits


def same_number(a: str, b: str) -> bool:
    """Whether two normalised numbers are the same line, written with or without a country
    code or trunk 0 ("+12125550100" and "2125550100"). Short numbers must match exactly."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if short.startswith("+") or len(short) < 7 or not long.endswith(short):
        return False
    return long[:len(long) - len(short)] in _SAME_NUMBER_PREFIXES


def parse_call_log(data: bytes, *, tz: ZoneInfo) -> ParsedLog:
    """Read a call log in either format (see the module docstring). Raises CallLogError naming
    the lines to fix, or saying which formats are read."""
    if len(data) > MAX_CALL_LOG_BYTES:
        raise CallLogError(Text("the file is larger than %(mb)s MB; a phone's call log export "
                                "is far smaller: is it the right file?",
                                mb=MAX_CALL_LOG_BYTES // 2**20))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return ParsedLog(SMS_BACKUP_RESTORE, tuple(_parse_sbr_xml(data)))
    return ParsedLog(SIMPLE_CSV, tuple(_parse_simple_csv(_decode(data), tz)))


def import_call_log(*, session: Session, blobs: BlobStore, negotiation: Negotiation,
                    actor: User | None, data: bytes, filename: str, tz: ZoneInfo,
                    max_bytes: int, numbers: Collection[str] = (), all_numbers: bool = False
                    ) -> CallLogImport:
    """Store the exported file as evidence and its calls with the collector's numbers as
    CallLogEntry rows; commit. Keeps the calls of `numbers`, of every number with
    `all_numbers`, else of the numbers already in the negotiation. Raises CallLogError (bad
    file, no number to keep, nothing kept) with nothing stored, and intake's errors."""
    parsed = parse_call_log(data, tz=tz)
    if not parsed.calls:
        raise CallLogError(Text("“%(name)s” holds no calls", name=filename))
    wanted = _wanted_numbers(session, negotiation, numbers, all_numbers)
    kept = [c for c in parsed.calls
            if wanted is None or any(same_number(c.number, n) for n in wanted)]
    if not kept:
        raise CallLogError(Text(
            "none of the %(count)s calls in “%(name)s” is with %(numbers)s; nothing was stored "
            "(name the collector's numbers with --number, or keep every call with "
            "--all-numbers)", count=len(parsed.calls), name=filename,
            numbers=", ".join(sorted(wanted or []))))
    evidence_id, known_file = _store_file(session=session, blobs=blobs, negotiation=negotiation,
                                          actor=actor, data=data, filename=filename, tz=tz,
                                          max_bytes=max_bytes, parsed=parsed, kept=kept)
    added = _add_rows(session, negotiation.id, evidence_id, kept)
    return CallLogImport(
        evidence_id=evidence_id, file_was_known=known_file, format=parsed.format,
        calls_in_file=len(parsed.calls), added=added, already_known=len(kept) - added,
        other_numbers=len(parsed.calls) - len(kept),
        numbers=tuple(sorted({c.number for c in kept})),
        first=min(c.started_at for c in kept), last=max(c.started_at for c in kept))


def list_call_log(session: Session, negotiation_id: int) -> list[CallLogEntry]:
    """The negotiation's imported calls, oldest first."""
    return list(session.exec(select(CallLogEntry)
                             .where(CallLogEntry.negotiation_id == negotiation_id)
                             .order_by(CallLogEntry.started_at, CallLogEntry.id)))


def known_numbers(session: Session, negotiation_id: int) -> set[str]:
    """The other side's numbers the negotiation already holds: on its evidence, its imported
    calls and the contacts recorded by hand."""
    found: Iterable[str | None] = [
        *session.exec(select(Evidence.counterpart_number)
                      .where(Evidence.negotiation_id == negotiation_id)),
        *session.exec(select(CallLogEntry.number)
                      .where(CallLogEntry.negotiation_id == negotiation_id).distinct()),
        *session.exec(select(ContactEntry.counterpart_number)
                      .where(ContactEntry.negotiation_id == negotiation_id)),
    ]
    return {n for n in (normalise_number(raw) for raw in found) if n}


def _wanted_numbers(session: Session, negotiation: Negotiation, numbers: Collection[str],
                    all_numbers: bool) -> set[str] | None:
    if all_numbers:
        return None
    if numbers:
        wanted = {normalise_number(n) for n in numbers}
        if "" in wanted:
            bad = [n for n in numbers if not normalise_number(n)]
            raise CallLogError(Text("%(numbers)s is not a phone number",
                                    numbers=", ".join(repr(b) for b in bad)))
        return wanted
    wanted = known_numbers(session, negotiation.id)
    if not wanted:
        raise CallLogError(Text(
            "negotiation #%(id)s has no collector number yet, so Liuhen cannot tell the "
            "collector's calls from the rest of the phone's log: name them with --number "
            "(repeatable), or keep every call with --all-numbers", id=negotiation.id))
    return wanted


def _store_file(*, session: Session, blobs: BlobStore, negotiation: Negotiation,
                actor: User | None, data: bytes, filename: str, tz: ZoneInfo, max_bytes: int,
                parsed: ParsedLog, kept: list[ParsedCall]) -> tuple[int, bool]:
    """The evidence id of the exported file (stored now, or already), and whether it was
    already evidence."""
    first = min(c.started_at for c in kept).astimezone(tz).date()
    last = max(c.started_at for c in kept).astimezone(tz).date()
    note = (f"Call log ({FORMAT_NAMES[parsed.format]}): {len(kept)} calls with the collector "
            f"from {first} to {last}")
    try:
        item = ingest(session=session, blobs=blobs,
                      source=IncomingFile(io.BytesIO(data), filename, source="calllog"),
                      negotiation=negotiation, actor=actor, max_bytes=max_bytes, tz=tz,
                      details=EvidenceDetails(kind=EvidenceKind.document, channel=Channel.call,
                                              note=note))
    except DuplicateEvidence as e:
        return e.existing_id, True
    return item.id, False


def _add_rows(session: Session, negotiation_id: int, evidence_id: int,
              calls: list[ParsedCall]) -> int:
    """Insert the calls not yet known (same number and start) and commit; how many."""
    known = {(number, started) for number, started in session.exec(
        select(CallLogEntry.number, CallLogEntry.started_at)
        .where(CallLogEntry.negotiation_id == negotiation_id))}
    added = 0
    for call in calls:
        if (call.number, call.started_at) in known:
            continue
        known.add((call.number, call.started_at))
        session.add(CallLogEntry(negotiation_id=negotiation_id, evidence_id=evidence_id,
                                 number=call.number, name=call.name, started_at=call.started_at,
                                 duration_s=call.duration_s, call_type=call.call_type,
                                 line=call.line))
        added += 1
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise CallLogError(Text("another import added some of these calls at the same "
                                "moment; the file is stored: run the import again to add its "
                                "calls")) from None
    return added


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CallLogError(Text("the file is neither UTF-8 nor GB18030 text: save the CSV as "
                            "UTF-8"))


def _parse_simple_csv(text: str, tz: ZoneInfo) -> list[ParsedCall]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in SIMPLE_COLUMNS if c not in header]
    if missing:
        raise CallLogError(Text(
            "not a call log Liuhen reads: a CSV needs the header %(columns)s (missing: "
            "%(missing)s); an SMS Backup & Restore calls-*.xml file is read as it is",
            columns=",".join(SIMPLE_COLUMNS), missing=", ".join(missing)))
    reader.fieldnames = header
    calls, errors = [], []
    for row in reader:
        values = {k: (row.get(k) or "").strip() for k in SIMPLE_COLUMNS}
        if not any(values.values()):
            continue
        try:
            calls.append(_simple_row(values, reader.line_num, tz))
        except ValueError as e:
            errors.append(Text("line %(line)s: %(problem)s", line=reader.line_num,
                               problem=_problem(e)))
    _raise_errors(errors)
    return calls


def _simple_row(values: dict[str, str], line: int, tz: ZoneInfo) -> ParsedCall:
    number = normalise_number(values["number"])
    if values["number"] and not number and not values["number"].startswith("-"):
        raise ValueError(Text("number “%(number)s” is not a phone number",
                              number=values["number"]))
    call_type = TYPE_WORDS.get(values["type"].lower())
    if call_type is None:
        raise ValueError(Text("type “%(type)s” is not one of incoming, outgoing, missed, "
                              "rejected, blocked, voicemail", type=values["type"]))
    duration = values["duration_seconds"] or "0"
    if not duration.isdigit():
        raise ValueError(Text("duration_seconds “%(value)s” is not a whole number of seconds",
                              value=duration))
    return ParsedCall(number=number, name=values["name"] or None,
                      started_at=_local_start(values["start"], tz), duration_s=int(duration),
                      call_type=call_type, line=line)


def _local_start(value: str, tz: ZoneInfo) -> datetime:
    """A start time as written in the CSV, as aware UTC. Without an offset it is the phone's
    local time in `tz` (in the hour repeated when clocks go back, the first of the two)."""
    slash = _SLASH_DATE.match(value)
    if slash:
        y, mo, d, h, mi, s = (int(g or 0) for g in slash.groups())
        value = f"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(Text("start “%(value)s” is not a date and time like 2024-12-03 "
                              "22:15:08", value=value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _parse_sbr_xml(data: bytes) -> list[ParsedCall]:
    # SMS Backup & Restore never writes a DTD; refusing one rules out entity tricks.
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
        raise CallLogError(Text("the XML file declares a DTD; SMS Backup & Restore files never "
                                "do, so it is not read"))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise CallLogError(Text("the XML file is damaged or cut short (%(problem)s); export it "
                                "again", problem=str(e))) from None
    if root.tag != "calls":
        raise CallLogError(Text("the XML file holds <%(tag)s>, not <calls>: for SMS Backup & "
                                "Restore, pick the calls-*.xml file (the sms-*.xml one holds "
                                "messages)", tag=root.tag))
    calls, errors = [], []
    for position, element in enumerate(root.iter("call"), 1):
        try:
            calls.append(_sbr_call(element.attrib, position))
        except ValueError as e:
            errors.append(Text("call #%(position)s: %(problem)s", position=position,
                               problem=_problem(e)))
    _raise_errors(errors)
    return calls


def _sbr_call(attrs: dict[str, str], position: int) -> ParsedCall:
    call_type = ANDROID_TYPES.get(attrs.get("type", ""))
    if call_type is None:
        raise ValueError(Text("type “%(type)s” is not an Android call type (1–7)",
                              type=attrs.get("type")))
    millis = attrs.get("date", "")
    duration = attrs.get("duration", "0") or "0"
    if not millis.isdigit() or not duration.isdigit():
        raise ValueError(Text("date “%(date)s” or duration “%(duration)s” is not a number",
                              date=millis, duration=duration))
    name = attrs.get("contact_name", "").strip()
    hidden = attrs.get("presentation", "1") not in ("", "1")
    return ParsedCall(
        number="" if hidden else normalise_number(attrs.get("number")),
        name=None if name.lower() in ("", "(unknown)", "null") else name,
        started_at=datetime.fromtimestamp(int(millis) // 1000, UTC)
        + timedelta(milliseconds=int(millis) % 1000),
        duration_s=int(duration), call_type=call_type, line=position)


def _problem(error: ValueError) -> Text | str:
    """A row's problem: in every language where this module wrote it."""
    return error.args[0] if error.args and isinstance(error.args[0], Text) else str(error)


def _raise_errors(errors: list[Text]) -> None:
    if errors:
        more = len(errors) - _MAX_ERRORS_SHOWN
        shown = {language: "; ".join(e.to(language) for e in errors[:_MAX_ERRORS_SHOWN])
                 + (Text("; and %(count)s more", count=more).to(language) if more > 0 else "")
                 for language in LANGUAGES}
        raise CallLogError(Text("the call log was not imported, fix these and import it again: "
                                "%(problems)s", problems=shown))
