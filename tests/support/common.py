"""Small factories shared by the tests (importable, unlike conftest)."""

import io
import time

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import add_negotiation
from storage.models import ExtractedText

PASSPHRASE = "correct horse battery staple 正确"
# Vault key derivation cheap enough for tests (the production defaults: tests/test_vault.py).
CHEAP_KDF = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}


def make_negotiation_in(session, owner, **fields):
    fields.setdefault("creditor", "信用飞")
    return add_negotiation(session, owner=owner, **fields)


def store_item(services, session, negotiation, owner, name: str, *, texts=(), **details):
    """Evidence as intake stores it (a small text file named `name`), plus the texts its jobs
    would have extracted: `texts` is (source, segments) pairs."""
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"内容 {name}".encode()), name),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                  tz=services.config.locale.zone, details=EvidenceDetails(**details))
    for source, segments in texts:
        session.add(ExtractedText(evidence_id=item.id, source=source, segments=segments,
                                  text="".join(s["text"] for s in segments)))
    session.commit()
    return item


def wait_for(condition, timeout: float = 20.0, what: str = "the condition") -> None:
    """Poll `condition` (every 0.05 s) until it is true; fail after `timeout` seconds. For what
    another thread or process does; never a measure of time itself."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)
