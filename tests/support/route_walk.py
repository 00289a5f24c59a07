"""The route walk of tests/web/test_web_isolation.py and test_web_roles.py: two accounts with
one of everything each (`make_account`), a snapshot of what one of them holds, and the Walker
that calls every route the app registers as the other account.
"""


from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Blueprint, Flask
from sqlmodel import Session, select

from logger import tokens
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (ApiToken, CustodyEvent, Evidence, ExtractedText, Job, Negotiation,
                            TextSource, User)
from tests.support.common import make_negotiation_in
from tests.support.web import csrf
from web import create_app

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


def walk(app, accounts, session) -> list[str]:
    first, other = accounts
    app.config["TESTING"] = True
    visitor = app.test_client()
    before = snapshot(session, first)
    problems = Walker(app, visitor, other, first, "other-password").walk()
    if snapshot(session, first) != before:
        problems.append("the second account's requests changed the first account's data")
    return problems


def app_with(services, blueprint: Blueprint) -> Flask:
    app = create_app(services)
    app.register_blueprint(blueprint)
    return app
