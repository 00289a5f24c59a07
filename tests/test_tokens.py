"""API tokens: made once, kept only as a hash, refused once revoked; and the CLI commands."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from logger.accounts import add_user
from logger.errors import NotFound
from logger.tokens import (LAST_USED_RESOLUTION, TokenError, create_token, list_tokens,
                           revoke_token, verify_token)
from storage.models import ApiToken


def test_a_token_is_recognisable_random_and_stored_only_as_its_hash(session, owner):
    token, plaintext = create_token(session, owner, "phone")
    again, second = create_token(session, owner, "phone")
    assert plaintext.startswith("lh_") and len(plaintext) == 3 + 43  # 32 bytes, URL-safe
    assert plaintext != second and token.token_hash != again.token_hash
    assert token.prefix == plaintext[:11] and token.name == "phone"
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = session.execute(text("SELECT * FROM api_token")).all()
    assert not any(plaintext in str(value) for row in stored for value in row)


def test_verify_gives_the_account_and_records_the_use(session, owner):
    token, plaintext = create_token(session, owner, "phone")
    assert token.last_used_at is None
    assert verify_token(session, plaintext).id == owner.id
    session.refresh(token)
    first_use = token.last_used_at
    assert first_use is not None
    verify_token(session, plaintext)  # within a minute: no write
    session.refresh(token)
    assert token.last_used_at == first_use
    token.last_used_at = first_use - LAST_USED_RESOLUTION - timedelta(seconds=1)
    session.commit()
    verify_token(session, plaintext)
    session.refresh(token)
    assert token.last_used_at > first_use - LAST_USED_RESOLUTION


@pytest.mark.parametrize("wrong", ["", "lh_", "lh_short", "Bearer x", "lh_" + "A" * 43,
                                   "xx_" + "A" * 43, "lh_令牌" * 10])
def test_unknown_and_malformed_tokens_are_refused(session, owner, wrong):
    create_token(session, owner, "phone")
    assert verify_token(session, wrong) is None


def test_a_token_with_the_right_prefix_but_wrong_rest_is_refused(session, owner):
    _, plaintext = create_token(session, owner, "phone")
    forged = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert verify_token(session, forged) is None


def test_revoked_tokens_are_refused_and_listed_as_revoked(session, owner):
    kept, kept_plain = create_token(session, owner, "laptop")
    gone, gone_plain = create_token(session, owner, "old phone")
    revoked = revoke_token(session, gone.id, owner=owner)
    when = revoked.revoked_at
    assert verify_token(session, gone_plain) is None
    assert verify_token(session, kept_plain).id == owner.id
    assert revoke_token(session, gone.id).revoked_at == when  # twice: the first time stays
    assert [(t.name, t.revoked_at is not None) for t in list_tokens(session, owner)] == [
        ("old phone", True), ("laptop", False)]


def test_one_account_cannot_see_or_revoke_anothers_tokens(session, owner):
    other = add_user(session, "other", "other-password")
    token, plaintext = create_token(session, owner, "phone")
    assert list_tokens(session, other) == []
    with pytest.raises(NotFound):
        revoke_token(session, token.id, owner=other)
    with pytest.raises(NotFound):
        revoke_token(session, token.id + 100)
    assert verify_token(session, plaintext).id == owner.id


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
def test_a_token_needs_a_usable_name(session, owner, name):
    with pytest.raises(TokenError, match="name"):
        create_token(session, owner, name)
    assert session.exec(select(ApiToken)).all() == []


def test_cli_creates_lists_and_revokes_tokens(cli, services_for):
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    made = cli("user", "token", "小王", "--label", "phone", "--json")
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout)
    assert created["token"].startswith("lh_") and created["name"] == "phone"
    assert "token_hash" not in created
    plain = cli("user", "token", "小王")
    assert plain.exit_code == 0 and "shown once" in plain.stdout
    assert plain.stdout.strip().splitlines()[-1].startswith("lh_")

    listed = json.loads(cli("user", "tokens", "小王", "--json").stdout)
    assert [t["name"] for t in listed] == ["cli", "phone"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert created["prefix"] in cli("user", "tokens", "小王").stdout

    revoked = cli("user", "revoke-token", str(created["id"]), "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["revoked_at"]
    with services_for() as services, services.session() as session:
        assert verify_token(session, created["token"]) is None

    missing = cli("user", "revoke-token", "999")
    assert missing.exit_code == 1 and "liuhen: no API token #999" in missing.stderr
    nobody = cli("user", "token", "nobody")
    assert nobody.exit_code == 1 and "no user named" in nobody.stderr
