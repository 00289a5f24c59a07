"""`liuhen backup` and `liuhen restore` of a data dir (SQLCipher, local blobs): everything comes
back on a fresh data dir, verifiable; later backups copy only the new originals; nothing in the
backup folder is readable without the passphrase."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from logger.backup.backup import make_backup
from logger.backup.repository import Repository
from logger.bundles.signing import key_path, signing_key
from logger.services import Services
from storage.blobs.backend import LocalBackend
from tests.support.backups import (TRANSCRIPT, add_item, chain, evidence_hashes, no_plaintext,
                                   rows)
from tests.support.common import PASSPHRASE


def test_a_restored_data_dir_is_the_same_and_verifies(cli, services, world, folder, fresh):
    before = rows(services)
    made = cli("backup", "--to", folder, "--json")
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    assert report["new_blobs"] == 3 and report["skipped_blobs"] == 0 and report["problems"] == []

    restored = cli("--data-dir", fresh.storage.data_dir, "restore", "--from", folder, "--json")
    assert restored.exit_code == 0, restored.output
    result = json.loads(restored.stdout)
    assert result["ok"] and result["blobs"] == 3 and result["snapshot"] == report["snapshot"]
    events, _ = chain(services)
    assert result["verify"] == {"ok": True, "evidence_checked": 3, "events_checked": events,
                                "problems": []}
    assert cli("--data-dir", fresh.storage.data_dir, "verify").exit_code == 0

    with Services.open(fresh, PASSPHRASE) as again:
        assert rows(again) == before  # every row of every table, ids and times included
        assert evidence_hashes(again) == evidence_hashes(services)
        for item in world.items:
            assert again.blobs.digest(item.blob_id) == (item.size, item.sha256)
        assert chain(again) == (events, [])
        assert signing_key(again.vault, fresh.storage.data_dir).fingerprint == world.fingerprint
    assert key_path(fresh.storage.data_dir).read_bytes() == \
        key_path(services.config.storage.data_dir).read_bytes()

    hits = json.loads(cli("--data-dir", fresh.storage.data_dir, "search", "下周五之前",
                          "--json").stdout)
    assert sorted(h["evidence_id"] for h in hits) == sorted(i.id for i in world.items)
    note = json.loads(cli("--data-dir", fresh.storage.data_dir, "search", "停止催收",
                          "--json").stdout)
    assert [(h["evidence_id"], h["source"]) for h in note] == [(world.items[0].id, "note")]


def test_a_second_backup_copies_only_the_new_original(services, world, folder, fresh):
    first = make_backup(services, folder)
    add_item(services, "later.txt", b"one more recording's notes")
    second = make_backup(services, folder)
    assert (second.new_blobs, second.skipped_blobs) == (1, 3)
    assert second.snapshot != first.snapshot
    assert Repository(folder).snapshot_names() == [first.snapshot, second.snapshot]
    assert len(list(LocalBackend(folder / "blobs").ids())) == 4

    from logger.backup.restore import restore
    result = restore(fresh, folder, PASSPHRASE)
    assert result.ok and result.snapshot == second.snapshot and result.blobs == 4


def test_an_earlier_snapshot_can_be_restored(services, world, folder, fresh):
    first = make_backup(services, folder)
    add_item(services, "later.txt", b"after the first backup")
    make_backup(services, folder)
    from logger.backup.restore import restore
    result = restore(fresh, folder, PASSPHRASE, snapshot=first.snapshot)
    assert result.ok and result.blobs == 3
    with Services.open(fresh, PASSPHRASE) as again:
        assert set(evidence_hashes(again)) == {i.id for i in world.items}


def test_nothing_in_the_backup_folder_is_readable(services, world, folder):
    make_backup(services, folder)
    assert no_plaintext(folder) == []
    # ... while the same check finds the words where they are in clear.
    (folder / "probe.txt").write_text(TRANSCRIPT, encoding="utf-8")
    assert no_plaintext(folder) == [str(folder / "probe.txt")]


def test_backup_needs_a_folder_and_refuses_a_foreign_one(cli, services, world, tmp_path):
    services.close()
    assert cli("backup").exit_code == 2
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    refused = cli("backup", "--to", other)
    assert refused.exit_code == 1
    assert "is not empty and is not a Liuhen backup folder" in refused.stderr
    assert sorted(p.name for p in other.iterdir()) == ["holiday.jpg"]


def test_snapshots_are_named_by_their_utc_time(services, world, folder):
    at = datetime(2026, 12, 2, 18, 24, 39, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert make_backup(services, folder, now=at).snapshot == "20261202T102439Z"
    assert make_backup(services, folder, now=at).snapshot == "20261202T102439Z-2"
    manifest = json.loads((folder / "snapshots" / "20261202T102439Z" / "manifest.json")
                          .read_text())
    assert manifest["created_at"] == "2026-12-02T10:24:39+00:00"


def test_a_service_accounts_key_file_verifies_and_restores(cli, services, world, folder,
                                                           fresh, tmp_path):
    """The nightly backup runs with a key file (docs/deploy/systemd/liuhen-backup.service)."""
    key = tmp_path / "service.key"
    services.vault.add_key_file(key, label="backup")
    services.close()
    as_service = {"LIUHEN_PASSPHRASE": None, "LIUHEN_KEY_FILE": str(key)}
    assert cli("backup", "--to", folder, env=as_service).exit_code == 0
    assert cli("backup", "verify", folder, env=as_service).exit_code == 0
    restored = cli("--data-dir", fresh.storage.data_dir, "restore", "--from", folder, "--json",
                   env=as_service)
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["verify"]["ok"]
