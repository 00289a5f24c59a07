"""What the user adds for the conduct findings: a call log exported from the phone (missed and
rejected calls count although nothing was recorded) and contacts recorded by hand (a visit, a
call to their mother, a message to their employer). Routed by web.findings on its blueprint.

The logger functions decide what is stored; these views only read the forms, check what a person
can fix before anything is tried (so the message is in the reader's language), and show the
outcome. Times typed here are in the negotiation's zone, the zone the rules are judged in.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from logger.conduct.calllog import import_call_log, known_numbers, list_call_log, normalise_number
from logger.conduct.contact_entries import (MAX_DESCRIPTION_CHARS, add_contact_entry,
                                    list_contact_entries, remove_contact_entry)
from logger.errors import LiuhenError, NotFound
from logger.record.moments import day_moment
from storage.models import Channel, Direction, Negotiation, ThirdParty
from storage.models.types import TimePrecision
from web.access import current_user, db, negotiation_for
from web.findings import FINDINGS, bp
from web.i18n import refusal_text
from web.state import app_state
from web.zone import zone_of

# A phone's whole call history as SMS Backup & Restore XML is a few MB; the upload is held in
# memory (never spooled to disk), so it is capped well below the CLI's limit.
MAX_UPLOAD_BYTES = 16 * 2**20
RECENT_CALLS = 20
NUMBER_SEPARATORS = re.compile(r"[,;，；、\s]+")
CONTACT_FIELDS = ("occurred_at", "occurred_date", "occurred_time", "channel", "direction",
                  "description", "third_party", "third_party_name", "counterpart_name",
                  "counterpart_number", "evidence_id")


class FormProblem(Exception):
    """A field a person must fix; `message` is already in their language."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@bp.get(f"{FINDINGS}/inputs")
def inputs(negotiation_id: int):
    """The page with the call-log upload, the contact form and what was added so far."""
    return _render(negotiation_for(negotiation_id, "view"))


