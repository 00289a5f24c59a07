"""Sharing a negotiation from its share page, what a helper then sees and may do, and managing
members from Settings → Members (reset, disable, remove, add again)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from logger import sharing
from storage.models import CustodyAction, CustodyEvent, Negotiation, User
from tests.support.web import csrf, new_browser, page_text, post_form, sign_in


@pytest.fixture
def english(session, owner, other_user):
    for user in (owner, other_user):
        user.locale = "en"
        session.add(user)
    session.commit()


def share_page(negotiation) -> str:
    return f"/negotiations/{negotiation.id}/sharing"


def test_the_owner_shares_and_the_helper_sees_it_marked(client, other_client, negotiation,
                                                        store, owner, english):
    item = store(negotiation, owner, note="the first call")
    assert other_client.get(f"/negotiations/{negotiation.id}").status_code == 404
    assert "Added by" not in page_text(client.get(f"/negotiations/{negotiation.id}"))
    page = client.get(share_page(negotiation))
    assert page.status_code == 200 and "Only you can see this negotiation" in page_text(page)
    shared = post_form(client, share_page(negotiation), {"name": "other", "role": "viewer"},
                       follow_redirects=True)
    assert "Shared with other." in page_text(shared) and "Viewer" in page_text(shared)
    overview = page_text(other_client.get("/"))
    assert "信用飞" in overview and "Shared with you by owner: you can read it" in overview
    timeline = page_text(other_client.get(f"/negotiations/{negotiation.id}"))
    assert "Shared with you by owner" in timeline and "Added by owner" in timeline
    assert "Sharing" not in timeline  # the share page is the owner's
    assert other_client.get(f"/negotiations/{negotiation.id}/upload").status_code == 403
    assert other_client.get(share_page(negotiation)).status_code == 403
    promises = other_client.get(f"/negotiations/{negotiation.id}/promises")
    assert promises.status_code == 200
    assert 'data-testid="promise-form"' not in promises.get_data(as_text=True)
    assert 'data-testid="promise-form"' in client.get(
        f"/negotiations/{negotiation.id}/promises").get_data(as_text=True)
    read_only = 'data-testid="details-read-only"'
    assert read_only in other_client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert read_only not in client.get(f"/evidence/{item.id}").get_data(as_text=True)


def test_an_editor_edits_under_their_own_name_and_a_revoke_ends_it(
        client, other_client, negotiation, session, owner, other_user, english):
    post_form(client, share_page(negotiation), {"name": "other", "role": "editor"})
    assert "you can add to it" in page_text(other_client.get("/"))
    assert other_client.get(f"/negotiations/{negotiation.id}/upload").status_code == 200
    saved = post_form(other_client, f"/negotiations/{negotiation.id}/edit",
                      {"creditor": "信用飞", "collection_agency": "新的催收公司",
                       "currency": "CNY"})
    assert saved.status_code == 302
    edit = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.metadata_edit)).one()
    assert edit.actor_id == other_user.id
    revoked = post_form(client, f"{share_page(negotiation)}/{other_user.id}/revoke")
    assert revoked.status_code == 303
    assert other_client.get(f"/negotiations/{negotiation.id}").status_code == 404
    assert [e.details["role"] for e in session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.sharing).order_by(CustodyEvent.seq))] == [
        "editor", None]


def test_sharing_with_no_such_account_says_how_to_add_one(client, negotiation, english):
    reply = post_form(client, share_page(negotiation), {"name": "nobody", "role": "viewer"})
    assert reply.status_code == 400
    assert "There is no account named “nobody”" in page_text(reply)


def test_the_api_lists_a_shared_negotiation_with_who_shared_it(
        app, session, owner, other_user, negotiation):
    from logger.tokens import create_token
    sharing.share(session, negotiation, by=owner, user=other_user, role="viewer")
    token = create_token(session, other_user, "phone")[1]
    listed = app.test_client().get("/api/v1/negotiations",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(n["id"], n["shared_by"], n["role"]) for n in listed] == [
        (negotiation.id, "owner", "viewer")]
    one = app.test_client().get(f"/api/v1/negotiations/{negotiation.id}",
                                headers={"Authorization": f"Bearer {token}"}).get_json()
    assert one["shared_by"] == "owner"
    upload = app.test_client().post(f"/api/v1/negotiations/{negotiation.id}/evidence",
                                    headers={"Authorization": f"Bearer {token}"})
    assert upload.status_code == 403


# --- Members ---------------------------------------------------------------------------------


def member_url(user: User, action: str) -> str:
    return f"/settings/members/{user.id}/{action}"


def test_the_sign_in_page_says_a_forgotten_password_can_be_reset(app, owner):
    text = page_text(new_browser(app).get("/login"))
    assert "can reset it under Settings → Members" in text and "add you again" not in text


def test_a_reset_password_must_be_changed_at_the_next_sign_in(app, client, other_client,
                                                              other_user, english):
    reply = post_form(client, member_url(other_user, "reset"), {"password": "given-1234"},
                      follow_redirects=True)
    assert "The password of other was reset" in page_text(reply)
    assert other_client.get("/").status_code == 302   # its session ended
    browser = sign_in(new_browser(app), "other", "given-1234")
    landed = browser.get("/", follow_redirects=True)
    assert landed.request.path == "/settings/password"
    assert "Your password was reset" in page_text(landed)
    changed = post_form(browser, "/settings/password", {
        "password": "given-1234", "new_password": "my-own-pass",
        "new_password_again": "my-own-pass"})
    assert changed.status_code == 302
    assert browser.get("/").status_code == 200


def test_a_disabled_member_is_signed_out_and_cannot_sign_in(app, client, other_client,
                                                            other_user, english):
    post_form(client, member_url(other_user, "disable"))
    assert other_client.get("/").status_code == 302
    browser = new_browser(app)
    refused = browser.post("/login", data={"name": "other", "password": "other-password",
                                           "csrf_token": csrf(browser)})
    assert refused.status_code == 401 and "This account is disabled" in page_text(refused)
    post_form(client, member_url(other_user, "enable"))
    sign_in(new_browser(app), "other", "other-password")


def test_a_removed_member_can_be_added_again_and_their_negotiations_move(
        client, session, owner, other_user, english):
    from tests.support.common import make_negotiation_in
    theirs = make_negotiation_in(session, other_user, creditor="帮手的银行")
    removed = post_form(client, member_url(other_user, "remove"),
                        {"negotiations": "transfer"}, follow_redirects=True)
    assert "other was removed; 1 negotiation moved to the owner" in page_text(removed)
    session.expire_all()
    assert session.get(Negotiation, theirs.id).owner_id == owner.id
    added = post_form(client, "/settings/members", {"name": "other",
                                                    "password": "another-password"})
    assert added.status_code == 302
    assert post_form(client, member_url(other_user, "disable")).status_code == 404


def test_a_member_cannot_manage_anyone(other_client, owner):
    assert post_form(other_client, member_url(owner, "disable")).status_code == 404


def test_the_members_page_offers_to_manage_others_but_not_oneself(client, other_user, english):
    page = client.get("/settings/members").get_data(as_text=True)
    assert page.count('data-testid="manage-member"') == 1
    assert f"/settings/members/{other_user.id}/reset" in page
    assert "Reset password" in page
