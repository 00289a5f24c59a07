"""The JSON API under /api/v1, for scripts and phone automations (a new call recording is sent
here by the phone as soon as it is saved).

Every request carries `Authorization: Bearer <token>` (tokens: Settings, or `liuhen user token
NAME`); the cookie session and CSRF play no part. Every error is JSON, `{"error": <code>,
"message": <sentence in the account's language>}`: 401 without a valid token, 404 for an id that
is missing or another account's (the same answer), 400 for bad input, 409 for a duplicate (with
`existing_id`), 413 for a file over the limit or a mailbox of more messages than one import
may split (`too_many_messages`, with `messages` and `max_messages` in its result), 503 while the
data dir is locked.

Every time is ISO 8601, local in the negotiation's zone with its offset
("2026-11-20T21:47:00+08:00"); a time known only to the day is its date ("2024-12-12").
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlmodel import func, select
from werkzeug.exceptions import HTTPException

from logger.negotiations import (NegotiationInvalid, add_negotiation, list_negotiations,
                                 parse_fields)
from logger.promises.ledger import LedgerItem
from logger.promises.payments import payment_dict
from logger.promises.promises import promise_dict
from logger.record.evidence import evidence_detail, evidence_summary
from logger.record.moments import machine_time
from logger.record.search import PAGE_SIZE, Found, find_moments
from logger.record.timeline import (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Cursor, ItemKind, Line,
                                    Order, TimelineItem, read_timeline)
from logger.record.timeline_calls import CallLine
from logger.record.trash import live
from logger.sharing import shared_with
from logger.tokens import verify_token
from storage.models import Channel, Direction, Evidence, Negotiation
from web.access import db, evidence_for, negotiation_for
from web.downloads import attachment_disposition, download_name
from web.negotiations import problem_text
from web.search import result_url
from web.state import app_state
from web.streaming import (UploadRefused, UploadResult, UploadStatus, ingest_multipart,
                           too_many_messages)
from web.zone import user_zone, zone_of

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_SEARCH_LIMIT = 100


class ApiError(Exception):
    """Answered as JSON with `status`; `extra` adds fields (an existing item's id, say)."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    reply = jsonify(error=error.code, message=error.message, **error.extra)
    if error.status == 401:
        reply.headers["WWW-Authenticate"] = 'Bearer realm="liuhen"'
    return reply, error.status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """The aborts of shared helpers (negotiation_for's 404, say) as JSON too."""
    messages = {
        404: _("Not found: there is no such item in this account."),
        405: _("This address does not take that method."),
    }
    message = messages.get(error.code or 500, error.description or error.name)
    code = (error.name or "error").lower().replace(" ", "_")
    return jsonify(error=code, message=message), error.code


@bp.before_request
def authenticate() -> None:
    """The token's account becomes `g.user` (so the ownership checks of web.access apply)."""
    if app_state().services is None:
        raise ApiError(503, "locked", _("The data is locked: unlock it in the browser (or start "
                                        "the server with the passphrase) and try again."))
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", _("Send an API token: “Authorization: Bearer "
                                              "<token>”. Create one in Settings."))
    user = verify_token(db(), token.strip())
    if user is None:
        raise ApiError(401, "unauthorized", _("This API token is unknown or was revoked. "
                                              "Create a new one in Settings."))
    g.user = user


# --- Negotiations ------------------------------------------------------------------------------


@bp.get("/negotiations")
def negotiations():
    rows = list_negotiations(db(), owner=g.user)
    shared = shared_with(db(), g.user)
    return jsonify([{**negotiation_json(n, count), **_shared_json(shared.get(n.id))}
                    for n, count in rows])


def _shared_json(share) -> dict:
    """A negotiation shared with the caller says by whom and as what; their own say nothing."""
    if share is None:
        return {}
    role, owner = share
    return {"shared_by": owner.name, "role": str(role)}


@bp.post("/negotiations")
def create_negotiation():
    """Fields as JSON or a form: creditor (required), collection_agency, account_reference,
    principal, outstanding, currency, overdue_since, language."""
    try:
        values = parse_fields(_submitted_fields(), today=datetime.now(user_zone()).date())
    except NegotiationInvalid as e:
        raise ApiError(400, "invalid", problem_text(e), problems=e.problems) from None
    negotiation = add_negotiation(db(), owner=g.user, **values)
    reply = jsonify(negotiation_json(negotiation, 0))
    reply.headers["Location"] = url_for("api.negotiation", negotiation_id=negotiation.id)
    return reply, 201


@bp.get("/negotiations/<int:negotiation_id>")
def negotiation(negotiation_id: int):
    item = negotiation_for(negotiation_id, "view")
    count = db().exec(select(func.count(Evidence.id))
                      .where(Evidence.negotiation_id == item.id, live())).one()
    shared = shared_with(db(), g.user).get(item.id)
    return jsonify({**negotiation_json(item, count), **_shared_json(shared)})


def negotiation_json(n: Negotiation, evidence_count: int) -> dict:
    """The same fields as `liuhen negotiation list --json`."""
    return {
        "id": n.id, "owner_id": n.owner_id, "creditor": n.creditor,
        "collection_agency": n.collection_agency, "account_reference": n.account_reference,
        "principal": str(n.principal) if n.principal is not None else None,
        "outstanding": str(n.outstanding) if n.outstanding is not None else None,
        "currency": n.currency,
        "overdue_since": n.overdue_since.isoformat() if n.overdue_since else None,
        "status": str(n.status), "evidence_count": evidence_count,
        "archived": n.archived_at is not None, "archive_reason": n.archive_reason,
    }


def _submitted_fields() -> dict[str, str]:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "invalid", _("Send the fields as one JSON object."))
        if any(isinstance(v, dict | list) for v in body.values()):
            raise ApiError(400, "invalid", _("Each field must be a text, a number or null."))
        return {k: "" if v is None else str(v) for k, v in body.items()}
    return request.form.to_dict()


# --- Evidence ----------------------------------------------------------------------------------


@bp.post("/negotiations/<int:negotiation_id>/evidence")
def upload(negotiation_id: int):
    """Store the file(s) of a multipart body (field `file`), streamed into intake. Fields
    before a file describe it: occurred_at, channel, direction, counterpart_name,
    counterpart_number, note. 201 when every file was stored."""
    target = negotiation_for(negotiation_id, "edit")
    services = app_state().services
    try:
        results = ingest_multipart(
            request, target, g.user, session=db(), blobs=services.blobs,
            max_bytes=services.config.intake.max_file_bytes, tz=zone_of(target), csrf=False,
            source="api", max_messages=services.config.intake.max_messages_per_import)
    except UploadRefused as e:
        raise ApiError(400, "invalid", str(e)) from None
    if not results:
        raise ApiError(400, "no_file", _("No file was sent: send it as multipart/form-data in "
                                         "a field named “file”."))
    return _upload_reply([_upload_json(r) for r in results], results)


def _upload_json(result: UploadResult) -> dict:
    data = {"file": result.filename, "status": str(result.status), "message": result.message}
    if result.evidence is not None:
        data["id"] = result.evidence.id
        data["evidence"] = evidence_summary(
            result.evidence, zone_of(db().get(Negotiation, result.evidence.negotiation_id)))
    if result.existing_id is not None:
        data["existing_id"] = result.existing_id
    if result.max_messages is not None:
        data.update(messages=result.messages, max_messages=result.max_messages)
    return data


def _upload_reply(items: list[dict], results: list[UploadResult]):
    """201 when all were stored; else the first problem decides (413, 400, then 409), and the
    reply still lists every file's result."""
    too_large = next((r for r in results if r.too_large), None)
    too_many = next((r for r in results if r.max_messages is not None), None)
    refused = next((r for r in results if r.status == UploadStatus.refused), None)
    duplicate = next((r for r in results if r.status == UploadStatus.duplicate), None)
    if too_large is not None:
        raise ApiError(413, "too_large", too_large.message, results=items)
    if too_many is not None:
        raise ApiError(413, "too_many_messages", too_many_messages(too_many), results=items)
    if refused is not None:
        raise ApiError(400, "refused", refused.message, results=items)
    if duplicate is not None:
        raise ApiError(409, "duplicate", duplicate.message, existing_id=duplicate.existing_id,
                       results=items)
    reply = jsonify(results=items)
    reply.headers["Location"] = url_for("api.evidence", evidence_id=items[0]["id"])
    return reply, 201


@bp.get("/evidence/<int:evidence_id>")
def evidence(evidence_id: int):
    """The same JSON as `liuhen show ID --json`, with local times."""
    item = evidence_for(evidence_id, "view")
    return jsonify(evidence_detail(db(), item, zone_of(db().get(Negotiation,
                                                                  item.negotiation_id))))


@bp.get("/evidence/<int:evidence_id>/original")
def original(evidence_id: int) -> Response:
    """The original bytes, decrypted as they are sent; always a download, never rendered, under
    the page's safe name (`web.downloads`)."""
    item = evidence_for(evidence_id, "view")
    reader = app_state().services.blobs.open(item.blob_id)
    reply = send_file(reader, mimetype="application/octet-stream", as_attachment=True,
                      download_name=download_name(item), conditional=False, etag=False,
                      max_age=None)
    reply.content_length = item.size
    reply.headers["Content-Disposition"] = attachment_disposition(item)
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


@bp.get("/negotiations/<int:negotiation_id>/timeline")
def timeline(negotiation_id: int):
    """One page of the timeline, the same lines as the page shows: evidence (`type` evidence,
    with the conduct `findings` about it, each "active" or "needs_direction"), the imported
    calls of the same stretch of time (`type` call_log, with the file they were read from)
    and, unless channel or direction narrow it, the promises, payments and sent reminders
    (`type` promise, payment, reminder), each with its `flags`. Query: order=desc|asc, limit
    (1-200 evidence items), after=<next> or before=<previous> (tokens from the last reply),
    channel (repeatable), direction."""
    target = negotiation_for(negotiation_id, "view")
    args = request.args
    try:
        found = read_timeline(
            db(), target, default_zone=app_state().config.locale.zone,
            order=Order(args.get("order", Order.newest_first.value)),
            after=Cursor.parse(args["after"]) if "after" in args else None,
            before=Cursor.parse(args["before"]) if "before" in args else None,
            channels=[Channel(c) for c in args.getlist("channel")] or None,
            direction=Direction(args["direction"]) if "direction" in args else None,
            limit=int(args.get("limit", DEFAULT_PAGE_SIZE)))
    except ValueError:
        raise ApiError(400, "invalid", _(
            "Check the query: order is desc or asc, limit 1–%(max)d, after/before are tokens "
            "from a previous reply, channel and direction are values shown in the items.",
            max=MAX_PAGE_SIZE)) from None
    page, tz = found.page, zone_of(target)
    return jsonify(order=str(page.order.value),
                   items=[_line_json(line, tz) for line in found.lines],
                   next=page.later_in_order, previous=page.earlier_in_order)


def _line_json(line: Line, tz: ZoneInfo) -> dict:
    if isinstance(line, TimelineItem):
        return _evidence_line_json(line, tz)
    if isinstance(line, CallLine):
        return _call_line_json(line, tz)
    return _ledger_line_json(line, tz)


def _findings_json(found) -> list[dict]:
    return [{"id": f.finding_id, "rule_id": f.rule.id, "check": f.rule.check,
             "reason": dict(f.reason),
             "state": "needs_direction" if f.needs_direction else "active"} for f in found]


