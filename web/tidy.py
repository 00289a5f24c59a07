"""Keeping the record tidy, without losing evidence: an item to the trash with a reason, back
out of it, the trash page of a negotiation and its emptying, an item moved to the right
negotiation, a negotiation archived or reopened, and the timeline's bulk actions on the items
ticked (move, trash, set direction or channel). The domain is `logger.record.trash`, `moving`
and `archive`; every step is in the custody log. Only the owner tidies; an editor may set the
direction or channel of several items at once, as on one item's details form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext, ngettext
from sqlmodel import select

from logger.record import archive, moving, trash
from logger.record.evidence import edit_evidence
from storage.models import Channel, Direction, Evidence, Negotiation
from web.access import current_user, db, negotiation_for, owned_evidence, owned_negotiation
from web.state import app_state

bp = Blueprint("tidy", __name__)

MAX_BULK = 200
TRASH_MESSAGES = {
    "no_reason": lazy_gettext("Say why it goes to the trash: the reason is kept in the custody "
                              "log."),
    "too_long": lazy_gettext("Shorten the reason to 1000 characters or fewer."),
    "purged": lazy_gettext("This item was purged when the trash was emptied; it cannot be "
                           "restored."),
    "not_trashed": lazy_gettext("This item is not in the trash."),
}
MOVE_MESSAGES = {
    "same_negotiation": lazy_gettext("The item is already in that negotiation."),
    "other_owner": lazy_gettext("An item can only move to another negotiation of yours."),
    "child": lazy_gettext("Item #%(item)s was taken from item #%(parent)s: move #%(parent)s "
                          "and it comes along."),
    "in_trash": lazy_gettext("Item #%(item)s is in the trash; restore it first."),
    "duplicate": lazy_gettext("The other negotiation already holds the same file as item "
                              "#%(item)s (“%(name)s”): it is item #%(existing)s there. Nothing "
                              "was moved; put this copy in the trash instead."),
    "calls": lazy_gettext("The other negotiation already lists calls from this call log. "
                          "Nothing was moved."),
}


@bp.get("/negotiations/<int:negotiation_id>/trash")
def trash_page(negotiation_id: int):
    negotiation = owned_negotiation(negotiation_id)
    days = _retention_days()
    items = trash.in_trash(db(), negotiation_id=negotiation.id)
    return render_template("tidy/trash.html", negotiation=negotiation, items=items, days=days,
                           purge_after={e.id: trash.purge_after(e, days) for e in items})


@bp.post("/negotiations/<int:negotiation_id>/trash/empty")
def empty(negotiation_id: int):
    negotiation = owned_negotiation(negotiation_id)
    purged = trash.empty_trash(db(), app_state().services.blobs, actor=current_user(),
                               retention_days=_retention_days(), negotiation_id=negotiation.id)
    if purged:
        flash(ngettext("Purged %(num)d item: its original is deleted; what it was stays in the "
                       "custody log.", "Purged %(num)d items: their originals are deleted; "
                       "what they were stays in the custody log.", len(purged)), "success")
    else:
        flash(_("Nothing is old enough to purge yet: items stay in the trash for %(days)s "
                "days.", days=_retention_days()), "info")
    return redirect(url_for("tidy.trash_page", negotiation_id=negotiation.id))


@bp.post("/evidence/<int:evidence_id>/trash")
def trash_item(evidence_id: int):
    evidence = owned_evidence(evidence_id)
    negotiation_id = evidence.negotiation_id
    try:
        trash.trash(db(), evidence, actor=current_user(), reason=request.form.get("reason", ""))
    except trash.TrashError as e:
        flash(str(TRASH_MESSAGES[e.code]), "error")
        return redirect(url_for("evidence.show", evidence_id=evidence_id))
    flash(_("Moved to the trash. It can be restored from the trash page."), "success")
    return redirect(url_for("timeline.show", negotiation_id=negotiation_id))


@bp.post("/evidence/<int:evidence_id>/restore")
def restore_item(evidence_id: int):
    evidence = owned_evidence(evidence_id)
    try:
        trash.restore(db(), evidence, actor=current_user())
    except trash.TrashError as e:
        flash(str(TRASH_MESSAGES[e.code]), "error")
    else:
        flash(_("Restored: it is back on the timeline."), "success")
    return redirect(url_for("tidy.trash_page", negotiation_id=evidence.negotiation_id))


@bp.post("/evidence/<int:evidence_id>/move")
def move_item(evidence_id: int):
    evidence = owned_evidence(evidence_id)
    target = _target()
    try:
        moving.move(db(), evidence, target, actor=current_user())
    except moving.MoveError as e:
        flash(str(MOVE_MESSAGES[e.code] % e.params), "error")
        return redirect(url_for("evidence.show", evidence_id=evidence_id))
    flash(_("Moved to %(creditor)s.", creditor=target.creditor), "success")
    return redirect(url_for("evidence.show", evidence_id=evidence_id))


@bp.post("/negotiations/<int:negotiation_id>/archive")
def archive_negotiation(negotiation_id: int):
    negotiation = owned_negotiation(negotiation_id)
    if not archive.is_archived(negotiation):
        archive.archive(db(), negotiation, actor=current_user(),
                        reason=request.form.get("reason", "")[:archive.MAX_REASON_CHARS])
    flash(_("Archived: it keeps everything, and sends no reminders and runs no conduct checks "
            "until you reopen it."), "success")
    return redirect(url_for("negotiations.overview"))


@bp.post("/negotiations/<int:negotiation_id>/reopen")
def reopen_negotiation(negotiation_id: int):
    negotiation = owned_negotiation(negotiation_id)
    if archive.is_archived(negotiation):
        archive.reopen(db(), negotiation, actor=current_user())
    flash(_("Reopened."), "success")
    return redirect(url_for("timeline.show", negotiation_id=negotiation.id))


@bp.post("/negotiations/<int:negotiation_id>/bulk")
def bulk(negotiation_id: int):
    """The timeline's form: `ids` ticked, `action` one of move, trash, direction, channel."""
    negotiation = negotiation_for(negotiation_id, "edit")
    action = request.form.get("action", "")
    if action not in ("move", "trash", "direction", "channel"):
        abort(400)
    if action in ("move", "trash"):
        negotiation = negotiation_for(negotiation_id, "own")
    items = _ticked(negotiation)
    back = redirect(url_for("timeline.show", negotiation_id=negotiation.id))
    if not items:
        flash(_("Tick the items to act on first."), "error")
        return back
    if action == "trash":
        if not request.form.get("reason", "").strip():
            flash(str(TRASH_MESSAGES["no_reason"]), "error")
            return back
        for item in items:
            if item.trashed_at is None:
                trash.trash(db(), item, actor=current_user(), reason=request.form["reason"])
        flash(ngettext("%(num)d item moved to the trash.", "%(num)d items moved to the trash.",
                       len(items)), "success")
    elif action == "move":
        _move_all(items, _target())
    else:
        _set_all(items, action)
    return back


