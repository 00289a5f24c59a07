"""CLI commands about negotiations and evidence: `negotiation`, `import`, `evidence list`,
`show`, `search`. Registered on the `liuhen` group by logger.cli."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from logger.cli.options import LazyChoice, actor_for, parse_amount, parse_when
from logger.cli.output import emit
from logger.errors import DuplicateEvidence, LiuhenError

if TYPE_CHECKING:
    from logger.intake.ingest import Outcome

SEARCH_LIMIT = 50  # hits `liuhen search` prints (of every account: the CLI holds the data dir)


def _local(moment: datetime | None, tz, precision=None) -> str:
    """A stored UTC time as people read it: in the configured time zone (the date alone when
    only that is known)."""
    from logger.record.moments import human_time
    return human_time(moment, tz, precision) or "time unknown"


@click.group()
def negotiation() -> None:
    """Negotiations (one per debt)."""


@negotiation.command("add")
@click.option("--creditor", required=True, help="The lender or platform, e.g. 信用飞.")
@click.option("--user", "user_name", help="Owner account (default: the owner).")
@click.option("--agency", help="Collection agency, if any.")
@click.option("--reference", help="Account or loan reference.")
@click.option("--principal")
@click.option("--outstanding")
@click.option("--currency", default="CNY", show_default=True)
@click.option("--overdue-since", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--language", type=click.Choice(["zh", "en"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def negotiation_add(obj, creditor, user_name, agency, reference, principal, outstanding,
                    currency, overdue_since, language, as_json) -> None:
    """Start a negotiation."""
    from logger.negotiations import add_negotiation
    with obj.services().session() as session:
        owner = actor_for(session, user_name)
        item = add_negotiation(
            session, owner=owner, creditor=creditor, collection_agency=agency,
            account_reference=reference, principal=parse_amount(principal, "--principal"),
            outstanding=parse_amount(outstanding, "--outstanding"), currency=currency,
            overdue_since=overdue_since.date() if overdue_since else None, language=language)
        emit(_negotiation_dict(item, 0), as_json,
              f"added negotiation #{item.id} with {item.creditor} (owner {owner.name})")


@negotiation.command("list")
@click.option("--user", "user_name", help="Only this account's negotiations.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def negotiation_list(obj, user_name, as_json) -> None:
    """List negotiations with their evidence counts."""
    from logger import accounts
    from logger.negotiations import list_negotiations
    with obj.services().session() as session:
        owner = accounts.find_user(session, user_name) if user_name else None
        rows = list_negotiations(session, owner=owner)
        data = [_negotiation_dict(n, count) for n, count in rows]
    lines = [f"#{d['id']:<4} {d['creditor']}  {d['evidence_count']} item(s)"
             + (f"  overdue since {d['overdue_since']}" if d["overdue_since"] else "")
             + ("  (archived)" if d["archived"] else "") for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "no negotiations yet")


def _negotiation_dict(n, evidence_count: int) -> dict:
    return {
        "id": n.id, "owner_id": n.owner_id, "creditor": n.creditor,
        "collection_agency": n.collection_agency, "account_reference": n.account_reference,
        "principal": str(n.principal) if n.principal is not None else None,
        "outstanding": str(n.outstanding) if n.outstanding is not None else None,
        "currency": n.currency,
        "overdue_since": n.overdue_since.isoformat() if isinstance(n.overdue_since, date) else None,
        "status": str(n.status), "evidence_count": evidence_count,
        "archived": n.archived_at is not None, "archive_reason": n.archive_reason,
    }


@click.command("import")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--kind", type=LazyChoice("storage.kinds:EvidenceKind"))
@click.option("--channel", type=LazyChoice("storage.kinds:Channel"))
@click.option("--direction", type=LazyChoice("storage.kinds:Direction"))
@click.option("--occurred-at", help="When it happened, e.g. 2024-12-03T15:30 (in the "
                                    "negotiation's time zone), or 2024-12-03 when only the "
                                    "date is known.")
@click.option("--counterpart-name")
@click.option("--counterpart-number")
@click.option("--note")
@click.option("--allow-many", is_flag=True,
              help="Go ahead when the import adds more items than intake.confirm_items_over "
                   "(files, and the messages of mailboxes) without asking.")
@click.option("--json", "as_json", is_flag=True)
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_files(obj, negotiation_id, user_name, kind, channel, direction, occurred_at,
                 counterpart_name, counterpart_number, note, allow_many, as_json, files) -> None:
    """Store files as evidence, a batch of them to a transaction. A refused file is reported;
    the others still import. Exit 1 when any file was refused."""
    from logger.conduct.zone import negotiation_zone
    from logger.intake.ingest import EvidenceDetails, IncomingFile, IntakeBatch
    from logger.negotiations import get_negotiation
    from storage.models import Channel, Direction, EvidenceKind
    services = obj.services()
    intake = services.config.intake
    tz = services.config.locale.zone
    mailboxes = _confirm_many(files, intake.confirm_items_over, allow_many,
                              intake.max_messages_per_import)
    results, waiting = [], []

    def report() -> None:
        for path, outcome in waiting:
            result, line = _import_result(path, outcome, tz, zone)
            results.append(result)
            if not as_json:
                click.echo(line)
        waiting.clear()

    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        zone = negotiation_zone(session, target, default_zone=tz)
        # A time typed is read in the negotiation's zone, as every time entered for it is.
        when, precision = parse_when(occurred_at, zone, "--occurred-at")
        details = EvidenceDetails(
            kind=EvidenceKind(kind) if kind else None,
            channel=Channel(channel) if channel else None,
            direction=Direction(direction) if direction else None,
            occurred_at=when, occurred_at_precision=precision,
            counterpart_name=counterpart_name, counterpart_number=counterpart_number,
            note=note)
        with IntakeBatch(session=session, blobs=services.blobs, negotiation=target, actor=actor,
                         max_bytes=intake.max_file_bytes, tz=tz,
                         max_messages=intake.max_messages_per_import) as batch:
            for path in files:
                try:
                    with open(path, "rb") as stream:
                        waiting.append((path, batch.add(
                            IncomingFile(stream, path.name, source="cli"), details=details,
                            job_options={"allow_many": True} if path in mailboxes else None)))
                except OSError as e:
                    waiting.append((path, f"cannot read it: {e.strerror}"))
                if batch.full:
                    batch.commit()
                    report()
            batch.commit()
            report()
    refused = sum(r["status"] != "stored" for r in results)
    if as_json:
        emit(results, True)
    else:
        click.echo(f"{len(results) - refused} stored, {refused} refused", err=bool(refused))
    sys.exit(1 if refused else 0)


def _confirm_many(files: tuple[Path, ...], limit: int, allowed: bool,
                  max_messages: int) -> set[Path]:
    """Count the items the import would add (each file, each message of a mailbox); past
    `limit` go on only with `allowed`, or when a person at the terminal says so. Returns the
    mailboxes whose splitting was so allowed (their parse job may split past the limit)."""
    from logger.intake.incoming import items_in
    counts: dict[Path, int] = {}
    for path in files:
        try:
            with open(path, "rb") as stream:
                counts[path] = items_in(stream, path.name)
        except OSError:
            counts[path] = 1  # the import itself reports it
        if counts[path] > 1 + max_messages:
            counts[path] = 1  # refused whole by intake, which says why
    total = sum(counts.values())
    if total > limit and not allowed:
        messages = total - len(files)
        what = (f"{total:,} items ({len(files):,} file(s)"
                + (f" and the {messages:,} messages of the mailboxes among them)" if messages
                   else ")"))
        question = (f"This import would add {what}, more than the {limit:,} one import adds "
                    "without confirmation (config key `intake.confirm_items_over`).")
        if not _at_terminal():
            raise LiuhenError(f"{question} Nothing was stored: run it again with --allow-many "
                              "to go ahead, or import fewer files at a time.")
        if not click.confirm(f"{question} Go ahead?", default=False):
            raise LiuhenError("nothing was stored (not confirmed)")
    return {path for path, count in counts.items() if count > 1}


def _at_terminal() -> bool:
    return sys.stdin.isatty()


def _import_result(path: Path, outcome: Outcome | str, tz, zone) -> tuple[dict, str]:
    """One file's result (for --json) and its line."""
    from logger.record.moments import machine_time
    result = {"file": str(path)}
    if isinstance(outcome, str):
        result.update(status="refused", reason=outcome)
        return result, f"refused    {path.name}: {outcome}"
    item, error = outcome.evidence, outcome.error
    if isinstance(error, DuplicateEvidence):
        result.update(status="duplicate", existing_id=error.existing_id, reason=str(error))
        return result, f"duplicate  {path.name}: {error}"
    if error is not None:
        result.update(status="refused", reason=str(error))
        return result, f"refused    {path.name}: {error}"
    result.update(status="stored", id=item.id, kind=str(item.kind),
                  occurred_at=machine_time(item.occurred_at, zone, item.occurred_at_precision),
                  sha256=item.sha256)
    return result, (f"stored     #{item.id}  {item.kind:<8} "
                    f"{_local(item.occurred_at, tz, item.occurred_at_precision):<16}  "
                    f"{path.name}")