@bp.post(f"{FINDINGS}/calllog")
def import_calls(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    upload = request.files.get("file")
    numbers = [n for n in NUMBER_SEPARATORS.split(request.form.get("numbers", "")) if n]
    all_numbers = request.form.get("all_numbers") == "1"
    problem = _calllog_problem(negotiation, upload, numbers, all_numbers)
    if problem:
        return _render(negotiation, calllog_error=problem), 400
    services = app_state().services
    try:
        done = import_call_log(
            session=db(), blobs=services.blobs, negotiation=negotiation, actor=current_user(),
            data=upload.read(), filename=_base_name(upload.filename),
            tz=zone_of(negotiation), max_bytes=services.config.intake.max_file_bytes,
            numbers=[] if all_numbers else numbers, all_numbers=all_numbers)
    except LiuhenError as e:   # CallLogError and intake's refusals; nothing was stored
        db().rollback()
        return _render(negotiation, calllog_error=_("The call log was not imported. What Liuhen "
                                                    "found:"),
                       calllog_detail=refusal_text(e)), 400
    flash(_("Call log imported: %(added)s calls added, %(known)s already known, %(other)s with "
            "other numbers left out. The file is kept as evidence #%(id)s.", added=done.added,
            known=done.already_known, other=done.other_numbers, id=done.evidence_id), "success")
    return redirect(url_for("findings.show", negotiation_id=negotiation.id))


@bp.post(f"{FINDINGS}/contacts")
def add_contact(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    form = {name: request.form.get(name, "").strip() for name in CONTACT_FIELDS}
    try:
        values = _contact_values(form, zone_of(negotiation))
        entry = add_contact_entry(db(), negotiation=negotiation, actor=current_user(), **values)
    except FormProblem as e:
        return _render(negotiation, form=form, errors={e.field: e.message}), 400
    except NotFound:
        return _render(negotiation, form=form, errors={"evidence_id": _(
            "There is no evidence #%(id)s in this negotiation.", id=form["evidence_id"])}), 400
    flash(_("Contact recorded (entry #%(id)s); it is kept in the custody log and checked "
            "against the rules.", id=entry.id), "success")
    return redirect(url_for("findings.show", negotiation_id=negotiation.id))


@bp.post(f"{FINDINGS}/contacts/remove")
def remove_contact(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    entry_id = request.form.get("entry_id", type=int)
    reason = request.form.get("reason", "").strip()
    back = url_for("findings.inputs", negotiation_id=negotiation.id, _anchor="entries")
    if entry_id is None:
        abort(400)
    if not reason:
        flash(_("Say why the entry is removed; the reason is kept in the custody log."), "error")
        return redirect(back)
    try:
        remove_contact_entry(db(), negotiation=negotiation, entry_id=entry_id, reason=reason,
                             actor=current_user())
    except NotFound:
        abort(404)
    flash(_("Entry #%(id)s removed. The custody log keeps it with your reason.", id=entry_id),
          "success")
    return redirect(back)


@bp.url_value_preprocessor
def keep_uploads_in_memory(endpoint: str | None, _values: dict | None) -> None:
    """The call-log upload is parsed (by the CSRF check, before the view) into memory, never
    into werkzeug's temporary file: a phone's call log must reach the disk only encrypted.
    URL preprocessors run before any before_request hook, so this is in place in time."""
    if endpoint == f"{bp.name}.import_calls":
        request.max_content_length = MAX_UPLOAD_BYTES
        request._get_file_stream = _memory_stream  # werkzeug's documented override point


def _memory_stream(*_args, **_kwargs) -> io.BytesIO:
    return io.BytesIO()


@bp.errorhandler(413)
def refuse_oversized(_error):
    """The reply to an upload over MAX_UPLOAD_BYTES, raised while the CSRF check read the form:
    before the sign-in gate ran, so the message waits on the page (which checks the account)."""
    flash(_("This file is larger than %(mb)s MB; a phone’s call log export is far smaller. Is "
            "it the right file? Nothing was stored.", mb=MAX_UPLOAD_BYTES // 2**20), "error")
    return redirect(url_for("findings.inputs", negotiation_id=request.view_args["negotiation_id"],
                            _anchor="calllog"))


def _render(negotiation: Negotiation, *, form: dict | None = None, errors: dict | None = None,
            calllog_error: str | None = None, calllog_detail: str | None = None):
    zone = zone_of(negotiation)
    calls = list_call_log(db(), negotiation.id)
    return render_template(
        "findings/inputs.html", negotiation=negotiation, zone=zone.key,
        form=form or {"direction": Direction.from_them.value, "channel": Channel.call.value},
        errors=errors or {}, calllog_error=calllog_error, calllog_detail=calllog_detail,
        known=sorted(known_numbers(db(), negotiation.id)),
        entries=list_contact_entries(db(), negotiation.id), call_count=len(calls),
        recent_calls=list(reversed(calls[-RECENT_CALLS:])), channels=list(Channel),
        directions=list(Direction), third_parties=list(ThirdParty),
        max_description=MAX_DESCRIPTION_CHARS, max_mb=MAX_UPLOAD_BYTES // 2**20,
        today=datetime.now(zone).date().isoformat(), zone_info=zone)


def _calllog_problem(negotiation: Negotiation, upload: FileStorage | None, numbers: list[str],
                     all_numbers: bool) -> str | None:
    """What is wrong with the upload form before the file is read, in the reader's words."""
    if upload is None or not upload.filename:
        return _("Choose the call log file exported from the phone.")
    bad = [n for n in numbers if not normalise_number(n)]
    if bad:
        return _("“%(number)s” is not a phone number. Separate several numbers with commas or "
                 "spaces.", number=bad[0])
    if not numbers and not all_numbers and not known_numbers(db(), negotiation.id):
        return _("Liuhen does not know the collector’s numbers in this negotiation yet, so it "
                 "cannot tell their calls from your family’s. Type their numbers, or choose to "
                 "keep every call in the file.")
    return None


def _contact_values(form: dict[str, str], zone: ZoneInfo) -> dict:
    """The contact form as add_contact_entry's arguments; FormProblem names a field to fix."""
    if not form["description"]:
        raise FormProblem("description", _("Say what happened, for example “two men from the "
                                           "agency came to my door” or “they called my "
                                           "mother”."))
    if len(form["description"]) > MAX_DESCRIPTION_CHARS:
        raise FormProblem("description", _("Keep this under %(n)s characters; put longer "
                                           "accounts in a document.", n=MAX_DESCRIPTION_CHARS))
    number = form["counterpart_number"]
    if number and not normalise_number(number):
        raise FormProblem("counterpart_number",
                          _("“%(number)s” is not a phone number.", number=number))
    evidence_id = form["evidence_id"].lstrip("#")
    if evidence_id and not evidence_id.isdigit():
        raise FormProblem("evidence_id", _("Write the evidence number, for example 12."))
    occurred_at, precision = _moment(form, zone)
    return {
        "occurred_at": occurred_at, "occurred_precision": precision,
        "channel": _choice(Channel, form["channel"], "channel"),
        "direction": _choice(Direction, form["direction"] or Direction.from_them.value,
                             "direction"),
        "description": form["description"],
        "third_party": _choice(ThirdParty, form["third_party"], "third_party")
        if form["third_party"] else None,
        "third_party_name": form["third_party_name"] or None,
        "counterpart_name": form["counterpart_name"] or None,
        "counterpart_number": number or None,
        "evidence_id": int(evidence_id) if evidence_id else None,
    }


def _moment(form: dict[str, str], zone: ZoneInfo) -> tuple[datetime, TimePrecision]:
    """When the contact happened: `occurred_date` and `occurred_time` (or one ISO
    `occurred_at`), local in `zone`. A date without a time stays a date (`day`: the moment is
    a stand-in inside that day, never shown nor judged by its hour)."""
    day_text, clock_text = form["occurred_date"], form["occurred_time"]
    field = "occurred_date"
    if form["occurred_at"] and not day_text:
        field = "occurred_at"
        day_text, _sep, clock_text = form["occurred_at"].replace(" ", "T", 1).partition("T")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise FormProblem(field, _("Write the date of the contact, for example 2024-12-03, "
                                   "and its time if you know it, for example 22:30.")) from None
    if not clock_text:
        return day_moment(day, zone), TimePrecision.day
    try:
        moment = datetime.fromisoformat(f"{day.isoformat()}T{clock_text}")
    except ValueError:
        raise FormProblem("occurred_time" if field == "occurred_date" else field,
                          _("Write the time as hours and minutes, for example 22:30.")) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), TimePrecision.minute


def _choice(kind, value: str, field: str):
    try:
        return kind(value)
    except ValueError:
        raise FormProblem(field, _("Choose one of the options.")) from None


def _base_name(filename: str | None) -> str:
    """The file's own name without any folder a browser sent along."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1] or "calls"
