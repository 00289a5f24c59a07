"""`liuhen negotiation share|unshare|shares`: letting another account help with a negotiation
(logger.sharing). The CLI holds the data dir, so it acts as the negotiation's owner, and the
custody log names the owner as the one who shared."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from logger.cli.evidence import negotiation
from logger.cli.options import LazyChoice
from logger.cli.output import emit

if TYPE_CHECKING:
    from storage.models import User


def _share_dict(share, helper: User) -> dict:
    return {"negotiation_id": share.negotiation_id, "user": helper.name, "user_id": helper.id,
            "role": str(share.role), "granted_at": share.granted_at}


@negotiation.command("share")
@click.argument("negotiation_id", type=int)
@click.argument("name")
@click.option("--role", type=LazyChoice("storage.models:ShareRole"), default="viewer",
              show_default=True, help="viewer: read, search, export bundles; editor: also "
                                      "upload, edit details, accept promises, record payments.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def share(obj, negotiation_id: int, name: str, role: str, as_json: bool) -> None:
    """Share negotiation ID with account NAME (or change their role)."""
    from logger import accounts, sharing
    from logger.negotiations import get_negotiation
    from storage.models import User
    with obj.services().session() as session:
        item = get_negotiation(session, negotiation_id)
        helper = accounts.find_user(session, accounts.normalize_name(name))
        owner = session.get(User, item.owner_id)
        row = sharing.share(session, item, by=owner, user=helper, role=role)
        emit(_share_dict(row, helper), as_json,
             f"negotiation #{item.id} ({item.creditor}) shared with {helper.name} as {row.role}")


@negotiation.command("unshare")
@click.argument("negotiation_id", type=int)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def unshare(obj, negotiation_id: int, name: str, as_json: bool) -> None:
    """Stop sharing negotiation ID with account NAME."""
    from logger import accounts, sharing
    from logger.negotiations import get_negotiation
    from storage.models import User
    with obj.services().session() as session:
        item = get_negotiation(session, negotiation_id)
        helper = accounts.find_user(session, accounts.normalize_name(name))
        sharing.unshare(session, item, by=session.get(User, item.owner_id), user=helper)
        emit({"negotiation_id": item.id, "user": helper.name, "role": None}, as_json,
             f"negotiation #{item.id} is no longer shared with {helper.name}")


@negotiation.command("shares")
@click.argument("negotiation_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def shares(obj, negotiation_id: int, as_json: bool) -> None:
    """Who negotiation ID is shared with, and as what."""
    from logger import sharing
    from logger.negotiations import get_negotiation
    with obj.services().session() as session:
        item = get_negotiation(session, negotiation_id)
        data = [_share_dict(s, u) for s, u in sharing.list_shares(session, item)]
    lines = [f"{d['user']:<20} {d['role']:<7} since {d['granted_at']:%Y-%m-%d}" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else
         f"negotiation #{negotiation_id} is not shared: only its owner sees it")


def register(cli: click.Group) -> None:
    """The commands join the `negotiation` group that logger.cli.evidence registers."""
