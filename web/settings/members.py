"""Managing a member from the members page (the owner, or an admin for plain members): reset
the password, disable or enable the account, remove it (logger.members). Any account the
signed-in one may not manage answers 404, like every other account's object."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext

from logger import accounts, members
from logger.accounts import AccountError
from storage.models import User
from web.access import current_user, db
from web.auth import account_message
from web.settings import bp


@bp.post("/members/<int:member_id>/reset")
def reset_member_password(member_id: int):
    member = _managed(member_id)
    try:
        members.reset_password(db(), by=current_user(), member=member,
                               password=request.form.get("password", ""))
    except AccountError as e:
        flash(account_message(e), "error")
    else:
        flash(_("The password of %(name)s was reset. Give them the new one in person; they "
                "choose their own when they next sign in.", name=member.name), "success")
    return _back()


@bp.post("/members/<int:member_id>/disable")
def disable_member(member_id: int):
    member = _managed(member_id)
    members.disable(db(), by=current_user(), member=member)
    flash(_("%(name)s can no longer sign in.", name=member.name), "success")
    return _back()


@bp.post("/members/<int:member_id>/enable")
def enable_member(member_id: int):
    member = _managed(member_id)
    members.enable(db(), by=current_user(), member=member)
    flash(_("%(name)s can sign in again.", name=member.name), "success")
    return _back()


@bp.post("/members/<int:member_id>/remove")
def remove_member(member_id: int):
    member = _managed(member_id)
    name = member.name
    moved = members.remove(db(), by=current_user(), member=member,
                           transfer=request.form.get("negotiations") == "transfer")
    flash(ngettext("%(name)s was removed; %(num)d negotiation moved to the owner.",
                   "%(name)s was removed; %(num)d negotiations moved to the owner.", len(moved),
                   name=name), "success")
    return _back()


def _managed(member_id: int) -> User:
    """The account, if the signed-in one may manage it and it was not removed; else 404."""
    by = current_user()
    member = db().get(User, member_id)
    if (not accounts.can_manage_members(by) or member is None or member.removed_at is not None
            or not members.may_manage(by, member)):
        abort(404)
    return member


def _back():
    return redirect(url_for("settings.members"), 303)


@bp.app_template_global()
def may_manage(by: User, member: User) -> bool:
    return members.may_manage(by, member)
