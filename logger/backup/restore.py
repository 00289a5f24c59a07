"""`liuhen restore --from DIR`: a snapshot brought back into an empty deployment.

The target is the configured one: a fresh data dir (SQLCipher), or an empty PostgreSQL
database; the blobs go to the configured blob store. In order, each step only once the one
before it succeeded:
1. the snapshot is checked whole (`logger.backup.check`); any problem refuses it;
2. the target must hold nothing (no vault, no signing key, no rows, no blobs); else refuse;
   nothing has been written up to here;
3. the database is migrated to the dump's revision, the rows go in with their ids in one
   transaction (PostgreSQL's id sequences moved past them; the search index fills itself),
   then the migrations go on to this version's head;
4. each blob's ciphertext is written under its own id (`BlobStore.write_raw`, which refuses
   a blob of another vault), its copy's SHA-256 checked against the manifest and its
   plaintext's against every evidence row that names it;
5. the signing key, then the vault last, where the target keeps them (files in the data dir,
   or rows beside the dump's in the database): a target without its vault is an unfinished
   restore;
6. the deployment is opened as every process opens it and `liuhen verify` runs on it.
An unfinished restore is not retried over itself: the target is no longer empty, and the
message says what to remove.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import select

from logger.backup.check import CheckReport, check_snapshot, dump_chunks, open_snapshot_vault
from logger.backup.dump import (apply_fixups, known_revision, lines_of, load_table, read_dump,
                                reset_sequences, tables)
from logger.backup.repository import (SIGNING_KEY_FILE, VAULT_FILE, BackupError, Repository,
                                      blob_path, manifest_files, write_file)
from logger.bundles.signing import SECRET_NAME, key_path
from logger.config import Config
from logger.record.verify import VerifyReport, verify
from logger.services import Services, open_blob_store, vault_place
from storage.blobs.format import BlobError
from storage.blobs.store import BlobStore
from storage.db import alembic_config, current_revision, make_engine, migrate
from storage.db import session as new_session
from storage.models import Evidence
from storage.vault import KeyFile, Vault, VaultExists, VaultInDatabase


@dataclass
class RestoreResult:
    snapshot: str
    rows: int = 0
    blobs: int = 0
    bytes: int = 0  # plaintext bytes of the blobs restored
    problems: list[str] = field(default_factory=list)
    verify: VerifyReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.verify is not None and self.verify.ok

    def as_dict(self) -> dict:
        report = self.verify
        return {"snapshot": self.snapshot, "ok": self.ok, "rows": self.rows,
                "blobs": self.blobs, "bytes": self.bytes, "problems": self.problems,
                "verify": None if report is None else {
                    "ok": report.ok, "evidence_checked": report.evidence_checked,
                    "events_checked": report.events_checked,
                    "problems": [p.message for p in report.problems]}}


def restore(config: Config, folder: Path, secret: str | KeyFile, *,
            snapshot: str | None = None) -> RestoreResult:
    """Restore snapshot `snapshot` (the newest when None) of the backup folder `folder` into
    the deployment `config` describes; `secret` opens the snapshot's vault (its passphrase, or
    a key file it had a slot for). Raises BackupError, before anything is written, when
    the snapshot fails its check, needs a newer Liuhen or the target is not empty."""
    repository = Repository(folder)
    name = repository.snapshot(snapshot)
    vault = open_snapshot_vault(repository, name, secret)
    report = check_snapshot(repository, name, vault)
    if not report.ok:
        listed = "; ".join(str(p) for p in report.problems[:5])
        more = f" (and {len(report.problems) - 5} more)" if len(report.problems) > 5 else ""
        raise BackupError(f"snapshot {name} fails its check, so it is not restored (nothing "
                          f"was changed): {listed}{more}; run `liuhen backup verify` on it, or "
                          "restore an earlier snapshot with --snapshot")
    assert report.dump is not None
    if not known_revision(report.dump.revision):
        raise BackupError(f"snapshot {name} was made by a newer Liuhen (database revision "
                          f"{report.dump.revision}); restore it with that version or a newer "
                          "one (nothing was changed)")
    found = target_contents(config)
    if found:
        raise BackupError("the restore target is not empty, so nothing was restored and "
                          f"nothing was changed: it holds {'; '.join(found)}. Restore into a "
                          "new data dir, an empty database and an empty blob store")

    result = RestoreResult(name)
    storage = config.storage
    storage.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = make_engine(storage.database_url, sqlite_path=storage.database_path,
                         key=vault.subkey("database"))
    try:
        result.rows = _fill_database(engine, repository, report, vault)
        _restore_blobs(engine, repository, report,
                       open_blob_store(config, vault.subkey("blobs")), result)
    finally:
        engine.dispose()
    _install_keys(config, repository.snapshots_dir / name)
    with Services.open(config, secret, tidy=False) as services, \
            services.session() as session:
        result.verify = verify(session, services.blobs, config=config)
    return result


def target_contents(config: Config) -> list[str]:
    """What the restore target already holds (empty: a restore may go ahead)."""
    storage = config.storage
    place = vault_place(config)
    try:
        found = [f"a vault ({place.where})"] if place.exists() else []
    finally:
        place.close()
    if key_path(storage.data_dir).exists():
        found.append(f"a bundle signing key ({key_path(storage.data_dir)})")
    if storage.database_url == "":
        database = storage.database_path
        found += [f"a database file ({p})" for p in
                  (database, database.with_name(database.name + "-wal")) if p.exists()]
    else:
        engine = make_engine(storage.database_url, sqlite_path=storage.database_path,
                             key=bytes(32))
        try:
            filled = _tables_with_rows(engine)
        finally:
            engine.dispose()
        if filled:
            found.append(f"rows in the database (tables {', '.join(filled)})")
    backend = open_blob_store(config, bytes(32)).backend  # listing needs no key
    if next(iter(backend.ids()), None) is not None:
        found.append(f"blobs in {backend.describe()}")
    return found


def _tables_with_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        return [table.name for table in tables() if table.name in existing and
                connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()]


def _fill_database(engine: Engine, repository: Repository, report: CheckReport,
                   vault: Vault) -> int:
    """The dump's rows in a database brought to its revision, then to head; returns the
    number of rows."""
    revision = report.dump.revision
    current = current_revision(engine)
    if current is not None and current != revision and _is_ahead(current, revision):
        # An empty database someone already migrated (a first start): back to the dump's tables.
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    migrate(engine, revision)
    fixups: list = []
    with engine.begin() as connection:
        def on_table(name, columns, rows):
            load_table(connection, name, columns, rows, fixups)
        summary = read_dump(lines_of(dump_chunks(repository, report.manifest["database"]["dump"],
                                                 vault)), on_table)
        apply_fixups(connection, fixups)
        reset_sequences(connection, summary.tables)
    migrate(engine)
    return summary.rows


def _is_ahead(current: str, revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config())
    return revision in {r.revision for r in script.iterate_revisions(current, "base")}


def _restore_blobs(engine: Engine, repository: Repository, report: CheckReport,
                   store: BlobStore, result: RestoreResult) -> None:
    files = manifest_files(report.manifest)
    items: dict[str, list[Evidence]] = {}
    with new_session(engine) as session:
        for item in session.exec(select(Evidence).order_by(Evidence.id)):
            items.setdefault(item.blob_id, []).append(item)
    for blob_id, rows in sorted(items.items()):
        entry = files[blob_path(blob_id)]
        sha = hashlib.sha256()
        try:
            store.write_raw(blob_id, _hashed(repository, blob_id, sha))
            if sha.hexdigest() != entry.sha256:
                store.delete(blob_id)
                raise BlobError(f"the copy of blob {blob_id} changed while it was restored")
            size, sha256 = store.digest(blob_id)
        except BlobError as e:
            result.problems += [f"evidence #{row.id} (“{row.original_filename}”): not restored "
                                f"({e})" for row in rows]
            continue
        result.blobs += 1
        result.bytes += size
        result.problems += [
            f"evidence #{row.id} (“{row.original_filename}”): the restored original is {size} "
            f"bytes with SHA-256 {sha256}, but intake recorded {row.size} bytes with SHA-256 "
            f"{row.sha256}" for row in rows if (row.sha256, row.size) != (sha256, size)]


def _hashed(repository: Repository, blob_id: str, sha) -> Iterator[bytes]:
    with repository.blobs.source(blob_id).stream() as f:
        while piece := f.read(1 << 20):
            sha.update(piece)
            yield piece


def _install_keys(config: Config, snapshot_dir: Path) -> None:
    """The signing key, then the vault, where the target keeps them: files in the data dir,
    or (`storage.vault_in = "database"`) the vault row and its sealed secret in one
    transaction."""
    vault = (snapshot_dir / VAULT_FILE).read_bytes()
    signing_file = snapshot_dir / SIGNING_KEY_FILE
    signing = signing_file.read_bytes() if signing_file.is_file() else None
    place = vault_place(config)
    try:
        if isinstance(place, VaultInDatabase):
            place.create(vault, sealed={SECRET_NAME: signing.decode("utf-8")} if signing else None)
            return
        if signing is not None:
            try:
                write_file(key_path(config.storage.data_dir), signing, exclusive=True)
            except FileExistsError:
                raise VaultExists(key_path(config.storage.data_dir)) from None
        place.create(vault)
    except VaultExists as e:
        raise BackupError(f"{e.path} appeared while the restore ran; another process is using "
                          "the target. Stop it, empty the target and restore again") from None
    finally:
        place.close()
