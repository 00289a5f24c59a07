"""The email server for reminders as set on the settings page: host, port, STARTTLS, login,
password and sender, kept in the database (storage.models.mail) over the `[reminders]` section
of the configuration, which gives the defaults. The password is sealed with AES-GCM under the
vault subkey SUBKEY and never shown back: a page learns only whether one is set.

Imports the base layer and storage only; the scheduler (logger.reminders.scheduler) and the
settings page read `effective_reminders`.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session

from logger.config import RemindersConfig
from logger.errors import LiuhenError
from logger.i18n import Text
from storage.models import MailSettings
from storage.models.types import utcnow

SUBKEY = "reminders-mail-password"
_NONCE = 12
_AAD = b"liuhen mail_settings.smtp_password"
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]+\]?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MailSettingsInvalid(LiuhenError):
    """A value typed for the email server cannot be used; `field` names it. Nothing was
    changed."""

    def __init__(self, message: Text, *, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MailServer:
    """What the settings page shows: the values in use (saved, else the configuration's), and
    whether a password is set and where (never the password)."""

    host: str
    port: int
    starttls: bool
    user: str
    sender: str
    password_saved: bool        # sealed in the database
    password_file: bool         # the configuration's smtp_password_file
    saved_at: datetime | None   # None: nothing saved on the page, all from the configuration


def effective_reminders(session: Session, config: RemindersConfig, key: bytes
                        ) -> tuple[RemindersConfig, str | None]:
    """The `[reminders]` settings with those saved on the page over them, and the saved SMTP
    password (None: use the configuration's password file, if any)."""
    row = session.get(MailSettings, 1)
    if row is None:
        return config, None
    merged = dataclasses.replace(
        config, smtp_host=_or(row.smtp_host, config.smtp_host),
        smtp_port=_or(row.smtp_port, config.smtp_port),
        smtp_starttls=_or(row.smtp_starttls, config.smtp_starttls),
        smtp_user=_or(row.smtp_user, config.smtp_user),
        smtp_from=_or(row.smtp_from, config.smtp_from))
    password = _unseal(key, row.smtp_password_sealed) if row.smtp_password_sealed else None
    return merged, password


def settings_stamp(session: Session) -> datetime | None:
    """When the page last saved the settings (None: never), for a long-running scheduler to
    notice a change without reading the password each round."""
    row = session.get(MailSettings, 1)
    return row.updated_at if row is not None else None


def mail_server(session: Session, config: RemindersConfig) -> MailServer:
    saved = session.get(MailSettings, 1)
    row = saved or MailSettings()
    return MailServer(
        host=_or(row.smtp_host, config.smtp_host), port=_or(row.smtp_port, config.smtp_port),
        starttls=_or(row.smtp_starttls, config.smtp_starttls),
        user=_or(row.smtp_user, config.smtp_user), sender=_or(row.smtp_from, config.smtp_from),
        password_saved=row.smtp_password_sealed is not None,
        password_file=bool(config.smtp_password_file),
        saved_at=saved.updated_at if saved is not None else None)


def save_mail_server(session: Session, key: bytes, *, host: str, port: str, starttls: bool,
                     user: str, sender: str, password: str | None,
                     forget_password: bool = False) -> None:
    """Save the email server and commit. `password` None (or "") keeps the saved one;
    `forget_password` removes it (the configuration's password file applies again). Raises
    MailSettingsInvalid for a value that cannot be used."""
    host, user, sender = host.strip(), user.strip(), sender.strip()
    if not host or not _HOST.match(host):
        raise MailSettingsInvalid(Text("Write the SMTP server's name, such as smtp.qq.com."),
                                  field="smtp_host")
    try:
        number = int(port.strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise MailSettingsInvalid(Text("The port is a number from 1 to 65535, usually 587 "
                                       "(STARTTLS) or 25."), field="smtp_port")
    if not _EMAIL.match(sender):
        raise MailSettingsInvalid(Text("The sender is an email address, such as "
                                       "liuhen@example.com."), field="smtp_from")
    if len(user) > 255:
        raise MailSettingsInvalid(Text("The user name is too long."), field="smtp_user")
    row = session.get(MailSettings, 1) or MailSettings()
    row.smtp_host, row.smtp_port, row.smtp_starttls = host, number, starttls
    row.smtp_user, row.smtp_from = user, sender
    if forget_password:
        row.smtp_password_sealed = None
    elif password:
        row.smtp_password_sealed = _seal(key, password)
    row.updated_at = utcnow()
    session.add(row)
    session.commit()


def _or(saved, default):
    return default if saved is None else saved


def _seal(key: bytes, password: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, password.encode("utf-8"), _AAD)
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unseal(key: bytes, document: str) -> str:
    raw = base64.b64decode(document)
    try:
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _AAD).decode("utf-8")
    except InvalidTag:
        raise LiuhenError("the saved SMTP password cannot be opened with this vault's key; "
                          "type it again on the settings page (Reminders)") from None
