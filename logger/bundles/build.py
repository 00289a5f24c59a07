"""Evidence bundles: one ZIP that a court, a regulator or the user's own archive can check.

    evidence/<n-m>_<date>_<kind>_<other side>.<ext>   every original, byte for byte
    texts/<stem>.transcript.txt|.srt, .ocr.txt, .email.txt, .text.txt
    texts/<stem>.conversation.txt   overlapping screenshots of one chat, joined (bundles.chats)
    证据目录.pdf|.html|.csv  (English bundle: evidence-list.*)
    证据材料_打印版.pdf       court: list + exhibits, stamped, with running page numbers
    投诉信.txt|.pdf           complaint: the letter as the user edited it
    README.txt, verify.py    how to check the bundle; the checker (standard library only)
    manifest.json            every file's SHA-256 and size; each item's SHA-256 at intake,
                             intake time and custody events; creation time, app version,
                             custody chain head, signing key
    manifest.sig             Ed25519 signature of manifest.json (logger.bundles.signing)
    manifest.tsr             RFC 3161 time-stamp of manifest.json (when `bundles.tsa_url` is set)

The ZIP is written as a stream (originals are decrypted block by block straight into it, in a
few MiB whatever their size) to a temporary name beside the target, fsynced and renamed only
when complete; then the export is recorded in the custody log. A failure leaves no file that
looks like a bundle and no custody event.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import secrets
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.bundles import pdf as bundle_pdf
from logger.bundles.calls import attach_calls
from logger.bundles.chats import conversation_files
from logger.bundles.items import (BundleError, BundleGroup, BundlePurpose, Exhibit, make_exhibits,
                                 written_date)
from logger.bundles.letter import draft_letter
from logger.bundles.listing import ListInfo, evidence_list_csv, evidence_list_html, list_title
from logger.bundles.readme import readme_text
from logger.bundles.signing import SigningKey, signing_key
from logger.bundles.texts import TextFile, text_files
from logger.bundles.timestamp import request_timestamp
from logger.conduct.report import negotiation_zone
from logger.i18n import NC_, translate
from logger.record import custody
from logger.record.moments import machine_time
from logger.services import Services
from storage.fsutil import fsync_dir
from storage.models import CustodyAction, CustodyEvent, Negotiation, User

FORMAT_NAME = "liuhen-bundle"
FORMAT_VERSION = 1
READ_SIZE = 1 << 20


@dataclass
class BundleRequest:
    """What to export. `party`: the name printed on the list and the letter. `letter`: the
    complaint letter as the user edited it (None: the draft)."""

    negotiation: Negotiation
    purpose: BundlePurpose
    language: str
    groups: list[BundleGroup]
    party: str
    letter: str | None = None
    timestamp: bool = True
    # Every time in the bundle is local in this zone; None: the negotiation's
    # (logger.conduct.report.negotiation_zone: its own, else its owner's, else the config's).
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

    def add_file(self, path: str, source: Path, **meta) -> None:
        sha, size = hashlib.sha256(), 0
        with open(source, "rb") as f, self.zip.open(self._info(path, True), "w",
                                                    force_zip64=True) as out:
            while block := f.read(READ_SIZE):
                sha.update(block)
                out.write(block)
                size += len(block)
        self._record(path, sha.hexdigest(), size, meta)

    def add_original(self, exhibit: Exhibit, services: Services) -> None:
        """Decrypt the original into the ZIP, stored as is; its hash must be the intake's."""
        item = exhibit.evidence
        with self.zip.open(self._info(exhibit.original_path, False), "w",
                           force_zip64=item.size >= 1 << 30) as out:
            stored = services.blobs.copy_to(item.blob_id, out)
        if stored.sha256 != item.sha256 or stored.size != item.size:
            raise BundleError(f"evidence #{item.id} no longer has the SHA-256 recorded at intake; "
                              "nothing was exported. Run `liuhen verify` to see what happened")
        self._record(exhibit.original_path, stored.sha256, stored.size,
                     {"role": "original", "exhibit": exhibit.number, "evidence_id": item.id})

    def _record(self, path: str, sha256: str, size: int, meta: dict) -> None:
        self.files.append({"path": path, "sha256": sha256, "size": size, **meta})


def build_bundle(*, session: Session, services: Services, request: BundleRequest, out: Path,
                 actor: User | None) -> BundleResult:
    """Write the bundle to `out` (replacing a file there only on success) and record the export
    in the custody log. Raises BundleError (and its TimestampError) saying what to change."""
    if request.language not in ("zh", "en"):
        raise BundleError(f"the bundle language must be zh or en, not {request.language!r}")
    tz = request.tz or negotiation_zone(session, request.negotiation,
                                        default_zone=services.config.locale.zone)
    exhibits = make_exhibits(session, request.negotiation, request.groups,
                             language=request.language, tz=tz)
    attach_calls(session, exhibits, language=request.language, tz=tz)
    key = signing_key(services.vault, services.config.storage.data_dir)
    created = datetime.now(UTC)
    head = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq.desc()).limit(1)).first()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.part")
    try:
        with open(tmp, "wb") as f, tempfile.TemporaryDirectory(
                dir=out.parent, prefix=".liuhen-bundle-") as work:
            with zipfile.ZipFile(f, "w", allowZip64=True) as archive:
                bundle = _Zip(archive, created.astimezone(tz).timetuple())
                _write_contents(bundle, session, services, request, exhibits, Path(work), tz,
                                created)
                manifest = _manifest(session, request, exhibits, bundle.files, key, head,
                                     created, tz)
                manifest_sha = _write_signed_manifest(bundle, manifest, key, request, services)
            f.flush()
            os.fsync(f.fileno())
        size = tmp.stat().st_size
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    event = _record_export(session, request, exhibits, out, manifest_sha, key, head, actor)
    return BundleResult(out, manifest_sha, len(bundle.files), size, len(exhibits),
                        key.fingerprint, bool(manifest["timestamp"]["authority"]), event.seq)


