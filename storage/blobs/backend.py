"""Where a blob's ciphertext lives: the interface every blob backend offers, and the local
folder that is the default (`storage.blob_store = "local"`).

The blob store (`storage.blobs.store.BlobStore`) encrypts and decrypts; a backend only ever sees
ciphertext. It keeps bytes under blob ids and promises:
- `writer(blob_id)`: a context manager yielding a `CipherWriter`; when the block ends without an
  exception the bytes are durable and visible under `blob_id`; when it raises, nothing remains
  under that id (what an interrupted process leaves is a `leftover`, never a blob);
- `source(blob_id)`: random access to one blob's ciphertext (BlobMissing when there is none);
- `ids()`, `exists()`, `delete()`;
- `leftovers()`: what interrupted writes left (temp files, unfinished multipart uploads), each
  removable; only remove them while no write can be running (under the exclusive intake lock);
- `check()`: raise BlobStoreUnavailable, with what to do, when the store cannot be used
  (`/readyz`, start-up).
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storage.blobs.format import BlobError, BlobMissing, check_blob_id, is_blob_id
from storage.blobs.stream import sync_file_range
from storage.fsutil import fsync_dir

_HEX = set("0123456789abcdef")


class BlobStoreUnavailable(BlobError):
    """The blob store cannot be reached or used; the message says what to check."""


@dataclass(frozen=True)
class Leftover:
    """Something an interrupted write left behind: `name` for a person, `remove` to delete it."""

    name: str
    remove: Callable[[], None]


class CipherWriter(Protocol):
    def write(self, data: memoryview | bytes) -> int: ...
    def tell(self) -> int: ...


class CipherSource(Protocol):
    """One blob's ciphertext, open for reading. Close it when done."""

    size: int

    def pread(self, size: int, offset: int) -> bytes: ...
    def stream(self) -> io.RawIOBase: ...  # the whole ciphertext from offset 0, read once
    def close(self) -> None: ...


class Backend(Protocol):
    name: str

    def writer(self, blob_id: str) -> contextlib.AbstractContextManager[CipherWriter]: ...
    def source(self, blob_id: str) -> CipherSource: ...
    def exists(self, blob_id: str) -> bool: ...
    def delete(self, blob_id: str) -> None: ...
    def ids(self) -> Iterator[str]: ...
    def leftovers(self) -> list[Leftover]: ...
    def check(self) -> None: ...
    def describe(self) -> str: ...


def new_blob_id(backend: Backend) -> str:
    """A random id no blob has (2**-128 odds of a clash; cheap to rule out anyway)."""
    blob_id = secrets.token_hex(16)
    while backend.exists(blob_id):
        blob_id = secrets.token_hex(16)
    return blob_id


# --------------------------------------------------------------------------- the local folder


