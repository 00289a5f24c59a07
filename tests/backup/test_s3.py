"""A backup restored into an S3 blob store (SeaweedFS, a real server), backed up again from it,
and a bucket that already holds blobs refused as a restore target."""

from __future__ import annotations

import pytest

from logger.backup.backup import make_backup
from logger.backup.repository import BackupError
from logger.backup.restore import restore
from logger.services import Services
from tests.support.backups import chain, evidence_hashes, rows, tree
from tests.support.common import PASSPHRASE
from tests.support.seaweed import with_s3


def test_a_backup_restores_into_s3_and_is_backed_up_from_there(services, world, folder,
                                                              tmp_path, seaweed, s3_bucket):
    make_backup(services, folder)
    before = (rows(services), evidence_hashes(services), chain(services))
    target = with_s3(services.config.with_data_dir(tmp_path / "new"), seaweed, s3_bucket,
                     tmp_path / "s3-secret", prefix="liuhen/")
    result = restore(target, folder, PASSPHRASE)
    assert result.ok, result.as_dict()
    assert result.blobs == 3
    with Services.open(target, PASSPHRASE) as again:
        assert (rows(again), evidence_hashes(again), chain(again)) == before
        assert sorted(again.blobs.ids()) == sorted(i.blob_id for i in world.items)
        for item in world.items:
            assert again.blobs.digest(item.blob_id) == (item.size, item.sha256)
        keys = [o["Key"] for o in seaweed.client().list_objects_v2(
            Bucket=s3_bucket)["Contents"]]
        assert all(key.startswith("liuhen/") for key in keys) and len(keys) == 3
        assert not (tmp_path / "new" / "blobs").exists() or \
            list((tmp_path / "new" / "blobs").rglob("*.part")) == []

        # The S3 deployment's own backup reads the ciphertext from the bucket.
        made = make_backup(again, tmp_path / "backup-s3")
        assert (made.new_blobs, made.problems) == (3, [])
    local = services.config.with_data_dir(tmp_path / "local-again")
    assert restore(local, tmp_path / "backup-s3", PASSPHRASE).ok
    with Services.open(local, PASSPHRASE) as back:
        assert evidence_hashes(back) == before[1]


def test_a_bucket_with_blobs_is_refused(services, world, folder, tmp_path, seaweed, s3_bucket):
    make_backup(services, folder)
    seaweed.client().put_object(Bucket=s3_bucket, Key="blobs/ab/" + "ab" * 16, Body=b"x")
    target = with_s3(services.config.with_data_dir(tmp_path / "new"), seaweed, s3_bucket,
                     tmp_path / "s3-secret")
    with pytest.raises(BackupError, match="blobs in"):
        restore(target, folder, PASSPHRASE)
    assert tree(tmp_path / "new") == {}
