"""The data dir as the web app sees it: maybe not created yet, maybe locked, maybe unlocked.

`liuhen serve` can start before anyone has typed the vault passphrase; the first-run page
creates the vault, the unlock page opens it. Until then only those pages answer. The vault is
looked for where the configuration keeps it (vault.json, or the database with
`storage.vault_in = "database"`), through one place kept while locked (`_probe`).
"""

from __future__ import annotations

import secrets
import threading

from flask import Flask, current_app

from logger.config import Config
from logger.services import Services, vault_place
from storage.vault import Place

EXTENSION = "liuhen"
# app.extensions[ON_UNLOCK]: callables run with the Services once the data dir is open (e.g.
# `liuhen serve` starts its job worker then).
ON_UNLOCK = "liuhen.on_unlock"


class AppState:
    """Holds the Services once the vault is open; swaps the session secret at that moment
    (before: a random key for the unlock form; after: a key derived from the vault, so sessions
    survive a restart and agree across processes)."""

    def __init__(self, app: Flask, config: Config, services: Services | None):
        self.app = app
        self.config = config
        self._services: Services | None = None
        self._lock = threading.Lock()
        self._probe: Place | None = None  # where the vault is looked for while locked
        self._probe_lock = threading.Lock()
        app.secret_key = secrets.token_bytes(32)
        if services is not None:
            self._became_unlocked(services)

    @property
    def services(self) -> Services | None:
        return self._services

    @property
    def vault_exists(self) -> bool:
        """Asked on every request while locked: with the vault in the database, one engine
        answers them all (it is closed once the data dir is open)."""
        with self._probe_lock:
            if self._probe is None:
                self._probe = vault_place(self.config)
            return self._probe.exists()

    def unlock(self, passphrase: str) -> Services:
        """Open the data dir. Raises WrongPassphrase (and the other open errors) unchanged."""
        with self._lock:
            if self._services is None:
                self._became_unlocked(Services.open(self.config, passphrase))
            return self._services

    def create(self, passphrase: str) -> Services:
        """Create the data dir on first run. Raises VaultExists if someone was quicker."""
        with self._lock:
            if self._services is None:
                self._became_unlocked(Services.create(self.config, passphrase))
            return self._services

    def _became_unlocked(self, services: Services) -> None:
        self._services = services
        self._close_probe()
        self.app.secret_key = services.vault.subkey("web-session")
        for callback in self.app.extensions.get(ON_UNLOCK, []):
            callback(services)

    def close(self) -> None:
        self._close_probe()
        if self._services is not None:
            self._services.close()

    def _close_probe(self) -> None:
        with self._probe_lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None


def app_state() -> AppState:
    return current_app.extensions[EXTENSION]