class PendingWrites:
    """Blobs of the local folder written under temp names, made blobs together by `settle`:
    each file fsynced, then renamed, then the folder they went into fsynced once. A crash
    before that leaves temp files, after a rename an orphan blob: never an incomplete blob.
    Their ids (`new_id`) are as random as any, except that those settled together share their
    first byte, so they go into one folder and one folder fsync covers them all."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.files: dict[str, Path] = {}
        self._shard = secrets.token_hex(1)

    def new_id(self) -> str:
        blob_id = self._shard + secrets.token_hex(15)
        while self.backend.exists(blob_id) or blob_id in self.files:
            blob_id = self._shard + secrets.token_hex(15)
        return blob_id

    def settle(self) -> None:
        for tmp_name in self.files.values():
            fd = os.open(tmp_name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        folders = set()
        for blob_id, tmp_name in self.files.items():
            final = self.backend.path_for(blob_id)
            if not final.parent.is_dir():
                final.parent.mkdir(mode=0o700, exist_ok=True)
                folders.add(self.backend.root)
            os.replace(tmp_name, final)
            folders.add(final.parent)
        for folder in folders:
            fsync_dir(folder)
        self.files.clear()
        self._shard = secrets.token_hex(1)

    def discard(self, blob_id: str | None = None) -> None:
        """Remove one pending file (`blob_id`), or all of them."""
        for name in [blob_id] if blob_id is not None else list(self.files):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.files.pop(name))



class _FileSource:
    def __init__(self, fd: int):
        self._fd = fd
        self.size = os.fstat(fd).st_size

    def pread(self, size: int, offset: int) -> bytes:
        return os.pread(self._fd, size, offset)

    def stream(self) -> io.RawIOBase:
        """The file from its start; owns the descriptor from now on."""
        os.lseek(self._fd, 0, os.SEEK_SET)
        fd, self._fd = self._fd, -1
        return open(fd, "rb", buffering=0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class LocalBackend:
    """Blobs as files under `root`: `<id[:2]>/<id>` (mode 0600, folders 0700), `tmp/` for
    writes in progress and the leftovers of interrupted ones. A blob is written under a temp
    name, fsynced and renamed, so a blob file is always complete."""

    name = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBackend(root={str(self.root)!r})"

    def describe(self) -> str:
        return f"the folder {self.root}"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def path_for(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.root / blob_id[:2] / blob_id

    def exists(self, blob_id: str) -> bool:
        return self.path_for(blob_id).is_file()

    def _temp_file(self, blob_id: str) -> tuple[int, str]:
        """A new private file for `blob_id` in the temp folder (made if missing): its fd and
        name."""
        for directory in (self.root, self.tmp_dir):
            if not directory.is_dir():
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=f"{blob_id}.", suffix=".part", dir=self.tmp_dir)

    @contextlib.contextmanager
    def writer(self, blob_id: str) -> Iterator[CipherWriter]:
        final = self.path_for(blob_id)
        fd, tmp_name = self._temp_file(blob_id)
        try:
            with open(fd, "wb", buffering=0) as out:
                yield out
                os.fsync(out.fileno())
            if not final.parent.is_dir():
                final.parent.mkdir(mode=0o700, exist_ok=True)
                fsync_dir(self.root)
            os.replace(tmp_name, final)
            fsync_dir(final.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise

    @contextlib.contextmanager
    def deferred_writer(self, blob_id: str, pending: PendingWrites) -> Iterator[CipherWriter]:
        """Like `writer`, but the file stays under its temp name, not yet fsynced, until
        `pending.settle()` makes it a blob with the others (their fsyncs then cost about one);
        `pending.discard()` removes it instead."""
        fd, tmp_name = self._temp_file(blob_id)
        try:
            with open(fd, "wb", buffering=0) as out:
                yield out
                # The disk starts on it now, while the next files are read: the fsyncs of
                # `settle` then mostly find it written.
                if (writeback := sync_file_range()) is not None:
                    writeback(out.fileno(), 0, 0)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        pending.files[blob_id] = Path(tmp_name)

    def source(self, blob_id: str) -> _FileSource:
        try:
            fd = os.open(self.path_for(blob_id), os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobMissing(blob_id) from None
        return _FileSource(fd)

    def delete(self, blob_id: str) -> None:
        path = self.path_for(blob_id)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def ids(self) -> Iterator[str]:
        """Every stored blob id, in sorted order (temp files are not blobs)."""
        try:
            shards = sorted(e.name for e in os.scandir(self.root)
                            if len(e.name) == 2 and set(e.name) <= _HEX and e.is_dir())
        except FileNotFoundError:
            return
        for shard in shards:
            try:
                names = sorted(e.name for e in os.scandir(self.root / shard)
                               if e.is_file(follow_symlinks=False))
            except FileNotFoundError:
                continue
            yield from (name for name in names if is_blob_id(name) and name[:2] == shard)

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted writes under root/tmp. A write in progress in another
        process shows here too; remove these only when no write can be running."""
        try:
            return sorted(Path(e.path) for e in os.scandir(self.tmp_dir) if e.is_file())
        except FileNotFoundError:
            return []

    def leftovers(self) -> list[Leftover]:
        return [Leftover(f"{path}: temp file of an interrupted write",
                         lambda path=path: path.unlink(missing_ok=True))
                for path in self.temp_files()]

    def check(self) -> None:
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(f"cannot write to {self.root}")
        except OSError as e:
            raise BlobStoreUnavailable(
                f"the blob folder {self.root} cannot be used ({e}); check that it exists and "
                "that this user may write to it") from None
