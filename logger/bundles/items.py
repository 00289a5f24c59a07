"""What goes into an evidence bundle and how it is named: choosing a negotiation's items, grouping
them, the prefilled purpose of each group (证明目的), and each item's exhibit number (1-1, 1-2 …),
readable name, source and file names.

Prefilled purposes come, in this order, from the item's active conduct findings
(`logger.conduct`: "证明催收方在22:00后致电" for a night call), from the confirmed promises made in
it (`logger.promises`: "证明双方达成分期还款约定" for a call where an instalment plan was agreed),
then from its kind and direction.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.bundles.choices import BundlePurpose, channel_choices
from logger.bundles.kinds import (CALL_FROM_THEM, EMAIL_RECEIVED, KIND_PURPOSES, KIND_WORDS,
                                  LETTER_FROM_ME, LETTER_SENT, SOURCES)
from logger.conduct.report import ConductReport, conduct_report
from logger.errors import LiuhenError, NotFound
from logger.i18n import N_, NC_, Text, translate
from logger.promises.promises import ACTIVE_STATUSES, list_promises
from logger.record.evidence import list_evidence
from logger.record.moments import human_time
from storage.models import Direction, Evidence, EvidenceKind, ExtractedText, Negotiation

__all__ = ["LANGUAGES", "LEXICON_PURPOSES", "MAX_STEM_CHARS", "PROMISE_PURPOSES", "BundleError",
           "BundleGroup", "BundlePurpose", "Exhibit", "channel_choices", "counterpart",
           "evidence_name", "evidence_source", "exhibit_stem", "extension", "finding_purpose",
           "kind_label", "local_time", "make_exhibits", "original_or_copy", "prefilled_purposes",
           "safe_part", "select_items", "suggest_groups", "written_date"]

LANGUAGES = ("zh", "en")
MAX_STEM_CHARS = 90


class BundleError(LiuhenError):
    """A bundle cannot be built as asked; the message says what to change."""


# lexicon category -> the purpose of a finding of that category.
LEXICON_PURPOSES = {
    "threat": N_("Shows the collector made threats"),
    "insult": N_("Shows the collector used insults"),
    "impersonation": N_("Shows the collector posed as police, prosecutors or a court"),
    "fake_legal": N_("Shows the collector faked or misrepresented legal documents"),
    "false_consequence": N_("Shows the collector invented consequences of not paying"),
    "disclosure": N_("Shows the collector disclosed the debt to others"),
    "extra_fee": N_("Shows the collector demanded extra fees"),
    "borrow": N_("Shows the collector pushed me to borrow to repay"),
}


# promise kind -> the purpose of the item a confirmed promise was made in; the first kind an
# item has, in this order, wins.
PROMISE_PURPOSES = {
    "instalment_plan": N_("Shows the instalment plan that was agreed"),
    "settlement": N_("Shows the creditor agreed to settle the debt for less"),
    "waiver": N_("Shows the creditor agreed to waive interest or fees"),
    "extension": N_("Shows the creditor agreed to give more time to pay"),
    "stop_calls": N_("Shows the collector promised to stop calling"),
    "payment": N_("Shows the payment agreed and when it is due"),
    "other": N_("Shows what the two sides agreed"),
}



@dataclass
class BundleGroup:
    """Items shown together under one purpose (证明目的), in the order given."""

    purpose: str
    evidence_ids: list[int]


@dataclass
class Exhibit:
    """One item as it appears in a bundle."""

    number: str  # "1-2": group 1, second item
    group: int
    purpose: str
    evidence: Evidence
    texts: list[ExtractedText]
    name: str  # 证据名称
    source: str  # 证据来源
    original_or_copy: str  # 原件/复印件
    formed_at: str  # 形成时间, local
    stem: str  # safe readable file name without extension
    original_path: str  # evidence/<stem><ext>
    text_paths: list[str] = field(default_factory=list)
    pages: tuple[int, int] | None = None  # in the court print version
    calls: list = field(default_factory=list)  # an exported call log's (logger.bundles.calls)


def kind_label(item: Evidence, language: str) -> str:
    """"Call recording", "通话录音" …"""
    return _kind_label(EvidenceKind(item.kind), language)


@cache
def _kind_label(kind: EvidenceKind, language: str) -> str:
    return translate(language, KIND_WORDS[kind][0])


def local_time(moment: datetime | None, tz: ZoneInfo, *, with_time: bool = True) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def written_date(day: date, language: str) -> str:
    """A date as a letter or a list is signed: "2024-12-03", "2024年12月3日"."""
    return translate(language, "%(year)d-%(month)02d-%(day)02d", year=day.year,
                     month=day.month, day=day.day)


# ----------------------------------------------------------------------------- choosing

def select_items(session: Session, negotiation: Negotiation, *, tz: ZoneInfo,
                 ids: Iterable[int] | None = None, since: date | None = None,
                 until: date | None = None, channels: Iterable[str] | None = None
                 ) -> list[Evidence]:
    """The negotiation's items in time order: all, or those hand-picked (`ids`), within the
    local dates `since`..`until` (inclusive; an item of unknown time is then left out), and on
    `channels` (channel values; an item without a channel counts as its kind's name).
    Raises NotFound for an id that is not an item of this negotiation."""
    items = list_evidence(session, negotiation.id)
    if ids is not None:
        wanted = set(ids)
        unknown = wanted - {e.id for e in items}
        if unknown:
            raise NotFound("not evidence of negotiation #%d: %s" % (
                negotiation.id, ", ".join(f"#{i}" for i in sorted(unknown))))
        items = [e for e in items if e.id in wanted]
    if since or until:
        items = [e for e in items if e.occurred_at is not None
                 and (since is None or e.occurred_at.astimezone(tz).date() >= since)
                 and (until is None or e.occurred_at.astimezone(tz).date() <= until)]
    if channels:
        allowed = set(channels)
        items = [e for e in items if str(e.channel or e.kind) in allowed]
    return items


# ----------------------------------------------------------------------------- grouping

def suggest_groups(session: Session, negotiation: Negotiation, items: Sequence[Evidence], *,
                   language: str, tz: ZoneInfo, report: ConductReport | None = None
                   ) -> list[BundleGroup]:
    """One group per prefilled purpose, in the order their first items happened. `report`:
    the negotiation's conduct report judged in `tz`, when the caller has it already."""
    purposes = _purposes(session, negotiation, items, tz, report)
    groups: dict[str, BundleGroup] = {}
    for item in items:
        key, purpose = purposes[item.id]
        group = groups.setdefault(key, BundleGroup(purpose.to(language), []))
        group.evidence_ids.append(item.id)
    return list(groups.values())


def prefilled_purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence],
                       *, tz: ZoneInfo) -> dict[int, tuple[str, tuple[str, str]]]:
    """evidence id -> (group key, (zh, en) purpose)."""
    return {evidence_id: (key, (purpose.to("zh"), purpose.to("en")))
            for evidence_id, (key, purpose) in _purposes(session, negotiation, items, tz).items()}


