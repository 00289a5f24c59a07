"""Sharing a negotiation with a helper (logger.sharing) and managing members (logger.members):
who may do what, what the custody log says, and that nothing is ever deleted."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from logger import accounts, browser_sessions, members, sharing, tokens
from logger.accounts import AccountError
from logger.errors import NotFound
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import list_negotiations
from logger.record.custody import verify_chain
from logger.record.search import find_results
from storage.models import CustodyAction, CustodyEvent, Negotiation, ShareRole
from storage.models.types import utcnow
from tests.support.common import make_negotiation_in

Access = sharing.Access


@pytest.fixture
def helper(session, owner):
    return accounts.add_user(session, "helper", "helper-password")


def store(session, services, negotiation, actor, note="请在本月底前还款 zqxmark"):
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(note.encode()), "note.txt"),
                  negotiation=negotiation, actor=actor, max_bytes=1 << 20,
                  tz=services.config.locale.zone, details=EvidenceDetails(note=note))


def events(session, action):
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.action == action)
                             .order_by(CustodyEvent.seq)))


def test_no_share_looks_like_nothing_and_each_role_has_its_level(session, owner, helper,
                                                                negotiation):
    with pytest.raises(NotFound):
        sharing.negotiation_for(session, negotiation.id, helper)
    sharing.share(session, negotiation, by=owner, user=helper, role="viewer")
    assert sharing.negotiation_for(session, negotiation.id, helper) == negotiation
    with pytest.raises(sharing.NotAllowed):
        sharing.negotiation_for(session, negotiation.id, helper, Access.edit)
    sharing.share(session, negotiation, by=owner, user=helper, role=ShareRole.editor)
    assert sharing.negotiation_for(session, negotiation.id, helper, Access.edit) == negotiation
    with pytest.raises(sharing.NotAllowed):
        sharing.negotiation_for(session, negotiation.id, helper, Access.own)
    assert sharing.access_of(session, negotiation, owner) == Access.own
    sharing.unshare(session, negotiation, by=owner, user=helper)
    with pytest.raises(NotFound):
        sharing.negotiation_for(session, negotiation.id, helper)


def test_sharing_is_logged_with_who_did_it_and_only_the_owner_may(session, owner, helper,
                                                                   negotiation):
    sharing.share(session, negotiation, by=owner, user=helper, role="viewer")
    sharing.share(session, negotiation, by=owner, user=helper, role="viewer")  # no change
    sharing.share(session, negotiation, by=owner, user=helper, role="editor")
    with pytest.raises(sharing.NotAllowed):
        sharing.share(session, negotiation, by=helper, user=owner, role="viewer")
    with pytest.raises(sharing.NotAllowed):
        sharing.unshare(session, negotiation, by=helper, user=helper)
    sharing.unshare(session, negotiation, by=owner, user=helper)
    with pytest.raises(sharing.SharingError):
        sharing.unshare(session, negotiation, by=owner, user=helper)
    logged = events(session, CustodyAction.sharing)
    assert [(e.actor_id, e.details["role"], e.details["was"]) for e in logged] == [
        (owner.id, "viewer", None), (owner.id, "editor", "viewer"), (owner.id, None, "editor")]
    assert verify_chain(session)[1] == []


def test_the_owner_cannot_share_with_itself_nor_with_a_disabled_account(session, owner, helper,
                                                                        negotiation):
    with pytest.raises(sharing.SharingError) as own:
        sharing.share(session, negotiation, by=owner, user=owner, role="viewer")
    assert own.value.code == "owner"
    members.disable(session, by=owner, member=helper)
    with pytest.raises(sharing.SharingError) as disabled:
        sharing.share(session, negotiation, by=owner, user=helper, role="viewer")
    assert disabled.value.code == "disabled"


def test_shared_negotiations_are_listed_and_searched_for_the_helper_only(
        session, services, owner, helper, negotiation):
    hidden = make_negotiation_in(session, owner, creditor="不共享的银行")
    store(session, services, negotiation, owner)
    store(session, services, hidden, owner, "hidden zqxmark")
    assert list_negotiations(session, owner=helper) == []
    assert find_results(session, "zqxmark", owner=helper).results == []
    sharing.share(session, negotiation, by=owner, user=helper, role="viewer")
    assert [n.id for n, _ in list_negotiations(session, owner=helper)] == [negotiation.id]
    found = find_results(session, "zqxmark", owner=helper).results
    assert {r.evidence.negotiation_id for r in found} == {negotiation.id}
    assert sharing.shared_with(session, helper)[negotiation.id][1].id == owner.id
    assert len(find_results(session, "zqxmark", owner=owner).results) == 2


def test_an_editors_upload_names_the_editor(session, services, owner, helper, negotiation):
    sharing.share(session, negotiation, by=owner, user=helper, role="editor")
    item = store(session, services, negotiation, helper)
    intake = session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == item.id)).one()
    assert intake.actor_id == helper.id and item.created_by == helper.id
    assert sharing.has_helpers(session, negotiation.id)


# --- Members -------------------------------------------------------------------------------


def sign_in(session, name, password):
    return accounts.authenticate(session, name, password, address="127.0.0.1")


def test_a_reset_password_signs_out_and_must_be_changed(session, owner, helper):
    browser_sessions.start_session(session, helper, now=utcnow())
    assert members.reset_password(session, by=owner, member=helper, password="given-123") == 1
    assert helper.must_change_password
    assert sign_in(session, "helper", "given-123").user.id == helper.id
    accounts.change_password(session, helper, "given-123", "my-own-password")
    assert not helper.must_change_password


def test_only_the_owner_or_an_admin_manages_and_never_the_owner(session, owner, helper):
    admin = accounts.add_member(session, by=owner, name="admin", password="admin-password",
                                admin=True)
    with pytest.raises(AccountError):
        members.disable(session, by=helper, member=admin)
    with pytest.raises(AccountError):
        members.disable(session, by=admin, member=owner)
    with pytest.raises(AccountError):
        members.disable(session, by=admin, member=admin)
    members.disable(session, by=admin, member=helper)
    assert helper.disabled_at is not None


def test_a_disabled_account_cannot_sign_in_nor_use_its_tokens(session, owner, helper):
    _token, plaintext = tokens.create_token(session, helper, "phone")
    browser_sessions.start_session(session, helper, now=utcnow())
    assert members.disable(session, by=owner, member=helper) == 1
    with pytest.raises(AccountError) as refused:
        sign_in(session, "helper", "helper-password")
    assert refused.value.code == "disabled"
    with pytest.raises(AccountError) as wrong:  # a wrong password learns nothing more
        sign_in(session, "helper", "not-the-password")
    assert wrong.value.code == "bad_login"
    assert tokens.verify_token(session, plaintext) is None
    members.enable(session, by=owner, member=helper)
    assert sign_in(session, "helper", "helper-password").user.id == helper.id
    assert tokens.verify_token(session, plaintext).id == helper.id


def test_removing_transfers_negotiations_to_the_owner_and_frees_the_name(
        session, services, owner, helper):
    theirs = make_negotiation_in(session, helper, creditor="帮手的银行")
    item = store(session, services, theirs, helper)
    mine = make_negotiation_in(session, owner)
    sharing.share(session, mine, by=owner, user=helper, role="editor")
    moved = members.remove(session, by=owner, member=helper, transfer=True)
    assert moved == [theirs.id]
    session.refresh(theirs)
    assert theirs.owner_id == owner.id and session.get(type(item), item.id) is not None
    assert sharing.list_shares(session, mine) == []
    transfer, = events(session, CustodyAction.transfer)
    assert transfer.details["from"] == "helper" and transfer.actor_id == owner.id
    assert helper.removed_at and helper.name == f"helper (removed #{helper.id})"
    with pytest.raises(AccountError):
        sign_in(session, helper.name, "helper-password")
    again = accounts.add_member(session, by=owner, name="helper", password="new-password")
    assert again.id != helper.id
    assert verify_chain(session)[1] == []


def test_removing_can_keep_the_negotiations_under_the_removed_account(session, owner, helper):
    theirs = make_negotiation_in(session, helper, creditor="帮手的银行")
    assert members.remove(session, by=owner, member=helper, transfer=False) == []
    assert session.get(Negotiation, theirs.id).owner_id == helper.id
    with pytest.raises(AccountError):
        members.enable(session, by=owner, member=helper)
