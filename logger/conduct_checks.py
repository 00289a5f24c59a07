"""The checks a conduct rule names (`check = "..."` in its file): pure functions from contacts
and text passages to findings. No database here: `logger.conduct` gathers the inputs.

Which contacts count: a contact from the other side counts; one whose direction is unknown (a
recording whose file name does not say who called) counts for the time-of-day check, with a
note in the reason, but not for the counting checks, where one call the borrower made would
tip a presumption. Calls to a third party count for the time of day and the third-party check,
not as call attempts to the borrower. Every time is judged in the negotiation's zone,
daylight-saving time included.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from logger.conduct_lexicon import CATEGORY_WORDS, find_matches
from logger.conduct_ruleset import Rule
from storage.models import Channel, ThirdParty

CHANNEL_WORDS = {
    Channel.call: ("电话", "call"), Channel.sms: ("短信", "text message"),
    Channel.app_chat: ("App 消息", "app message"), Channel.wechat: ("微信", "WeChat message"),
    Channel.email: ("邮件", "email"), Channel.letter: ("信件", "letter"),
    Channel.visit: ("上门", "visit"), Channel.other: ("联系", "contact"),
}
THIRD_PARTY_WORDS = {
    ThirdParty.relative: ("亲属", "a relative"), ThirdParty.spouse: ("配偶", "spouse"),
    ThirdParty.employer: ("工作单位", "employer"), ThirdParty.colleague: ("同事", "colleague"),
    ThirdParty.friend: ("朋友", "friend"), ThirdParty.neighbour: ("邻居", "neighbour"),
    ThirdParty.contacts_list: ("通讯录联系人", "someone in the contacts list"),
    ThirdParty.other: ("第三人", "someone else"),
}
_UNKNOWN_DIRECTION = ("（记录中没有方向：如果是你主动联系的，请忽略此条。）",
                      " (The record does not say who started this contact: if it was you, "
                      "dismiss this finding.)")


@dataclass(frozen=True)
class Contact:
    """One contact between the sides. `key` names its record ("evidence:12", "calllog:7",
    "contact:3"); `what` says what it was, (zh, en); `answered` is None except for calls."""

    key: str
    at: datetime
    channel: Channel
    from_them: bool | None
    what: tuple[str, str]
    evidence_id: int | None = None
    answered: bool | None = None
    number: str | None = None
    third_party: ThirdParty | None = None
    third_party_name: str | None = None
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """One segment of an extracted text (a transcript line, a chat bubble, an email body)."""

    evidence_id: int
    source: str
    index: int
    text: str
    start_s: float | None = None
    shown_time: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Dismissal:
    reason: str
    at: datetime
    by: str | None


@dataclass(frozen=True)
class Finding:
    """A suggested breach of `rule_id`, with its reason in zh and en. `source` names the record
    ("evidence:12" ...), `evidence_id` the evidence item to open (for a call-log row, the
    exported file), `local_time` the moment in the negotiation's zone (ISO, with offset),
    `offset_s` the second in a recording, `quote` the sentence that matched."""

    id: str
    rule_id: str
    check: str
    source: str
    evidence_id: int | None
    at: datetime | None
    local_time: str | None
    reason: dict[str, str] = field(hash=False)
    offset_s: float | None = None
    quote: str | None = None
    phrase: str | None = None
    related: tuple[str, ...] = ()
    related_evidence_ids: tuple[int, ...] = ()
    dismissal: Dismissal | None = None

    def dismissed(self, dismissal: Dismissal) -> Finding:
        return replace(self, dismissal=dismissal)


Check = Callable[[Rule, list[Contact], list[Passage], ZoneInfo], list[Finding]]


def finding_id(rule_id: str, source: str, moment: str) -> str:
    """Stable across recomputation: the same rule, record and moment give the same id."""
    return hashlib.sha256(f"{rule_id}|{source}|{moment}".encode()).hexdigest()[:16]


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def allowed_at(rule: Rule, local: time) -> bool:
    """Whether a quiet_hours rule allows contact at this local time of day."""
    start, end = rule.param_time("allowed_from"), rule.param_time("allowed_until")
    before_end = local <= end if rule.params["until_inclusive"] else local < end
    if start <= end:
        return start <= local and before_end
    return start <= local or before_end


def check_quiet_hours(rule: Rule, contacts: list[Contact], passages: list[Passage],
                      zone: ZoneInfo) -> list[Finding]:
    channels = set(rule.params["channels"])
    window = f"{rule.params['allowed_from']}–{rule.params['allowed_until']}"
    found = []
    for contact in contacts:
        local = contact.at.astimezone(zone)
        if contact.from_them is False or contact.channel not in channels \
                or allowed_at(rule, local.time()):
            continue
        note = _UNKNOWN_DIRECTION if contact.from_them is None else ("", "")
        when = local.strftime("%Y-%m-%d %H:%M:%S")
        found.append(_contact_finding(rule, contact, zone, {
            "zh": f"{when}（当地时间）：{contact.what[0]}，不在允许联系的时段 {window} 内。{note[0]}",
            "en": f"{contact.what[1]} at {when} local time, outside the allowed hours "
                  f"{window}.{note[1]}"}))
    return found


def check_unanswered_per_day(rule: Rule, contacts: list[Contact], passages: list[Passage],
                             zone: ZoneInfo) -> list[Finding]:
    limit = rule.params["limit"]
    by_day = _by_local_day(
        (c for c in _calls_to_borrower(contacts) if c.answered is False), zone)
    found = []
    for day, calls in sorted(by_day.items()):
        if len(calls) <= limit:
            continue
        over = calls[limit]
        found.append(_contact_finding(rule, over, zone, {
            "zh": f"{day} 共有 {len(calls)} 次未接通的来电，超过每天 {limit} 次的上限"
                  f"（第 {limit + 1} 次在 {over.at.astimezone(zone):%H:%M:%S}）。",
            "en": f"{len(calls)} unanswered calls on {day}, more than the limit of {limit} a day "
                  f"(call {limit + 1} at {over.at.astimezone(zone):%H:%M:%S})."},
            id_key=f"day:{day.isoformat()}", related=calls))
    return found


def check_attempts_in_window(rule: Rule, contacts: list[Contact], passages: list[Passage],
                             zone: ZoneInfo) -> list[Finding]:
    """Each call beyond `limit` within `days` consecutive local calendar days (the call's day
    and the days - 1 before it) is a finding."""
    limit, days = rule.params["limit"], rule.params["days"]
    calls = sorted(_calls_to_borrower(contacts), key=lambda c: (c.at, c.key))
    dates = [c.at.astimezone(zone).date() for c in calls]
    found, oldest = [], 0
    for n, call in enumerate(calls):
        last_day = dates[n]
        first_day = last_day - timedelta(days=days - 1)
        while dates[oldest] < first_day:
            oldest += 1
        window = calls[oldest:n + 1]
        if len(window) <= limit:
            continue
        found.append(_contact_finding(rule, call, zone, {
            "zh": f"{first_day} 至 {last_day} 连续 {days} 天内的第 {len(window)} 次来电"
                  f"（上限 {limit} 次）。",
            "en": f"Call attempt {len(window)} within the {days} days {first_day} to {last_day} "
                  f"(limit: {limit})."}, related=window[:-1]))
    return found


def check_third_party(rule: Rule, contacts: list[Contact], passages: list[Passage],
                      zone: ZoneInfo) -> list[Finding]:
    found = []
    for contact in contacts:
        if contact.third_party is None:
            continue
        relation = THIRD_PARTY_WORDS[contact.third_party]
        who = contact.third_party_name or relation[1]
        channel = CHANNEL_WORDS[contact.channel]
        when = contact.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        found.append(_contact_finding(rule, contact, zone, {
            "zh": f"{when}，对方通过{channel[0]}联系了{contact.third_party_name or relation[0]}"
                  f"（{relation[0]}），而不是你本人。",
            "en": f"On {when} the other side contacted {who} ({relation[1]}) by {channel[1]} "
                  "instead of you."}))
    return found


def check_lexicon(rule: Rule, contacts: list[Contact], passages: list[Passage],
                  zone: ZoneInfo) -> list[Finding]:
    wanted = frozenset(rule.params["categories"])
    found = []
    for passage in passages:
        for match in find_matches(passage.text, wanted):
            words = CATEGORY_WORDS[match.category]
            where = _where_in_item(passage)
            source = f"evidence:{passage.evidence_id}"
            moment = f"{passage.source}|{passage.index}|{match.sentence}"
            found.append(Finding(
                id=finding_id(rule.id, source, moment), rule_id=rule.id, check=rule.check,
                source=source, evidence_id=passage.evidence_id, at=passage.at,
                local_time=local_iso(passage.at, zone),
                reason={"zh": f"{where[0]}出现“{match.phrase}”（{words[0]}）：{match.sentence}",
                        "en": f"“{match.phrase}” ({words[1]}) {where[1]}: {match.sentence}"},
                offset_s=passage.start_s, quote=match.sentence, phrase=match.phrase))
    return found


CHECKS: dict[str, Check] = {
    "quiet_hours": check_quiet_hours,
    "unanswered_per_day": check_unanswered_per_day,
    "attempts_in_window": check_attempts_in_window,
    "third_party": check_third_party,
    "lexicon": check_lexicon,
}


def _where_in_item(passage: Passage) -> tuple[str, str]:
    if passage.start_s is not None:
        second = f"{int(passage.start_s) // 60}:{int(passage.start_s) % 60:02}"
        return (f"证据 #{passage.evidence_id} 录音 {second} 处",
                f"at {second} in the recording, evidence #{passage.evidence_id}")
    if passage.shown_time:
        return (f"证据 #{passage.evidence_id}（{passage.shown_time}）中",
                f"in evidence #{passage.evidence_id} ({passage.shown_time})")
    return f"证据 #{passage.evidence_id} 中", f"in evidence #{passage.evidence_id}"


def _calls_to_borrower(contacts: list[Contact]) -> list[Contact]:
    """Calls the other side placed to the borrower (not to a third party)."""
    return [c for c in contacts if c.channel == Channel.call and c.from_them is True
            and c.third_party is None]


def _by_local_day(contacts: Iterable[Contact], zone: ZoneInfo) -> dict[date, list[Contact]]:
    days: dict[date, list[Contact]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: (c.at, c.key)):
        days[contact.at.astimezone(zone).date()].append(contact)
    return days


def _contact_finding(rule: Rule, contact: Contact, zone: ZoneInfo, reason: dict[str, str], *,
                     id_key: str | None = None, related: Iterable[Contact] = ()) -> Finding:
    """A finding about one contact; its id comes from the contact's record and moment, or from
    `id_key` where the finding is about something larger (a whole day)."""
    others = [c for c in related if c.key != contact.key]
    evidence_ids = sorted({c.evidence_id for c in others if c.evidence_id is not None}
                          - {contact.evidence_id})
    return Finding(
        id=finding_id(rule.id, *((id_key, "") if id_key else
                                 (contact.key, contact.at.astimezone(UTC).isoformat()))),
        rule_id=rule.id, check=rule.check, source=contact.key, evidence_id=contact.evidence_id,
        at=contact.at, local_time=local_iso(contact.at, zone), reason=reason,
        related=tuple(c.key for c in others) + contact.related,
        related_evidence_ids=tuple(evidence_ids))
