"""The hardship application page of one negotiation: the borrower's circumstances, the proposed
plan and the one they choose, the proofs (uploaded here as evidence of kind `hardship_proof`),
the application to download (Chinese or English, PDF or Word) and "mark as sent".

A form that cannot be read is shown again with what was typed and a message per field, and
nothing is stored (status 400)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger.errors import LiuhenError
from logger.hardship.application import (FIELD_NAMES, HardshipError, current_plan,
                                          get_application, missing, proposal_for,
                                          save_circumstances, save_plan, settlement_amount)
from logger.hardship.letter import Letter, draft
from logger.hardship.pdf import letter_pdf
from logger.hardship.plan import due_dates
from logger.hardship.proofs import list_proofs, proof_day, proof_kind, proof_label
from logger.hardship.sending import MEDIA_TYPES, list_sendings, mark_sent
from logger.hardship.word import letter_docx
from storage.models import Channel, Negotiation
from storage.models.hardship import HardshipApplication
from web.access import current_user, db, negotiation_for
from web.hardship import bp
from web.hardship.forms import FormProblems, read_circumstances, read_plan, read_sent
from web.hardship.labels import (CAUSE_LABELS, PLAN_LABELS, PROOF_LABELS, REQUEST_LABELS,
                                 SOURCE_LABELS, form_values, plan_values)
from web.i18n import reader_language, refusal_text
from web.sessions import now
from web.state import app_state
from web.streaming import UploadRefused, exempt_from_form_csrf, ingest_multipart
from web.zone import zone_of


def today(negotiation: Negotiation) -> date:
    """Today in the negotiation's zone, from the app's clock (tests set it)."""
    return now().astimezone(zone_of(negotiation)).date()


@bp.get("/negotiations/<int:negotiation_id>/hardship")
def show(negotiation_id: int):
    return _page(negotiation_for(negotiation_id, "view"))


@bp.post("/negotiations/<int:negotiation_id>/hardship/circumstances")
def circumstances(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    try:
        save_circumstances(db(), negotiation, read_circumstances(request.form),
                           today=today(negotiation))
    except FormProblems as e:
        return _refused(negotiation, e.problems, "circumstances")
    except HardshipError as e:
        return _refused(negotiation, {e.field: refusal_text(e)}, "circumstances")
    flash(_("Saved. The plan below follows your budget."), "success")
    return redirect(url_for("hardship.show", negotiation_id=negotiation.id) + "#plan")


@bp.post("/negotiations/<int:negotiation_id>/hardship/plan")
def plan(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    session = db()
    application = get_application(session, negotiation) or HardshipApplication(
        negotiation_id=negotiation.id)
    try:
        save_plan(session, application, negotiation, **read_plan(request.form))
    except FormProblems as e:
        return _refused(negotiation, e.problems, "plan")
    except HardshipError as e:
        session.rollback()
        return _refused(negotiation, {e.field: refusal_text(e)}, "plan")
    flash(_("The plan is saved."), "success")
    return redirect(url_for("hardship.show", negotiation_id=negotiation.id) + "#plan")


@bp.post("/negotiations/<int:negotiation_id>/hardship/proofs")
def upload_proof(negotiation_id: int):
    """Store the proofs of a multipart form (streamed into intake, never spooled): the form
    sends `kind` and `proof_kind` before its file."""
    negotiation = negotiation_for(negotiation_id, "edit")
    services = app_state().services
    try:
        results = ingest_multipart(request, negotiation, current_user(), session=db(),
                                   blobs=services.blobs,
                                   max_bytes=services.config.intake.max_file_bytes,
                                   tz=zone_of(negotiation), csrf=True, source="web")
    except UploadRefused as e:
        flash(_("The upload was refused: %(reason)s", reason=str(e)), "error")
        return redirect(url_for("hardship.show", negotiation_id=negotiation.id) + "#proofs")
    for result in results:
        if result.evidence is not None:
            flash(_("“%(name)s” is stored as a proof.", name=result.filename), "success")
        else:
            flash(result.message, "error")
    if not results:
        flash(_("No file was chosen."), "error")
    return redirect(url_for("hardship.show", negotiation_id=negotiation.id) + "#proofs")


exempt_from_form_csrf(bp, upload_proof)


@bp.get("/negotiations/<int:negotiation_id>/hardship/application")
def download(negotiation_id: int):
    """The application as it stands: `format` pdf or docx, `lang` zh or en."""
    negotiation = negotiation_for(negotiation_id, "view")
    language = request.args.get("lang", "zh")
    file_format = request.args.get("format", "pdf")
    if file_format not in MEDIA_TYPES or language not in ("zh", "en"):
        abort(404)
    letter = _letter(negotiation, language)
    content, name = _file(letter, negotiation, file_format)
    response = Response(content, mimetype=MEDIA_TYPES[file_format])
    # RFC 6266: an ASCII stand-in, and the Chinese name in RFC 5987 `filename*`.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hardship-application-{negotiation.id}.{file_format}"; '
        f"filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/negotiations/<int:negotiation_id>/hardship/sent")
def sent(negotiation_id: int):
    """Record the application as sent: the file, as it is now, becomes evidence."""
    negotiation = negotiation_for(negotiation_id, "edit")
    try:
        values = read_sent(request.form)
    except FormProblems as e:
        return _refused(negotiation, e.problems, "sent")
    letter = _letter(negotiation, values["language"])
    content, name = _file(letter, negotiation, values["file_format"])
    services = app_state().services
    try:
        evidence = mark_sent(session=db(), blobs=services.blobs, negotiation=negotiation,
                             actor=current_user(), content=content, filename=name,
                             title=letter.title, sent_on=values["sent_on"],
                             channel=values["channel"], language=values["language"],
                             tz=zone_of(negotiation), today=today(negotiation),
                             max_bytes=services.config.intake.max_file_bytes)
    except HardshipError as e:
        return _refused(negotiation, {e.field: refusal_text(e)}, "sent")
    flash(_("Recorded as sent: evidence #%(id)s, on the timeline.", id=evidence.id), "success")
    return redirect(url_for("hardship.show", negotiation_id=negotiation.id) + "#sent")


def _letter(negotiation: Negotiation, language: str) -> Letter:
    session = db()
    application = get_application(session, negotiation) or HardshipApplication(
        negotiation_id=negotiation.id)
    return draft(application, negotiation, plan=current_plan(application, negotiation),
                 proofs=list_proofs(session, negotiation), language=language,
                 today=today(negotiation), tz=zone_of(negotiation))


def _file(letter: Letter, negotiation: Negotiation, file_format: str) -> tuple[bytes, str]:
    try:
        content = letter_pdf(letter) if file_format == "pdf" else letter_docx(letter)
    except LiuhenError as e:  # no Chinese font installed: the message says what to install
        abort(Response(refusal_text(e), status=500, mimetype="text/plain"))
    stem = letter.title.replace(" ", "-")
    return content, f"{stem}-{negotiation.id}.{file_format}"


# The plan's fields as the domain names them -> the form's.
FORM_FIELDS = {"amount": "instalment_amount", "count": "instalment_count"}


def _refused(negotiation: Negotiation, problems: dict[str, str], form: str):
    db().rollback()
    problems = {FORM_FIELDS.get(name, name): message for name, message in problems.items()}
    flash(_("Nothing was saved: correct the fields marked below."), "error")
    return _page(negotiation, problems=problems, posted=form), 400


def _page(negotiation: Negotiation, *, problems: dict[str, str] | None = None,
          posted: str | None = None):
    session, tz = db(), zone_of(negotiation)
    application = get_application(session, negotiation)
    proofs = list_proofs(session, negotiation)
    proposal = proposal_for(application, negotiation) if application else None
    chosen = current_plan(application, negotiation) if application else None
    days = (due_dates(application.start_date, chosen.count)
            if chosen and application.start_date else None)
    form = request.form if posted == "circumstances" else None
    return render_template(
        "hardship/page.html", negotiation=negotiation, application=application,
        proposal=proposal, chosen=chosen, days=days, problems=problems or {},
        values=form_values(application, form),
        plan_form=plan_values(application, chosen, proposal,
                              request.form if posted == "plan" else None),
        sent_form=request.form if posted == "sent" else {},
        settlement=settlement_amount(application, negotiation) if application else None,
        missing=[_(FIELD_NAMES[name]) for name in missing(application, negotiation,
                                                          len(proofs))],
        proofs=[(item, _(proof_label(item)), proof_kind(item), proof_day(item, tz))
                for item in proofs],
        sendings=list_sendings(session, negotiation), today=today(negotiation),
        proposal_text=proposal.reason.to(reader_language()) if proposal else None,
        causes=CAUSE_LABELS, request_labels=REQUEST_LABELS, plan_labels=PLAN_LABELS,
        proof_labels=PROOF_LABELS, source_labels=SOURCE_LABELS, channels=list(Channel))
