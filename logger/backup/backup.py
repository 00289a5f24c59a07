"""`liuhen backup --to DIR`: one new snapshot of the deployment in a backup folder.

The database is read in one transaction and its dump encrypted as it is made (never a
plaintext line on disk); the vault and the bundle signing key are copied beside it, from the
data dir or the database, wherever this deployment keeps them; then every blob the dump's
evidence rows name is copied, as the ciphertext it is, unless an earlier snapshot's
authenticated manifest already vouches for its copy (incremental: blobs never change once
written, and their ids are random). A new copy is
decrypted once from the backup folder and checked against its evidence row, so a backup never
keeps a damaged original unnoticed. The manifest is written last, and the snapshot renamed
into place only then (`logger.backup.repository`).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from logger.backup.dump import DumpSummary, dump_lines, snapshot_connection
from logger.backup.repository import (DUMP_DIR, DUMP_SUBKEY, MANIFEST, MANIFEST_FORMAT,
                                      MANIFEST_SUBKEY, PARTIAL_PREFIX, SIGNING_KEY_FILE,
                                      VAULT_FILE, VERSION, BackupError, FileEntry, Repository,
                                      blob_id_of, blob_path, fsync_tree, hash_file,
                                      manifest_files, seal, unseal, write_file)
from logger.bundles.signing import SECRET_NAME, key_path
from logger.services import Services
from storage.blobs.backend import LocalBackend
from storage.blobs.format import BlobError, BlobMissing
from storage.blobs.store import BlobStore
from storage.blobs.stream import write_all
from storage.fsutil import fsync_dir
from storage.models import Evidence, SealedSecret, VaultDocument


# Kept beside the dump as files, so that a restore puts them where the target keeps them (a
# file in the data dir, or a row beside a vault in the database): the vault and the signing key.
LEFT_OUT = {VaultDocument.__tablename__: lambda row: True,
            SealedSecret.__tablename__: lambda row: row._mapping["name"] == SECRET_NAME}


@dataclass
class BackupResult:
    snapshot: str
    path: Path
    new_blobs: int = 0
    new_bytes: int = 0  # ciphertext bytes copied
    skipped_blobs: int = 0  # already in the folder, vouched for by an earlier manifest
    dump_bytes: int = 0
    rows: int = 0
    removed_leftovers: list[str] = field(default_factory=list)
    untrusted_snapshots: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # originals that fail their check

    def as_dict(self) -> dict:
        return {"snapshot": self.snapshot, "path": str(self.path), "new_blobs": self.new_blobs,
                "new_bytes": self.new_bytes, "skipped_blobs": self.skipped_blobs,
                "dump_bytes": self.dump_bytes, "rows": self.rows,
                "removed_leftovers": self.removed_leftovers,
                "untrusted_snapshots": self.untrusted_snapshots, "problems": self.problems}


def make_backup(services: Services, folder: Path, *, now: datetime | None = None
                ) -> BackupResult:
    """Write a new snapshot of `services`' deployment into the backup folder `folder`
    (created if missing). Raises BackupError when the folder cannot be used or an original is
    missing, BlobError when one cannot be read; no snapshot is written then (a killed backup
    leaves only ciphertext in a partial one, which the next backup removes)."""
    repository = Repository(folder)
    repository.open_for_writing()
    with repository.lock():
        removed = repository.remove_leftovers()
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        name = repository.new_snapshot_name(moment.strftime("%Y%m%dT%H%M%SZ"))
        result = BackupResult(name, repository.snapshots_dir / name, removed_leftovers=removed)
        known, result.untrusted_snapshots = _vouched_blobs(repository, services)
        repository.snapshots_dir.mkdir(mode=0o700, exist_ok=True)
        partial = repository.snapshots_dir / (PARTIAL_PREFIX + name)
        partial.mkdir(mode=0o700)
        try:
            files, document = _write_snapshot(services, repository, partial, name, known,
                                              result, moment)
            document["files"] = {path: {"size": e.size, "sha256": e.sha256}
                                 for path, e in sorted(files.items())}
            write_file(partial / MANIFEST,
                       seal(document, services.vault.subkey(MANIFEST_SUBKEY)))
            fsync_tree(partial)
            os.rename(partial, result.path)
            fsync_dir(repository.snapshots_dir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return result


def _write_snapshot(services: Services, repository: Repository, partial: Path, name: str,
                    known: dict[str, FileEntry], result: BackupResult, moment: datetime
                    ) -> tuple[dict[str, FileEntry], dict]:
    """Fill the partial snapshot folder; returns its files (final paths) and the manifest's
    other fields."""
    prefix = f"snapshots/{name}/"
    files: dict[str, FileEntry] = {}
    summary = DumpSummary()
    dump_store = BlobStore(LocalBackend(partial / DUMP_DIR), services.vault.subkey(DUMP_SUBKEY))
    with snapshot_connection(services.engine) as connection:
        stored = dump_store.write(_IterStream(dump_lines(connection, summary, LEFT_OUT)))
    shutil.rmtree(dump_store.tmp_dir, ignore_errors=True)
    dump_file = f"{DUMP_DIR}/{stored.blob_id[:2]}/{stored.blob_id}"
    files[prefix + dump_file] = hash_file(partial / dump_file)
    result.dump_bytes, result.rows = files[prefix + dump_file].size, summary.rows

    write_file(partial / VAULT_FILE, services.vault.place.read())
    files[prefix + VAULT_FILE] = hash_file(partial / VAULT_FILE)
    signing = signing_key_document(services)
    if signing is not None:
        write_file(partial / SIGNING_KEY_FILE, signing)
        files[prefix + SIGNING_KEY_FILE] = hash_file(partial / SIGNING_KEY_FILE)

    for blob_id in sorted(summary.blob_ids):
        files[blob_path(blob_id)] = _copy_blob(services, repository, blob_id, known, result)
    document = {
        "format": MANIFEST_FORMAT, "version": VERSION, "snapshot": name,
        "created_at": moment.isoformat(),
        "database": {"dialect": summary.dialect, "revision": summary.revision,
                     "dump": prefix + dump_file},
    }
    return files, document


def signing_key_document(services: Services) -> bytes | None:
    """The bundle signing key's document where this deployment keeps it (a file in the data
    dir, or a sealed secret beside a vault in the database); None before the first bundle."""
    if services.vault.secrets is not None:
        document = services.vault.secrets.read(SECRET_NAME)
        return None if document is None else document.encode("utf-8")
    path = key_path(services.config.storage.data_dir)
    return path.read_bytes() if path.is_file() else None


def _copy_blob(services: Services, repository: Repository, blob_id: str,
               known: dict[str, FileEntry], result: BackupResult) -> FileEntry:
    """The blob's copy in the backup folder: the one an earlier manifest vouches for, else a
    new copy of the ciphertext, checked against its evidence row."""
    copies = repository.blobs
    entry = known.get(blob_id)
    if entry is not None and _size(copies.path_for(blob_id)) == entry.size:
        result.skipped_blobs += 1
        return entry
    sha, size = hashlib.sha256(), 0
    try:
        with copies.writer(blob_id) as out:
            for piece in services.blobs.raw_chunks(blob_id):
                write_all(out, memoryview(piece))
                sha.update(piece)
                size += len(piece)
    except BlobMissing:
        raise BackupError(f"blob {blob_id} is missing from {services.blobs.backend.describe()} "
                          "(its item was deleted while the backup ran, or the file was lost: "
                          "`liuhen verify` tells); no snapshot was written, run the backup "
                          "again") from None
    result.new_blobs += 1
    result.new_bytes += size
    _check_copy(services, copies, blob_id, result)
    return FileEntry(size, sha.hexdigest())


def _check_copy(services: Services, copies: LocalBackend, blob_id: str,
                result: BackupResult) -> None:
    with services.session() as session:
        items = session.exec(select(Evidence).where(Evidence.blob_id == blob_id)).all()
    try:
        size, sha256 = BlobStore(copies, services.vault.subkey("blobs")).digest(blob_id)
    except BlobError as e:
        result.problems.extend(f"evidence #{item.id} (blob {blob_id}): the stored original "
                               f"fails its check ({e}); run `liuhen verify`" for item in items)
        return
    result.problems.extend(
        f"evidence #{item.id} (blob {blob_id}): the stored original is {size} bytes with "
        f"SHA-256 {sha256}, but intake recorded {item.size} bytes with SHA-256 {item.sha256}; "
        "run `liuhen verify`" for item in items if (item.sha256, item.size) != (sha256, size))


def _vouched_blobs(repository: Repository, services: Services
                   ) -> tuple[dict[str, FileEntry], list[str]]:
    """The blob copies the newest snapshot whose manifest authenticates under this vault
    lists, and the newer snapshots whose manifests do not (another vault's, or altered): their
    word is not taken, so what only they list is copied again."""
    key = services.vault.subkey(MANIFEST_SUBKEY)
    untrusted = []
    for name in reversed(repository.snapshot_names()):
        try:
            document, authentic = unseal(repository.read_manifest(name), key)
            files = manifest_files(document) if authentic else None
        except (OSError, ValueError):
            files = None
        if files is None:
            untrusted.append(name)
            continue
        return {blob_id: entry for path, entry in files.items()
                if (blob_id := blob_id_of(path)) is not None}, untrusted
    return {}, untrusted


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


class _IterStream(io.RawIOBase):
    """A readable stream over an iterator of byte strings (the dump's lines)."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._rest = piece
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n
