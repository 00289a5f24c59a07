"""What a data dir holds, and what it should not.

`DATA_DIR_ENTRIES` is every name Liuhen itself puts at the top of a data dir (a pattern where
the name varies), with what it is; `EXPORT_LEFTOVERS` the names an interrupted bundle export of
this version or an earlier one can leave there. `liuhen verify` reports both kinds of stranger
(`unknown_entries`, `export_leftovers`); `verify --repair` and every start (`Services.open`)
remove the export leftovers (`remove_export_leftovers`), never an unknown entry, which is left
for a person to look at. A name here that another module also spells (the signing key's, the
mail-in state's) is kept in step with it by tests/security/test_data_dir.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from storage.scratch import SPOOL_PREFIX, SPOOL_SUFFIX


@dataclass(frozen=True)
class Entry:
    pattern: str  # a regular expression over the whole name
    kind: str     # "file" or "dir"
    what: str

    def matches(self, entry: os.DirEntry) -> bool:
        if entry.is_symlink() or not re.fullmatch(self.pattern, entry.name):
            return False
        return entry.is_dir() if self.kind == "dir" else entry.is_file()


_TMP = r"\.[0-9a-f]{16}\.tmp"  # storage.vault.places and logger.bundles.signing write beside it

DATA_DIR_ENTRIES: tuple[Entry, ...] = (
    Entry(r"vault\.json", "file", "the vault: the master key wrapped under the passphrase "
                                 "and the key files (not there when `storage.vault_in` is "
                                 "\"database\")"),
    Entry(r"\.vault\.json" + _TMP, "file", "the vault being rewritten (a passphrase change, "
                                           "a key file added or removed)"),
    Entry(r"liuhen\.db", "file", "the database (SQLCipher)"),
    Entry(r"liuhen\.db-(wal|shm|journal)", "file", "the database's write-ahead log and index"),
    Entry(r"blobs", "dir", "the encrypted originals (storage.blobs: blob files, tmp/, the "
                           "intake lock)"),
    Entry(r"signing-key\.enc", "file", "the bundle signing key, encrypted under the vault "
                                       "(logger.bundles.signing; in the database instead when "
                                       "the vault is)"),
    Entry(r"\.signing-key\.enc" + _TMP, "file", "the signing key being written"),
    Entry(r"mailin-state\.json(\.tmp)?", "file", "the last IMAP message fetched "
                                                 "(logger.intake.mailin)"),
    Entry(r"models", "dir", "speech-to-text models when `transcription.model_dir` is empty"),
    Entry(r"config\.toml", "file", "the configuration, when kept in the data dir"),
)

EXPORT_LEFTOVERS: tuple[Entry, ...] = (
    Entry(re.escape(SPOOL_PREFIX) + r"[A-Za-z0-9_]+" + re.escape(SPOOL_SUFFIX), "file",
          "the encrypted scratch file of an interrupted bundle export (storage.scratch; its "
          "key died with the process)"),
    Entry(r"bundle-[a-z0-9_]{8}", "dir",
          "the folder of a bundle download interrupted in an earlier version (may hold the "
          "bundle in plaintext)"),
    Entry(r"\.liuhen-bundle-[a-z0-9_]{8}", "dir",
          "the PDF work folder of an export interrupted in an earlier version (plaintext)"),
    Entry(r"\..+\.[0-9a-f]{12}\.part", "file",
          "a bundle written under a temporary name by an earlier version, or being renamed "
          "into place (plaintext)"),
)


def _scan(data_dir: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(data_dir) as entries:
            return sorted(entries, key=lambda e: e.name)
    except FileNotFoundError:
        return []


def export_leftovers(data_dir: Path) -> list[Path]:
    """What interrupted bundle exports left at the top of the data dir."""
    return [Path(e.path) for e in _scan(data_dir)
            if any(kind.matches(e) for kind in EXPORT_LEFTOVERS)]


def unknown_entries(data_dir: Path, also_known: Iterable[Path] = ()) -> list[Path]:
    """Entries at the top of the data dir that Liuhen did not put there: neither in
    DATA_DIR_ENTRIES nor an export leftover nor one of `also_known` (paths the configuration
    names, such as a passphrase file kept there)."""
    known = {os.path.abspath(p) for p in also_known}
    return [Path(e.path) for e in _scan(data_dir)
            if not any(kind.matches(e) for kind in DATA_DIR_ENTRIES + EXPORT_LEFTOVERS)
            and os.path.abspath(e.path) not in known]


def remove_export_leftovers(data_dir: Path) -> list[Path]:
    """Remove what `export_leftovers` finds; returns what was removed."""
    removed = []
    for path in export_leftovers(data_dir):
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed
