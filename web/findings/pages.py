"""Collection-conduct findings of one negotiation: the findings page (rule set in force with its
switches, findings grouped by rule, contacts per day and per hour), dismissing a finding with a
reason, confirming a suggestion read from the words (a collector heard speaking to someone else:
recorded as a contact with that person), and the partials other pages include:
`findings/_flags.html` (one evidence item's flags) and `findings/_summary.html` (active findings
per rule, for the negotiation header). Each rule and finding shows its legal sources.

The findings are computed by `logger.conduct` on every request (never stored); the page only
shows them. The inputs the user adds (call logs, contacts recorded by hand) are in
web.findings.inputs, whose views are routed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger.conduct.checks import Finding
from logger.conduct.confirm import confirm_finding, confirm_third_party
from logger.conduct.report import (ConductError, ConductReport, RuleState, conduct_choice,
                            configure_conduct, dismiss_finding, parse_zone)
from logger.conduct.ruleset import Rule, rule_sets
from logger.errors import NotFound
from storage.models import Negotiation, ThirdParty
from web.access import current_user, db, negotiation_for
from web.findings.charts import day_chart, hour_chart
from web.findings.view import (CALL_TYPE_LABELS, THIRD_PARTY_LABELS, Flag, calls_flags,
                               default_zone, evidence_flags, in_language, language,
                               legal_citation, local_moment, local_time, owned_report, report_for,
                               rule_title, set_direction_url, text_language)

from web.findings import FINDINGS, bp

# Zones offered in the time zone field (any IANA name may be typed).
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "Asia/Singapore",
                "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                "America/Anchorage", "Pacific/Honolulu", "Europe/London")
# Findings listed per rule before "show all" (a month of night calls is hundreds of them).
SHOWN_PER_RULE = 50
FINDING_ID = re.compile(r"[0-9a-f]{6,64}")

@dataclass(frozen=True)
class RuleGroup:
    state: RuleState
    findings: list[Finding]
    hidden: int         # further findings of the rule, listed with ?all=<rule id>


@bp.get(FINDINGS)
def show(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "view")
    report = report_for(negotiation)
    show_dismissed = request.args.get("dismissed") == "1"
    return render_template(
        "findings/show.html", negotiation=negotiation, report=report,
        groups=_groups(report, show_dismissed, request.args.get("all")),
        show_dismissed=show_dismissed, words=_finding_words(),
        waiting=report.needs_direction(),
        suggestions=[f for f in report.suggested() if f.check == "third_party"],
        word_suggestions=[f for f in report.suggested() if f.check != "third_party"],
        third_parties=list(ThirdParty), active=len(report.active()),
        rule_titles={s.rule.id: rule_title(s.rule) for s in report.rules},
        dismissed=sum(f.dismissal is not None for f in report.findings),
        active_by_rule=_active_by_rule(report), day_chart=day_chart(report.per_day),
        hour_chart=hour_chart(report.per_hour), quiet=_quiet_rule(report),
        rule_sets=sorted(rule_sets().values(), key=lambda s: s.id), zones=COMMON_ZONES)


@bp.post(f"{FINDINGS}/dismiss")
def dismiss(negotiation_id: int):
    """Dismiss one finding with the reason the user gives (kept in the custody log)."""
    negotiation = negotiation_for(negotiation_id, "edit")
    finding_id = request.form.get("finding_id", "").strip()
    reason = request.form.get("reason", "").strip()
    back = url_for("findings.show", negotiation_id=negotiation.id)
    if not FINDING_ID.fullmatch(finding_id):
        abort(400)
    if not reason:
        flash(_("Say why the finding is dismissed (for example “I asked them to call after "
                "22:00”). The reason is kept in the custody log."), "error")
        return redirect(f"{back}#finding-{finding_id}")
    try:
        dismiss_finding(db(), negotiation, finding_id, reason=reason, actor=current_user(),
                        default_zone=default_zone())
    except NotFound:
        flash(_("That finding is no longer listed (its rule may have been switched off, or "
                "its evidence changed). Nothing was dismissed."), "error")
        return redirect(back)
    except ConductError:
        flash(_("That finding was already dismissed."), "info")
        return redirect(back)
    flash(_("Finding dismissed. The reason is kept in the custody log; “Show dismissed” lists "
            "it again."), "success")
    return redirect(back)


@bp.post(f"{FINDINGS}/confirm")
def confirm(negotiation_id: int):
    """Confirm a suggestion read from the words: the contact with someone else is recorded
    (custody-logged) against its item, and counts from then on."""
    negotiation = negotiation_for(negotiation_id, "edit")
    finding_id = request.form.get("finding_id", "").strip()
    back = url_for("findings.show", negotiation_id=negotiation.id)
    if not FINDING_ID.fullmatch(finding_id):
        abort(400)
    if request.form.get("as_is"):
        return _confirm_as_is(negotiation, finding_id, back)
    try:
        relation = ThirdParty(request.form.get("third_party", "") or ThirdParty.other)
    except ValueError:
        abort(400)
    try:
        entry = confirm_third_party(
            db(), negotiation, finding_id, relation=relation,
            name=request.form.get("third_party_name", ""), actor=current_user(),
            default_zone=default_zone(), language=language())
    except NotFound:
        flash(_("That suggestion is no longer listed (its item may have changed). Nothing was "
                "recorded."), "error")
        return redirect(back)
    except ConductError:
        flash(_("That suggestion cannot be confirmed: it was confirmed or dismissed already, or "
                "its item has no time (set it on the item's page first)."), "error")
        return redirect(back)
    flash(_("Confirmed: the contact with someone else is recorded (entry #%(id)s) and counts "
            "under the rule; it is kept in the custody log.", id=entry.id), "success")
    return redirect(back)


def _confirm_as_is(negotiation, finding_id: str, back: str):
    """Confirm a suggestion the resemblance model read: it counts from then on."""
    try:
        confirm_finding(db(), negotiation, finding_id, actor=current_user(),
                        default_zone=default_zone())
    except NotFound:
        flash(_("That suggestion is no longer listed (its item may have changed). Nothing was "
                "recorded."), "error")
        return redirect(back)
    except ConductError:
        flash(_("That suggestion cannot be confirmed: it was confirmed or dismissed already."),
              "error")
        return redirect(back)
    flash(_("Confirmed: the finding counts under its rule from now on; the confirmation is kept "
            "in the custody log."), "success")
    return redirect(back)


@bp.post(f"{FINDINGS}/settings")
def settings(negotiation_id: int):
    """Choose the rule set and the time zone the rules are judged in (custody-logged)."""
    negotiation = negotiation_for(negotiation_id, "edit")
    back = url_for("findings.show", negotiation_id=negotiation.id)
    rule_set = request.form.get("rule_set", "").strip() or None
    if rule_set is not None and rule_set not in rule_sets():
        abort(400)
    timezone = request.form.get("timezone", "").strip() or None
    if timezone is not None:
        try:
            timezone = parse_zone(timezone).key
        except ConductError:
            flash(_("“%(zone)s” is not a time zone Liuhen knows. Write it like Asia/Shanghai or "
                    "America/New_York. Nothing was changed.", zone=timezone), "error")
            return redirect(back)
    choice = conduct_choice(db(), negotiation, default_zone=default_zone())
    current = (choice.rule_set.id if choice.rule_set_chosen else None,
               choice.zone.key if choice.timezone_from == "negotiation" else None)
    if (rule_set, timezone) == current:
        flash(_("Nothing was changed."), "info")
        return redirect(back)
    configure_conduct(db(), negotiation, actor=current_user(), default_zone=default_zone(),
                      rule_set=rule_set, timezone=timezone)
    flash(_("Saved. The findings are now checked against these rules; the change is recorded "
            "in the custody log."), "success")
    return redirect(back)


@bp.post(f"{FINDINGS}/rules")
def switch_rule(negotiation_id: int):
    """Switch one rule of the set in force off or on again (custody-logged)."""
    negotiation = negotiation_for(negotiation_id, "edit")
    rule_id = request.form.get("rule_id", "")
    enable = request.form.get("enabled") == "1"
    choice = conduct_choice(db(), negotiation, default_zone=default_zone())
    rules = {rule.id: rule for rule in choice.rule_set.rules}
    if rule_id not in rules:
        abort(400)
    if (rule_id not in choice.disabled) != enable:
        configure_conduct(db(), negotiation, actor=current_user(), default_zone=default_zone(),
                          disable=() if enable else (rule_id,),
                          enable=(rule_id,) if enable else ())
    title = rule_title(rules[rule_id])
    flash(_("Rule switched on: %(rule)s.", rule=title) if enable else
          _("Rule switched off: %(rule)s. Its findings are no longer listed; switch it on "
            "again to see them.", rule=title), "success")
    return redirect(url_for("findings.show", negotiation_id=negotiation.id, _anchor="rules"))


# --- What the templates (these pages' and the partials on others') call -------------------------

@bp.app_template_global()
def conduct_flags(evidence) -> list[Flag]:
    """The active findings about one evidence item (anything with `id`), computed for it alone
    on each request; [] when it is not the reader's. The timeline hands its lines' flags to the
    partial itself (`conduct`), computed for the whole page at once."""
    return evidence_flags(evidence)


@bp.app_template_global()
def call_log_flags(evidence, calls) -> dict[int, list[Flag]]:
    """Call id -> the flags of each call of an exported call log shown on its page."""
    return calls_flags(evidence, calls)


@bp.app_template_global()
def conduct_summary(negotiation: Negotiation) -> list[tuple[RuleState, int]]:
    """(rule, active findings) for each rule with any, in the rule set's order."""
    report = owned_report(negotiation.id)
    if report is None:
        return []
    counts = _active_by_rule(report)
    return [(s, counts[s.rule.id]) for s in report.rules if counts.get(s.rule.id)]


