"""Evidence bundles: one ZIP that a court, a regulator or the user's own archive can check.

    evidence/<n-m>_<date>_<kind>_<other side>.<ext>   every original, byte for byte
    texts/<stem>.transcript.txt|.srt, .ocr.txt, .email.txt, .text.txt
    texts/<stem>.conversation.txt   overlapping screenshots of one chat, joined (bundles.chats)
    证据目录.pdf|.html|.csv  (English bundle: evidence-list.*)
    证据材料_打印版.pdf       court: list + exhibits, stamped, with running page numbers
    投诉信.txt|.pdf           complaint: the letter as the user edited it
    投诉信_草稿.txt           complaint, when the user edited the letter: the draft it came from
    README.txt, verify.py    how to check the bundle; the checker (standard library only)
    manifest.json            every file's SHA-256 and size; each item's SHA-256 at intake,
                             intake time and custody events; creation time, app version,
                             custody chain head, signing key
    manifest.sig             Ed25519 signature of manifest.json, key, SHA-256 (bundles.signing)
    manifest.tsr             RFC 3161 time-stamp of manifest.sig, so of who signed what, when
                             `bundles.tsa_url` is set (before manifest.json said `covers`: of it)

The ZIP is written as a stream (originals are decrypted block by block straight into it, in a
few MiB whatever their size; the PDFs are made in memory), and no part of a bundle is ever on
disk under a name before it is complete (`storage.scratch`):
- `build_bundle(out=...)` (the CLI) writes into a nameless file beside the target (Linux
  O_TMPFILE) and links it in as `out` once complete, so a killed export leaves nothing. Where
  that is not available it writes an EncryptedSpool in the data dir (ciphertext under a key held
  only in memory) and copies it out to a temporary name beside the target, renamed when done.
- `spool_bundle` (the web page) writes an EncryptedSpool in the data dir, which the caller
  decrypts while sending it and then closes.
The export is recorded in the custody log only once the bundle is complete. A failure leaves
no file and no custody event.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.bundles import pdf as bundle_pdf
from logger.bundles.calls import attach_calls
from logger.bundles.chats import conversation_files
from logger.bundles.items import (BundleError, BundleGroup, BundlePurpose, Exhibit, make_exhibits,
                                 written_date)
from logger.bundles.letter import check_kind, letter_files
from logger.bundles.listing import ListInfo, evidence_list_csv, evidence_list_html, list_title
from logger.bundles.readme import readme_text
from logger.bundles.signing import SigningKey, signing_key
from logger.bundles.texts import TextFile, text_files
from logger.bundles.timestamp import request_timestamp
from logger.conduct.zone import negotiation_zone
from logger.i18n import NC_, Text, translate
from logger.record import custody
from logger.record.moments import machine_time
from logger.services import Services
from storage.scratch import EncryptedSpool, nameless_file, publish
from storage.models import CustodyAction, CustodyEvent, Negotiation, User

FORMAT_NAME = "liuhen-bundle"
FORMAT_VERSION = 1


@dataclass
class BundleRequest:
    """What to export. `party`: the name printed on the list and the letter. `letter`: the
    complaint letter as the user edited it (None: the draft). `letter_kind`: which letter
    (logger.bundles.letter.LETTER_KINDS); `letter_picks`: the keys of the facts the user picked
    for it (None: all confirmed ones). When `letter` differs from that draft, the bundle keeps
    the draft too and the export's custody event says the user edited the letter."""

    negotiation: Negotiation
    purpose: BundlePurpose
    language: str
    groups: list[BundleGroup]
    party: str
    letter: str | None = None
    timestamp: bool = True
    letter_kind: str = "generic"
    letter_picks: list[str] | None = None
    # Every time in the bundle is local in this zone; None: the negotiation's
    # (logger.conduct.zone.negotiation_zone: its own, else its owner's, else the config's).
    tz: ZoneInfo | None = None


@dataclass(frozen=True)
class BundleResult:
    path: Path
    manifest_sha256: str
    files: int
    bytes: int
    exhibits: int
    fingerprint: str
    timestamped: bool
    custody_seq: int

    def as_dict(self) -> dict:
        return {"path": str(self.path), "manifest_sha256": self.manifest_sha256,
                "files": self.files, "bytes": self.bytes, "exhibits": self.exhibits,
                "fingerprint": self.fingerprint, "timestamped": self.timestamped,
                "custody_seq": self.custody_seq}