def _purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence],
              tz: ZoneInfo, report: ConductReport | None = None
              ) -> dict[int, tuple[str, Text]]:
    if report is None:
        report = conduct_report(session, negotiation, default_zone=tz)
    from_findings = _finding_purposes(report, items)
    from_promises = _promise_purposes(session, negotiation, items)
    return {item.id: from_findings.get(item.id) or from_promises.get(item.id)
            or _kind_purpose(item) for item in items}


def _promise_purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence]
                      ) -> dict[int, tuple[str, Text]]:
    """The purpose of the weightiest confirmed promise made in each item."""
    wanted = {item.id for item in items}
    order = list(PROMISE_PURPOSES)
    best: dict[int, str] = {}
    for promise in list_promises(session, negotiation):
        source, kind = promise.source_evidence_id, str(promise.kind)
        if promise.status not in ACTIVE_STATUSES or source not in wanted:
            continue
        if source not in best or order.index(kind) < order.index(best[source]):
            best[source] = kind
    return {source: (f"promise:{kind}", Text(PROMISE_PURPOSES[kind]))
            for source, kind in best.items()}


def _kind_purpose(item: Evidence) -> tuple[str, Text]:
    if item.kind == EvidenceKind.call and item.direction == Direction.from_them:
        return "kind:call:from_them", Text(CALL_FROM_THEM)
    if item.kind == EvidenceKind.letter and item.direction == Direction.from_me:
        return "kind:letter:from_me", Text(LETTER_FROM_ME)
    return f"kind:{item.kind}", Text(KIND_PURPOSES[EvidenceKind(item.kind)])


