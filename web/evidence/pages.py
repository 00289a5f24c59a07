"""Evidence pages: the upload page (many files, streamed into intake), one item's page (its
viewer, details form, jobs, hash and custody history) and the actions on it (correct details,
correct the transcript or the text read from an image or document).

The bytes themselves are served by web.evidence.files; the actions on its jobs (transcribe
again, retry, cancel) by web.evidence.jobs; streaming uploads by web.streaming.
"""

from __future__ import annotations

from datetime import datetime

from flask import (abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import format_datetime, format_decimal, gettext as _, lazy_gettext

from logger.errors import NotFound
from logger.hardship.proofs import PROOF_KINDS
from logger.record.evidence import edit_evidence, editable_values
from logger.record.text_edits import TextEditError, save_edited_text
from logger.record.transcripts import TranscriptEditError, save_edited_transcript
from storage.models import Channel, Direction, Evidence, EvidenceKind, TextSource, TimeSource
from storage.models.types import TimePrecision
from web.access import current_user, db, evidence_for, negotiation_for
from web.details import DetailsError, changed_only, form_value, read_details
from web.evidence.viewers import (build_viewer, email_part, email_parts, history_with_actors,
                                  inline_media_type, is_chat, latest_job_states,
                                  merged_conversation)
from web.jobstatus import job_label
from web.redirects import local_path
from web.state import app_state
from web.streaming import (UploadRefused, UploadResult, UploadStatus, exempt_from_form_csrf,
                           ingest_multipart, too_many_messages)
from web.zone import page_zone, zone_of

from web.evidence import bp

ACCEPT = ("audio/*,video/*,image/*,.eml,.msg,.mbox,.pdf,.amr,.m4a,.aac,.opus,.3gp,.txt,.xml,"
          ".docx,.xlsx,message/rfc822,application/pdf")

# Labels are looked up per line of a 50-line page: only the one asked for is translated.
CHANNEL_LABELS = {
    Channel.call: lazy_gettext("Call"), Channel.sms: lazy_gettext("SMS"),
    Channel.app_chat: lazy_gettext("App chat"), Channel.wechat: lazy_gettext("WeChat"),
    Channel.email: lazy_gettext("Email"), Channel.letter: lazy_gettext("Letter"),
    Channel.visit: lazy_gettext("Visit"), Channel.other: lazy_gettext("Other"),
}
# The texts corrected on the image and document viewers (a transcript has its own form).
TEXT_SOURCES = (TextSource.ocr, TextSource.pdf, TextSource.text)
DIRECTION_LABELS = {Direction.from_them: lazy_gettext("From them"),
                    Direction.from_me: lazy_gettext("From me")}


@bp.app_template_global()
def channel_label(channel: Channel | str | None) -> str:
    return str(CHANNEL_LABELS.get(channel) or _("Channel not set"))


# The same words as the bundle page's list of kinds (web.bundles).
KIND_LABELS = {
    EvidenceKind.call: lazy_gettext("Call recording"),
    EvidenceKind.chat: lazy_gettext("Chat screenshot"), EvidenceKind.email: lazy_gettext("Email"),
    EvidenceKind.letter: lazy_gettext("Letter"), EvidenceKind.document: lazy_gettext("Document"),
    EvidenceKind.sms: lazy_gettext("Text messages"), EvidenceKind.note: lazy_gettext("Note"),
    EvidenceKind.payment_receipt: lazy_gettext("Payment receipt"),
    EvidenceKind.agreement: lazy_gettext("Written agreement"),
    EvidenceKind.hardship_proof: lazy_gettext("Hardship proof"),
}


@bp.app_template_global()
def evidence_kind_label(kind: EvidenceKind | str) -> str:
    """What kind of evidence an item is, in words ("Document", "Letter")."""
    return str(KIND_LABELS.get(kind) or kind)


@bp.app_template_global()
def direction_label(direction: Direction | str | None) -> str:
    return str(DIRECTION_LABELS.get(direction) or _("Direction unknown"))


@bp.route("/negotiations/<int:negotiation_id>/upload", methods=["GET", "POST"])
def upload(negotiation_id: int):
    """GET: the upload page. POST: store every file of the multipart body (streamed, never
    spooled); JSON for the page's script, the results page for a plain form post."""
    negotiation = negotiation_for(negotiation_id, "edit")
    services = app_state().services
    intake = services.config.intake
    max_mb = intake.max_file_mb
    if request.method == "GET":
        return render_template("evidence/upload.html", negotiation=negotiation, max_mb=max_mb,
                               accept=ACCEPT, results=None)
    try:
        results = ingest_multipart(request, negotiation, current_user(), session=db(),
                                   blobs=services.blobs, max_bytes=intake.max_file_bytes,
                                   tz=zone_of(negotiation), csrf=True, source="web",
                                   max_messages=intake.max_messages_per_import)
    except UploadRefused as e:
        message = _("The upload was refused: %(reason)s", reason=str(e))
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "error")
        return render_template("evidence/upload.html", negotiation=negotiation, max_mb=max_mb,
                               accept=ACCEPT, results=None), 400
    if _wants_json():
        return jsonify(results=[_result_json(r) for r in results])
    return render_template("evidence/upload.html", negotiation=negotiation, max_mb=max_mb,
                           accept=ACCEPT, results=[_result_view(r) for r in results])


