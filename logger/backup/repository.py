"""The backup folder (a repository) and the manifest that vouches for each snapshot in it.

Layout::

    DIR/liuhen-backup.json           what the folder is (so a backup never writes into a folder
                                      that is something else)
    DIR/.lock                        one backup at a time
    DIR/blobs/<id[:2]>/<id>          each blob's ciphertext exactly as the blob store keeps it,
                                      copied once and shared by every snapshot that needs it
    DIR/snapshots/<name>/            one backup, named by its UTC time (20261202T102439Z):
        manifest.json                every file of the snapshot (blob copies included) with its
                                      size and SHA-256, authenticated with HMAC-SHA256 under
                                      the vault subkey "backup-manifest"
        vault.json                   the vault as it was (the master key wrapped under the
                                      passphrase of that day)
        signing-key.enc              the bundle signing key, encrypted under the vault
        database/<id[:2]>/<id>       the dump, in the blob format under the subkey "backup"

A snapshot is built in `snapshots/.partial-<name>/` and renamed into place once its manifest
is written, so an interrupted backup leaves only ciphertext in a folder no reader lists (the
next backup removes it) and the earlier snapshots untouched. Nothing here is plaintext
evidence: the manifest names random blob ids, sizes and hashes of ciphertext.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from logger.errors import LiuhenError
from storage.blobs.backend import LocalBackend
from storage.fsutil import fsync_dir, write_private_file

MARKER = "liuhen-backup.json"
MARKER_FORMAT = "liuhen-backup"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "liuhen-backup-manifest"
VERSION = 1
VAULT_FILE = "vault.json"
SIGNING_KEY_FILE = "signing-key.enc"
DUMP_DIR = "database"
PARTIAL_PREFIX = ".partial-"
MANIFEST_SUBKEY = "backup-manifest"
DUMP_SUBKEY = "backup"

_SNAPSHOT_NAME = re.compile(r"\d{8}T\d{6}Z(-\d+)?")
# What a manifest may name: a blob copy, or a file inside its own snapshot.
_BLOB_PATH = re.compile(r"blobs/([0-9a-f]{2})/(\1[0-9a-f]{30})")
_SNAPSHOT_PATH = re.compile(r"snapshots/(?P<name>[0-9TZ-]+)/(?P<rest>[A-Za-z0-9._/-]+)")


class BackupError(LiuhenError):
    """A backup or restore cannot go on; the message says what to do."""


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


def blob_path(blob_id: str) -> str:
    """A blob copy's path in the manifest (relative to the repository, '/' separated)."""
    return f"blobs/{blob_id[:2]}/{blob_id}"


def blob_id_of(path: str) -> str | None:
    found = _BLOB_PATH.fullmatch(path)
    return found.group(2) if found else None


def safe_manifest_path(path: str, snapshot: str) -> bool:
    """True for a path a manifest of `snapshot` may name (no way out of the repository)."""
    if blob_id_of(path) is not None:
        return True
    found = _SNAPSHOT_PATH.fullmatch(path)
    return (found is not None and found["name"] == snapshot
            and ".." not in found["rest"].split("/"))


