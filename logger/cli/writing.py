"""CLI commands about promises in writing, in the `promises` group: `confirmation-request`
(the text to send after a call, 请书面确认：…), `link-writing` and `unlink-writing` (a written
agreement or confirmation linked to a promise or plan: logger.promises.writing)."""

from __future__ import annotations

from datetime import datetime

import click

from logger.cli.options import actor_for
from logger.cli.output import emit


@click.command("confirmation-request")
@click.argument("negotiation_id", type=int)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="The language of the request (the other side's).")
@click.option("--item", "evidence_id", type=int,
              help="Only the promises made in this evidence item (the call just made).")
@click.option("--short", is_flag=True, help="Print the short variant, for one text message.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def confirmation_command(obj, negotiation_id: int, lang: str, evidence_id: int | None,
                         short: bool, as_json: bool) -> None:
    """Draft the request for written confirmation of the promises of NEGOTIATION not yet in
    writing, to paste into the lender's app, a text message or an email."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.promises.confirmation import confirmation_request
    services = obj.services()
    with services.session() as session:
        negotiation = get_negotiation(session, negotiation_id)
        tz = negotiation_zone(session, negotiation, default_zone=services.config.locale.zone)
        drafted = confirmation_request(session, negotiation, language=lang,
                                       today=datetime.now(tz).date(), evidence_id=evidence_id)
    data = {"language": drafted.language, "text": drafted.text, "short": drafted.short,
            "sms_segments": drafted.segments, "promise_ids": drafted.promise_ids}
    if not drafted.promise_ids:
        human = "nothing to confirm: every open promise is in writing"
    elif short:
        human = f"{drafted.short}\n({len(drafted.short)} characters, {drafted.segments} SMS)"
    else:
        human = drafted.text
    emit(data, as_json, human)


@click.command("link-writing")
@click.argument("promise_id", type=int)
@click.argument("evidence_id", type=int)
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def link_command(obj, promise_id: int, evidence_id: int, user_name: str | None,
                 as_json: bool) -> None:
    """Link evidence item EVIDENCE_ID (a written agreement, or their written confirmation) to
    promise or plan PROMISE_ID: it is then in writing."""
    from logger.promises.promises import get_promise, promise_dict
    from logger.promises.writing import link_written
    from logger.record.evidence import get_evidence
    with obj.services().session() as session:
        promise = get_promise(session, promise_id)
        promise = link_written(session, promise, get_evidence(session, evidence_id),
                               actor=actor_for(session, user_name))
        emit(promise_dict(promise), as_json,
             f"promise #{promise.id} is in writing: evidence #{evidence_id}")


@click.command("unlink-writing")
@click.argument("promise_id", type=int)
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def unlink_command(obj, promise_id: int, user_name: str | None, as_json: bool) -> None:
    """Take the written item off promise or plan PROMISE_ID."""
    from logger.promises.promises import get_promise, promise_dict
    from logger.promises.writing import unlink_written
    with obj.services().session() as session:
        promise = unlink_written(session, get_promise(session, promise_id),
                                 actor=actor_for(session, user_name))
        emit(promise_dict(promise), as_json, f"promise #{promise.id} is not in writing")


def register(group: click.Group) -> None:
    for command in (confirmation_command, link_command, unlink_command):
        group.add_command(command)
