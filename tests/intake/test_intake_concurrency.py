"""Two intakes at once (two processes' worth: two engines on one file) both land, and the
custody chain stays one chain."""

import io
import threading

from sqlmodel import select

from logger.intake.ingest import IncomingFile, ingest
from logger.record import custody
from logger.services import Services
from storage.models import Evidence, Negotiation, User
from tests.support.common import PASSPHRASE


def test_parallel_intakes_serialise_on_the_chain(services, session, negotiation, owner, config):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with Services.open(config, PASSPHRASE) as mine, mine.session() as s:
                target, actor = s.get(Negotiation, negotiation.id), s.get(User, owner.id)
                for i in range(10):
                    ingest(session=s, blobs=mine.blobs,
                           source=IncomingFile(io.BytesIO(f"worker {n} note {i}\n".encode()),
                                               f"{n}-{i}.txt"),
                           negotiation=target, actor=actor, max_bytes=10**6,
                           tz=mine.config.locale.zone)
        except BaseException as e:  # noqa: BLE001 — reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    assert len(session.exec(select(Evidence)).all()) == 30
    assert custody.verify_chain(session) == (30, [])
