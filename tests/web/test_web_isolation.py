"""Every negotiation, evidence item, file, search result and page belongs to one account: another
account gets 404, everywhere, unless the owner shared that negotiation (then NEED below says
exactly what a viewer and an editor may do with it; too little role answers 403).

The walk below visits EVERY route the app registers (pages, files, the JSON API, and any route
added later) as a second account. A route with ids in its path is called with the first
account's objects (and with mixes of both accounts' objects, so a route that checks one id but
not the other is caught) and must answer 404 (405 for a method it lacks). A route without ids
is called with the first account's ids in its query and form, and must not show any of the first
account's data. Afterwards nothing of the first account may have changed. A route whose argument
the walk does not know fails the test until ARGUMENT_KINDS learns it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from flask import Blueprint, Flask, request
from sqlmodel import Session, select

from logger import tokens
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (ApiToken, CustodyEvent, Evidence, ExtractedText, Job, Negotiation,
                            TextSource, User)
from tests.support.common import make_negotiation_in
from tests.support.web import csrf, sign_in
from web import create_app
from web.access import db, negotiation_for, owned_evidence

# Path argument name -> the kind of object it names. A new route with another argument name
# must be added here (the walk fails loudly until it is).
ARGUMENT_KINDS = {
    "negotiation_id": "negotiation",
    "evidence_id": "evidence",
    "job_id": "job",
    "text_id": "text",
    "token_id": "token",
    "user_id": "user",
    "member_id": "user",
}
# Routes the walk leaves out: the stylesheets and scripts serve nothing of anyone's; the calendar
# feed is reached by its secret address alone (calendar apps cannot sign in), and
# tests/test_web_promises.py checks that a wrong or revoked secret gets nothing.
PUBLIC_ENDPOINTS = {"static", "promises.calendar_feed"}
# Every field of the first account holds this word next to the searchable one, so a page that
# leaks any of them shows it. The query (which a search page may echo) is only QUERY.
QUERY = "zqxmark"
LEAK = "secret7"
MARK = f"{QUERY} {LEAK}"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class Account:
    user: User
    objects: dict[str, int]      # kind -> id
    api_token: str


def make_account(services, session: Session, user: User, testdata, mark: str) -> Account:
    """A negotiation with a real recording (and so a transcribe job), a transcript, a token."""
    negotiation = make_negotiation_in(session, user, creditor=f"Lender {mark}",
                                      collection_agency=f"Agency {mark}",
                                      account_reference=f"REF {mark}")
    path = testdata / "audio" / "BAC009S0764W0121.wav"
    evidence = ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(path.read_bytes()), f"{mark} call.wav"),
                      negotiation=negotiation, actor=user, max_bytes=10**8,
                      tz=services.config.locale.zone,
                      details=EvidenceDetails(note=f"note {mark}", subject=f"subject {mark}",
                                              counterpart_name=f"Collector {mark}"))
    text = ExtractedText(evidence_id=evidence.id, source=TextSource.transcript, language="en",
                         text=f"we talked about {mark} and the payment plan",
                         segments=[{"start": 0.0, "end": 2.0, "text": f"about {mark}"}])
    session.add(text)
    session.commit()
    job = session.exec(select(Job).where(Job.evidence_id == evidence.id)).first()
    assert job is not None, "intake queues a job for a recording"
    token, plaintext = tokens.create_token(session, user, f"phone {mark}")
    return Account(user=user, api_token=plaintext, objects={
        "negotiation": negotiation.id, "evidence": evidence.id, "job": job.id,
        "text": text.id, "token": token.id, "user": user.id})


def snapshot(session: Session, account: Account) -> dict:
    """Everything of the account a request could change."""
    session.expire_all()
    negotiation_id = account.objects["negotiation"]
    evidence = session.exec(select(Evidence).where(Evidence.negotiation_id == negotiation_id)
                            .order_by(Evidence.id)).all()
    evidence_ids = [e.id for e in evidence]
    return {
        "user": session.get(User, account.user.id).model_dump(
            exclude={"failed_logins", "locked_until"}),
        "negotiation": session.get(Negotiation, negotiation_id).model_dump(),
        "evidence": [e.model_dump() for e in evidence],
        "texts": [t.model_dump() for t in session.exec(
            select(ExtractedText).where(ExtractedText.evidence_id.in_(evidence_ids)))],
        "jobs": [j.model_dump() for j in session.exec(
            select(Job).where(Job.evidence_id.in_(evidence_ids)))],
        "tokens": [t.model_dump() for t in session.exec(
            select(ApiToken).where(ApiToken.user_id == account.user.id))],
        "custody": [e.seq for e in session.exec(select(CustodyEvent).where(
            CustodyEvent.negotiation_id == negotiation_id))],
    }


class Walker:
    """Calls every route of `app` as `visitor` (signed in as `other`) and collects what is
    wrong."""

    def __init__(self, app: Flask, visitor, other: Account, first: Account, password: str):
        self.app, self.visitor, self.other, self.first = app, visitor, other, first
        self.password = password
        self.problems: list[str] = []

    def walk(self) -> list[str]:
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            unknown = sorted(set(rule.arguments) - set(ARGUMENT_KINDS))
            if unknown:
                self.problems.append(
                    f"{rule.rule} ({rule.endpoint}): the walk does not know how to fill "
                    f"{', '.join(unknown)}; add it to ARGUMENT_KINDS in {__name__}")
                continue
            if rule.arguments:
                self._walk_ids(rule)
            else:
                self._walk_list(rule)
        return self.problems

    def _walk_ids(self, rule) -> None:
        for values in self._combinations(rule):
            path = rule.build(values)[1]
            methods = rule.methods - IGNORED_METHODS
            reply = self._call("GET", path)
            allowed = {404} if "GET" in methods else {404, 405}
            self._expect(rule, "GET", path, reply, allowed)
            for method in sorted(methods - {"GET"}):
                self._expect(rule, method, path, self._call(method, path), {404})

    def _combinations(self, rule) -> list[dict[str, int]]:
        """All the first account's objects; then, when a path has several ids, each one of
        the first account's among the second account's own."""
        names = sorted(rule.arguments)
        first = {n: self.first.objects[ARGUMENT_KINDS[n]] for n in names}
        combos = [first]
        if len(names) > 1:
            for name in names:
                mixed = {n: self.other.objects[ARGUMENT_KINDS[n]] for n in names}
                mixed[name] = first[name]
                combos.append(mixed)
        return combos

    def _walk_list(self, rule) -> None:
        path = rule.build({})[1]
        for method in sorted(rule.methods - IGNORED_METHODS):
            reply = self._call(method, path, query=True)
            body = reply.get_data(as_text=True).lower()
            if LEAK in body:
                self.problems.append(f"{method} {path} ({rule.endpoint}) shows the first "
                                     f"account's data to another account")

    def _call(self, method: str, path: str, *, query: bool = False):
        self._stay_signed_in()
        ids = {f"{kind}_id": value for kind, value in self.first.objects.items()}
        headers = {"Authorization": f"Bearer {self.other.api_token}"}
        if method == "GET":
            return self.visitor.get(path, headers=headers,
                                    query_string={"q": QUERY, **ids} if query else None)
        token = csrf(self.visitor)
        headers["X-CSRFToken"] = token
        form = {"csrf_token": token, "q": QUERY, "name": "walker", "creditor": "walker",
                **(ids if query else {})}
        return self.visitor.open(path, method=method, headers=headers, data=form)

    def _stay_signed_in(self) -> None:
        """Some routes sign out (that is their job); sign in again before the next one."""
        with self.visitor.session_transaction() as cookie_session:
            signed_in = "sid" in cookie_session
        if not signed_in:
            self.visitor.post("/login", data={"name": self.other.user.name,
                                              "password": self.password,
                                              "csrf_token": csrf(self.visitor)})

    def _expect(self, rule, method, path, reply, allowed: set[int]) -> None:
        if reply.status_code not in allowed:
            self.problems.append(f"{method} {path} ({rule.endpoint}) answered "
                                 f"{reply.status_code} to another account, not "
                                 f"{' or '.join(map(str, sorted(allowed)))}")


@pytest.fixture
def accounts(services, session, owner, other_user, testdata):
    return (make_account(services, session, owner, testdata, MARK),
            make_account(services, session, other_user, testdata, "plain"))


def walk(app, accounts, session) -> list[str]:
    first, other = accounts
    app.config["TESTING"] = True
    visitor = app.test_client()
    before = snapshot(session, first)
    problems = Walker(app, visitor, other, first, "other-password").walk()
    if snapshot(session, first) != before:
        problems.append("the second account's requests changed the first account's data")
    return problems


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


def app_with(services, blueprint: Blueprint) -> Flask:
    app = create_app(services)
    app.register_blueprint(blueprint)
    return app


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
    "evidence.retranscribe": "edit", "evidence.retry": "edit", "evidence.set_channels": "edit",
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