class Repository:
    """A backup folder. `open_for_writing` creates it (or checks that it is one)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Repository({str(self.root)!r})"

    @property
    def blobs(self) -> LocalBackend:
        return LocalBackend(self.root / "blobs")

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    def path(self, relative: str) -> Path:
        return self.root.joinpath(*relative.split("/"))

    # ----------------------------------------------------------------------------- reading

    def is_repository(self) -> bool:
        return (self.root / MARKER).is_file()

    def snapshot_names(self) -> list[str]:
        """The complete snapshots, oldest first (a folder holding its manifest)."""
        try:
            names = [e.name for e in os.scandir(self.snapshots_dir)
                     if _SNAPSHOT_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return []
        return sorted((n for n in names if (self.snapshots_dir / n / MANIFEST).is_file()),
                      key=_name_order)

    def snapshot(self, name: str | None) -> str:
        """`name` if it is a complete snapshot here, else the newest when `name` is None.
        Raises BackupError saying what is there."""
        if not self.is_repository():
            raise BackupError(f"{self.root} is not a Liuhen backup folder (no {MARKER}); give "
                              "the folder `liuhen backup --to` wrote")
        names = self.snapshot_names()
        if not names:
            raise BackupError(f"the backup folder {self.root} holds no complete snapshot")
        if name is None:
            return names[-1]
        if name not in names:
            raise BackupError(f"no snapshot {name!r} in {self.root}; there are: "
                              f"{', '.join(names)}")
        return name

    def read_manifest(self, name: str) -> bytes:
        return (self.snapshots_dir / name / MANIFEST).read_bytes()

    # ----------------------------------------------------------------------------- writing

    def open_for_writing(self) -> None:
        """Create the folder (0700) and its marker, or check that an existing folder is a
        backup folder or empty. Raises BackupError for any other folder."""
        if self.root.exists() and not self.root.is_dir():
            raise BackupError(f"{self.root} is a file; give a folder for the backup")
        if self.is_repository():
            return
        if self.root.is_dir() and any(self.root.iterdir()):
            raise BackupError(f"{self.root} is not empty and is not a Liuhen backup folder; "
                              "give an empty or new folder (or one `liuhen backup` wrote)")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        marker = {"format": MARKER_FORMAT, "version": VERSION}
        write_file(self.root / MARKER, (json.dumps(marker) + "\n").encode())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock: one backup writes at a time."""
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                raise BackupError(f"another backup is writing to {self.root}; wait for it to "
                                  "finish") from None
            yield
        finally:
            os.close(fd)

    def remove_leftovers(self) -> list[str]:
        """Remove what interrupted backups left (partial snapshots, blob copies being written);
        call under `lock`. Returns what was removed."""
        removed = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.snapshots_dir):
                if entry.name.startswith(PARTIAL_PREFIX) and entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                    removed.append(entry.path)
        for leftover in self.blobs.leftovers():
            leftover.remove()
            removed.append(leftover.name)
        return removed

    def new_snapshot_name(self, stamp: str) -> str:
        """`stamp`, or `stamp-2`, `stamp-3` ... when that name is taken."""
        name, n = stamp, 1
        while (self.snapshots_dir / name).exists() or \
                (self.snapshots_dir / (PARTIAL_PREFIX + name)).exists():
            n += 1
            name = f"{stamp}-{n}"
        return name


def _name_order(name: str) -> tuple[str, int]:
    stamp, _, n = name.partition("-")
    return stamp, int(n or 1)


# --------------------------------------------------------------------------- the manifest


def seal(document: dict, key: bytes) -> bytes:
    """The manifest's bytes: `document` with its HMAC-SHA256 under `key`."""
    mac = hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()
    return (json.dumps({**document, "hmac": mac}, indent=1, sort_keys=True) + "\n").encode()


def unseal(raw: bytes, key: bytes | None) -> tuple[dict, bool]:
    """(the document, whether its HMAC is right under `key`). Raises ValueError when `raw` is
    not a manifest at all."""
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"not a {MANIFEST_FORMAT} document")
    if document.get("version") != VERSION:
        raise ValueError(f"manifest version {document.get('version')!r} is not one this Liuhen "
                         f"reads ({VERSION})")
    mac = document.pop("hmac", None)
    authentic = (key is not None and isinstance(mac, str) and hmac.compare_digest(
        mac, hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()))
    return document, authentic


def manifest_files(document: dict) -> dict[str, FileEntry]:
    """The files a manifest lists. Raises ValueError when the list is malformed."""
    files = document.get("files")
    if not isinstance(files, dict):
        raise ValueError("the manifest lists no files")
    found = {}
    for path, entry in files.items():
        if not (isinstance(entry, dict) and type(entry.get("size")) is int
                and isinstance(entry.get("sha256"), str)):
            raise ValueError(f"the manifest's entry for {path!r} is malformed")
        found[path] = FileEntry(entry["size"], entry["sha256"])
    return found


def _canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------- files


# A snapshot's files are written like every small file Liuhen keeps: 0600, atomically.
write_file = write_private_file


def hash_file(path: Path) -> FileEntry:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            sha.update(piece)
            size += len(piece)
    return FileEntry(size, sha.hexdigest())


def fsync_tree(root: Path) -> None:
    """fsync every folder under `root` (and itself), so the names written there are durable."""
    for folder, _, _ in os.walk(root):
        fsync_dir(Path(folder))
