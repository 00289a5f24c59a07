"""CLI commands about collection conduct: `calllog import|list`, `contact add|list|remove`,
`findings [dismiss]`, `conduct rules|set|report`. Registered on the `liuhen` group by
logger.cli. Times people read are in the negotiation's zone (see `liuhen conduct rules`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from logger.cli.options import LazyChoice, actor_for, parse_when
from logger.cli.output import emit

if TYPE_CHECKING:
    from logger.conduct.checks import Finding

NEGOTIATION = click.option("--negotiation", "negotiation_id", type=int, required=True)
USER = click.option("--user", "user_name", help="Act as this account (default: the owner).")
AS_JSON = click.option("--json", "as_json", is_flag=True)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else "time unknown"


# --- calllog -----------------------------------------------------------------------------------

@click.group("calllog")
def calllog_group() -> None:
    """Call logs exported from the phone (missed and rejected calls count too)."""


@calllog_group.command("import")
@NEGOTIATION
@click.option("--number", "numbers", multiple=True,
              help="A collector's number; only calls with these numbers are kept (repeatable). "
                   "Default: the numbers already in the negotiation.")
@click.option("--all-numbers", is_flag=True, help="Keep every call in the file.")
@click.option("--timezone", help="Zone of the times in a CSV (default: the negotiation's).")
@USER
@AS_JSON
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def calllog_import(obj, negotiation_id, numbers, all_numbers, timezone, user_name, as_json,
                   file) -> None:
    """Import FILE: the simple CSV (number,name,start,duration_seconds,type) or an
    SMS Backup & Restore calls-*.xml. The file is stored as evidence too."""
    from logger.conduct.calllog import (FORMAT_NAMES, MAX_CALL_LOG_BYTES, CallLogError,
                                        import_call_log)
    from logger.conduct.zone import negotiation_zone, parse_zone
    from logger.negotiations import get_negotiation
    from logger.record.evidence import iso
    if numbers and all_numbers:
        raise click.UsageError("give --number or --all-numbers, not both")
    if file.stat().st_size > MAX_CALL_LOG_BYTES:
        raise CallLogError(f"{file.name} is larger than {MAX_CALL_LOG_BYTES // 2**20} MB; a "
                           "phone's call log export is far smaller: is it the right file?")
    services = obj.services()
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        zone = parse_zone(timezone) if timezone else negotiation_zone(
            session, target, default_zone=services.config.locale.zone)
        done = import_call_log(session=session, blobs=services.blobs, negotiation=target,
                               actor=actor, data=file.read_bytes(), filename=file.name, tz=zone,
                               max_bytes=services.config.intake.max_file_bytes,
                               numbers=numbers, all_numbers=all_numbers)
    stored = (f"already evidence #{done.evidence_id}" if done.file_was_known
              else f"stored as evidence #{done.evidence_id}")
    emit({"evidence_id": done.evidence_id, "file_was_known": done.file_was_known,
          "format": done.format, "calls_in_file": done.calls_in_file, "added": done.added,
          "already_known": done.already_known, "other_numbers": done.other_numbers,
          "numbers": list(done.numbers), "first": iso(done.first), "last": iso(done.last)},
         as_json,
         f"{file.name} ({FORMAT_NAMES[done.format]}) {stored}: {done.added} calls added, "
         f"{done.already_known} already known, {done.other_numbers} with other numbers left out "
         f"(kept: {', '.join(done.numbers) or 'hidden numbers'})")


@calllog_group.command("list")
@NEGOTIATION
@AS_JSON
@click.pass_obj
def calllog_list(obj, negotiation_id, as_json) -> None:
    """The imported calls, oldest first."""
    from logger.conduct.calllog import list_call_log
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.record.evidence import iso
    services = obj.services()
    with services.session() as session:
        target = get_negotiation(session, negotiation_id)
        zone = negotiation_zone(session, target, default_zone=services.config.locale.zone)
        rows = list_call_log(session, negotiation_id)
        data = [{"id": r.id, "evidence_id": r.evidence_id, "number": r.number, "name": r.name,
                 "started_at": iso(r.started_at), "local_time": _local(r.started_at, zone),
                 "duration_s": r.duration_s, "type": str(r.call_type), "line": r.line}
                for r in rows]
    lines = [f"{d['local_time']}  {d['type']:<9} {d['number'] or '(hidden)':<16} "
             f"{d['duration_s']:>5}s  #{d['evidence_id']} line {d['line']}" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "no calls imported yet")


# --- contact -----------------------------------------------------------------------------------

@click.group("contact")
def contact_group() -> None:
    """Contacts you record by hand: a visit, a call to your mother, a message to your boss."""


@contact_group.command("add")
@NEGOTIATION
@click.option("--at", "at_text", required=True,
              help="When, e.g. 2024-12-03T22:30 (the negotiation's local time), or the date "
                   "alone when the time is not known: it then counts for its day, not its "
                   "hour.")
@click.option("--channel", required=True, type=LazyChoice("storage.kinds:Channel"))
@click.option("--what", "description", required=True, help="What happened, in your words.")
@click.option("--direction", type=LazyChoice("storage.kinds:Direction"),
              default="from_them", show_default=True)
@click.option("--third-party", type=LazyChoice("storage.models:ThirdParty"),
              help="They contacted someone else instead of you: who that was to you.")
@click.option("--who", "third_party_name", help="The person contacted, e.g. “my mother”.")
@click.option("--name", "counterpart_name", help="The collector's name or staff number.")
@click.option("--number", "counterpart_number", help="The number they used.")
@click.option("--evidence", "evidence_id", type=int, help="An evidence item that shows it.")
@USER
@AS_JSON
@click.pass_obj
def contact_add(obj, negotiation_id, at_text, channel, description, direction, third_party,
                third_party_name, counterpart_name, counterpart_number, evidence_id, user_name,
                as_json) -> None:
    """Record a contact (kept in the custody log)."""
    from logger.conduct.contact_entries import add_contact_entry, entry_dict
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.record.moments import human_time
    from storage.models import Channel, Direction, ThirdParty
    services = obj.services()
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        zone = negotiation_zone(session, target, default_zone=services.config.locale.zone)
        occurred_at, precision = parse_when(at_text, zone, "--at")
        entry = add_contact_entry(
            session, negotiation=target, actor=actor, occurred_at=occurred_at,
            occurred_precision=precision,
            channel=Channel(channel), description=description, direction=Direction(direction),
            counterpart_name=counterpart_name, counterpart_number=counterpart_number,
            third_party=ThirdParty(third_party) if third_party else None,
            third_party_name=third_party_name, evidence_id=evidence_id)
        data = entry_dict(entry, zone)
    instead = (f", with {third_party_name or third_party} instead of you"
               if data["third_party"] else "")
    when = human_time(entry.occurred_at, zone, precision, seconds=True)
    emit(data, as_json, f"recorded contact #{data['id']}: {channel} at {when}{instead}")


@contact_group.command("list")
@NEGOTIATION
@AS_JSON
@click.pass_obj
def contact_list(obj, negotiation_id, as_json) -> None:
    """The contacts recorded by hand, in the order they happened."""
    from logger.conduct.contact_entries import entry_dict, list_contact_entries
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.record.moments import human_time
    services = obj.services()
    with services.session() as session:
        target = get_negotiation(session, negotiation_id)
        zone = negotiation_zone(session, target, default_zone=services.config.locale.zone)
        entries = list_contact_entries(session, negotiation_id)
        data = [entry_dict(e, zone) for e in entries]
        lines = [f"#{e.id:<4} "
                 f"{human_time(e.occurred_at, zone, e.occurred_precision, seconds=True):<19}  "
                 f"{e.channel:<8} "
                 + (f"[{e.third_party}: {e.third_party_name or '-'}] " if e.third_party else "")
                 + e.description for e in entries]
    emit(data, as_json, "\n".join(lines) if lines else "no contacts recorded yet")


@contact_group.command("remove")
@click.argument("entry_id", type=int)
@NEGOTIATION
@click.option("--reason", required=True, help="Why it is removed (kept in the custody log).")
@USER
@AS_JSON
@click.pass_obj
def contact_remove(obj, entry_id, negotiation_id, reason, user_name, as_json) -> None:
    """Remove a contact recorded by mistake (the custody log keeps it and the reason)."""
    from logger.conduct.contact_entries import remove_contact_entry
    from logger.negotiations import get_negotiation
    with obj.services().session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        entry = remove_contact_entry(session, negotiation=target, entry_id=entry_id,
                                     reason=reason, actor=actor)
    emit({"removed": entry_id, "reason": reason}, as_json,
         f"removed contact #{entry_id} ({entry.channel}); the custody log keeps it")


# --- findings ----------------------------------------------------------------------------------

@click.group("findings", invoke_without_command=True)
@click.option("--negotiation", "negotiation_id", type=int,
              help="The negotiation whose findings to list (needed without a subcommand).")
@click.option("--all", "show_all", is_flag=True, help="Include dismissed findings.")
@AS_JSON
@click.pass_context
def findings_group(ctx, negotiation_id, show_all, as_json) -> None:
    """Findings: contacts and words that look like breaches of the collection rules. Each is a
    suggestion with its reason; dismiss one with `liuhen findings dismiss ID --reason ...`.
    Those read from the words without a pattern of the rule are listed apart and count once
    confirmed with `liuhen findings confirm ID`."""
    if ctx.invoked_subcommand is not None:
        return
    if negotiation_id is None:
        raise click.UsageError("name the negotiation: liuhen findings --negotiation ID")
    from logger.conduct.report import conduct_report, finding_dict
    from logger.negotiations import get_negotiation
    services = ctx.obj.services()
    with services.session() as session:
        report = conduct_report(session, get_negotiation(session, negotiation_id),
                                default_zone=services.config.locale.zone)
    waiting, suggested = report.needs_direction(), report.suggested()
    shown = list(report.findings) if show_all else report.active() + waiting + suggested
    hidden = len(report.findings) - len(shown)
    header = (f"rule set {report.rule_set.id} ({report.rule_set.name['en']}), time zone "
              f"{report.timezone}: {len(report.active())} finding(s)"
              + (f", {len(waiting)} not counted until a direction is set" if waiting else "")
              + (f", {len(suggested)} suggested, not counted until confirmed" if suggested
                 else "")
              + (f", {hidden} dismissed (--all shows them)" if hidden else ""))
    emit({"negotiation_id": report.negotiation_id, "rule_set": report.rule_set.id,
          "timezone": report.timezone,
          "findings": [finding_dict(f, ZoneInfo(report.timezone)) for f in shown]}, as_json,
         "\n".join([header, *(_finding_line(f) for f in shown)]))


def _finding_line(finding: Finding) -> str:
    when = (finding.local_time or "time unknown")[:19].replace("T", " ")
    item = f"#{finding.evidence_id}" if finding.evidence_id is not None else "-"
    line = f"{finding.id}  {when:<19}  {finding.rule_id:<24} {item:<6} {finding.reason['en']}"
    if finding.dismissal is not None:
        line += f"\n    dismissed: {finding.dismissal.reason}"
    elif finding.needs_direction:
        line += ("\n    direction unknown: not counted until the direction is set on the "
                 "evidence page")
    elif finding.suggested:
        line += ("\n    suggested: not counted until confirmed (" + (
            "on the findings page, saying who was contacted" if finding.check == "third_party"
            else f"liuhen findings confirm {finding.id[:8]}") + ") or dismissed")
    return line


@findings_group.command("dismiss")
@click.argument("finding_id")
@NEGOTIATION
@click.option("--reason", required=True, help="Why it is not a breach (kept in the custody log).")
@USER
@AS_JSON
@click.pass_obj
def findings_dismiss(obj, finding_id, negotiation_id, reason, user_name, as_json) -> None:
    """Dismiss a finding; it stays listable with `--all`, with the reason."""
    from logger.conduct.report import dismiss_finding, finding_dict
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    services = obj.services()
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        finding = dismiss_finding(session, target, finding_id, reason=reason, actor=actor,
                                  default_zone=services.config.locale.zone)
        zone = negotiation_zone(session, target, default_zone=services.config.locale.zone)
    emit(finding_dict(finding, zone), as_json, f"dismissed {finding.id} ({finding.rule_id}): {reason}")


@findings_group.command("confirm")
@click.argument("finding_id")
@NEGOTIATION
@USER
@AS_JSON
@click.pass_obj
def findings_confirm(obj, finding_id, negotiation_id, user_name, as_json) -> None:
    """Confirm a suggestion read from the words: it counts from then on (kept in the custody
    log)."""
    from logger.conduct.confirm import confirm_finding
    from logger.conduct.report import finding_dict
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    services = obj.services()
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        finding = confirm_finding(session, target, finding_id, actor=actor,
                                  default_zone=services.config.locale.zone)
        zone = negotiation_zone(session, target, default_zone=services.config.locale.zone)
    emit(finding_dict(finding, zone), as_json, f"confirmed {finding.id} ({finding.rule_id})")


# --- conduct -----------------------------------------------------------------------------------

@click.group("conduct")
def conduct_group() -> None:
    """The collection rules a negotiation is checked against."""


@conduct_group.command("rules")
@NEGOTIATION
@AS_JSON
@click.pass_obj
def conduct_rules(obj, negotiation_id, as_json) -> None:
    """The rule set in force, each rule on or off, with its source."""
    from logger.conduct.report import conduct_report
    from logger.negotiations import get_negotiation
    services = obj.services()
    with services.session() as session:
        report = conduct_report(session, get_negotiation(session, negotiation_id),
                                default_zone=services.config.locale.zone)
    data = {key: value for key, value in report.as_dict().items()
            if key in ("negotiation_id", "rule_set", "timezone", "rules")}
    lines = [f"rule set {report.rule_set.id}: {report.rule_set.name['en']}"
             + ("" if report.rule_set_chosen else " (default for the time zone)"),
             f"time zone {report.timezone} (from the {report.timezone_from})"]
    lines += [f"[{'on ' if s.enabled else 'off'}] {s.rule.id:<26} {s.rule.description['en']} "
              f"({s.rule.source_article})" for s in report.rules]
    emit(data, as_json, "\n".join(lines))


@conduct_group.command("set")
@NEGOTIATION
@click.option("--rule-set", help="A rule set id (cn, us), or “default” for the time zone's.")
@click.option("--timezone", help="The borrower's IANA time zone, or “default”.")
@click.option("--disable", multiple=True, help="Switch a rule off (repeatable).")
@click.option("--enable", multiple=True, help="Switch a rule on again (repeatable).")
@USER
@AS_JSON
@click.pass_obj
def conduct_set(obj, negotiation_id, rule_set, timezone, disable, enable, user_name,
                as_json) -> None:
    """Choose the rule set and time zone, switch rules off or on (kept in the custody log)."""
    from logger.conduct.report import configure_conduct
    from logger.negotiations import get_negotiation
    services = obj.services()
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        choice = configure_conduct(
            session, target, actor=actor, default_zone=services.config.locale.zone,
            rule_set=_setting(rule_set), timezone=_setting(timezone),
            disable=tuple(disable), enable=tuple(enable))
    emit({"negotiation_id": negotiation_id, "rule_set": choice.rule_set.id,
          "rule_set_chosen": choice.rule_set_chosen, "timezone": choice.zone.key,
          "disabled_rules": sorted(choice.disabled)}, as_json,
         f"negotiation #{negotiation_id}: rule set {choice.rule_set.id}, time zone "
         f"{choice.zone.key}, switched off: {', '.join(sorted(choice.disabled)) or 'none'}")


@conduct_group.command("report")
@NEGOTIATION
@AS_JSON
@click.pass_obj
def conduct_report_command(obj, negotiation_id, as_json) -> None:
    """Findings with contacts per day and per hour (what the findings page shows)."""
    from logger.conduct.report import conduct_report
    from logger.negotiations import get_negotiation
    services = obj.services()
    with services.session() as session:
        report = conduct_report(session, get_negotiation(session, negotiation_id),
                                default_zone=services.config.locale.zone)
    lines = [f"{d.date}  {d.contacts:>3} contact(s), {d.unanswered_calls} unanswered, "
             f"{d.outside_hours} outside the allowed hours, {d.findings} finding(s)"
             for d in report.per_day]
    lines.append("hours: " + " ".join(f"{h.hour:02}{'*' if h.forbidden else ''}:{h.contacts}"
                                      for h in report.per_hour if h.contacts or h.forbidden))
    emit(report.as_dict(), as_json, "\n".join(lines))


def _setting(value: str | None) -> object:
    from logger.conduct.report import KEEP
    if value is None:
        return KEEP
    return None if value.strip().lower() == "default" else value.strip()


def register(cli: click.Group) -> None:
    for command in (calllog_group, contact_group, findings_group, conduct_group):
        cli.add_command(command)
