"""Scratch files that leave nothing readable behind a crash (bundle exports use them).

- `nameless_file(directory)`: a file with no name in `directory` (Linux `O_TMPFILE`). A killed
  process leaves nothing to find: the kernel frees it with the last descriptor.
  `publish(fd, target)` gives it its name once it is complete (`linkat`), replacing a file
  there. None where the kernel or the file system cannot.
- `EncryptedSpool(directory)`: a scratch file for what must be complete before it goes out (a
  bundle is sent only once it is built), written in the blob format (`storage.blobs.format`:
  64 KiB AES-256-GCM chunks, truncation detected) under a key made for it and held only in this
  object, never written anywhere. The file is nameless where the system allows, else named
  `SPOOL_PREFIX...SPOOL_SUFFIX` and unlinked the moment it is open; so after a crash there is at
  most ciphertext whose key died with the process, and `storage.datadir` removes its name.

Writing the spool is append-only (`write`, `tell`, no `seek`): `zipfile` writes to it with data
descriptors. Memory is one chunk of plaintext plus what one `write` hands over.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blobs.format import (CHUNK_SIZE, HEADER_SIZE, KEY_SIZE, chunk_nonce, decrypt_chunk,
                                  layout_for, new_header, open_header)
from storage.blobs.stream import write_all
from storage.fsutil import fsync_dir

SPOOL_PREFIX = ".liuhen-export-"
SPOOL_SUFFIX = ".part"
FILE_MODE = 0o600
# O_TMPFILE refused: an old kernel (EISDIR) or a file system without it (EOPNOTSUPP, EINVAL).
_UNSUPPORTED = {errno.EISDIR, errno.EOPNOTSUPP, errno.EINVAL, getattr(errno, "ENOTSUP", -1)}


def nameless_file(directory: Path) -> int | None:
    """A descriptor (read-write, mode 0600) of a new file without a name in `directory`, which
    `publish` can name later; None where O_TMPFILE is not available there."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        return os.open(directory, flag | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except OSError as e:
        if e.errno in _UNSUPPORTED:
            return None
        raise


def publish(fd: int, target: Path) -> None:
    """Name the complete nameless file open as `fd` `target` (replacing a file there), durably.
    Where the kernel will not link it (`linkat` with AT_EMPTY_PATH, else through `/proc`), its
    content is copied to a temporary name beside the target and renamed: only then, for the
    time of a copy, is a partial file there."""
    target = Path(target)
    os.fsync(fd)
    try:
        try:
            _link(fd, target)
        except FileExistsError:
            _replace(target, lambda tmp: _link(fd, tmp))
    except OSError as e:
        if isinstance(e, FileExistsError) or e.errno not in _CANNOT_LINK \
                or not target.parent.is_dir():
            raise
        _replace(target, lambda tmp: _copy_fd(fd, tmp))
    fsync_dir(target.parent)


# linkat refused: no privilege or an older kernel (EPERM, ENOENT, EINVAL, ENOSYS), no /proc
# (ENOENT), or /proc's link through another mount of the file system (EXDEV).
_CANNOT_LINK = {errno.EPERM, errno.ENOENT, errno.EINVAL, errno.EXDEV, errno.ENOSYS}
_AT_FDCWD, _AT_EMPTY_PATH = -100, 0x1000


@functools.cache
def _linkat() -> Callable[..., int] | None:
    """libc's linkat, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).linkat
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def _link(fd: int, name: Path) -> None:
    """Give the open file `fd` the name `name`: linkat(fd, "", AT_EMPTY_PATH) (Linux 6.10 for
    anyone, earlier with CAP_DAC_READ_SEARCH), else linkat through /proc/self/fd."""
    linkat = _linkat()
    if linkat is not None:
        if linkat(fd, b"", _AT_FDCWD, os.fsencode(name), _AT_EMPTY_PATH) == 0:
            return
        code = ctypes.get_errno()
        if code not in _CANNOT_LINK:
            raise OSError(code, os.strerror(code), str(name))
    os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)


def _replace(target: Path, make) -> None:
    """make(tmp) writes a temporary name beside `target`, which then replaces it."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        make(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _copy_fd(fd: int, tmp: Path) -> None:
    out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with open(out, "wb") as dest, open(os.dup(fd), "rb") as source:
        source.seek(0)
        shutil.copyfileobj(source, dest, 1 << 20)
        dest.flush()
        os.fsync(dest.fileno())


