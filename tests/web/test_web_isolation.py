"""Every negotiation, evidence item, file, search result and page belongs to one account: another
account gets 404, everywhere, unless the owner shared that negotiation (then NEED in test_web_roles.py says
exactly what a viewer and an editor may do with it).

The walk below visits EVERY route the app registers (pages, files, the JSON API, and any route
added later) as a second account. A route with ids in its path is called with the first
account's objects (and with mixes of both accounts' objects, so a route that checks one id but
not the other is caught) and must answer 404 (405 for a method it lacks). A route without ids
is called with the first account's ids in its query and form, and must not show any of the first
account's data. Afterwards nothing of the first account may have changed. A route whose argument
the walk does not know fails the test until ARGUMENT_KINDS learns it.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, request
from sqlmodel import select

from storage.models import Job, Negotiation

from tests.support.route_walk import LEAK, MARK, QUERY, app_with, make_account, walk
from web.access import db, owned_evidence


@pytest.fixture
def accounts(services, session, owner, other_user, testdata):
    return (make_account(services, session, owner, testdata, MARK),
            make_account(services, session, other_user, testdata, "plain"))


def test_no_route_shows_or_changes_another_accounts_data(app, accounts, session):
    problems = walk(app, accounts, session)
    assert not problems, "\n".join(problems)


def test_the_first_account_does_see_its_data_where_the_walk_looks(app, accounts, client):
    """The markers and the query reach the data: otherwise the walk would prove nothing."""
    first, _ = accounts
    bearer = {"Authorization": f"Bearer {first.api_token}"}
    for path in ("/", f"/search?q={QUERY}", "/api/v1/negotiations", f"/api/v1/search?q={QUERY}",
                 f"/negotiations/{first.objects['negotiation']}",
                 f"/evidence/{first.objects['evidence']}"):
        reply = client.get(path, headers=bearer)
        assert reply.status_code == 200 and LEAK in reply.get_data(as_text=True).lower(), path


# --- The walk can fail -------------------------------------------------------------------------


def test_a_route_that_forgets_the_check_is_caught(services, accounts, session):
    leaky = Blueprint("leaky", __name__)

    @leaky.get("/leaky/<int:negotiation_id>")
    def show(negotiation_id: int):
        return db().get(Negotiation, negotiation_id).creditor

    problems = walk(app_with(services, leaky), accounts, session)
    assert any("/leaky/" in p and "answered 200" in p for p in problems), problems


def test_a_route_that_checks_one_id_of_two_is_caught(services, accounts, session):
    leaky = Blueprint("leaky", __name__)

    @leaky.post("/leaky/<int:evidence_id>/jobs/<int:job_id>/cancel")
    def cancel(evidence_id: int, job_id: int):
        owned_evidence(evidence_id)
        job = db().get(Job, job_id)      # forgets that the job must be this item's
        return f"cancelled job of evidence #{job.evidence_id}"

    problems = walk(app_with(services, leaky), accounts, session)
    assert any("/leaky/" in p and "answered 200" in p for p in problems), problems


def test_a_list_that_shows_everyones_data_is_caught(services, accounts, session):
    leaky = Blueprint("leaky", __name__)

    @leaky.get("/leaky-list")
    def everything():
        return ", ".join(n.creditor for n in db().exec(select(Negotiation)))

    problems = walk(app_with(services, leaky), accounts, session)
    assert any("GET /leaky-list" in p for p in problems), problems


def test_a_change_to_the_first_accounts_data_is_caught(services, accounts, session):
    leaky = Blueprint("leaky", __name__)

    @leaky.post("/leaky-rename")
    def rename():
        negotiation = db().get(Negotiation, int(request.form["negotiation_id"]))
        negotiation.collection_agency = "renamed"
        db().commit()
        return "done"

    problems = walk(app_with(services, leaky), accounts, session)
    assert "the second account's requests changed the first account's data" in problems


def test_a_route_with_an_unknown_argument_fails_loudly(services, accounts, session):
    leaky = Blueprint("leaky", __name__)

    @leaky.get("/leaky/<int:thing_id>")
    def thing(thing_id: int):
        return "?"

    problems = walk(app_with(services, leaky), accounts, session)
    assert any("does not know how to fill thing_id" in p for p in problems), problems


# --- Helpers: a viewer and an editor of one negotiation -----------------------------------------
