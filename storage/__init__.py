"""Persistence: the database (SQLModel models, engine, Alembic migrations, search), the encrypted
blob store and the vault that holds the keys.

Imports no other project package; everything above builds on it.
"""