@bp.app_template_global()
def conduct_set_direction_url(finding: Finding, negotiation_id: int) -> str:
    """Where the direction a finding waits for is set."""
    return set_direction_url(negotiation_id, finding.source, finding.evidence_id)


@bp.app_template_global()
def conduct_rule_title(rule) -> str:
    return rule_title(rule)


@bp.app_template_global()
def conduct_text(texts: dict[str, str]) -> str:
    """The reader's language of a {zh, en} text from the rule data (descriptions, reasons)."""
    return in_language(texts)


@bp.app_template_global()
def conduct_text_lang(text: str) -> str:
    return text_language(text)


@bp.app_template_global()
def conduct_sources(sources) -> str:
    """A rule's or a finding's legal sources (document, provision) in the reader's language."""
    return legal_citation(sources)


@bp.app_template_global()
def conduct_local_time(iso_text: str | None, zone_name: str) -> str:
    return local_time(iso_text, zone_name)


@bp.app_template_global()
def conduct_moment(moment, zone_name: str, precision: str | None = None) -> str:
    """A stored time (UTC) as people read it in the negotiation's zone (a date alone for a
    value known only to the day)."""
    return local_moment(moment, zone_name, precision)


@bp.app_template_global()
def third_party_label(value) -> str:
    return str(THIRD_PARTY_LABELS.get(value, value or ""))


