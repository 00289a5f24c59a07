"""Fixtures of the API tests: a token of the owner, a client that sends it, a negotiation of
another account, and evidence stored with its texts."""

from __future__ import annotations

import io

import pytest

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.tokens import create_token
from storage.models import Evidence
from tests.support.common import make_negotiation_in


@pytest.fixture
def token(session, owner) -> str:
    return create_token(session, owner, "phone")[1]


@pytest.fixture
def api(app, token):
    """A client that sends the owner's token (and no cookie)."""
    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, **kw):
        kw["headers"] = {**headers, **kw.get("headers", {})}
        return client.open(f"/api/v1{path}", method=method, **kw)
    return call


@pytest.fixture
def other_case(session, other_user):
    return make_negotiation_in(session, other_user, creditor="别人的银行")


@pytest.fixture
def store(session, services):
    """store(negotiation, actor, name, note): a small text file stored through intake."""
    def stored_item(negotiation, actor, name="note.txt", note="请在本月底前还款") -> Evidence:
        return ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(f"{name}: {note}".encode()), name),
                      negotiation=negotiation, actor=actor, max_bytes=1 << 20,
                      tz=services.config.locale.zone, details=EvidenceDetails(note=note))
    return stored_item


@pytest.fixture
def english(session, owner):
    """The evidence page tests read the English text; one test switches to Chinese."""
    owner.locale = "en"
    session.add(owner)
    session.commit()


@pytest.fixture
def recorded_call(client, negotiation, testdata, tmp_path):
    """A call recording named the way a phone's recorder names it."""
    from tests.support.evidence_pages import upload_one
    named = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    named.write_bytes((testdata / "audio/BAC009S0764W0121.wav").read_bytes())
    return upload_one(client, negotiation, named)