def _finding_purposes(report: ConductReport, items: Sequence[Evidence]
                      ) -> dict[int, tuple[str, Text]]:
    """The purpose of each item's first active conduct finding."""
    rules = {state.rule.id: state.rule for state in report.rules}
    wanted = {item.id: item for item in items}
    out = {}
    for evidence_id, findings in report.by_evidence().items():
        item = wanted.get(evidence_id)
        rule = rules.get(findings[0].rule_id)
        if item is not None and rule is not None:
            out[evidence_id] = (f"rule:{rule.id}:{item.kind}", finding_purpose(rule, item))
    return out


def finding_purpose(rule, item: Evidence) -> Text:
    """The purpose of an item that a conduct rule flags."""
    params = rule.params
    if rule.check == "quiet_hours":
        until, start = params["allowed_until"], params["allowed_from"]
        if item.kind == EvidenceKind.call:
            return Text("Shows the collector called after %(until)s", until=until)
        return Text("Shows collection between %(until)s and %(start)s", until=until,
                    start=start)
    if rule.check == "unanswered_per_day":
        return Text("Shows more than %(limit)s unanswered calls in one day",
                    limit=params["limit"])
    if rule.check == "attempts_in_window":
        return Text("Shows more than %(limit)s call attempts in %(days)s days",
                    limit=params["limit"], days=params["days"])
    if rule.check == "third_party":
        return Text("Shows the collector contacted unrelated third parties")
    categories = params.get("categories") or []
    if rule.check == "lexicon" and categories and categories[0] in LEXICON_PURPOSES:
        return Text(LEXICON_PURPOSES[categories[0]])
    # The rule's description is written in each language in its rule file.
    return Text("Shows a breach of the collection rules: %(rule)s", rule=rule.description)


# ----------------------------------------------------------------------------- exhibits

def make_exhibits(session: Session, negotiation: Negotiation, groups: Sequence[BundleGroup], *,
                  language: str, tz: ZoneInfo) -> list[Exhibit]:
    """Number the grouped items (empty groups are dropped). Raises BundleError for an item
    named twice or none at all, NotFound for an item not of this negotiation."""
    groups = [g for g in groups if g.evidence_ids]
    ids = [i for g in groups for i in g.evidence_ids]
    if not ids:
        raise BundleError(Text("The bundle has no items: choose at least one."))
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise BundleError(Text("These items are in more than one group: %(items)s. Put each "
                               "in one group only.", items=", ".join(f"#{i}" for i in twice)))
    items = {e.id: e for e in select_items(session, negotiation, tz=tz, ids=ids)}
    texts = _texts_by_item(session, ids)
    exhibits = []
    for g_number, group in enumerate(groups, start=1):
        for i_number, evidence_id in enumerate(group.evidence_ids, start=1):
            item = items[evidence_id]
            number = f"{g_number}-{i_number}"
            stem = exhibit_stem(number, item, language=language, tz=tz)
            exhibits.append(Exhibit(
                number=number, group=g_number, purpose=group.purpose.strip(), evidence=item,
                texts=texts.get(evidence_id, []), name=evidence_name(item, language, tz),
                source=evidence_source(item, language),
                original_or_copy=original_or_copy(item, language),
                formed_at=human_time(item.occurred_at, tz, item.occurred_at_precision)
                or translate(language, "date unknown"),
                stem=stem, original_path=f"evidence/{stem}{extension(item)}"))
    return exhibits