exempt_from_form_csrf(bp, upload)


@bp.get("/evidence/<int:evidence_id>")
def show(evidence_id: int):
    evidence = evidence_for(evidence_id, "view")
    session = db()
    negotiation = negotiation_for(evidence.negotiation_id, "view")
    tz = zone_of(negotiation)
    viewer = build_viewer(session, app_state().services.blobs, evidence, tz)
    chat = is_chat(viewer.texts[-1] if viewer.texts else None)
    shots, conversation = merged_conversation(session, evidence) if chat else ([], [])
    jobs = [(job, state, job_label(state)) for job, state in latest_job_states(session, evidence)]
    return render_template(
        "evidence/show.html", evidence=evidence, negotiation=negotiation, viewer=viewer,
        form=_form_values(evidence), jobs=jobs, history=history_with_actors(session, evidence),
        inline_type=inline_media_type(evidence), chat=chat, shots=shots,
        conversation=conversation,
        parent=session.get(Evidence, evidence.parent_id) if evidence.parent_id else None,
        seek=_moment_in_recording(request.args.get("t", type=float)),
        email_body=email_part(viewer.email, request.args.get("body")) if viewer.email else None,
        email_bodies=email_parts(viewer.email) if viewer.email else [])


@bp.post("/evidence/<int:evidence_id>/details")
def edit(evidence_id: int):
    """Save a person's corrections of when/channel/direction/who/note (custody-logged)."""
    evidence = evidence_for(evidence_id, "edit")
    submitted = changed_only(request.form, _form_values(evidence))
    try:
        changes = edit_evidence(db(), evidence, actor=current_user(),
                                changes=read_details(submitted, page_zone()))
    except DetailsError as e:
        message = _("Not saved: check the field “%(field)s”.", field=field_label(e.field))
        if _wants_json():
            return jsonify(error=message, field=e.field), 400
        flash(message, "error")
        return redirect(url_for("evidence.show", evidence_id=evidence.id))
    message = (_("Saved. The change is recorded in the custody log.") if changes
               else _("Nothing was changed."))
    if _wants_json():
        return jsonify(saved=bool(changes), changed=sorted(changes), message=message)
    flash(message, "success")
    return redirect(_safe_next(url_for("evidence.show", evidence_id=evidence.id)))


@bp.post("/evidence/<int:evidence_id>/transcript")
def edit_transcript(evidence_id: int):
    """Save corrected transcript lines as a new version; the machine's version stays."""
    evidence = evidence_for(evidence_id, "edit")
    base_id = request.form.get("base_id", type=int)
    try:
        save_edited_transcript(db(), evidence, base_id=base_id or 0,
                               lines=request.form.getlist("segment"), actor=current_user())
    except NotFound:
        abort(404)
    except TranscriptEditError:
        flash(_("No new version was saved: nothing was changed, or the transcript changed "
                "meanwhile. Reload the page and try again."), "error")
    else:
        flash(_("Your corrected transcript was saved as a new version; the machine transcript "
                "is kept."), "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id) + "#transcript")


@bp.post("/evidence/<int:evidence_id>/text")
def edit_text(evidence_id: int):
    """Save a corrected OCR or document text as a new version; the machine's text stays."""
    evidence = evidence_for(evidence_id, "edit")
    base_id = request.form.get("base_id", type=int)
    back = url_for("evidence.show", evidence_id=evidence.id)
    try:
        version = save_edited_text(db(), evidence, base_id=base_id or 0, actor=current_user(),
                                   lines=request.form.getlist("segment"), sources=TEXT_SOURCES)
    except NotFound:
        abort(404)
    except TextEditError:
        flash(_("No new version was saved: nothing was changed, or the text changed "
                "meanwhile. Reload the page and try again."), "error")
        return redirect(f"{back}#correct-text")
    flash(_("Your corrected text was saved as a new version; the text the machine read is "
            "kept."), "success")
    return redirect(f"{back}#text-{version.id}")


FIELD_LABELS = {
    "occurred_at": lazy_gettext("When it happened"), "channel": lazy_gettext("Channel"),
    "direction": lazy_gettext("Direction"), "counterpart_name": lazy_gettext("Their name"),
    "counterpart_number": lazy_gettext("Their phone number"),
    "staff_number": lazy_gettext("Staff number"), "note": lazy_gettext("Note"),
    "proof_kind": lazy_gettext("Which proof"),
    "occurred_at_source": lazy_gettext("Where the time came from"),
    "occurred_at_precision": lazy_gettext("How much of the time is known"),
    "left_channel": lazy_gettext("Whose voice the left channel is"),
    "voice_a": lazy_gettext("Whose voice is voice A"),
}
LEFT_CHANNEL_VALUES = {"me": lazy_gettext("The left channel is my voice"),
                       "them": lazy_gettext("The left channel is their voice")}
VOICE_A_VALUES = {"me": lazy_gettext("Voice A is my voice"),
                  "them": lazy_gettext("Voice A is their voice")}
TIME_SOURCE_LABELS = {
    TimeSource.person: lazy_gettext("a person"),
    TimeSource.metadata: lazy_gettext("the file's data"),
    TimeSource.file_name: lazy_gettext("the file name"),
    TimeSource.content: lazy_gettext("the time stamps in it"),
    TimeSource.parent: lazy_gettext("the email it came with"),
}
PRECISION_LABELS = {TimePrecision.minute: lazy_gettext("date and time"),
                    TimePrecision.day: lazy_gettext("the date only")}


@bp.app_template_global()
def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


@bp.app_template_filter()
def clock(seconds: float | None) -> str:
    """A moment in a recording as people say it: 4:05, or 1:02:03 past an hour."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_filter()
def filesize(size: int) -> str:
    """1.2 MB, in the reader's number format (the units read the same in both languages)."""
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    return f"{format_decimal(round(value, 1 if unit != 'B' else 0))} {unit}"


@bp.app_template_global()
def custody_value(name: str, value) -> str:
    """A value from a metadata_edit event as people read it (times in the page's zone)."""
    if value is None or value == "":
        return "—"
    if name == "occurred_at":
        try:
            return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")),
                                   "medium")
        except ValueError:
            return value
    if name == "left_channel":
        return str(LEFT_CHANNEL_VALUES.get(value, value))
    if name == "voice_a":
        return str(VOICE_A_VALUES.get(value, value))
    if name == "occurred_at_source":
        return str(TIME_SOURCE_LABELS.get(value, value))
    if name == "occurred_at_precision":
        return str(PRECISION_LABELS.get(value, value))
    if name == "channel":
        return channel_label(value)
    if name == "direction":
        return direction_label(value)
    if name == "proof_kind":
        return _(PROOF_KINDS.get(value, value))
    return str(value)


