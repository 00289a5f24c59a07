"""`liuhen backup verify` names each altered or missing file of a snapshot; a restore refuses a
snapshot that fails its check, and a target that is not empty, changing nothing; an interrupted
backup leaves the earlier snapshots whole and nothing readable."""

import json

import pytest

from logger.backup.backup import make_backup
from logger.backup.repository import (MANIFEST, PARTIAL_PREFIX, BackupError, Repository,
                                      blob_path)
from logger.backup.restore import restore
from tests.support.backups import add_item, flip, no_plaintext, tree
from tests.support.common import PASSPHRASE


@pytest.fixture
def snapshot(services, world, folder):
    made = make_backup(services, folder)
    services.close()
    return made.snapshot


def dump_file(folder, snapshot) -> str:
    document = json.loads((folder / "snapshots" / snapshot / MANIFEST).read_text())
    return document["database"]["dump"]


def check(cli, folder):
    result = cli("backup", "verify", folder, "--json")
    return result.exit_code, json.loads(result.stdout)


def test_an_intact_snapshot_verifies(cli, folder, snapshot):
    code, report = check(cli, folder)
    assert code == 0 and report["ok"] and report["snapshot"] == snapshot
    assert report["files_checked"] == 3 + 3  # three blob copies, the dump, vault, signing key
    text = cli("backup", "verify", folder)
    assert text.exit_code == 0 and "intact" in text.stderr + text.stdout


def test_a_flipped_byte_in_a_blob_copy_is_named(cli, world, folder, snapshot):
    copy = blob_path(world.items[1].blob_id)
    flip(folder / copy)
    code, report = check(cli, folder)
    assert code == 1
    assert [p["path"] for p in report["problems"]] == [copy]
    assert report["problems"][0]["message"].startswith("altered: its SHA-256 is")
    lines = cli("backup", "verify", folder).stdout.splitlines()
    assert lines == [f"{copy}: {report['problems'][0]['message']}"]


def test_a_flipped_byte_in_the_dump_is_named(cli, folder, snapshot):
    dump = dump_file(folder, snapshot)
    flip(folder / dump)
    code, report = check(cli, folder)
    assert code == 1 and [p["path"] for p in report["problems"]] == [dump]


def test_an_edited_manifest_is_named(cli, world, folder, snapshot):
    path = folder / "snapshots" / snapshot / MANIFEST
    document = json.loads(path.read_text())
    # Hide a damaged copy by writing its new hash into the manifest: the HMAC gives it away.
    copy = blob_path(world.items[0].blob_id)
    flip(folder / copy)
    import hashlib
    document["files"][copy]["sha256"] = hashlib.sha256((folder / copy).read_bytes()).hexdigest()
    path.write_text(json.dumps(document))
    code, report = check(cli, folder)
    assert code == 1
    assert [p["path"] for p in report["problems"]] == [f"snapshots/{snapshot}/{MANIFEST}"]
    assert "altered" in report["problems"][0]["message"]


def test_a_missing_blob_copy_is_named(cli, world, folder, snapshot):
    copy = blob_path(world.items[2].blob_id)
    (folder / copy).unlink()
    code, report = check(cli, folder)
    assert code == 1 and report["problems"] == [{"path": copy, "message": "missing"}]


def test_the_wrong_passphrase_is_one_clear_line(cli, folder, snapshot):
    result = cli("backup", "verify", folder, env={"LIUHEN_PASSPHRASE": "not the one"})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"liuhen: snapshots/{snapshot}/vault.json does not open "
                                    "with this passphrase")


def test_restore_refuses_a_tampered_snapshot_and_writes_nothing(cli, world, folder, snapshot,
                                                                fresh):
    flip(folder / blob_path(world.items[0].blob_id))
    result = cli("--data-dir", fresh.storage.data_dir, "restore", "--from", folder)
    assert result.exit_code == 1
    assert f"snapshot {snapshot} fails its check" in result.stderr
    assert blob_path(world.items[0].blob_id) in result.stderr
    assert not fresh.storage.data_dir.exists()


def test_restore_refuses_a_target_that_is_not_empty(cli, config, folder, snapshot):
    before = tree(config.storage.data_dir)
    result = cli("restore", "--from", folder)  # the data dir the backup was made of
    assert result.exit_code == 1
    assert "the restore target is not empty" in result.stderr
    assert "a vault" in result.stderr and "a database file" in result.stderr
    assert "blobs in the folder" in result.stderr
    assert tree(config.storage.data_dir) == before


def test_restore_refuses_a_target_with_only_blobs(folder, snapshot, fresh, tmp_path):
    stray = fresh.storage.blob_dir / "ab" / ("ab" * 16)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"someone else's")
    before = tree(fresh.storage.data_dir)
    with pytest.raises(BackupError, match="blobs in the folder"):
        restore(fresh, folder, PASSPHRASE)
    assert tree(fresh.storage.data_dir) == before


def test_an_interrupted_backup_leaves_the_earlier_snapshots_and_nothing_readable(
        services, world, folder):
    first = make_backup(services, folder)
    gone = add_item(services, "vanishing.txt", b"a file whose blob disappears")
    services.blobs.delete(gone.blob_id)
    before = tree(folder / "snapshots")
    with pytest.raises(BackupError, match=f"blob {gone.blob_id} is missing from the folder"):
        make_backup(services, folder)
    assert Repository(folder).snapshot_names() == [first.snapshot]
    assert tree(folder / "snapshots") == before
    assert no_plaintext(folder) == []

    # What a killed backup leaves (a partial snapshot, a blob copy half written) is not a
    # snapshot, and the next backup removes it.
    partial = folder / "snapshots" / f"{PARTIAL_PREFIX}20260101T000000Z"
    partial.mkdir()
    (partial / "vault.json").write_bytes(b"{}")
    (folder / "blobs" / "tmp" / "x.part").write_bytes(b"half")
    assert Repository(folder).snapshot_names() == [first.snapshot]
    with services.session() as session:
        session.delete(session.get(type(gone), gone.id))
        session.commit()
    again = make_backup(services, folder)
    assert not partial.exists() and not (folder / "blobs" / "tmp" / "x.part").exists()
    assert str(partial) in again.removed_leftovers
    assert (again.new_blobs, again.skipped_blobs) == (0, 3)
