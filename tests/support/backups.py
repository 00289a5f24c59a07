"""Helpers for the backup tests: a deployment with something in every kind of row a restore
must bring back, its rows read out for comparison, the files of a folder with their hashes
(to show that a refusal changed nothing), and a byte flipped in a file."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

from sqlmodel import select

from logger.accounts import add_user
from logger.backup.backup import LEFT_OUT, signing_key_document
from logger.backup.dump import DumpSummary, dump_lines, lines_of, snapshot_connection
from logger.backup.check import dump_chunks, open_snapshot_vault
from logger.backup.repository import (DUMP_DIR, DUMP_SUBKEY, MANIFEST, MANIFEST_SUBKEY,
                                      Repository, hash_file, seal, unseal)
from logger.bundles.signing import signing_key
from logger.intake.ingest import IncomingFile, ingest
from logger.record.custody import verify_chain
from logger.record.evidence import edit_evidence
from storage.blobs.backend import LocalBackend
from storage.blobs.store import BlobStore
from storage.models import Evidence, Negotiation, TextSource, User
from tests.support.common import make_negotiation_in, store_item
from tests.support.promises import my_payment

# Words of the record that must never be found in clear in a backup folder.
TRANSCRIPT = "催收员说下周五之前还三千就可以"
NOTE = "我会还款的请停止催收"


@dataclasses.dataclass
class World:
    items: list[Evidence]
    fingerprint: str


def fill(services, *, items: int = 3) -> World:
    """An account, a negotiation, `items` items with a transcript each, a note (a custody
    edit), a promise of money, an item whose parent has a higher id (a reference the restore
    must put in after the row it names), and the bundle signing key."""
    with services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner, collection_agency="某某催收公司")
        stored = [store_item(services, session, negotiation, owner, f"call-{n}.txt",
                             texts=[(TextSource.transcript,
                                     [{"text": f"{TRANSCRIPT}（第{n}通）", "start": 0.0}])])
                  for n in range(items)]
        edit_evidence(session, stored[0], actor=owner, changes={"note": NOTE})
        stored[0].parent_id = stored[-1].id
        session.add(stored[0])
        session.commit()
        my_payment(session, negotiation, owner, "3000.50", "2024-12-13 18:00")
        fingerprint = signing_key(services.vault, services.config.storage.data_dir).fingerprint
    return World(stored, fingerprint)


def add_item(services, name: str, data: bytes) -> Evidence:
    """One more item in the (only) negotiation, as intake stores it."""
    with services.session() as session:
        return ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(data), name),
                      negotiation=session.exec(select(Negotiation)).first(),
                      actor=session.exec(select(User)).first(), max_bytes=1 << 20,
                      tz=services.config.locale.zone)


def rows(services) -> list:
    """Every row of every table as the dump writes it (the header line left out; read back, as
    PostgreSQL keeps JSON's keys in an order of its own), but for the vault and the signing
    key, which a backup keeps beside the dump (a restore writes them anew where the target
    keeps them: `keys`)."""
    with snapshot_connection(services.engine) as connection:
        return [json.loads(line) for line in dump_lines(connection, DumpSummary(), LEFT_OUT)][1:]


def keys(services) -> tuple[bytes, bytes | None]:
    """The vault's and the signing key's documents, wherever the deployment keeps them."""
    return services.vault.place.read(), signing_key_document(services)


def evidence_hashes(services) -> dict[int, tuple[str, int, str]]:
    with services.session() as session:
        return {e.id: (e.sha256, e.size, e.blob_id) for e in session.exec(select(Evidence))}


def chain(services) -> tuple[int, list]:
    with services.session() as session:
        return verify_chain(session)


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path: SHA-256); folders as "dir"."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(root.rglob("*"))}


def flip(path: Path, offset: int | None = None) -> None:
    """Change one bit of the file (in the middle unless `offset`)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if offset is None else offset] ^= 0x01
    path.write_bytes(bytes(data))


def no_plaintext(root: Path, *words: str) -> list[str]:
    """The files under `root` holding one of `words` in clear (UTF-8): none, in a backup."""
    needles = [w.encode("utf-8") for w in (TRANSCRIPT, NOTE, "内容 call", *words)]
    return [str(p) for p in root.rglob("*") if p.is_file()
            and any(n in p.read_bytes() for n in needles)]


def rewrite_dump(folder: Path, snapshot: str, passphrase: str, change) -> None:
    """Replace a snapshot's dump by `change(lines)` (a list of parsed JSON lines), encrypted
    and sealed into its manifest as a backup would: a dump made by another version."""
    repository = Repository(folder)
    vault = open_snapshot_vault(repository, snapshot, passphrase)
    document, authentic = unseal(repository.read_manifest(snapshot),
                                 vault.subkey(MANIFEST_SUBKEY))
    assert authentic
    old = document["database"]["dump"]
    lines = [json.loads(line) for line in lines_of(dump_chunks(repository, old, vault))]
    text = b"".join(json.dumps(v, ensure_ascii=False).encode() + b"\n" for v in change(lines))
    store = BlobStore(LocalBackend(folder / "snapshots" / snapshot / DUMP_DIR),
                      vault.subkey(DUMP_SUBKEY))
    stored = store.write(io.BytesIO(text))
    new = f"snapshots/{snapshot}/{DUMP_DIR}/{stored.blob_id[:2]}/{stored.blob_id}"
    repository.path(old).unlink()
    entry = hash_file(repository.path(new))
    del document["files"][old]
    document["files"][new] = {"size": entry.size, "sha256": entry.sha256}
    document["database"]["dump"] = new
    (folder / "snapshots" / snapshot / MANIFEST).write_bytes(
        seal(document, vault.subkey(MANIFEST_SUBKEY)))
