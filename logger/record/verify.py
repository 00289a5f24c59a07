"""`liuhen verify`: re-hash every blob against its recorded SHA-256, walk the custody chain, and
find orphan and missing blobs. `repair` removes only what is provably not evidence: orphan blobs
(no row refers to them) and temp files left by an interrupted write."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from logger.record import custody
from storage.blobs.lock import intake_lock
from storage.blobs.store import BlobCorrupt, BlobMissing, BlobStore
from storage.models import Evidence


@dataclass(frozen=True)
class Problem:
    kind: str   # blob_altered, blob_unreadable, blob_missing, orphan_blob, temp_file, custody
    message: str
    evidence_id: int | None = None
    blob_id: str | None = None

    @property
    def repairable(self) -> bool:
        return self.kind in ("orphan_blob", "temp_file")


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    evidence_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        mb = self.bytes_checked / 1e6
        state = "all intact" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"verified {self.evidence_checked} item(s), {mb:.1f} MB and "
                f"{self.events_checked} custody event(s) in {self.seconds:.1f} s: {state}")


def verify(session: Session, blobs: BlobStore,
           progress: Callable[[Evidence], None] | None = None) -> VerifyReport:
    """Check everything; report, change nothing."""
    started = time.monotonic()
    report = VerifyReport()
    referenced: set[str] = set()
    for evidence in session.exec(select(Evidence).order_by(Evidence.id)):
        referenced.add(evidence.blob_id)
        report.evidence_checked += 1
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
    for path in blobs.temp_files():
        report.problems.append(Problem("temp_file", f"{path}: temp file of an interrupted write "
                                       "(`--repair` removes it)"))
    report.seconds = time.monotonic() - started
    return report


def repair(session: Session, blobs: BlobStore) -> list[str]:
    """Remove orphan blobs and temp files, holding the intake lock exclusively so that no
    in-flight intake's blob is taken for an orphan. Returns what was removed, one line each."""
    removed = []
    with intake_lock(blobs.root, exclusive=True):
        referenced = set(session.exec(select(Evidence.blob_id)))
        for blob_id in sorted(set(blobs.ids()) - referenced):
            blobs.delete(blob_id)
            removed.append(f"removed orphan blob {blob_id}")
        for path in blobs.temp_files():
            path.unlink(missing_ok=True)
            removed.append(f"removed temp file {path}")
    return removed
