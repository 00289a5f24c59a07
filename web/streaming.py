"""Uploads streamed from the request body straight into `logger.intake.ingest`.

Contract of `ingest_multipart(request, negotiation, actor, csrf=...)` (used by the upload page
and by the JSON API):

- The body is `multipart/form-data`. It is parsed incrementally from `request.stream` in 256 KiB
  reads (werkzeug's sans-IO `MultipartDecoder`); a file part is handed to `ingest` as a stream
  that pulls the next bytes from the socket when intake asks for them. Nothing is buffered
  beyond one read, nothing is spooled to a temporary file, and `request.files` / `request.form`
  are never touched (they would spool large files to disk in plaintext). The plaintext only
  ever reaches the disk encrypted, through the blob store.
- Every part with a file name is a file (any field name; the page and the API use `file`), and
  becomes one `UploadResult`: stored, duplicate (with the existing item's id) or refused (with
  the reason). One refused file does not stop the others.
- Text fields set details for the files that FOLLOW them: `occurred_at` (ISO 8601; local time
  in `tz` without an offset), `channel`, `direction`, `kind`, `counterpart_name`,
  `counterpart_number`, `staff_number`, `proof_kind`, `subject`, `note`. An invalid value
  raises `UploadRefused` before any later file is read (files before it stay stored).
  `staff_number` and `proof_kind` (which proof a `hardship_proof` is) are recorded right after
  intake as a metadata edit (intake has no field for them).
- Fields that come AFTER the last file (a phone automation may not choose the order) are
  applied to every file this request stored, as one metadata edit each (in the custody log);
  `kind` and `subject` cannot be changed that way and are named in the results' messages.
  An invalid late value raises `UploadRefused` saying the files were stored without it.
- `csrf=True` (browser forms): the token must come in the `X-CSRFToken` header or as a
  `csrf_token` field BEFORE the first file; otherwise `CSRFError` (400) is raised and nothing is
  stored. The view must be exempt from Flask-WTF's automatic check (`exempt_from_form_csrf`),
  which would read `request.form`. The API passes `csrf=False` (bearer tokens).
- A file over `intake.max_file_mb` is refused as soon as the limit is passed; its remaining bytes
  are read and dropped so the reply can still be sent, and nothing of it is stored. A mailbox of
  more than `max_messages` messages (`intake.max_messages_per_import`) is refused whole, with its
  count and the limit in the result.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import Blueprint, Request, g
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf
from sqlmodel import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (Data, Epilogue, Field, File, MultipartDecoder, NeedData,
                                       State)

from logger.config.sections import IntakeConfig
from logger.errors import (DuplicateEvidence, FileTooLarge, IntakeError, LiuhenError,
                           TooManyMessages)
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.evidence import METADATA_FIELDS, edit_evidence
from storage.blobs.store import BlobStore
from storage.models import Evidence, EvidenceKind, Negotiation, User
from web.details import DetailsError, read_details
from web.i18n import refusal_text

READ_SIZE = 256 * 1024
# A text field is a few words; anything bigger is not a form this app sent.
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 1000
CSRF_FIELD = "csrf_token"
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


class UploadRefused(LiuhenError):
    """The request itself is wrong (not multipart, a bad field value, broken framing)."""


class UploadStatus(StrEnum):
    stored = "stored"
    duplicate = "duplicate"
    refused = "refused"


@dataclass
class UploadResult:
    filename: str
    status: UploadStatus
    message: str
    evidence: Evidence | None = None  # the new item (stored)
    existing_id: int | None = None  # the item it duplicates (duplicate)
    too_large: bool = False  # refused for exceeding intake.max_file_mb
    max_mb: int | None = None
    # refused: a mailbox of `messages` messages, over intake.max_messages_per_import
    messages: int | None = None
    max_messages: int | None = None


def too_many_messages(result: UploadResult) -> str:
    """What the page and the API say about a mailbox refused for its number of messages."""
    return _("Refused: this mailbox holds %(count)s messages, more than the %(limit)s one import "
             "may split into items (setting intake.max_messages_per_import). Split it into "
             "smaller mailboxes or raise the setting, then upload it again. Nothing was stored.",
             count=f"{result.messages:,}", limit=f"{result.max_messages:,}")


def exempt_from_form_csrf(bp: Blueprint, view: Callable) -> None:
    """Keep Flask-WTF's before-request CSRF check off a streaming view (it reads
    `request.form`, which would parse and spool the whole body); the view checks the token
    itself through `ingest_multipart(csrf=True)`."""
    bp.record_once(lambda state: state.app.extensions["csrf"].exempt(view))


def ingest_multipart(request: Request, negotiation: Negotiation, actor: User | None, *,
                     session: Session, blobs: BlobStore, max_bytes: int, tz: ZoneInfo,
                     csrf: bool = True, source: str = "web",
                     max_messages: int = IntakeConfig.max_messages_per_import
                     ) -> list[UploadResult]:
    """Store every file of a multipart request as evidence of `negotiation` (see the module
    docstring for the contract). Raises UploadRefused, CSRFError."""
    boundary = _boundary(request)
    parts = _Parts(request.stream, boundary)
    csrf_ok = not csrf or _header_token_valid(request)
    fields: dict[str, str] = {}
    late: dict[str, str] = {}  # fields seen since the latest file
    results: list[UploadResult] = []
    for event in parts.events():
        if isinstance(event, File):
            if not csrf_ok:
                raise CSRFError("The CSRF token is missing.")
            late = {}
            details, metadata = _details(fields, tz, event.filename or "")
            stream = parts.file_stream()
            results.append(_ingest_one(
                IncomingFile(stream, event.filename or "", _declared_type(event), source),
                session=session, blobs=blobs, negotiation=negotiation, actor=actor,
                max_bytes=max_bytes, tz=tz, details=details, metadata=metadata,
                max_messages=max_messages))
            stream.drain()
        elif isinstance(event, Field):
            value = parts.field_value()
            if event.name == CSRF_FIELD and csrf and not csrf_ok:
                csrf_ok = _token_valid(value)
                if not csrf_ok:
                    raise CSRFError("The CSRF token is invalid.")
            elif event.name != CSRF_FIELD:
                fields[event.name] = value
                if results:
                    late[event.name] = value
    if not csrf_ok:
        raise CSRFError("The CSRF token is missing.")
    if late:
        _apply_late_fields(late, results, session=session, actor=actor, tz=tz)
    return results


def _apply_late_fields(late: dict[str, str], results: list[UploadResult], *, session: Session,
                       actor: User | None, tz: ZoneInfo) -> None:
    """Fields sent after the last file: a metadata edit of every file stored by the request."""
    try:
        changes = read_details(late, tz)
    except DetailsError as e:
        raise UploadRefused(_("a field sent after the files is wrong (%(problem)s); the files "
                              "were stored without it: correct them on their pages",
                              problem=str(e))) from None
    fixed = sorted(set(late) & {"kind", "subject"})
    for result in results:
        if result.status != UploadStatus.stored or result.evidence is None:
            continue
        if changes:
            edit_evidence(session, result.evidence, actor=actor, changes=changes)
        if fixed:
            result.message += " " + _("(%(fields)s must come before the file to count; it "
                                      "was ignored)", fields=", ".join(fixed))


def _ingest_one(source: IncomingFile, *, session: Session, blobs: BlobStore,
                negotiation: Negotiation, actor: User | None, max_bytes: int, tz: ZoneInfo,
                details: EvidenceDetails, metadata: dict[str, str],
                max_messages: int) -> UploadResult:
    name = source.filename or "unnamed"
    try:
        evidence = ingest(session=session, blobs=blobs, source=source, negotiation=negotiation,
                          actor=actor, max_bytes=max_bytes, tz=tz, details=details,
                          max_messages=max_messages)
    except DuplicateEvidence as e:
        return UploadResult(name, UploadStatus.duplicate, refusal_text(e),
                            existing_id=e.existing_id)
    except FileTooLarge as e:
        return UploadResult(name, UploadStatus.refused, refusal_text(e), too_large=True,
                            max_mb=max_bytes // (1024 * 1024))
    except TooManyMessages as e:
        return UploadResult(name, UploadStatus.refused, refusal_text(e), messages=e.count,
                            max_messages=e.limit)
    except IntakeError as e:
        return UploadResult(name, UploadStatus.refused, refusal_text(e))
    if metadata:
        edit_evidence(session, evidence, actor=actor, changes=metadata)
    return UploadResult(evidence.original_filename, UploadStatus.stored,
                        f"stored as evidence #{evidence.id}", evidence=evidence)


def _details(fields: dict[str, str], tz: ZoneInfo,
             filename: str) -> tuple[EvidenceDetails, dict[str, str]]:
    try:
        values = read_details(fields, tz)
        kind = EvidenceKind(fields["kind"]) if fields.get("kind") else None
    except (DetailsError, ValueError) as e:
        raise UploadRefused(_("a field sent before “%(name)s” is wrong (%(problem)s); that "
                              "file and the ones after it were not stored", name=filename,
                              problem=str(e))) from None
    metadata = {name: value for name in METADATA_FIELDS
                if (value := values.pop(name, None)) is not None}
    subject = " ".join(fields.get("subject", "").split()) or None
    return EvidenceDetails(kind=kind, subject=subject, **values), metadata


def _boundary(request: Request) -> bytes:
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        raise UploadRefused(_("an upload must be sent as multipart/form-data"))
    return boundary.encode("latin-1")


def _declared_type(event: File) -> str | None:
    return event.headers.get("Content-Type") or None


def _header_token_valid(request: Request) -> bool:
    for header in CSRF_HEADERS:
        token = request.headers.get(header)
        if token:
            if not _token_valid(token):
                raise CSRFError("The CSRF token is invalid.")
            return True
    return False


def _token_valid(token: str) -> bool:
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    g.csrf_valid = True
    return True


class _Parts:
    """Pulls events from the decoder, reading the body only when the decoder needs more."""

    def __init__(self, body, boundary: bytes):
        self._body = body
        # The decoder's buffer holds at most one read plus a part's headers or a boundary.
        self._decoder = MultipartDecoder(boundary, max_parts=MAX_PARTS,
                                         max_form_memory_size=MAX_FIELD_BYTES + 2 * READ_SIZE)

    def next_event(self):
        while True:
            try:
                event = self._decoder.next_event()
            except (ValueError, RequestEntityTooLarge) as e:
                raise UploadRefused(_("the upload's multipart framing is broken (%(problem)s)",
                                      problem=str(e))) from None
            if not isinstance(event, NeedData):
                return event
            chunk = self._body.read(READ_SIZE)
            try:
                self._decoder.receive_data(chunk or None)
            except RequestEntityTooLarge:
                if self._decoder.state == State.PREAMBLE:
                    raise UploadRefused(_("the body does not contain the multipart boundary "
                                          "its Content-Type names")) from None
                raise UploadRefused(_("a form field of the upload is too large")) from None

    def events(self) -> Iterator[Field | File]:
        """The parts' headers, in order; each part's data must be consumed before the next."""
        while True:
            event = self.next_event()
            if isinstance(event, Epilogue):
                return
            if isinstance(event, (Field, File)):
                yield event

    def data(self) -> Data:
        event = self.next_event()
        if not isinstance(event, Data):
            raise UploadRefused(_("the upload's multipart framing is broken (a part has no "
                                  "body)"))
        return event

    def field_value(self) -> str:
        chunks, size = [], 0
        while True:
            event = self.data()
            size += len(event.data)
            if size > MAX_FIELD_BYTES:
                raise UploadRefused(_("a form field of the upload is too large"))
            chunks.append(event.data)
            if not event.more_data:
                return b"".join(chunks).decode("utf-8", "replace")

    def file_stream(self) -> _PartStream:
        return _PartStream(self)


class _PartStream(io.RawIOBase):
    """One file part as a readable stream; reading past its end returns b""."""

    def __init__(self, parts: _Parts):
        self._parts = parts
        self._buffer = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer and not self._done:
            event = self._parts.data()
            self._buffer = memoryview(event.data)
            self._done = not event.more_data
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def drain(self) -> None:
        """Skip what intake did not read (a refused file), up to the next part."""
        self._buffer = memoryview(b"")
        while not self._done:
            self._done = not self._parts.data().more_data
