"""CLI commands for keeping the record tidy: `evidence trash|restore|move`, `trash list|empty`,
`negotiation archive|reopen`. Every step is logged in the custody chain with the account that
took it (`--user`, else the owner). Registered on the `liuhen` group by logger.cli."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from logger.cli.evidence import evidence_group, negotiation
from logger.cli.options import actor_for
from logger.cli.output import emit

USER_OPTION = click.option("--user", "user_name",
                           help="Act as this account (default: the owner).")


def _owned_item(session, evidence_id: int, actor):
    """The item, if the acting account owns its negotiation (the same rule as the web app)."""
    from logger.record.evidence import get_evidence
    return get_evidence(session, evidence_id, owner=actor)


@evidence_group.command("trash")
@click.argument("evidence_id", type=int)
@click.option("--reason", required=True, help="Why it goes (kept in its custody log).")
@USER_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_trash(obj, evidence_id, reason, user_name, as_json) -> None:
    """Put an item (and what was taken from it) in the trash; its original is kept until the
    trash is emptied, and `liuhen evidence restore` brings it back."""
    from logger.record import trash
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        items = trash.trash(session, _owned_item(session, evidence_id, actor), actor=actor,
                            reason=reason)
        ids = [e.id for e in items]
    emit({"trashed": ids}, as_json,
         f"moved to the trash: {', '.join(f'#{i}' for i in ids)}" if ids
         else f"evidence #{evidence_id} was already in the trash")


@evidence_group.command("restore")
@click.argument("evidence_id", type=int)
@USER_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_restore(obj, evidence_id, user_name, as_json) -> None:
    """Take an item (and what went to the trash with it) back out of the trash."""
    from logger.record import trash
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        items = trash.restore(session, _owned_item(session, evidence_id, actor), actor=actor)
        ids = [e.id for e in items]
    emit({"restored": ids}, as_json, f"restored: {', '.join(f'#{i}' for i in ids)}")


@evidence_group.command("move")
@click.argument("evidence_id", type=int)
@click.option("--to", "target_id", type=int, required=True,
              help="The negotiation it belongs to (of the same owner).")
@USER_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_move(obj, evidence_id, target_id, user_name, as_json) -> None:
    """Move an item uploaded to the wrong negotiation (with what was taken from it)."""
    from logger.negotiations import get_negotiation
    from logger.record import moving
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        item = _owned_item(session, evidence_id, actor)
        target = get_negotiation(session, target_id, owner=actor)
        ids = [e.id for e in moving.move(session, item, target, actor=actor)]
    emit({"moved": ids, "to": target_id}, as_json,
         f"moved to negotiation #{target_id}: {', '.join(f'#{i}' for i in ids)}")


@click.group("trash")
def trash_group() -> None:
    """Items in the trash (restorable until the trash is emptied)."""


@trash_group.command("list")
@click.option("--negotiation", "negotiation_id", type=int)
@USER_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def trash_list(obj, negotiation_id, user_name, as_json) -> None:
    """What is in the trash, newest first, and from when emptying may purge each item."""
    from logger.record import trash
    from logger.record.trash import custody_time, purge_after
    services = obj.services()
    days = services.config.trash.retention_days
    with services.session() as session:
        actor = actor_for(session, user_name)
        items = trash.in_trash(session, owner=actor, negotiation_id=negotiation_id)
    data = [{"id": e.id, "negotiation_id": e.negotiation_id,
             "original_filename": e.original_filename, "sha256": e.sha256,
             "trashed_at": custody_time(e.trashed_at), "reason": e.trash_reason,
             "purge_after": custody_time(purge_after(e, days))} for e in items]
    lines = [f"#{d['id']:<5} negotiation #{d['negotiation_id']:<4} {d['original_filename']}  "
             f"trashed {d['trashed_at']}: {d['reason']}" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "the trash is empty")


@trash_group.command("empty")
@click.option("--negotiation", "negotiation_id", type=int,
              help="Only this negotiation's trash.")
@USER_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def trash_empty(obj, negotiation_id, user_name, as_json) -> None:
    """Delete the originals of items trashed longer ago than `trash.retention_days` (their
    rows, SHA-256 and custody history stay). Only the owner's own negotiations."""
    from logger.negotiations import get_negotiation
    from logger.record import trash
    services = obj.services()
    days = services.config.trash.retention_days
    with services.session() as session:
        actor = actor_for(session, user_name)
        if negotiation_id is not None:
            get_negotiation(session, negotiation_id, owner=actor)
        purged = trash.empty_trash(session, services.blobs, actor=actor, retention_days=days,
                                   negotiation_id=negotiation_id, now=datetime.now(UTC))
        left = len(trash.in_trash(session, owner=actor, negotiation_id=negotiation_id))
        ids = [e.id for e in purged]
    text = (f"purged {len(ids)} item(s): {', '.join(f'#{i}' for i in ids)}" if ids
            else "nothing to purge")
    if left:
        text += (f"; {left} item(s) stay in the trash until they are {days} day(s) old "
                 "(config key `trash.retention_days`)")
    emit({"purged": ids, "left": left}, as_json, text)


@negotiation.command("archive")
@click.argument("negotiation_id", type=int)
@click.option("--reason", default="", help="Settled, paid off, in court …")
@USER_OPTION
@click.pass_obj
def negotiation_archive(obj, negotiation_id, reason, user_name) -> None:
    """Archive a negotiation: off the active list, no reminders or conduct checks; kept whole."""
    from logger.negotiations import get_negotiation
    from logger.record import archive
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        archive.archive(session, get_negotiation(session, negotiation_id, owner=actor),
                        actor=actor, reason=reason)
    click.echo(f"negotiation #{negotiation_id} archived")


@negotiation.command("reopen")
@click.argument("negotiation_id", type=int)
@USER_OPTION
@click.pass_obj
def negotiation_reopen(obj, negotiation_id, user_name) -> None:
    """Put an archived negotiation back on the active list."""
    from logger.negotiations import get_negotiation
    from logger.record import archive
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        archive.reopen(session, get_negotiation(session, negotiation_id, owner=actor),
                       actor=actor)
    click.echo(f"negotiation #{negotiation_id} reopened")


def register(cli: click.Group) -> None:
    cli.add_command(trash_group)