def _spool_fd(directory: Path) -> int:
    fd = nameless_file(directory)
    if fd is not None:
        return fd
    fd, name = tempfile.mkstemp(prefix=SPOOL_PREFIX, suffix=SPOOL_SUFFIX, dir=directory)
    with contextlib.suppress(FileNotFoundError):  # a start-up's clean-up may have been first
        os.unlink(name)
    return fd


class EncryptedSpool:
    """Write everything once (`write`, then `finish`), then read it back (`chunks`, or
    `publish` to a file); `close` drops the file and the key. See the module docstring."""

    def __init__(self, directory: Path):
        self._id = secrets.token_hex(16)
        self._store = AESGCM(os.urandom(KEY_SIZE))  # in memory only: dies with the process
        self._file = open(_spool_fd(Path(directory)), "w+b", buffering=0)
        try:
            header, self._aes = new_header(self._store, self._id)
            write_all(self._file, memoryview(header))
        except BaseException:
            self._file.close()
            raise
        self._pending = bytearray()
        self._chunks = 0
        self._finished = False
        self.size = 0  # plaintext bytes written

    # ----------------------------------------------------------------------------- writing

    def write(self, data) -> int:
        if self._finished:
            raise ValueError("the spool is finished; it takes no more writes")
        with memoryview(data) as view:
            size = view.nbytes
            self._pending += view.cast("B")
        self.size += size
        if len(self._pending) > CHUNK_SIZE:
            # Keep 1..CHUNK_SIZE bytes back: the final chunk is flagged only in finish().
            self._encrypt((len(self._pending) - 1) // CHUNK_SIZE, final=False)
        return size

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        """Nothing to do: a spool's bytes need not be durable, only its chunks complete."""

    def finish(self) -> None:
        """Write the final chunk; the spool can then be read."""
        if not self._finished:
            self._encrypt(max(1, -(-len(self._pending) // CHUNK_SIZE)), final=True)
            self._finished = True

    def _encrypt(self, count: int, *, final: bool) -> None:
        out = bytearray()
        for j in range(count):
            piece = self._pending[j * CHUNK_SIZE:(j + 1) * CHUNK_SIZE]  # a copy: no view held
            last = final and j == count - 1
            out += self._aes.encrypt(chunk_nonce(self._chunks, last), piece, None)
            self._chunks += 1
        write_all(self._file, memoryview(out))
        del self._pending[:count * CHUNK_SIZE]

    # ----------------------------------------------------------------------------- reading

    def chunks(self) -> Iterator[bytes]:
        """The plaintext in order, each 64 KiB chunk authenticated before it is returned."""
        if not self._finished:
            raise ValueError("finish() the spool before reading it")
        fd = self._file.fileno()
        layout = layout_for(self._id, os.fstat(fd).st_size)
        aes = open_header(self._store, self._id, os.pread(fd, HEADER_SIZE, 0))
        for index in range(layout.chunks):
            size = layout.ct_size(index)
            ct = os.pread(fd, size, layout.offset(index))
            if len(ct) != size:
                raise OSError(f"the export spool shrank while it was read ({len(ct)} of {size})")
            yield decrypt_chunk(aes, self._id, index, index == layout.chunks - 1, ct)

    def publish(self, target: Path) -> None:
        """Decrypt the spool into a temporary name beside `target`, then rename it `target`."""
        def copy(tmp: Path) -> None:
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as f:
                for chunk in self.chunks():
                    write_all(f, memoryview(chunk))
                f.flush()
                os.fsync(f.fileno())
        _replace(Path(target), copy)
        fsync_dir(Path(target).parent)

    def close(self) -> None:
        self._file.close()
        self._pending = bytearray()

    def __enter__(self) -> EncryptedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