def _call_line_json(line: CallLine, tz: ZoneInfo) -> dict:
    """An imported call: when, with whom, what kind and how long, and the exported file (an
    evidence item) and line it was read from."""
    return {"type": line.kind, "id": line.id, "occurred_at": machine_time(line.occurred_at, tz),
            "channel": str(line.channel), "direction": str(line.direction),
            "number": line.number or None, "name": line.name,
            "call_type": str(line.call_type), "duration_s": line.duration_s,
            "source": {"evidence_id": line.source_evidence_id,
                       "original_filename": line.source_filename, "line": line.source_line},
            "findings": _findings_json(line.findings)}


def _evidence_line_json(item: TimelineItem, tz: ZoneInfo) -> dict:
    job = item.job
    return {
        "type": str(item.kind), "id": item.id,
        "occurred_at": machine_time(item.occurred_at, tz, item.occurred_at_precision),
        "occurred_at_source": str(item.occurred_at_source) if item.occurred_at_source else None,
        "occurred_at_precision": str(item.occurred_at_precision)
        if item.occurred_at_precision else None,
        "kind": str(item.evidence_kind), "channel": str(item.channel) if item.channel else None,
        "direction": str(item.direction), "counterpart_name": item.counterpart_name,
        "counterpart_number": item.counterpart_number, "summary": item.summary,
        "original_filename": item.original_filename, "media_type": item.media_type,
        "attachments": item.attachments, "flags": list(item.flags),
        "findings": _findings_json(item.findings),
        "job": None if job is None else {"kind": str(job.kind), "status": str(job.status),
                                         "progress": job.progress, "error": job.error},
    }


def _ledger_line_json(line: LedgerItem, tz: ZoneInfo) -> dict:
    """A promise, payment or sent reminder: its time on the timeline (a date when only that is
    known), flags, and the record as `liuhen promises list --json` / `payments --json` print
    it."""
    data = {"type": line.kind, "id": line.id,
            "occurred_at": machine_time(line.occurred_at, tz, line.precision),
            "occurred_at_precision": str(line.precision), "flags": list(line.flags)}
    if line.kind == ItemKind.promise:
        data["promise"] = promise_dict(line.promise, tz)
    elif line.kind == ItemKind.payment:
        data["payment"] = payment_dict(line.payment, tz)
    else:
        reminder = line.reminder
        data["reminder"] = {"id": reminder.id, "promise_id": reminder.promise_id,
                            "offset": reminder.offset, "channel": str(reminder.channel),
                            "sent_at": machine_time(reminder.sent_at, tz),
                            "late": reminder.late}
    return data


# --- Search ------------------------------------------------------------------------------------


@bp.get("/search")
def search():
    """The account's hits for `q`, newest first. Query: q, negotiation, limit (1-100), offset."""
    query = " ".join(request.args.get("q", "").split())
    if not query:
        raise ApiError(400, "invalid", _("Say what to search for: ?q=words"))
    try:
        limit = int(request.args.get("limit", PAGE_SIZE))
        offset = int(request.args.get("offset", 0))
        negotiation_id = request.args.get("negotiation", type=int)
        if not 1 <= limit <= MAX_SEARCH_LIMIT or offset < 0:
            raise ValueError
    except ValueError:
        raise ApiError(400, "invalid", _("limit must be 1–%(max)d and offset 0 or more.",
                                         max=MAX_SEARCH_LIMIT)) from None
    if negotiation_id is not None:
        negotiation_for(negotiation_id, "view")
    page = find_moments(db(), query, owner=g.user, negotiation_id=negotiation_id, limit=limit,
                        offset=offset)
    return jsonify(query=query, results=[_result_json(f) for f in page.found],
                   next_offset=offset + limit if page.has_more else None)


def _result_json(result: Found) -> dict:
    hit = result.hit
    return {
        "evidence_id": hit.evidence_id, "negotiation_id": hit.negotiation_id,
        "source": hit.source, "snippet": hit.snippet,
        "fragments": [{"text": text, "match": match} for text, match in hit.fragments],
        "segment": result.moment.segment, "start": result.moment.start,
        "url": result_url(result),
    }
