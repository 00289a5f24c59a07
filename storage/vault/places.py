"""Where a vault lives: vault.json in the data dir (`VaultFile`), or a row of the PostgreSQL
database (`VaultInDatabase`, `storage.vault_in = "database"`), so every process of a shared
deployment, each with its own data dir, opens the same vault. Beside the one in the database
are its sealed secrets (`SealedSecrets`: documents encrypted under a vault subkey, such as the
bundle signing key); beside a file, each module keeps its own file in the data dir.

Both places hold the same bytes (the document of storage.vault.document) and offer the same
operations: `exists`, `read`, `create` (never over an existing vault: VaultExists) and `replace`
(only over the document this process read, else VaultChanged and nothing is written).

The file is written to a temporary name (0600), fsynced, then hard-linked (create: never
replacing a file) or renamed (replace) into place, and the folder fsynced. The row's primary
key is always 1, so of two processes creating a vault at once the second gets VaultExists; it is
rewritten by `UPDATE ... WHERE document = <what was read>`, so of two processes changing it at
once (a passphrase change and a new key file) the second gets VaultChanged. The file has no such
lock: its check before the rename narrows the window, it does not close it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from storage.fsutil import fsync_dir
from storage.models.keys import VAULT_ROW_ID, SealedSecret, VaultDocument
from storage.models.types import utcnow
from storage.vault.errors import VaultChanged, VaultCorrupt, VaultError, VaultExists, VaultNotFound

_VAULT = VaultDocument.__table__
_SEALED = SealedSecret.__table__


def write_private(path: Path, data: bytes, *, exclusive: bool) -> bool:
    """Write `data` to `path` atomically (temp file, fsync, rename, fsync dir), mode 0600; a
    missing parent folder is made 0700. With `exclusive`, an existing file is never replaced
    (hard link instead of rename) and False is returned with nothing written."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            except OSError:  # a filesystem without hard links: check, then rename
                if path.exists():
                    return False
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
        fsync_dir(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


class VaultFile:
    """The vault as a file (`<data_dir>/vault.json`)."""

    engine: Engine | None = None
    secrets: SealedSecrets | None = None  # the signing key keeps its own file in the data dir

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def where(self) -> Path:
        return self.path

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise VaultNotFound(self.path) from None
        except IsADirectoryError:
            raise VaultCorrupt(self.path, "it is a directory") from None

    def create(self, data: bytes) -> None:
        if self.path.exists() or not write_private(self.path, data, exclusive=True):
            raise VaultExists(self.path)

    def replace(self, old: bytes, new: bytes) -> None:
        if self.read() != old:
            raise VaultChanged(self.path)
        write_private(self.path, new, exclusive=False)

    def close(self) -> None:
        """Nothing to release (the database place disposes of its engine)."""


class VaultInDatabase:
    """The vault as the one row of the table `vault` in a PostgreSQL database. It owns
    `engine` (close() disposes of it) unless it is handed on, as Services does."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.where = _describe(engine, _VAULT)
        self.secrets = SealedSecrets(engine)

    def exists(self) -> bool:
        with self.engine.connect() as connection:
            return _has_table(connection, _VAULT) and connection.execute(
                sa.select(_VAULT.c.id)).first() is not None

    def read(self) -> bytes:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(_VAULT.c.document)).first() \
                if _has_table(connection, _VAULT) else None
        if row is None:
            raise VaultNotFound(self.where)
        return row.document.encode("utf-8")

    def create(self, data: bytes, *, sealed: Mapping[str, str] | None = None) -> None:
        """Insert the vault, and in the same transaction the `sealed` secrets (name: document)
        that come with it (`liuhen vault move-to-database`). The schema must be migrated."""
        sealed = dict(sealed or {})
        now = utcnow()
        with self.engine.begin() as connection:
            try:
                connection.execute(sa.insert(_VAULT).values(
                    id=VAULT_ROW_ID, document=data.decode("utf-8"), created_at=now,
                    updated_at=now))
            except IntegrityError:
                raise VaultExists(self.where) from None
            taken = connection.execute(sa.select(_SEALED.c.name).where(
                _SEALED.c.name.in_(sealed))).scalars().all() if sealed else []
            if taken:  # left by an earlier vault: not this one's to replace
                raise VaultError(
                    f"the database {self.secrets.where} holds {', '.join(taken)} already, "
                    "without a vault; nothing was written")
            for name, document in sealed.items():
                connection.execute(sa.insert(_SEALED).values(
                    name=name, document=document, created_at=now, updated_at=now))

    def replace(self, old: bytes, new: bytes) -> None:
        with self.engine.begin() as connection:
            changed = connection.execute(
                sa.update(_VAULT).where(_VAULT.c.id == VAULT_ROW_ID,
                                        _VAULT.c.document == old.decode("utf-8"))
                .values(document=new.decode("utf-8"), updated_at=utcnow())).rowcount
        if changed != 1:
            raise VaultChanged(self.where)

    def close(self) -> None:
        self.engine.dispose()


class SealedSecrets:
    """Documents sealed under a vault subkey, kept by name beside the vault in the database
    (table `sealed_secret`). The first document written under a name stays: that is how two
    web servers making the bundle signing key at once end with one."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.where = _describe(engine, _SEALED)

    def read(self, name: str) -> str | None:
        with self.engine.connect() as connection:
            if not _has_table(connection, _SEALED):
                return None
            return connection.execute(sa.select(_SEALED.c.document).where(
                _SEALED.c.name == name)).scalar_one_or_none()

    def add(self, name: str, document: str) -> bool:
        """Store `document` under `name` unless one is there; False when one was (it is
        kept, this one dropped)."""
        now = utcnow()
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(_SEALED).values(
                    name=name, document=document, created_at=now, updated_at=now))
        except IntegrityError:
            return False
        return True


def _describe(engine: Engine, table: sa.Table) -> str:
    """The database and table, for messages (the password shown as ***)."""
    return f"{engine.url.render_as_string(hide_password=True)} (table {table.name})"


def _has_table(connection: Connection, table: sa.Table) -> bool:
    """Whether the schema has `table` yet: a vault is looked for before the first migration
    (`liuhen serve` on a new database asks whether to show the first-run page)."""
    return sa.inspect(connection).has_table(table.name)