@bp.app_template_global()
def call_type_label(value) -> str:
    return str(CALL_TYPE_LABELS.get(value, value))


def _groups(report: ConductReport, show_dismissed: bool, expanded: str | None
            ) -> list[RuleGroup]:
    """The counted findings by rule (and the dismissed ones when asked), in the rule set's
    order, the first SHOWN_PER_RULE of each unless the rule is `expanded`. Those waiting for a
    direction are listed apart (`waiting`): they are not breaches until it is set."""
    groups = []
    for state in report.rules:
        found = [f for f in report.findings if f.rule_id == state.rule.id
                 and (f.state == "active" or show_dismissed and f.dismissal is not None)]
        shown = found if state.rule.id == expanded else found[:SHOWN_PER_RULE]
        if found:
            groups.append(RuleGroup(state, shown, len(found) - len(shown)))
    return groups


def _finding_words() -> dict[str, str]:
    """The words every finding repeats, translated once per page rather than once per finding
    (a page may list hundreds)."""
    return {
        "time_unknown": _("Time unknown"),
        "recorded": _("A contact you recorded"),
        "related": _("The other items counted:"),
        "open": _("Not a breach? Dismiss it"),
        "why": _("Why is this not a breach?"),
        "example": _("For example: I asked them to call me at this time."),
        "kept": _("The finding stays in the record with your reason (custody log); you can "
                  "list it again."),
        "submit": _("Dismiss the finding"),
        "set_direction": _("Direction unknown — set it"),
        "source": _("Source:"),
        "confirm": _("It was someone else: record the contact"),
        "who": _("Who was it?"),
        "name": _("Their name (if you know it)"),
        "confirm_submit": _("Confirm the contact"),
        "confirm_kept": _("The contact is recorded against this item and kept in the custody "
                          "log; it then counts under the rule."),
        "confirm_as_is": _("Confirm: this is what the words mean"),
    }


def _active_by_rule(report: ConductReport) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in report.active():
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    return counts


def _quiet_rule(report: ConductReport) -> Rule | None:
    """The enabled time-of-day rule (it decides the shaded hours), or None."""
    return next((s.rule for s in report.rules if s.enabled and s.rule.check == "quiet_hours"),
                None)
