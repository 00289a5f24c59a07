"""`liuhen verify`: re-hash every blob against its recorded SHA-256, walk the custody chain, find
orphan and missing blobs, and look at the top of the data dir: what an interrupted bundle export
left (`export_leftover`) and anything Liuhen did not put there (`unknown_file`: not one of
`storage.datadir.DATA_DIR_ENTRIES` nor a file the configuration names). `repair` removes only
what is provably not evidence: orphan blobs (no row refers to them), temp files left by an
interrupted write and export leftovers; an unknown file is left for a person to look at.

An item in the trash is checked like any other (its original is still kept); a purged one's
original was deleted on purpose when the trash was emptied, so its absence is no problem and a
blob still stored under its id is an orphan."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from logger.config import Config
from logger.record import custody
from storage.blobs.lock import intake_lock
from storage.blobs.store import BlobCorrupt, BlobMissing, BlobStore
from storage.datadir import export_leftovers, remove_export_leftovers, unknown_entries
from storage.models import Evidence


@dataclass(frozen=True)
class Problem:
    # blob_altered, blob_unreadable, blob_missing, orphan_blob, temp_file, custody,
    # export_leftover, unknown_file
    kind: str
    message: str
    evidence_id: int | None = None
    blob_id: str | None = None

    @property
    def repairable(self) -> bool:
        return self.kind in ("orphan_blob", "temp_file", "export_leftover")


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    evidence_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    trashed: int = 0
    purged: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        mb = self.bytes_checked / 1e6
        state = "all intact" if self.ok else f"{len(self.problems)} problem(s)"
        tidy = (f" ({self.trashed} in the trash, {self.purged} purged)"
                if self.trashed or self.purged else "")
        return (f"verified {self.evidence_checked} item(s){tidy}, {mb:.1f} MB and "
                f"{self.events_checked} custody event(s) in {self.seconds:.1f} s: {state}")


def verify(session: Session, blobs: BlobStore,
           progress: Callable[[Evidence], None] | None = None, *,
           config: Config | None = None) -> VerifyReport:
    """Check everything; report, change nothing. The data dir is `config`'s (whose files
    named in the configuration count as known), else the one holding the blob store."""
    started = time.monotonic()
    report = VerifyReport()
    referenced: set[str] = set()
    for evidence in session.exec(select(Evidence).order_by(Evidence.id)):
        report.evidence_checked += 1
        if evidence.purged_at is not None:
            report.purged += 1
            continue
        report.trashed += evidence.trashed_at is not None
        referenced.add(evidence.blob_id)
        if progress:
            progress(evidence)
        label = f"evidence #{evidence.id} (“{evidence.original_filename}”, blob {evidence.blob_id})"
        try:
            size, sha256 = blobs.digest(evidence.blob_id)
        except BlobMissing:
            report.problems.append(Problem("blob_missing", f"{label}: the blob file is missing",
                                           evidence.id, evidence.blob_id))
            continue
        except BlobCorrupt as e:
            report.problems.append(Problem("blob_unreadable",
                                           f"{label}: the blob fails authentication ({e})",
                                           evidence.id, evidence.blob_id))
            continue
        report.bytes_checked += size
        if sha256 != evidence.sha256 or size != evidence.size:
            report.problems.append(Problem(
                "blob_altered", f"{label}: content is {size} bytes with SHA-256 {sha256}, but "
                f"intake recorded {evidence.size} bytes with SHA-256 {evidence.sha256}",
                evidence.id, evidence.blob_id))

    report.events_checked, chain_problems = custody.verify_chain(session)
    report.problems.extend(Problem("custody", p.message, p.evidence_id) for p in chain_problems)

    for blob_id in sorted(set(blobs.ids()) - referenced):
        report.problems.append(Problem("orphan_blob",
                                       f"blob {blob_id}: no evidence refers to it (orphan, "
                                       "left by an interrupted intake; `--repair` removes it)",
                                       blob_id=blob_id))
    for leftover in blobs.leftovers():
        report.problems.append(Problem("temp_file", f"{leftover.name} (`--repair` removes it)"))
    data_dir = _data_dir(blobs, config)
    for path in export_leftovers(data_dir) if data_dir else ():
        report.problems.append(Problem("export_leftover", f"{path}: left by an interrupted "
                                       "bundle export (`--repair` removes it)"))
    for path in unknown_entries(data_dir, _configured_paths(config)) if data_dir else ():
        report.problems.append(Problem("unknown_file", f"{path}: not something Liuhen keeps in "
                                       "the data dir; look at it and move or remove it by hand "
                                       "(`--repair` leaves it)"))
    report.seconds = time.monotonic() - started
    return report


def repair(session: Session, blobs: BlobStore, *, config: Config | None = None) -> list[str]:
    """Remove orphan blobs, temp files and export leftovers, holding the intake lock
    exclusively so that no in-flight intake's blob is taken for an orphan. Returns what was
    removed, one line each."""
    removed = []
    with intake_lock(session.get_bind(), blobs.lock_dir, exclusive=True):
        referenced = set(session.exec(select(Evidence.blob_id)
                                      .where(Evidence.purged_at.is_(None))))
        for blob_id in sorted(set(blobs.ids()) - referenced):
            blobs.delete(blob_id)
            removed.append(f"removed orphan blob {blob_id}")
        for leftover in blobs.leftovers():
            leftover.remove()
            removed.append(f"removed {leftover.name}")
    data_dir = _data_dir(blobs, config)
    for path in remove_export_leftovers(data_dir) if data_dir else ():
        removed.append(f"removed export leftover {path}")
    return removed


def _data_dir(blobs: BlobStore, config: Config | None) -> Path | None:
    """The data dir to look at: the configuration's; without one, the folder above a local
    store (`<data dir>/blobs`); None for an object store named by no configuration."""
    if config is not None:
        return config.storage.data_dir
    root = getattr(blobs.backend, "root", None)
    return root.parent if root is not None else None


def _configured_paths(config: Config | None) -> Iterator[Path]:
    """Files and folders the configuration names, which a person may keep in the data dir."""
    if config is None:
        return
    named = [config.storage.passphrase_file, config.storage.s3_secret_key_file,
             config.storage.key_file, config.transcription.model_dir,
             config.mailin.password_file, config.reminders.smtp_password_file,
             config.bundles.tsa_ca_file, *config.watch.dirs]
    yield from (Path(p).expanduser() for p in named if p)