def _write_contents(bundle: _Zip, session: Session, services: Services,
                    request: BundleRequest, exhibits: list[Exhibit], work: Path, tz: ZoneInfo,
                    created: datetime) -> None:
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
    info = _list_info(request, exhibits, created.astimezone(tz))
    list_name = translate(language, NC_("file name", "evidence-list"))
    if request.purpose == BundlePurpose.court:
        print_name = translate(language, NC_("file name", "evidence-print.pdf"))
        bundle_pdf.write_print_pdf(work / "print.pdf", exhibits, info, texts, services.blobs)
        bundle.add_file(print_name, work / "print.pdf", role="print")
    bundle_pdf.write_list_pdf(work / "list.pdf", exhibits, info)
    bundle.add_file(f"{list_name}.pdf", work / "list.pdf", role="list")
    bundle.add_bytes(f"{list_name}.html", evidence_list_html(exhibits, info).encode("utf-8"),
                     role="list")
    bundle.add_bytes(f"{list_name}.csv", evidence_list_csv(exhibits, info), role="list")
    if request.purpose == BundlePurpose.complaint:
        _write_letter(bundle, session, request, work, tz)
    bundle.add_bytes("README.txt", readme_text(request.purpose).encode("utf-8"), role="readme")
    verifier = importlib.resources.files("logger.bundles").joinpath("verify.py").read_bytes()
    bundle.add_bytes("verify.py", verifier, role="verifier")


def _write_letter(bundle: _Zip, session: Session, request: BundleRequest, work: Path,
                  tz: ZoneInfo) -> None:
    language = request.language
    letter = request.letter if request.letter and request.letter.strip() else draft_letter(
        session, request.negotiation, language=language, tz=tz, party=request.party)
    name = translate(language, NC_("file name", "complaint-letter"))
    bundle.add_bytes(f"{name}.txt", letter.encode("utf-8"), role="letter")
    bundle_pdf.write_letter_pdf(work / "letter.pdf", translate(language, "Complaint"),
                                letter, language)
    bundle.add_file(f"{name}.pdf", work / "letter.pdf", role="letter")


def _list_info(request: BundleRequest, exhibits: list[Exhibit], local: datetime) -> ListInfo:
    n, language = request.negotiation, request.language
    facts = [(NC_("bundle", "Creditor"), n.creditor),
             (NC_("bundle", "Collection agency"), n.collection_agency),
             (NC_("bundle", "Account / loan reference"), n.account_reference)]
    lines = [translate(language, "%(label)s: %(value)s", label=translate(language, label),
                       value=value) for label, value in facts if value]
    lines.append(translate(language, "%(count)s item(s)", count=len(exhibits)))
    return ListInfo(language=language, title=list_title(language), case_lines=tuple(lines),
                    party=request.party, date=written_date(local.date(), language),
                    court=request.purpose == BundlePurpose.court, zone=local.tzinfo)


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
        manifest["timestamp"]["authority"] = settings.tsa_url
    data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    signature = {"format": "liuhen-bundle-signature", "version": 1, "algorithm": "Ed25519",
                 "signed_file": "manifest.json",
                 "signature": _b64(key.sign(data)), "public_key": key.public_key_b64,
                 "fingerprint": key.fingerprint}
    bundle.add_unlisted("manifest.json", data)
    bundle.add_unlisted("manifest.sig", (json.dumps(signature, indent=2) + "\n").encode())
    if manifest["timestamp"]["authority"]:
        bundle.add_unlisted("manifest.tsr", request_timestamp(
            data, url=settings.tsa_url, timeout=settings.tsa_timeout_seconds,
            ca_file=settings.tsa_ca_file))
    return hashlib.sha256(data).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _record_export(session: Session, request: BundleRequest, exhibits: list[Exhibit],
                   out: Path, manifest_sha: str, key: SigningKey, head: CustodyEvent | None,
                   actor: User | None) -> CustodyEvent:
    custody.lock_chain(session)
    event = custody.append_event(
        session, action=CustodyAction.export, actor_id=actor.id if actor else None,
        negotiation_id=request.negotiation.id,
        details={"purpose": str(request.purpose), "language": request.language,
                 "file": out.name, "manifest_sha256": manifest_sha,
                 "items": {e.number: e.evidence.id for e in exhibits},
                 "chain_head_seq": head.seq if head else 0,
                 "signing_key": key.fingerprint})
    session.commit()
    return event


def _app_version() -> str:
    try:
        return importlib.metadata.version("liuhen")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
