"""The tables of keys kept in the database (`storage.vault_in = "database"`): the vault (the
master key wrapped under the passphrase and the key files, the same JSON document as vault.json)
and the sealed secrets beside it (documents encrypted under a vault subkey, such as the bundle
signing key), so every process of a shared deployment, each with its own data dir, opens the
same ones. storage.vault.places reads and writes them; nothing in them is readable without the
passphrase or a key file.

`vault` has one row at most: its id is always 1 (a CHECK), so of two processes creating a
vault at once the second hits the primary key. No foreign keys.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

__all__ = ["SealedSecret", "VaultDocument"]

VAULT_ROW_ID = 1


class VaultDocument(SQLModel, table=True):
    """The vault, when it lives in the database: the JSON document of vault.json, as text (the
    exact bytes are compared when it is rewritten)."""

    __tablename__ = "vault"
    __table_args__ = (sa.CheckConstraint(f"id = {VAULT_ROW_ID}", name="one_row"),)

    id: int = Field(default=VAULT_ROW_ID, primary_key=True, sa_column_kwargs={
        "autoincrement": False})
    document: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SealedSecret(SQLModel, table=True):
    """A secret sealed under a vault subkey, by name ("bundle-signing-key"); the first one
    written under a name is kept."""

    __tablename__ = "sealed_secret"

    name: str = Field(max_length=64, primary_key=True)
    document: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
