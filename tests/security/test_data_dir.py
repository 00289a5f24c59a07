"""What a data dir holds is one list (storage.datadir.DATA_DIR_ENTRIES), in step with the modules
that write there and with ARCHITECTURE.md; a data dir after ordinary use has nothing else in it,
and a file the configuration names is known wherever it is kept."""

from __future__ import annotations

import dataclasses
import io
import re
import secrets
from pathlib import Path

from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleGroup, BundlePurpose
from logger.bundles.signing import KEY_FILE_NAME, signing_key
from logger.config import StorageConfig, TranscriptionConfig
from logger.intake.ingest import IncomingFile, ingest
from logger.intake.mailin import STATE_FILE
from logger.record.verify import verify
from storage.datadir import DATA_DIR_ENTRIES, EXPORT_LEFTOVERS, unknown_entries

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md"


def known(name: str, kind: str = "file") -> bool:
    return any(e.kind == kind and re.fullmatch(e.pattern, name) for e in DATA_DIR_ENTRIES)


def test_the_list_names_what_the_other_modules_write():
    storage = StorageConfig(data_dir=Path("data"))
    assert known(storage.vault_path.name) and known(storage.database_path.name)
    assert known(storage.blob_dir.name, "dir")
    assert known(f"{storage.database_path.name}-wal") and known(f"{storage.database_path.name}-shm")
    assert known(KEY_FILE_NAME) and known(STATE_FILE) and known(STATE_FILE + ".tmp")
    assert known(TranscriptionConfig().models_dir(Path("data")).name, "dir")
    # storage.vault and logger.bundles.signing write a temporary name beside their file:
    assert known(f".{storage.vault_path.name}.{secrets.token_hex(8)}.tmp")
    assert known(f".{KEY_FILE_NAME}.{secrets.token_hex(8)}.tmp")
    assert not known("notes.txt") and not known("blobs") and not known("vault.json", "dir")


def test_architecture_describes_the_list():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert "DATA_DIR_ENTRIES" in text and "EXPORT_LEFTOVERS" in text
    for entry in DATA_DIR_ENTRIES:
        plain = entry.pattern.replace("\\", "").split("(")[0].rstrip("-")
        if not plain.startswith("."):
            assert f"`{plain}" in text, f"ARCHITECTURE.md does not name {plain}"
    assert len(EXPORT_LEFTOVERS) >= 1


def test_a_used_data_dir_holds_nothing_unknown(services, session, owner, negotiation,
                                               tmp_path):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(b"a statement\n"), "statement.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=10**8,
                  tz=services.config.locale.zone)
    signing_key(services.vault, services.config.storage.data_dir)
    build_bundle(session=session, services=services, request=BundleRequest(
        negotiation=negotiation, purpose=BundlePurpose.backup, language="en",
        groups=[BundleGroup("backup", [item.id])], party="Zhang San", timestamp=False),
        out=tmp_path / "out" / "bundle.zip", actor=owner)
    data_dir = services.config.storage.data_dir
    assert unknown_entries(data_dir) == []
    assert verify(session, services.blobs).ok


def test_a_file_the_configuration_names_is_known_in_the_data_dir(services, session):
    data_dir = services.config.storage.data_dir
    (data_dir / "passphrase").write_text("secret\n")
    report = verify(session, services.blobs)
    assert [p.kind for p in report.problems] == ["unknown_file"]
    config = dataclasses.replace(services.config, storage=dataclasses.replace(
        services.config.storage, passphrase_file=str(data_dir / "passphrase")))
    assert verify(session, services.blobs, config=config).ok