def _move_all(items: list[Evidence], target: Negotiation) -> None:
    moved = 0
    for item in items:
        try:
            moving.move(db(), item, target, actor=current_user())
            moved += 1
        except moving.MoveError as e:
            flash(str(MOVE_MESSAGES[e.code] % e.params), "error")
    if moved:
        flash(ngettext("%(num)d item moved to %(creditor)s.", "%(num)d items moved to "
                       "%(creditor)s.", moved, creditor=target.creditor), "success")


def _set_all(items: list[Evidence], field: str) -> None:
    raw = request.form.get(field, "")
    try:
        value = Direction(raw) if field == "direction" else (Channel(raw) if raw else None)
    except ValueError:
        abort(400)
    changed = sum(1 for item in items
                  if edit_evidence(db(), item, actor=current_user(), changes={field: value}))
    flash(ngettext("%(num)d item changed; the change is in its custody log.", "%(num)d items "
                   "changed; each change is in its custody log.", changed), "success")


def _ticked(negotiation: Negotiation) -> list[Evidence]:
    """The ticked items, all of this negotiation and in the record; any other id is a 404."""
    try:
        ids = sorted({int(i) for i in request.form.getlist("ids")})[:MAX_BULK]
    except ValueError:
        abort(400)
    if not ids:
        return []
    items = list(db().exec(select(Evidence).where(
        Evidence.id.in_(ids), Evidence.negotiation_id == negotiation.id, trash.live())
        .order_by(Evidence.id)))
    if len(items) != len(ids):
        abort(404)
    # A child ticked with its parent goes with the parent.
    return [e for e in items if e.parent_id not in ids]


def _target() -> Negotiation:
    """The negotiation named by the form's `target`: one the signed-in account owns."""
    try:
        target_id = int(request.form.get("target", ""))
    except ValueError:
        abort(400)
    return owned_negotiation(target_id)


def _retention_days() -> int:
    return app_state().config.trash.retention_days


@bp.app_template_global()
def move_targets(negotiation: Negotiation) -> list[Negotiation]:
    """The other negotiations of this one's owner an item may move to, newest first."""
    return list(db().exec(select(Negotiation).where(
        Negotiation.owner_id == negotiation.owner_id, Negotiation.id != negotiation.id)
        .order_by(Negotiation.id.desc())))
