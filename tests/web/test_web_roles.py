"""What a helper may do with a negotiation shared with them: NEED says, for every route with an
id, whether a viewer, an editor or only the owner may use it; the walk holds each role to it
(too little role answers 403; another account's own things stay 404)."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlmodel import select

from storage.models import CustodyEvent, Negotiation
from tests.support.route_walk import (ARGUMENT_KINDS, IGNORED_METHODS, MARK, PUBLIC_ENDPOINTS,
                                      QUERY, Account, Walker, app_with, make_account, snapshot,
                                      walk)
from tests.support.web import csrf, sign_in
from web.access import negotiation_for


# Every route with an id in its path, and what the id's negotiation must allow: "view" (a viewer
# may), "edit" (an editor may), "own" (only the owner), "account" (the id names another
# account's own thing, never shared). A new route fails test_every_route_has_a_need until it is
# here; the walk below then holds each helper to it.
NEED = {
    "api.evidence": "view", "api.negotiation": "view", "api.original": "view",
    "api.timeline": "view", "api.upload": "edit",
    "bundles.new": "view", "bundles.export": "view",
    "evidence.show": "view", "evidence.original": "view", "evidence.media": "view",
    "evidence.email_body": "view",
    "evidence.edit": "edit", "evidence.edit_text": "edit", "evidence.edit_transcript": "edit",
    "evidence.retranscribe": "edit", "evidence.retry": "edit", "evidence.cancel": "edit",
    "evidence.set_channels": "edit",
    "evidence.upload": "edit",
    "findings.show": "view", "findings.inputs": "view",
    "findings.add_contact": "edit", "findings.confirm": "edit", "findings.dismiss": "edit",
    "findings.import_calls": "edit", "findings.remove_contact": "edit",
    "findings.settings": "edit", "findings.switch_rule": "edit",
    "hardship.show": "view", "hardship.download": "view",
    "hardship.circumstances": "edit", "hardship.plan": "edit", "hardship.sent": "edit",
    "hardship.upload_proof": "edit",
    "negotiations.edit": "edit",
    "promises.show": "view", "promises.confirmation": "view",
    "promises.accept": "edit", "promises.add": "edit", "promises.add_instalment_plan": "edit",
    "promises.cancel": "edit", "promises.change": "edit", "promises.dismiss": "edit",
    "promises.link": "edit", "promises.mark": "edit", "promises.match": "edit",
    "promises.pay": "edit", "promises.unlink": "edit",
    "settings.revoke_api_token": "account", "settings.reset_member_password": "account",
    "settings.disable_member": "account", "settings.enable_member": "account",
    "settings.remove_member": "account",
    "sharing.show": "own", "sharing.revoke": "own",
    "timeline.show": "view", "timeline.jobs": "view",
    # Trash, move, archive stay the owner's; a bulk change of direction or channel is an edit.
    "tidy.trash_page": "own", "tidy.empty": "own", "tidy.trash_item": "own",
    "tidy.restore_item": "own", "tidy.move_item": "own", "tidy.archive_negotiation": "own",
    "tidy.reopen_negotiation": "own", "tidy.bulk": "edit",
}
MAY = {"viewer": {"view"}, "editor": {"view", "edit"}}
SHARED_MARK = f"{QUERY} shared5"     # found by the helper's search, and not LEAK


def missing_needs(app) -> list[str]:
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.arguments and rule.endpoint not in PUBLIC_ENDPOINTS
                  and rule.endpoint not in NEED)


def test_every_route_has_a_need(app):
    missing = missing_needs(app)
    assert not missing, f"add these endpoints to NEED in {__name__}: {missing}"


def test_a_new_route_fails_until_need_names_it(services):
    leaky = Blueprint("leaky", __name__)

    @leaky.get("/leaky/<int:negotiation_id>/page")
    def page(negotiation_id: int):
        return negotiation_for(negotiation_id).creditor

    assert missing_needs(app_with(services, leaky)) == ["leaky.page"]


@pytest.fixture(params=["viewer", "editor"])
def helper_world(request, services, session, owner, other_user, testdata):
    """The owner's negotiation shared with `other` in the role, another of the owner's that is
    not shared (it holds LEAK), and `other`'s own."""
    from logger.sharing import share
    shared = make_account(services, session, owner, testdata, SHARED_MARK)
    hidden = make_account(services, session, owner, testdata, MARK)
    helper = make_account(services, session, other_user, testdata, "plain")
    share(session, session.get(Negotiation, shared.objects["negotiation"]), by=owner,
          user=other_user, role=request.param)
    return request.param, shared, hidden, helper


def test_a_helper_sees_nothing_that_was_not_shared(app, helper_world, session):
    _role, _shared, hidden, helper = helper_world
    assert not walk(app, (hidden, helper), session)


def role_walk(app, role: str, shared: Account, helper: Account, need=NEED) -> list[str]:
    """Every route with ids, called as `helper` with the shared negotiation's objects: what the
    role allows answers as it does to the owner (never 403, never a 404 the owner does not get
    too), the rest 403; another account's own things stay 404."""
    app.config["TESTING"] = True
    walker = Walker(app, app.test_client(), helper, shared, "other-password")
    owner = sign_in(app.test_client(), "owner", "owner-password")
    bearer = {"Authorization": f"Bearer {shared.api_token}"}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.arguments or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        needs = need[rule.endpoint]
        path = rule.build({n: shared.objects[ARGUMENT_KINDS[n]] for n in rule.arguments})[1]
        for method in sorted(rule.methods - IGNORED_METHODS):
            status = walker._call(method, path).status_code
            if needs == "account":
                wanted = status in (404, 405)
            elif needs in MAY[role] and method == "GET":   # what the owner gets
                wanted = status == owner.get(path, headers=bearer).status_code
            elif needs in MAY[role]:   # 404 only where the form named nothing, as for the owner
                wanted = status != 403 and status < 500 and (status != 404 or owner.open(
                    path, method=method, headers=bearer,
                    data={"csrf_token": csrf(owner)}).status_code == 404)
            else:
                wanted = status == 403
            if not wanted:
                walker.problems.append(f"{method} {path} ({rule.endpoint}, needs {needs}) "
                                       f"answered {status} to a {role}")
    return walker.problems


def test_a_helper_may_do_exactly_what_the_role_allows(app, helper_world, session):
    role, shared, _hidden, helper = helper_world
    before = snapshot(session, shared)
    problems = role_walk(app, role, shared, helper)
    assert not problems, "\n".join(problems)
    if role == "viewer":   # a viewer changes nothing (an export is logged, nothing else;
        after = snapshot(session, shared)   # the owner's token was used above)
        kept = ("negotiation", "evidence", "texts", "jobs")
        assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
        actions = {e.action for e in session.exec(select(CustodyEvent).where(
            CustodyEvent.actor_id == helper.user.id,
            CustodyEvent.negotiation_id == shared.objects["negotiation"]))}
        assert actions <= {"export"}, actions


def test_a_change_a_viewer_can_make_is_caught(services, helper_world):
    role, shared, _hidden, helper = helper_world
    leaky = Blueprint("leaky", __name__)

    @leaky.post("/leaky/<int:negotiation_id>/rename")
    def rename(negotiation_id: int):
        negotiation_for(negotiation_id, "view")   # should have asked for "edit"
        return "renamed"

    problems = role_walk(app_with(services, leaky), role, shared, helper,
                         need={**NEED, "leaky.rename": "edit"})
    if role == "viewer":
        assert any("/rename" in p and "answered 200 to a viewer" in p for p in problems)
    else:
        assert not problems, problems
