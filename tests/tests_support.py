"""Small factories shared by the tests (importable, unlike conftest)."""

from logger.negotiations import add_negotiation


def make_negotiation_in(session, owner, **fields):
    fields.setdefault("creditor", "信用飞")
    return add_negotiation(session, owner=owner, **fields)