@dataclass
class _Zip:
    """The ZIP being written, with the SHA-256 and size of every member."""

    zip: zipfile.ZipFile
    stamp: tuple[int, ...]
    files: list[dict] = field(default_factory=list)

    def _info(self, path: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.stamp[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, path: str, data: bytes, **meta) -> None:
        self.zip.writestr(self._info(path, compress=True), data)
        self._record(path, hashlib.sha256(data).hexdigest(), len(data), meta)

    def add_unlisted(self, path: str, data: bytes) -> None:
        """manifest.json and what covers it: not listed in the manifest itself."""
        self.zip.writestr(self._info(path, compress=True), data)

    def add_original(self, exhibit: Exhibit, services: Services) -> None:
        """Decrypt the original into the ZIP, stored as is; its hash must be the intake's."""
        item = exhibit.evidence
        with self.zip.open(self._info(exhibit.original_path, False), "w",
                           force_zip64=item.size >= 1 << 30) as out:
            stored = services.blobs.copy_to(item.blob_id, out)
        if stored.sha256 != item.sha256 or stored.size != item.size:
            raise BundleError(Text("Evidence #%(id)d no longer has the SHA-256 recorded at "
                                   "intake, so nothing was exported. Run `liuhen verify` to see "
                                   "what happened.", id=item.id))
        self._record(exhibit.original_path, stored.sha256, stored.size,
                     {"role": "original", "exhibit": exhibit.number, "evidence_id": item.id})

    def _record(self, path: str, sha256: str, size: int, meta: dict) -> None:
        self.files.append({"path": path, "sha256": sha256, "size": size, **meta})


@dataclass
class _Plan:
    """What is settled before the first byte is written."""

    request: BundleRequest
    tz: ZoneInfo
    exhibits: list[Exhibit]
    key: SigningKey
    created: datetime
    head: CustodyEvent | None
    letter: dict | None = None  # what the custody event says of the letter


def build_bundle(*, session: Session, services: Services, request: BundleRequest, out: Path,
                 actor: User | None) -> BundleResult:
    """Write the bundle to `out` (replacing a file there only on success) and record the export
    in the custody log. Raises BundleError (and its TimestampError) saying what to change."""
    plan = _plan(session, services, request)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = nameless_file(out.parent)
    if fd is not None:
        with open(fd, "w+b") as f:
            written = _write_zip(f, session, services, plan)
            f.flush()
            size = os.fstat(f.fileno()).st_size
            publish(f.fileno(), out)
    else:
        with EncryptedSpool(services.config.storage.data_dir) as spool:
            written = _write_zip(spool, session, services, plan)
            spool.finish()
            spool.publish(out)
            size = spool.size
    return _finish(session, plan, written, out, size, actor)


def spool_bundle(*, session: Session, services: Services, request: BundleRequest, name: str,
                 actor: User | None) -> tuple[BundleResult, EncryptedSpool]:
    """Build the bundle into an EncryptedSpool in the data dir and record the export as `name`;
    the caller sends `spool.chunks()` and closes the spool. Raises BundleError like
    build_bundle, leaving nothing."""
    plan = _plan(session, services, request)
    spool = EncryptedSpool(services.config.storage.data_dir)
    try:
        written = _write_zip(spool, session, services, plan)
        spool.finish()
        return _finish(session, plan, written, Path(name), spool.size, actor), spool
    except BaseException:
        spool.close()
        raise


def _plan(session: Session, services: Services, request: BundleRequest) -> _Plan:
    if request.language not in ("zh", "en"):
        raise BundleError(f"the bundle language must be zh or en, not {request.language!r}")
    check_kind(request.letter_kind)
    tz = request.tz or negotiation_zone(session, request.negotiation,
                                        default_zone=services.config.locale.zone)
    exhibits = make_exhibits(session, request.negotiation, request.groups,
                             language=request.language, tz=tz)
    attach_calls(session, exhibits, language=request.language, tz=tz)
    key = signing_key(services.vault, services.config.storage.data_dir)
    head = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq.desc()).limit(1)).first()
    return _Plan(request, tz, exhibits, key, datetime.now(UTC), head)


@dataclass(frozen=True)
class _Written:
    files: int
    manifest: dict
    manifest_sha: str


