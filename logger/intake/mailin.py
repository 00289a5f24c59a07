"""Mail-in: fetch the new messages of one IMAP folder and store each as an email item, once.

The folder is opened read-only and messages are fetched with BODY.PEEK, so nothing on the server
changes (not even the "seen" flag). Which messages were taken is remembered by UID in a small
state file in the data dir (`mailin-state.json`: the folder's UIDVALIDITY and the highest UID
taken); if the server renumbers the folder (a new UIDVALIDITY) every message is fetched again and
those already stored are counted as duplicates by intake. Standard library `imaplib` only.
Runs as `liuhen mail-in` (`logger.cli.watch`) or on a schedule inside `liuhen serve`.
"""

from __future__ import annotations

import imaplib
import io
import json
import logging
import os
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from logger.config import MailInConfig
from logger.errors import DuplicateEvidence, IntakeError, LiuhenError
from logger.intake.ingest import IncomingFile, ingest
from logger.secrets import first_line
from logger.services import Services
from storage.models import Negotiation, User

log = logging.getLogger(__name__)

PASSWORD_VARIABLE = "LIUHEN_MAILIN_PASSWORD"
STATE_FILE = "mailin-state.json"
TIMEOUT_S = 60


class MailInError(LiuhenError):
    """The IMAP server could not be reached, refused the login, or has no such folder."""


@dataclass(frozen=True)
class MailOutcome:
    uid: int
    status: str  # stored, duplicate, refused
    evidence_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict:
        return {"uid": self.uid, "status": self.status, "evidence_id": self.evidence_id,
                "reason": self.reason}


def fetch_new_mail(services: Services, *, password: str | None = None) -> list[MailOutcome]:
    """Store every message of the `[mailin]` folder not taken before. Raises MailInError (the
    messages taken before the error stay stored and remembered)."""
    settings = services.config.mailin
    if not settings.host:
        raise MailInError("no IMAP server is configured: set `mailin.host`, `mailin.user`, "
                          "`mailin.negotiation` and `mailin.password_file`")
    secret = password if password is not None else read_mail_password(settings)
    state_path = services.config.storage.data_dir / STATE_FILE
    try:
        with _connect(settings) as imap:
            _login(imap, settings, secret)
            return _fetch(services, imap, settings, state_path)
    except (imaplib.IMAP4.error, OSError) as e:
        raise MailInError(f"IMAP {settings.host}:{settings.port}: {e}") from None


def read_mail_password(settings: MailInConfig) -> str:
    """From LIUHEN_MAILIN_PASSWORD, else the first line of `mailin.password_file`."""
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if not settings.password_file:
        raise MailInError(f"the IMAP password is needed: name a file in `mailin.password_file` "
                          f"or set {PASSWORD_VARIABLE}")
    return first_line(settings.password_file, what="IMAP password", key="mailin.password_file",
                      error=MailInError)


def _connect(settings: MailInConfig) -> imaplib.IMAP4:
    if settings.ssl:
        return imaplib.IMAP4_SSL(settings.host, settings.port,
                                 ssl_context=ssl.create_default_context(), timeout=TIMEOUT_S)
    imap = imaplib.IMAP4(settings.host, settings.port, timeout=TIMEOUT_S)
    if "STARTTLS" in imap.capabilities:
        imap.starttls(ssl.create_default_context())
    return imap


def _login(imap: imaplib.IMAP4, settings: MailInConfig, password: str) -> None:
    try:
        imap.login(settings.user, password)
    except imaplib.IMAP4.error as e:
        raise MailInError(f"the IMAP server {settings.host} refused the login of "
                          f"{settings.user}: {e} (check `mailin.user` and the password)") from None


def _fetch(services: Services, imap: imaplib.IMAP4, settings: MailInConfig,
           state_path: Path) -> list[MailOutcome]:
    status, _ = imap.select(_quoted(settings.folder), readonly=True)
    if status != "OK":
        raise MailInError(f"the IMAP folder “{settings.folder}” cannot be opened (config key "
                          "`mailin.folder`)")
    validity = _uidvalidity(imap)
    state = _load_state(state_path)
    last = state.get("last_uid", 0) if state.get("uidvalidity") == validity else 0
    status, data = imap.uid("SEARCH", None, "UID", f"{last + 1}:*")
    uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last)
    outcomes = []
    for uid in uids:
        message = _fetch_one(imap, uid)
        outcomes.append(_store(services, settings, uid, message))
        _save_state(state_path, {"uidvalidity": validity, "last_uid": uid})
    return outcomes


def _uidvalidity(imap: imaplib.IMAP4) -> int | None:
    _, values = imap.response("UIDVALIDITY")
    for value in values or []:
        if value and bytes(value).isdigit():
            return int(value)
    return None


def _fetch_one(imap: imaplib.IMAP4, uid: int) -> bytes:
    status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    raise MailInError(f"the IMAP server sent no content for message UID {uid} ({status})")


def _store(services: Services, settings: MailInConfig, uid: int, message: bytes) -> MailOutcome:
    with services.session() as session:
        negotiation = session.get(Negotiation, settings.negotiation)
        if negotiation is None:
            raise MailInError(f"negotiation #{settings.negotiation} does not exist (config key "
                              "`mailin.negotiation`)")
        try:
            item = ingest(session=session, blobs=services.blobs,
                          source=IncomingFile(io.BytesIO(message), f"imap-{uid}.eml",
                                              declared_type="message/rfc822", source="imap"),
                          negotiation=negotiation, actor=session.get(User, negotiation.owner_id),
                          max_bytes=services.config.intake.max_file_bytes,
                          tz=services.config.locale.zone,
                          max_messages=services.config.intake.max_messages_per_import)
        except DuplicateEvidence as e:
            return MailOutcome(uid, "duplicate", e.existing_id, str(e))
        except IntakeError as e:
            log.warning("IMAP message UID %d was refused: %s", uid, e)
            return MailOutcome(uid, "refused", reason=str(e))
        return MailOutcome(uid, "stored", item.id)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("the mail-in state %s is unreadable; starting over (messages already "
                    "stored will count as duplicates)", path)
        return {}


def _save_state(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def start_background(services: Services, stop: threading.Event) -> threading.Thread:
    """Fetch every `mailin.interval_minutes` for `liuhen serve` (entry point
    `liuhen.background`: mailin). With no `mailin.host` the thread ends at once."""
    settings = services.config.mailin

    def run() -> None:
        if not settings.host:
            return
        while not stop.is_set():
            try:
                outcomes = fetch_new_mail(services)
                if outcomes:
                    log.info("mail-in: %d new message(s) from %s", len(outcomes), settings.host)
            except Exception:
                log.exception("mail-in from %s failed; trying again in %d minutes",
                              settings.host, settings.interval_minutes)
            stop.wait(settings.interval_minutes * 60)

    thread = threading.Thread(target=run, name="liuhen-mailin", daemon=True)
    thread.start()
    return thread
