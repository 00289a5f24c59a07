"""The share page of a negotiation: its owner lets another account of this Liuhen read it
(viewer) or also add to it (editor), changes the role, and takes it back (logger.sharing).
Only the owner reaches it; a helper gets 403, anyone else 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger import accounts, sharing
from logger.errors import NotFound
from storage.models import ShareRole, User
from web.access import current_user, db, owned_negotiation

bp = Blueprint("sharing", __name__)


@bp.route("/negotiations/<int:negotiation_id>/sharing", methods=["GET", "POST"])
def show(negotiation_id: int):
    negotiation = owned_negotiation(negotiation_id)
    error = None
    if request.method == "POST":
        name = accounts.normalize_name(request.form.get("name", ""))
        role = ShareRole.editor if request.form.get("role") == "editor" else ShareRole.viewer
        try:
            helper = accounts.find_user(db(), name)
            sharing.share(db(), negotiation, by=current_user(), user=helper, role=role)
        except NotFound:
            error = _("There is no account named “%(name)s”. Add it under Settings → Members "
                      "first.", name=name)
        except sharing.SharingError as e:
            error = _share_message(e, name)
        else:
            flash(_("Shared with %(name)s.", name=helper.name), "success")
            return redirect(url_for("sharing.show", negotiation_id=negotiation.id))
    return render_template("sharing/show.html", negotiation=negotiation,
                           shares=sharing.list_shares(db(), negotiation),
                           candidates=_candidates(negotiation.owner_id), error=error,
                           form=request.form), 200 if error is None else 400


@bp.post("/negotiations/<int:negotiation_id>/sharing/<int:user_id>/revoke")
def revoke(negotiation_id: int, user_id: int):
    negotiation = owned_negotiation(negotiation_id)
    helper = db().get(User, user_id)
    try:
        if helper is None:
            raise sharing.SharingError("no such account", code="not_shared")
        sharing.unshare(db(), negotiation, by=current_user(), user=helper)
    except sharing.SharingError:
        abort(404)  # not shared with them: nothing here to take back
    flash(_("%(name)s can no longer see this negotiation.", name=helper.name), "success")
    return redirect(url_for("sharing.show", negotiation_id=negotiation.id), 303)


def _candidates(owner_id: int) -> list[User]:
    """The accounts a negotiation can be shared with: every other one that can sign in."""
    return [u for u in accounts.list_users(db()) if u.id != owner_id and u.disabled_at is None]


def _share_message(error: sharing.SharingError, name: str) -> str:
    if error.code == "owner":
        return _("You own this negotiation already.")
    if error.code == "disabled":
        return _("The account “%(name)s” is disabled.", name=name)
    return str(error)


@bp.app_template_global()
def shared_by(negotiation) -> User:
    """The owner who shared the negotiation the page is about (its header says so)."""
    return db().get(User, negotiation.owner_id)


@bp.app_template_global()
def may_edit(negotiation) -> bool:
    """Whether the reader may add to the negotiation (its owner, or an editor): a viewer's
    pages leave out the buttons that would only answer 403."""
    level = sharing.access_of(db(), negotiation, current_user())
    return level is not None and level >= sharing.Access.edit