def _texts_by_item(session: Session, ids: list[int]) -> dict[int, list[ExtractedText]]:
    rows = session.exec(select(ExtractedText).where(ExtractedText.evidence_id.in_(ids))
                        .order_by(ExtractedText.id)).all()
    out: dict[int, list[ExtractedText]] = {}
    for row in rows:
        out.setdefault(row.evidence_id, []).append(row)
    return out


def counterpart(item: Evidence) -> str | None:
    return item.counterpart_number or item.counterpart_name


def evidence_name(item: Evidence, language: str, tz: ZoneInfo) -> str:
    """证据名称: what it is, with whom, when."""
    name, who = kind_label(item, language), counterpart(item)
    subject = item.subject if item.kind == EvidenceKind.email else None
    if who and subject:
        name = translate(language, "%(kind)s from %(who)s “%(subject)s”", kind=name, who=who,
                         subject=subject)
    elif subject:
        name = translate(language, "%(kind)s “%(subject)s”", kind=name, subject=subject)
    elif who and item.kind == EvidenceKind.call:
        name = translate(language, "%(kind)s with %(who)s", kind=name, who=who)
    elif who:
        name = translate(language, "%(kind)s from %(who)s", kind=name, who=who)
    when = human_time(item.occurred_at, tz, item.occurred_at_precision)
    return translate(language, "%(name)s, %(when)s", name=name, when=when) if when else name


def evidence_source(item: Evidence, language: str) -> str:
    """证据来源: where the file comes from, and its name when it was stored."""
    received = item.kind == EvidenceKind.email and item.direction == Direction.from_them
    sent = item.kind == EvidenceKind.letter and item.direction == Direction.from_me
    where = translate(language, EMAIL_RECEIVED if received else LETTER_SENT if sent
                      else SOURCES[EvidenceKind(item.kind)])
    if item.parent_id is not None:
        where += translate(language, "; attachment of email (record %(id)s)",
                           id=item.parent_id)
    return where + translate(language, "; original file name: %(name)s",
                             name=item.original_filename)


def original_or_copy(item: Evidence, language: str) -> str:
    """A photographed paper letter or receipt is a copy of the paper; every other file is the
    electronic data itself (its original)."""
    paper = item.kind in (EvidenceKind.letter, EvidenceKind.payment_receipt,
                          EvidenceKind.agreement) \
        and item.media_type.startswith("image/")
    if paper:
        return translate(language, "Copy (photo; I keep the paper)")
    return translate(language, "Original (electronic data)")


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s]+")


def safe_part(text: str) -> str:
    """A piece of a file name that every system accepts: no separators, reserved characters,
    control characters or runs of spaces."""
    return _UNSAFE.sub("_", text).strip("._")


def exhibit_stem(number: str, item: Evidence, *, language: str, tz: ZoneInfo) -> str:
    """`1-2_2024-12-03_通话录音_13800138000`: exhibit, local date, kind, the other side."""
    parts = [number, local_time(item.occurred_at, tz, with_time=False)
             or translate(language, NC_("file name", "undated")),
             translate(language, KIND_WORDS[EvidenceKind(item.kind)][1])]
    who = counterpart(item)
    if who:
        parts.append(safe_part(who))
    stem = "_".join(p for p in parts if p)
    return stem[:MAX_STEM_CHARS].rstrip("._")


def extension(item: Evidence) -> str:
    """The original's extension (lowercase), else one for its media type, else none."""
    suffix = PurePosixPath(item.original_filename).suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        return suffix
    return mimetypes.guess_extension(item.media_type) or ""
