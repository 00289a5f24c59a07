"""`liuhen negotiation share|unshare|shares` and `liuhen user list|reset-password|disable|
enable|remove`, end to end in-process."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from logger import accounts
from storage.models import CustodyAction, CustodyEvent, Negotiation


@pytest.fixture
def world(cli):
    """init, the owner, a member and one negotiation of the owner's, through the CLI."""
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    assert cli("user", "add", "阿姨", env={"LIUHEN_PASSWORD": "helper-password"}).exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--json")
    return json.loads(out.stdout)["id"]


def test_share_change_list_and_unshare(cli, world, services_for):
    shared = cli("negotiation", "share", world, "阿姨", "--json")
    assert shared.exit_code == 0, shared.output
    assert json.loads(shared.stdout)["role"] == "viewer"
    assert cli("negotiation", "share", world, "阿姨", "--role", "editor").exit_code == 0
    listed = json.loads(cli("negotiation", "shares", world, "--json").stdout)
    assert [(s["user"], s["role"]) for s in listed] == [("阿姨", "editor")]
    helper_list = json.loads(cli("negotiation", "list", "--user", "阿姨", "--json").stdout)
    assert [n["id"] for n in helper_list] == [world]
    assert cli("negotiation", "unshare", world, "阿姨").exit_code == 0
    assert "not shared" in cli("negotiation", "shares", world).stdout
    again = cli("negotiation", "unshare", world, "阿姨")
    assert again.exit_code == 1 and "is not shared with 阿姨" in again.stderr
    with services_for() as services, services.session() as session:
        logged = session.exec(select(CustodyEvent).where(
            CustodyEvent.action == CustodyAction.sharing)).all()
        assert len(logged) == 3 and {e.actor_id for e in logged} == {1}


def test_sharing_with_the_owner_or_nobody_is_one_clear_line(cli, world):
    to_owner = cli("negotiation", "share", world, "小王")
    assert to_owner.exit_code == 1 and "owns this negotiation already" in to_owner.stderr
    nobody = cli("negotiation", "share", world, "nobody")
    assert nobody.exit_code == 1 and "no user named “nobody”" in nobody.stderr


def test_reset_disable_enable_and_list(cli, world, services_for):
    reset = cli("user", "reset-password", "阿姨", "--json",
                env={"LIUHEN_NEW_PASSWORD": "given-12345"})
    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.stdout)["must_change_password"] is True
    assert cli("user", "disable", "阿姨").exit_code == 0
    listed = {u["name"]: u for u in json.loads(cli("user", "list", "--json").stdout)}
    assert listed["阿姨"]["disabled"] and listed["小王"]["role"] == "owner"
    assert "disabled" in cli("user", "list").stdout
    with services_for() as services, services.session() as session:
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(session, "阿姨", "given-12345", address="127.0.0.1")
    assert cli("user", "enable", "阿姨").exit_code == 0
    with services_for() as services, services.session() as session:
        assert accounts.authenticate(session, "阿姨", "given-12345", address="127.0.0.1")
    owner = cli("user", "disable", "小王")
    assert owner.exit_code == 1 and "may not manage" in owner.stderr


def test_remove_transfers_to_the_owner_and_frees_the_name(cli, world, services_for):
    out = cli("negotiation", "add", "--creditor", "帮手的银行", "--user", "阿姨", "--json")
    theirs = json.loads(out.stdout)["id"]
    wrong = cli("user", "remove", "阿姨", "--transfer-to", "阿姨")
    assert wrong.exit_code != 0 and "must name the owner" in wrong.output
    removed = cli("user", "remove", "阿姨", "--transfer-to", "小王", "--json")
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout)["transferred"] == [theirs]
    with services_for() as services, services.session() as session:
        assert session.get(Negotiation, theirs).owner_id == 1
    assert cli("user", "add", "阿姨").exit_code == 0
    names = [u["name"] for u in json.loads(cli("user", "list", "--json").stdout)]
    assert names.count("阿姨") == 1 and "阿姨 (removed #2)" in names


def test_remove_can_keep_the_negotiations(cli, world, services_for):
    out = cli("negotiation", "add", "--creditor", "帮手的银行", "--user", "阿姨", "--json")
    theirs = json.loads(out.stdout)["id"]
    removed = cli("user", "remove", "阿姨")
    assert removed.exit_code == 0 and "stay under the removed account" in removed.stdout
    with services_for() as services, services.session() as session:
        assert session.get(Negotiation, theirs).owner_id == 2
