"""The email server for reminders as set on the settings page (one row at most, id 1): what is
set here wins over the `[reminders]` section of the configuration, which gives the defaults.
The password is kept sealed (AES-GCM under a vault subkey, logger.reminders.mail_settings);
nothing here is readable as a password without the vault."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

__all__ = ["MailSettings"]

MAIL_SETTINGS_ROW_ID = 1


class MailSettings(SQLModel, table=True):
    """A field left None takes the configuration's value."""

    __tablename__ = "mail_settings"
    __table_args__ = (sa.CheckConstraint(f"id = {MAIL_SETTINGS_ROW_ID}", name="one_row"),)

    id: int = Field(default=MAIL_SETTINGS_ROW_ID, primary_key=True, sa_column_kwargs={
        "autoincrement": False})
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = None
    smtp_starttls: bool | None = None
    smtp_user: str | None = Field(default=None, max_length=255)
    # base64 of nonce + ciphertext; None: the configuration's password file.
    smtp_password_sealed: str | None = Field(default=None, sa_type=sa.Text)
    smtp_from: str | None = Field(default=None, max_length=255)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
