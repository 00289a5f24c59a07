"""Health endpoints for whatever watches the process: a service manager, a container runtime, a
load balancer or a reverse proxy (docs/DEPLOY.md).

`/healthz` (liveness) says the process answers requests and touches nothing else, so a locked
vault, a database restarting or an object store down never gets a process killed for what a
restart cannot mend. `/readyz` (readiness) says this process can serve pages now: the vault is
unlocked, the database answers `SELECT 1` and the blob store is usable; a proxy sends browsers
only to a ready one.

Both answer anyone, at any time: the gate in web.app lets this blueprint through before it looks
at the vault or the session, they take GET only (no CSRF), and nothing here reads or writes the
session, so no cookie is ever set. What is wrong is one word per part ("locked",
"unreachable", "unavailable") and a fixed sentence; the details, which may name hosts or paths,
go to the server's log only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, jsonify

from logger.services import Services
from storage.blobs.backend import BlobStoreUnavailable
from web.state import app_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

OK = "ok"
NOT_CHECKED = "unchecked"  # the database and the blob store cannot be opened without the vault
# Part -> (its word when it fails, the sentence for a person reading the probe's answer).
FAILURES = {
    "vault": ("locked", "the vault is locked: unlock it in the browser, or start the process "
                        "with a passphrase or key file"),
    "database": ("unreachable", "the database did not answer SELECT 1 (details in the server "
                                "log)"),
    "blobs": ("unavailable", "the blob store cannot be used (details in the server log)"),
}


@bp.get("/healthz")
def healthz():
    """Liveness: 200 whenever this process serves requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every part is ready, else 503; each part's state in either case."""
    services = app_state().services
    if services is None:
        parts = {"vault": FAILURES["vault"][0], "database": NOT_CHECKED, "blobs": NOT_CHECKED}
    else:
        parts = {"vault": "unlocked",
                 "database": _probe("database", lambda: _select_one(services)),
                 "blobs": _probe("blobs", services.blobs.backend.check)}
    failed = [part for part, state in parts.items() if state == FAILURES[part][0]]
    if not failed:
        return jsonify(status="ready", **parts)
    reason = "; ".join(FAILURES[part][1] for part in failed)
    return jsonify(status="not ready", **parts, reason=reason), 503


def _select_one(services: Services) -> None:
    with services.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1")).scalar_one()


def _probe(part: str, check: Callable[[], None]) -> str:
    """OK, or the part's failure word. Any exception counts: a probe that answered 500 would
    tell the proxy nothing it could act on, and a stack trace must not reach the caller."""
    try:
        check()
    except BlobStoreUnavailable as e:
        log.warning("not ready: %s", e)
    except Exception as e:  # whatever it is, the answer is 503 (see the docstring)
        log.warning("not ready: %s failed: %s: %s", part, type(e).__name__, e)
    else:
        return OK
    return FAILURES[part][0]
