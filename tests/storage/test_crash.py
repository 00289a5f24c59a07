"""Crash safety: SIGKILL during `liuhen import`, 50 times; afterwards the database opens, verify
finds nothing but orphan blobs, `verify --repair` removes them, and every committed item's blob
decrypts to its recorded SHA-256."""

import pytest
from sqlmodel import func, select

from logger.record.verify import repair, verify
from logger.services import Services
from storage.models import Evidence
from tests.support.common import CHEAP_KDF, PASSPHRASE
from tests.support.crash_harness import base_env, crash_rounds


@pytest.mark.slow
def test_sigkill_during_import_loses_nothing_committed(config, services, session, negotiation,
                                                       tmp_path):
    services.close()
    env = base_env(config.storage.data_dir, PASSPHRASE, CHEAP_KDF)

    def count_items() -> int:
        with Services.open(config, PASSPHRASE) as reopened, reopened.session() as s:
            return s.exec(select(func.count(Evidence.id))).one()

    stats = crash_rounds(workdir=tmp_path / "incoming", env=env, negotiation_id=negotiation.id,
                         rounds=50, seed=20261122, count_items=count_items)
    assert stats.killed >= 25, f"too few kills landed mid-import: {stats}"
    assert stats.stored_after[-1] > stats.stored_after[0] > 0   # the rounds did store things
    assert stats.stored_after == sorted(stats.stored_after)     # nothing committed was lost

    with Services.open(config, PASSPHRASE) as reopened, reopened.session() as s:
        report = verify(s, reopened.blobs)
        assert {p.kind for p in report.problems} <= {"orphan_blob", "temp_file"}, \
            [p.message for p in report.problems]
        repair(s, reopened.blobs)
        after = verify(s, reopened.blobs)
        assert after.ok, [p.message for p in after.problems]
        # verify re-hashed every committed blob against its recorded SHA-256:
        assert after.evidence_checked == stats.stored_after[-1]