@click.group("evidence")
def evidence_group() -> None:
    """Evidence items."""


@evidence_group.command("list")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_list(obj, negotiation_id, as_json) -> None:
    """A negotiation's evidence in the order it happened."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.record.evidence import evidence_summary, list_evidence
    services = obj.services()
    with services.session() as session:
        tz = negotiation_zone(session, get_negotiation(session, negotiation_id),
                              default_zone=services.config.locale.zone)
        items = list_evidence(session, negotiation_id)
        data = [evidence_summary(e, tz) for e in items]
    lines = [f"#{e.id:<5} {e.kind:<8} {_local(e.occurred_at, tz, e.occurred_at_precision):<16} "
             f"{e.original_filename}"
             + (f"  (from #{e.parent_id})" if e.parent_id else "") for e in items]
    emit(data, as_json, "\n".join(lines) if lines else "no evidence yet")


@click.command()
@click.argument("evidence_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(obj, evidence_id, as_json) -> None:
    """One item: metadata, extracted texts, jobs."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.record.evidence import evidence_detail, get_evidence
    services = obj.services()
    with services.session() as session:
        evidence = get_evidence(session, evidence_id)
        tz = negotiation_zone(session, get_negotiation(session, evidence.negotiation_id),
                              default_zone=services.config.locale.zone)
        data = evidence_detail(session, evidence, tz)
    lines = [f"{k}: {v}" for k, v in data.items() if k not in ("texts", "jobs") and v]
    lines += [f"job {j['kind']}: {j['status']}" + (f" ({j['error']})" if j["error"] else "")
              for j in data["jobs"]]
    lines += [f"--- {t['source']} ({t['language'] or '?'})\n{t['text']}" for t in data["texts"]]
    emit(data, as_json, "\n".join(lines))


@click.command()
@click.argument("query")
@click.option("--negotiation", "negotiation_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(obj, query, negotiation_id, as_json) -> None:
    """Search transcripts, OCR text, emails and notes."""
    if not query.strip():
        raise LiuhenError("the search query is empty")
    from logger.record.search import find_moments
    with obj.services().session() as session:
        page = find_moments(session, query, owner=None, negotiation_id=negotiation_id,
                            limit=SEARCH_LIMIT)
    data = [{"evidence_id": r.hit.evidence_id, "negotiation_id": r.hit.negotiation_id,
             "source": r.hit.source, "snippet": r.hit.snippet, "segment": r.moment.segment,
             "start": r.moment.start} for r in page.found]
    lines = [f"#{r.hit.evidence_id:<5} [{r.hit.source}] {r.hit.snippet}"
             + (f" (at {r.moment.clock})" if r.moment.clock else "") for r in page.found]
    emit(data, as_json, "\n".join(lines) if lines else f"nothing found for “{query}”")


def register(cli: click.Group) -> None:
    for command in (negotiation, import_files, evidence_group, show, search):
        cli.add_command(command)
