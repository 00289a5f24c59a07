"""The health endpoints (web.health): /healthz answers whenever the process serves requests,
/readyz only when the vault is open, the database answers and the blob store is usable; neither
needs a sign-in, neither sets a cookie, and a failure says which part failed without details."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from logger.services import Services
from tests.support.common import PASSPHRASE
from tests.support.seaweed import empty_bucket, with_s3
from web import create_app
from web.state import EXTENSION

READY = {"status": "ready", "vault": "unlocked", "database": "ok", "blobs": "ok"}


def probe(app, path: str, client=None):
    """GET `path` as a probe does (no cookie, no language); asserts no cookie comes back."""
    reply = (client or app.test_client()).get(path)
    assert reply.headers.getlist("Set-Cookie") == [], f"{path} set a cookie"
    assert reply.mimetype == "application/json"
    return reply


@pytest.fixture(params=["first run", "locked"])
def locked_app(request, config):
    """An app before the vault is open: over no data dir yet, or over one not unlocked."""
    if request.param == "locked":
        Services.create(config, PASSPHRASE).close()
    app = create_app(config=config)
    app.config["TESTING"] = True
    yield app
    app.extensions[EXTENSION].close()


def test_healthz_answers_while_locked(locked_app):
    reply = probe(locked_app, "/healthz")
    assert (reply.status_code, reply.json) == (200, {"status": "ok"})
    assert locked_app.test_client().get("/").status_code == 302, "the rest is still gated"


def test_readyz_says_locked_while_locked(locked_app):
    reply = probe(locked_app, "/readyz")
    assert reply.status_code == 503
    assert {k: reply.json[k] for k in READY} == {
        "status": "not ready", "vault": "locked", "database": "unchecked", "blobs": "unchecked"}
    assert reply.json["reason"].startswith("the vault is locked")


def test_both_answer_without_a_sign_in_once_unlocked(app, owner):
    healthy = probe(app, "/healthz")
    assert (healthy.status_code, healthy.json) == (200, {"status": "ok"})
    ready = probe(app, "/readyz")
    assert (ready.status_code, ready.json) == (200, READY)
    assert app.test_client().get("/").status_code == 302, "pages still need a sign-in"


def test_a_signed_in_browser_keeps_its_session_and_gets_no_cookie(app, client):
    assert probe(app, "/readyz", client).status_code == 200
    assert probe(app, "/healthz", client).status_code == 200
    assert client.get("/").status_code == 200, "still signed in"


def test_a_probe_is_not_refused_for_a_missing_csrf_token_or_a_foreign_cookie(app):
    browser = app.test_client()
    browser.set_cookie("liuhen_session", "not-a-signed-cookie")
    assert probe(app, "/readyz", browser).status_code == 200
    assert browser.post("/readyz").status_code == 405, "GET only: nothing to forge"


def test_readyz_fails_when_the_blob_store_cannot_be_used(app, services, caplog):
    root = services.blobs.backend.root
    if root.exists():
        shutil.rmtree(root)
    root.write_bytes(b"")  # a file where the folder should be: as root, chmod would not stop it
    with caplog.at_level(logging.WARNING, logger="web.health"):
        reply = probe(app, "/readyz")
    assert reply.status_code == 503
    assert {k: reply.json[k] for k in READY} == {
        "status": "not ready", "vault": "unlocked", "database": "ok", "blobs": "unavailable"}
    assert str(root) not in reply.get_data(as_text=True), "no paths in the answer"
    assert str(root) in caplog.text, "the log says which folder"
    assert probe(app, "/healthz").status_code == 200


@pytest.mark.postgres
def test_readyz_fails_when_the_database_is_gone(config, postgres_url, postgres_db_url, caplog):
    storage = dataclasses.replace(config.storage, database_url=postgres_db_url)
    with Services.create(dataclasses.replace(config, storage=storage), PASSPHRASE) as services:
        app = create_app(services)
        assert probe(app, "/readyz").json == READY
        name = make_url(postgres_db_url).database
        admin = make_url(postgres_url).set(drivername="postgresql")
        with psycopg.connect(admin.render_as_string(hide_password=False),
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # ends our connections

        with caplog.at_level(logging.WARNING, logger="web.health"):
            reply = probe(app, "/readyz")
        assert reply.status_code == 503
        assert {k: reply.json[k] for k in READY} == {
            "status": "not ready", "vault": "unlocked", "database": "unreachable", "blobs": "ok"}
        assert reply.json["reason"].startswith("the database did not answer")
        body = reply.get_data(as_text=True)
        assert name not in body and "postgresql" not in body and "Traceback" not in body
        assert name in caplog.text, "the log names what failed"
        assert probe(app, "/healthz").status_code == 200, "liveness does not ask the database"


def test_readyz_fails_when_the_bucket_is_gone(config, seaweed, tmp_path, caplog):
    bucket = f"liuhen-ready-{uuid.uuid4().hex[:12]}"
    client = seaweed.client()
    client.create_bucket(Bucket=bucket)
    s3_config = with_s3(config, seaweed, bucket, tmp_path / "s3-secret")
    with Services.create(s3_config, PASSPHRASE) as services:
        app = create_app(services)
        assert probe(app, "/readyz").json == READY
        empty_bucket(client, bucket)
        client.delete_bucket(Bucket=bucket)

        with caplog.at_level(logging.WARNING, logger="web.health"):
            reply = probe(app, "/readyz")
        assert reply.status_code == 503
        assert {k: reply.json[k] for k in READY} == {
            "status": "not ready", "vault": "unlocked", "database": "ok", "blobs": "unavailable"}
        body = reply.get_data(as_text=True)
        for secret in (bucket, seaweed.endpoint, seaweed.access_key, seaweed.secret_key):
            assert secret not in body
        assert bucket in caplog.text and seaweed.secret_key not in caplog.text
