"""Crash-safety soak: SIGKILL `liuhen import` at random moments many times, then verify.

    .venv/bin/python bench/crash_import.py [--rounds 300] [--seed 1]

Prints the rounds, kills, items committed, and what verify found before and after --repair."""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import func, select  # noqa: E402

from logger.accounts import add_user  # noqa: E402
from logger.config import load_config  # noqa: E402
from logger.negotiations import add_negotiation  # noqa: E402
from logger.record.verify import repair, verify  # noqa: E402
from logger.services import Services  # noqa: E402
from storage.models import Evidence  # noqa: E402
from tests.support.crash_harness import base_env, crash_rounds  # noqa: E402

PASSPHRASE = "crash soak passphrase"
CHEAP = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        config = load_config(env={"LIUHEN_DATA_DIR": str(data), **CHEAP})
        with Services.create(config, PASSPHRASE) as services, services.session() as session:
            owner = add_user(session, "soak", "soak-password")
            negotiation_id = add_negotiation(session, owner=owner, creditor="信用飞").id

        def count_items() -> int:
            with Services.open(config, PASSPHRASE) as s, s.session() as session:
                return session.exec(select(func.count(Evidence.id))).one()

        started = time.monotonic()
        stats = crash_rounds(workdir=Path(tmp) / "incoming", env=base_env(data, PASSPHRASE, CHEAP),
                             negotiation_id=negotiation_id, rounds=args.rounds, seed=args.seed,
                             count_items=count_items)
        lost = sum(b < a for a, b in zip(stats.stored_after, stats.stored_after[1:]))
        with Services.open(config, PASSPHRASE) as services, services.session() as session:
            before = verify(session, services.blobs)
            removed = repair(session, services.blobs)
            after = verify(session, services.blobs)
        kinds = sorted({p.kind for p in before.problems})
        print(f"rounds {stats.rounds}, killed mid-import {stats.killed}, finished "
              f"{stats.finished}, one full import {stats.full_run_s:.2f} s, "
              f"{time.monotonic() - started:.0f} s in all")
        print(f"items committed {stats.stored_after[-1]}, rounds where the count went down {lost}")
        print(f"verify before repair: {len(before.problems)} problem(s) of kinds {kinds}")
        print(f"repair removed {len(removed)}; verify after: "
              f"{'ok' if after.ok else [p.message for p in after.problems]}; "
              f"{after.evidence_checked} item(s) decrypt to their recorded SHA-256")
        sys.exit(0 if after.ok and not lost and set(kinds) <= {"orphan_blob", "temp_file"} else 1)


if __name__ == "__main__":
    main()