def _write_zip(sink: BinaryIO, session: Session, services: Services, plan: _Plan) -> _Written:
    """The whole ZIP into `sink` (a file, or a stream without seek: then with data
    descriptors)."""
    request, tz, exhibits = plan.request, plan.tz, plan.exhibits
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        bundle = _Zip(archive, plan.created.astimezone(tz).timetuple())
        _write_contents(bundle, session, services, plan)
        manifest = _manifest(session, request, exhibits, bundle.files, plan.key, plan.head,
                             plan.created, tz)
        manifest_sha = _write_signed_manifest(bundle, manifest, plan.key, request, services)
    return _Written(len(bundle.files), manifest, manifest_sha)


def _finish(session: Session, plan: _Plan, written: _Written, out: Path, size: int,
            actor: User | None) -> BundleResult:
    event = _record_export(session, plan, out, written.manifest_sha, actor)
    return BundleResult(out, written.manifest_sha, written.files, size, len(plan.exhibits),
                        plan.key.fingerprint, bool(written.manifest["timestamp"]["authority"]),
                        event.seq)


def _write_contents(bundle: _Zip, session: Session, services: Services, plan: _Plan) -> None:
    request, exhibits, tz = plan.request, plan.exhibits, plan.tz
    created, fingerprint = plan.created, plan.key.fingerprint
    language = request.language
    texts: dict[str, list[TextFile]] = {}
    for exhibit in exhibits:
        bundle.add_original(exhibit, services)
        texts[exhibit.number] = text_files(exhibit, services.blobs, language, tz)
        for text in texts[exhibit.number]:
            exhibit.text_paths.append(text.path)
            bundle.add_bytes(text.path, text.content.encode("utf-8"), role="text",
                             exhibit=exhibit.number, evidence_id=exhibit.evidence.id)
    # Overlapping screenshots of one conversation: also joined, each message once.
    for chat in conversation_files(exhibits, language, tz):
        bundle.add_bytes(chat.path, chat.content.encode("utf-8"), role="conversation",
                         exhibits=[e.number for e in chat.exhibits])
        for exhibit in chat.exhibits:
            exhibit.text_paths.append(chat.path)
    info = _list_info(request, exhibits, created.astimezone(tz), fingerprint)
    list_name = translate(language, NC_("file name", "evidence-list"))
    if request.purpose == BundlePurpose.court:
        print_name = translate(language, NC_("file name", "evidence-print.pdf"))
        pdf = io.BytesIO()
        bundle_pdf.write_print_pdf(pdf, exhibits, info, texts, services.blobs)
        bundle.add_bytes(print_name, pdf.getvalue(), role="print")
    pdf = io.BytesIO()
    bundle_pdf.write_list_pdf(pdf, exhibits, info)
    bundle.add_bytes(f"{list_name}.pdf", pdf.getvalue(), role="list")
    bundle.add_bytes(f"{list_name}.html", evidence_list_html(exhibits, info).encode("utf-8"),
                     role="list")
    bundle.add_bytes(f"{list_name}.csv", evidence_list_csv(exhibits, info), role="list")
    if request.purpose == BundlePurpose.complaint:
        files, plan.letter = letter_files(
            session, request.negotiation, language=language, tz=tz, party=request.party,
            today=created.astimezone(tz).date(), kind=request.letter_kind,
            picks=request.letter_picks, edited=request.letter)
        for path, data, role in files:
            bundle.add_bytes(path, data, role=role)
    readme = readme_text(request.purpose, info.fingerprint)  # the key's fingerprint on top
    bundle.add_bytes("README.txt", readme.encode("utf-8"), role="readme")
    verifier = importlib.resources.files("logger.bundles").joinpath("verify.py").read_bytes()
    bundle.add_bytes("verify.py", verifier, role="verifier")


def _list_info(request: BundleRequest, exhibits: list[Exhibit], local: datetime,
               fingerprint: str) -> ListInfo:
    n, language = request.negotiation, request.language
    facts = [(NC_("bundle", "Creditor"), n.creditor),
             (NC_("bundle", "Collection agency"), n.collection_agency),
             (NC_("bundle", "Account / loan reference"), n.account_reference)]
    lines = [translate(language, "%(label)s: %(value)s", label=translate(language, label),
                       value=value) for label, value in facts if value]
    lines.append(translate(language, "%(count)s item(s)", count=len(exhibits)))
    return ListInfo(language=language, title=list_title(language), case_lines=tuple(lines),
                    party=request.party, date=written_date(local.date(), language),
                    court=request.purpose == BundlePurpose.court, zone=local.tzinfo,
                    fingerprint=fingerprint)