def _form_values(evidence: Evidence) -> dict[str, str]:
    tz = page_zone()
    values = {name: form_value(name, value, tz)
              for name, value in editable_values(evidence).items()}
    if evidence.occurred_at_precision == TimePrecision.day:
        # A date alone has no clock time to show: the field stays empty for one, and the hint
        # beside it gives the date.
        values["occurred_at"] = ""
    return values


def _result_view(result: UploadResult) -> dict:
    """One file's outcome as the results list shows it (translated)."""
    view = {"filename": result.filename, "status": str(result.status), "detail": None,
            "evidence": result.evidence, "existing_id": result.existing_id}
    if result.status == UploadStatus.stored:
        view["message"] = _("Stored as evidence #%(id)s.", id=result.evidence.id)
        view["form"] = _form_values(result.evidence)
        view["detail"] = _unconfirmed_split(result.evidence)
    elif result.status == UploadStatus.duplicate:
        view["message"] = _("Already kept as evidence #%(id)s; nothing new was stored.",
                            id=result.existing_id)
    elif result.too_large:
        view["message"] = _("Refused: larger than the limit of %(mb)s MB (setting "
                            "intake.max_file_mb). Nothing was stored.", mb=result.max_mb)
    elif result.max_messages is not None:
        view["message"] = too_many_messages(result)
    else:
        view["message"] = _("Refused: Liuhen does not keep this file. Nothing was stored.")
        view["detail"] = result.message
    return view


def _unconfirmed_split(evidence: Evidence) -> str | None:
    """For a mailbox of more messages than one import adds without being confirmed: that it is
    kept whole and not split until that is allowed (its parse job says so too)."""
    count = evidence.extracted_metadata.get("message_count")
    limit = app_state().services.config.intake.confirm_items_over
    if count is None or count <= limit:
        return None
    return _("This mailbox holds %(count)s messages, more than the %(limit)s items one import "
             "adds without being confirmed (setting intake.confirm_items_over): it is kept "
             "whole and will not be split into items. To split it, raise the setting to at "
             "least %(count)s, then retry its parse job on the item's page.",
             count=format_decimal(count), limit=format_decimal(limit))


def _result_json(result: UploadResult) -> dict:
    view = _result_view(result)
    data = {k: view[k] for k in ("filename", "status", "message", "detail", "existing_id")}
    if result.evidence is not None:
        data["evidence_id"] = result.evidence.id
        data["url"] = url_for("evidence.show", evidence_id=result.evidence.id)
        data["form_html"] = render_template("evidence/_details_form.html",
                                            evidence=result.evidence, form=view["form"],
                                            compact=True)
    if result.existing_id is not None:
        data["existing_url"] = url_for("evidence.show", evidence_id=result.existing_id)
    return data


def _moment_in_recording(seconds: float | None) -> float | None:
    """`?t=` as a place to start playing: a finite, non-negative number of seconds."""
    return seconds if seconds is not None and 0 <= seconds < 1e7 else None


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _safe_next(default: str) -> str:
    return local_path(request.form.get("next")) or default
