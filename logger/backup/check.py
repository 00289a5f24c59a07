"""`liuhen backup verify DIR`: whether a snapshot is whole and unaltered, each problem naming
its file.

The snapshot's own copy of the vault is unlocked with the passphrase of the day of the backup;
its subkeys check the manifest's HMAC and decrypt the dump. Then every file the manifest lists
(the blob copies too) is read and hashed, and the dump is decrypted and read to its end (each
table's row count, the evidence rows' blobs all listed). A restore runs the same check first
and refuses a snapshot with any problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from logger.backup.dump import DumpError, DumpSummary, lines_of, read_dump
from logger.backup.repository import (DUMP_SUBKEY, MANIFEST, MANIFEST_SUBKEY, VAULT_FILE,
                                      BackupError, Repository, blob_id_of, manifest_files,
                                      safe_manifest_path, unseal)
from storage.blobs.backend import LocalBackend
from storage.blobs.format import BlobError
from storage.blobs.store import BlobStore
from storage.vault import KeyFile, KeyFileRefused, Vault, VaultCorrupt, WrongPassphrase


@dataclass(frozen=True)
class BackupProblem:
    path: str  # the file, relative to the backup folder
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class CheckReport:
    snapshot: str
    problems: list[BackupProblem] = field(default_factory=list)
    files_checked: int = 0
    bytes_checked: int = 0
    dump: DumpSummary | None = None  # the dump as read, when it could be
    manifest: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "intact" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"snapshot {self.snapshot}: checked {self.files_checked} file(s), "
                f"{self.bytes_checked / 1e6:.1f} MB: {state}")

    def as_dict(self) -> dict:
        return {"snapshot": self.snapshot, "ok": self.ok, "files_checked": self.files_checked,
                "bytes_checked": self.bytes_checked,
                "problems": [{"path": p.path, "message": p.message} for p in self.problems]}


def open_snapshot_vault(repository: Repository, name: str, secret: str | KeyFile) -> Vault:
    """The snapshot's vault, unlocked with its passphrase or a key file it had a slot for.
    Raises BackupError saying which passphrase it wants."""
    path = repository.snapshots_dir / name / VAULT_FILE
    try:
        return Vault.unlock(path, secret)
    except KeyFileRefused as e:
        raise BackupError(f"{e}; the backup's vault is the one of the day it was made, so a key "
                          "file added since does not open it: give the passphrase") from None
    except WrongPassphrase:
        raise BackupError(
            f"snapshots/{name}/{VAULT_FILE} does not open with this passphrase: give the one the "
            "vault had when the backup was made (a passphrase changed since applies to later "
            "backups), or the file was altered") from None
    except (VaultCorrupt, FileNotFoundError) as e:
        raise BackupError(f"snapshots/{name}/{VAULT_FILE} cannot be read ({e}); this snapshot "
                          "cannot be opened, try an earlier one") from None


def check_snapshot(repository: Repository, name: str, vault: Vault) -> CheckReport:
    """Check snapshot `name` with its (unlocked) vault; report, change nothing."""
    report = CheckReport(name)
    manifest_path = f"snapshots/{name}/{MANIFEST}"
    try:
        document, authentic = unseal(repository.read_manifest(name),
                                     vault.subkey(MANIFEST_SUBKEY))
        files = manifest_files(document)
    except (OSError, ValueError) as e:
        report.problems.append(BackupProblem(manifest_path, f"cannot be read ({e})"))
        return report
    report.manifest = document
    if not authentic:
        report.problems.append(BackupProblem(
            manifest_path, "altered: its authentication code does not match (it was edited, "
                           "or made by another vault); the files it lists cannot be trusted"))
    if document.get("snapshot") != name:
        report.problems.append(BackupProblem(
            manifest_path, f"it belongs to snapshot {document.get('snapshot')!r}, not {name!r}"))
    if f"snapshots/{name}/{VAULT_FILE}" not in files:
        report.problems.append(BackupProblem(manifest_path, "it does not list the vault"))

    good: set[str] = set()
    for path, entry in sorted(files.items()):
        if not safe_manifest_path(path, name):
            report.problems.append(BackupProblem(manifest_path, f"it names {path!r}, which is "
                                                 "not a file of this snapshot"))
            continue
        problem = _check_file(repository.path(path), entry.size, entry.sha256, report)
        if problem:
            report.problems.append(BackupProblem(path, problem))
        else:
            good.add(path)
    _check_dump(repository, name, document, files, good, vault, report)
    return report


def _check_file(path: Path, size: int, sha256: str, report: CheckReport) -> str | None:
    sha, seen = hashlib.sha256(), 0
    try:
        with open(path, "rb") as f:
            while piece := f.read(1 << 20):
                sha.update(piece)
                seen += len(piece)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"cannot be read ({e})"
    report.files_checked += 1
    report.bytes_checked += seen
    if seen != size:
        return f"{seen} bytes, but the manifest says {size}"
    if sha.hexdigest() != sha256:
        return f"altered: its SHA-256 is {sha.hexdigest()}, the manifest says {sha256}"
    return None


def _check_dump(repository: Repository, name: str, document: dict, files: dict, good: set,
                vault: Vault, report: CheckReport) -> None:
    """Decrypt and read the dump, if its file is intact; every evidence blob must be listed."""
    database = document.get("database")
    dump = database.get("dump") if isinstance(database, dict) else None
    if not isinstance(dump, str) or dump not in files:
        report.problems.append(BackupProblem(f"snapshots/{name}/{MANIFEST}",
                                             "it does not list the database dump"))
        return
    if dump not in good:
        return  # already reported
    try:
        report.dump = read_dump(lines_of(dump_chunks(repository, dump, vault)))
    except (BlobError, DumpError) as e:
        report.problems.append(BackupProblem(dump, f"the database dump cannot be read ({e})"))
        return
    listed = {blob_id_of(path) for path in files} - {None}
    for blob_id in sorted(report.dump.blob_ids - listed):
        report.problems.append(BackupProblem(
            dump, f"an evidence row names blob {blob_id}, which the manifest does not list"))


def dump_chunks(repository: Repository, dump: str, vault: Vault):
    """The dump's plaintext, in pieces, each authenticated before it is given."""
    folder, _, blob_id = dump.rpartition("/")
    root = repository.path(folder).parent  # database/<id[:2]>/<id>: the store's root
    store = BlobStore(LocalBackend(root), vault.subkey(DUMP_SUBKEY))
    return store.iter_plaintext(blob_id)