def _manifest(session: Session, request: BundleRequest, exhibits: list[Exhibit],
              files: list[dict], key: SigningKey, head: CustodyEvent | None,
              created: datetime, tz: ZoneInfo) -> dict:
    """The manifest; its times are local in `tz` with their offset (ISO 8601), except the
    custody events, kept in the canonical form their hashes are computed over (UTC)."""
    n = request.negotiation
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "created_at": machine_time(created, tz),
        "timezone": tz.key,
        "application": {"name": "liuhen", "version": _app_version()},
        "purpose": str(request.purpose),
        "language": request.language,
        "negotiation": {"id": n.id, "creditor": n.creditor,
                        "collection_agency": n.collection_agency,
                        "account_reference": n.account_reference},
        "custody_chain_head": {"seq": head.seq if head else 0,
                               "sha256": head.hash if head else custody.GENESIS_HASH},
        "signing_key": {"algorithm": "Ed25519", "public_key": key.public_key_b64,
                        "fingerprint": key.fingerprint},
        "timestamp": {"authority": None},
        "files": files,
        "items": [_item_entry(session, e, tz) for e in exhibits],
    }


def _item_entry(session: Session, exhibit: Exhibit, tz: ZoneInfo) -> dict:
    item = exhibit.evidence
    events = session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == item.id)
                          .order_by(CustodyEvent.seq)).all()
    return {
        "exhibit": exhibit.number, "group": exhibit.group, "purpose": exhibit.purpose,
        "evidence_id": item.id, "name": exhibit.name, "kind": str(item.kind),
        "original": exhibit.original_path, "texts": exhibit.text_paths,
        "original_filename": item.original_filename, "media_type": item.media_type,
        "size": item.size, "sha256_at_intake": item.sha256,
        "intake_at": machine_time(item.created_at, tz),
        "occurred_at": machine_time(item.occurred_at, tz, item.occurred_at_precision),
        # Where that time was read (logger.record.when), and "day" when only its date is known.
        "occurred_at_source": item.occurred_at_source and str(item.occurred_at_source),
        "occurred_at_precision": item.occurred_at_precision and str(item.occurred_at_precision),
        "pages": list(exhibit.pages) if exhibit.pages else None,
        "custody_events": [_event_entry(e) for e in events],
    }


def _event_entry(event: CustodyEvent) -> dict:
    """The event in the custody log's canonical form, plus its hash: anyone can recompute it."""
    return {**json.loads(custody.canonical_bytes(
        seq=event.seq, at=event.at, actor_id=event.actor_id, action=event.action,
        negotiation_id=event.negotiation_id, evidence_id=event.evidence_id,
        details=event.details, prev_hash=event.prev_hash)), "hash": event.hash}


def _write_signed_manifest(bundle: _Zip, manifest: dict, key: SigningKey,
                           request: BundleRequest, services: Services) -> str:
    settings = services.config.bundles
    if request.timestamp and settings.tsa_url:
        manifest["timestamp"].update(authority=settings.tsa_url, covers="manifest.sig")
    data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    signed = key.signature_file(data)  # the time-stamp covers it: who signed, and what
    bundle.add_unlisted("manifest.json", data)
    bundle.add_unlisted("manifest.sig", signed)
    if manifest["timestamp"]["authority"]:
        bundle.add_unlisted("manifest.tsr", request_timestamp(
            signed, url=settings.tsa_url, timeout=settings.tsa_timeout_seconds,
            ca_file=settings.tsa_ca_file))
    return hashlib.sha256(data).hexdigest()


def _record_export(session: Session, plan: _Plan, out: Path, manifest_sha: str,
                   actor: User | None) -> CustodyEvent:
    request, exhibits, key, head = plan.request, plan.exhibits, plan.key, plan.head
    letter = {"letter": plan.letter} if plan.letter else {}
    custody.lock_chain(session)
    event = custody.append_event(
        session, action=CustodyAction.export, actor_id=actor.id if actor else None,
        negotiation_id=request.negotiation.id,
        details={"purpose": str(request.purpose), "language": request.language,
                 "file": out.name, "manifest_sha256": manifest_sha,
                 "items": {e.number: e.evidence.id for e in exhibits},
                 "chain_head_seq": head.seq if head else 0,
                 "signing_key": key.fingerprint, **letter})
    session.commit()
    return event


def _app_version() -> str:
    try:
        return importlib.metadata.version("liuhen")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
