"""Small factories shared by the tests (importable, unlike conftest)."""

from logger.negotiations import add_negotiation

PASSPHRASE = "correct horse battery staple 正确"
# Vault key derivation cheap enough for tests (the production defaults: tests/test_vault.py).
CHEAP_KDF = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}


def make_negotiation_in(session, owner, **fields):
    fields.setdefault("creditor", "信用飞")
    return add_negotiation(session, owner=owner, **fields)
