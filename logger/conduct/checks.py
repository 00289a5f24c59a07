"""The checks a conduct rule names (`check = "..."` in its file): pure functions from contacts
and text passages to findings. No database here: `logger.conduct` gathers the inputs.

Which contacts count: a contact from the other side counts. One whose direction is unknown (a
recording whose file name does not say who called) is not counted as the collector's conduct:
the time-of-day and third-party checks give it a finding that `needs_direction` (a person sets
the direction, then it counts or goes away), and the counting checks leave it out, where one
call the borrower made would tip a presumption. The same holds for words in a message whose
author is unknown (`Passage.author_unknown`). Calls to a third party count for the time of day
and the third-party check, not as call attempts to the borrower. Every time is judged, and
written in a reason, in the negotiation's zone, daylight-saving time included.

The third-party check also reads the words: a sentence of its categories (the collector heard
speaking to a relative, an employer or a contact about the debt) is a *suggestion*
(`Finding.suggested`): not counted until a person confirms it, which records the contact with
the third party (logger.conduct.confirm), or dismisses it. An item a person already recorded a
third-party contact for gives no suggestion: the contact's own finding stands for it. The
other language rules suggest too, where the resemblance model read a sentence as their
category and no pattern matched it (`Match.suggested`): not counted until a person confirms it
(logger.conduct.confirm.confirm_finding), or dismisses it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from logger.conduct.lexicon import CATEGORY_WORDS, Match, find_matches
from logger.conduct.ruleset import LegalSource, Rule
from logger.i18n import LANGUAGES, N_, Text
from logger.record.moments import human_stored
from storage.models import Channel, ThirdParty

CHANNEL_WORDS = {
    Channel.call: N_("call"), Channel.sms: N_("text message"),
    Channel.app_chat: N_("app message"), Channel.wechat: N_("WeChat message"),
    Channel.email: N_("email"), Channel.letter: N_("letter"),
    Channel.visit: N_("visit"), Channel.other: N_("contact"),
}
THIRD_PARTY_WORDS = {
    ThirdParty.relative: N_("a relative"), ThirdParty.spouse: N_("spouse"),
    ThirdParty.employer: N_("employer"), ThirdParty.colleague: N_("colleague"),
    ThirdParty.friend: N_("friend"), ThirdParty.neighbour: N_("neighbour"),
    ThirdParty.contacts_list: N_("someone in the contacts list"),
    ThirdParty.other: N_("someone else"),
}

# Added to the reason of a finding that needs a direction before it counts.
DIRECTION_NOTE = Text(" The record does not say who started this contact, so it is not counted "
                      "as the collector's conduct until you set its direction.")
AUTHOR_NOTE = Text(" The record does not say who sent this message, so it is not counted as "
                   "the collector's conduct until you set its direction.")
# Added to a suggestion read from the words.
SUGGESTION_NOTE = Text(" Read from the words, not from a contact you recorded: confirm it to "
                       "record the contact with that person, or dismiss it.")
# Said instead once a person confirmed such a suggestion.
CONFIRMED_NOTE = Text(" Suggested because the sentence reads like the collectors' words of this "
                      "kind, and confirmed by a person.")
# Added to a suggestion the resemblance model read (no pattern of the rule matched).
RESEMBLANCE_NOTE = Text(" Suggested because the sentence reads like the collectors' words of "
                        "this kind, not because a pattern of the rule matched: it counts once "
                        "you confirm it; dismiss it if it is not what the words mean.")


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
    # Only the date is known (an entry typed without a time): `at` is a stand-in inside that
    # day, so the contact counts for its day but is never judged by its time of day.
    day_only: bool = False


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
    # A message of unknown direction whose segment does not say who wrote it either: it may be
    # the borrower's own words.
    author_unknown: bool = False
    # The lexicon's matches in `text` for every category, when already found (a passage kept by
    # logger.conduct.contributions, whose `text` is then ""); None: search `text`.
    matches: tuple[Match, ...] | None = None

    def matches_of(self, wanted: frozenset[str]) -> list[Match]:
        """The matches of the `wanted` categories, as `find_matches(text, wanted)` gives them
        (a category's matches do not depend on which other categories are searched)."""
        if self.matches is None:
            return find_matches(self.text, wanted)
        return [match for match in self.matches if match.category in wanted]


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
    `offset_s` the second in a recording, `quote` the sentence that matched. `needs_direction`:
    the record does not say the other side started the contact (or wrote the words), so the
    finding is not counted as the collector's conduct until a person sets the direction.
    `suggested`: read from the words only (a third-party contact, or a sentence the resemblance
    model read where no pattern matched), not counted until a person confirms it.
    `legal_sources`: the rule's sources (document and provision, zh and en)."""

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
    needs_direction: bool = False
    suggested: bool = False
    legal_sources: tuple[LegalSource, ...] = field(default=(), hash=False, compare=False)

    @property
    def state(self) -> str:
        """"dismissed", "needs_direction" (not counted until a person sets the direction),
        "suggested" (read from the words, not counted until a person confirms it) or "active"
        (a counted, suggested breach)."""
        if self.dismissal is not None:
            return "dismissed"
        if self.needs_direction:
            return "needs_direction"
        return "suggested" if self.suggested else "active"

    def dismissed(self, dismissal: Dismissal) -> Finding:
        return replace(self, dismissal=dismissal)

    def confirmed(self) -> Finding:
        """The suggestion as a person confirmed it: it counts, and its reason says so."""
        if not self.suggested:
            return self
        return replace(self, suggested=False, reason={
            language: text.replace(RESEMBLANCE_NOTE.to(language), CONFIRMED_NOTE.to(language))
            for language, text in self.reason.items()})


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
        if contact.from_them is False or contact.channel not in channels or contact.day_only \
                or allowed_at(rule, local.time()):
            continue
        note = DIRECTION_NOTE if contact.from_them is None else ""
        found.append(_contact_finding(rule, contact, zone, Text(
            "%(what)s at %(when)s local time, outside the allowed hours %(window)s.%(note)s",
            what=_what(contact), when=local.strftime("%Y-%m-%d %H:%M:%S"), window=window,
            note=note)))
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
        at = over.at.astimezone(zone).strftime("%H:%M:%S")
        found.append(_contact_finding(rule, over, zone, Text(
            "%(count)s unanswered calls on %(day)s, more than the limit of %(limit)s a day "
            "(call %(nth)s at %(time)s).", count=len(calls), day=day, limit=limit,
            nth=limit + 1, time=at),
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
        found.append(_contact_finding(rule, call, zone, Text(
            "Call attempt %(nth)s within the %(days)s days %(first)s to %(last)s (limit: "
            "%(limit)s).", nth=len(window), days=days, first=first_day, last=last_day,
            limit=limit), related=window[:-1]))
    return found


def check_third_party(rule: Rule, contacts: list[Contact], passages: list[Passage],
                      zone: ZoneInfo) -> list[Finding]:
    """Each contact recorded with a third party, then each sentence of the rule's categories
    in an item nobody recorded such a contact for (a suggestion)."""
    found = []
    recorded = {c.evidence_id for c in contacts
                if c.third_party is not None and c.evidence_id is not None}
    for passage in passages:
        if passage.evidence_id not in recorded:
            found += [_words_finding(rule, passage, match, zone, suggested=True)
                      for match in passage.matches_of(frozenset(rule.categories))]
    for contact in contacts:
        if contact.third_party is None:
            continue
        relation = Text(THIRD_PARTY_WORDS[contact.third_party])
        found.append(_contact_finding(rule, contact, zone, Text(
            "On %(when)s the other side contacted %(who)s (%(relation)s) by %(channel)s instead "
            "of you.%(note)s", when=contact.at.astimezone(zone).strftime(
                "%Y-%m-%d" if contact.day_only else "%Y-%m-%d %H:%M"),
            who=contact.third_party_name or relation, relation=relation,
            channel=Text(CHANNEL_WORDS[contact.channel]),
            note=DIRECTION_NOTE if contact.from_them is None else "")))
    return found


def check_lexicon(rule: Rule, contacts: list[Contact], passages: list[Passage],
                  zone: ZoneInfo) -> list[Finding]:
    wanted = frozenset(rule.categories)
    return [_words_finding(rule, passage, match, zone, suggested=match.suggested)
            for passage in passages for match in passage.matches_of(wanted)]


def _words_finding(rule: Rule, passage: Passage, match: Match, zone: ZoneInfo, *,
                   suggested: bool = False) -> Finding:
    """A finding about a sentence of an item's text, quoting it."""
    source = f"evidence:{passage.evidence_id}"
    moment = f"{passage.source}|{passage.index}|{match.sentence}"
    notes = [AUTHOR_NOTE] if passage.author_unknown else []
    if suggested:
        notes.append(SUGGESTION_NOTE if rule.check == "third_party" and not match.suggested
                     else RESEMBLANCE_NOTE)
    return Finding(
        id=finding_id(rule.id, source, moment), rule_id=rule.id, check=rule.check,
        source=source, evidence_id=passage.evidence_id, at=passage.at,
        local_time=local_iso(passage.at, zone),
        reason=Text("“%(phrase)s” (%(category)s) %(where)s: %(sentence)s%(note)s",
                    phrase=match.phrase, category=Text(CATEGORY_WORDS[match.category]),
                    where=_where_in_item(passage, zone), sentence=match.sentence,
                    note=_joined_notes(notes)).in_each_language(),
        offset_s=passage.start_s, quote=match.sentence, phrase=match.phrase,
        needs_direction=passage.author_unknown, suggested=suggested,
        legal_sources=rule.sources)


def _joined_notes(notes: list[Text]) -> dict[str, str]:
    """The notes one after the other, in each language."""
    return {language: "".join(note.to(language) for note in notes) for language in LANGUAGES}


CHECKS: dict[str, Check] = {
    "quiet_hours": check_quiet_hours,
    "unanswered_per_day": check_unanswered_per_day,
    "attempts_in_window": check_attempts_in_window,
    "third_party": check_third_party,
    "lexicon": check_lexicon,
}


def _where_in_item(passage: Passage, zone: ZoneInfo) -> Text:
    if passage.start_s is not None:
        second = f"{int(passage.start_s) // 60}:{int(passage.start_s) % 60:02}"
        return Text("at %(time)s in the recording, evidence #%(id)s", time=second,
                    id=passage.evidence_id)
    if passage.shown_time:   # a message's own stored time (UTC), written in the zone
        return Text("in evidence #%(id)s (%(time)s)", id=passage.evidence_id,
                    time=human_stored(passage.shown_time, zone))
    return Text("in evidence #%(id)s", id=passage.evidence_id)


def _what(contact: Contact) -> dict[str, str]:
    zh, en = contact.what
    return {"zh": zh, "en": en}


def _calls_to_borrower(contacts: list[Contact]) -> list[Contact]:
    """Calls the other side placed to the borrower (not to a third party)."""
    return [c for c in contacts if c.channel == Channel.call and c.from_them is True
            and c.third_party is None]


def _by_local_day(contacts: Iterable[Contact], zone: ZoneInfo) -> dict[date, list[Contact]]:
    days: dict[date, list[Contact]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: (c.at, c.key)):
        days[contact.at.astimezone(zone).date()].append(contact)
    return days


def _contact_finding(rule: Rule, contact: Contact, zone: ZoneInfo, reason: Text, *,
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
        at=contact.at, local_time=contact.at.astimezone(zone).date().isoformat()
        if contact.day_only else local_iso(contact.at, zone), reason=reason.in_each_language(),
        related=tuple(c.key for c in others) + contact.related,
        related_evidence_ids=tuple(evidence_ids), needs_direction=contact.from_them is None,
        legal_sources=rule.sources)
