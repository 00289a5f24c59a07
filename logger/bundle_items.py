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
from enum import StrEnum
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from logger.evidence import list_evidence
from storage.models import (Channel, Direction, Evidence, EvidenceKind, ExtractedText,
                            Negotiation)

LANGUAGES = ("zh", "en")
MAX_STEM_CHARS = 90


class BundlePurpose(StrEnum):
    court = "court"
    complaint = "complaint"
    backup = "backup"


class BundleError(LiuhenError):
    """A bundle cannot be built as asked; the message says what to change."""


# kind -> (zh label, en label, en file word)
KIND_WORDS = {
    EvidenceKind.call: ("通话录音", "Call recording", "call-recording"),
    EvidenceKind.chat: ("聊天记录截图", "Chat screenshot", "chat"),
    EvidenceKind.email: ("电子邮件", "Email", "email"),
    EvidenceKind.letter: ("信件", "Letter", "letter"),
    EvidenceKind.document: ("文件", "Document", "document"),
    EvidenceKind.sms: ("短信", "Text messages", "sms"),
    EvidenceKind.note: ("备注", "Note", "note"),
    EvidenceKind.payment_receipt: ("付款凭证", "Payment receipt", "payment-receipt"),
}

# kind -> the prefilled purpose (zh, en) when nothing more specific is known.
KIND_PURPOSES = {
    EvidenceKind.call: ("证明双方协商还款的通话内容",
                        "Shows what was said in the calls about repayment"),
    EvidenceKind.chat: ("证明双方聊天沟通的内容", "Shows the chat messages exchanged"),
    EvidenceKind.email: ("证明双方往来邮件的内容", "Shows the emails exchanged"),
    EvidenceKind.letter: ("证明催收方寄送的函件内容", "Shows the letters sent to me"),
    EvidenceKind.document: ("证明相关文件的内容", "Shows the content of the documents"),
    EvidenceKind.sms: ("证明催收短信的内容", "Shows the collection text messages"),
    EvidenceKind.note: ("本人对协商经过的记录", "My own record of the negotiation"),
    EvidenceKind.payment_receipt: ("证明本人已按约定还款", "Shows the payments I made"),
}
CALL_FROM_THEM = ("证明催收方致电催收的时间及通话内容",
                  "Shows when the collector called and what was said")

# lexicon category -> (zh, en) purpose of a finding of that category.
LEXICON_PURPOSES = {
    "threat": ("证明催收方以威胁言辞催收", "Shows the collector made threats"),
    "insult": ("证明催收方辱骂、侮辱本人", "Shows the collector used insults"),
    "impersonation": ("证明催收方冒充公检法等国家机关人员",
                      "Shows the collector posed as police, prosecutors or a court"),
    "fake_legal": ("证明催收方伪造或虚称法律文书",
                   "Shows the collector faked or misrepresented legal documents"),
    "false_consequence": ("证明催收方虚构不还款的后果",
                          "Shows the collector invented consequences of not paying"),
    "disclosure": ("证明催收方向他人公开本人债务信息",
                   "Shows the collector disclosed the debt to others"),
    "extra_fee": ("证明催收方收取额外费用", "Shows the collector demanded extra fees"),
    "borrow": ("证明催收方诱导本人借新还旧", "Shows the collector pushed me to borrow to repay"),
}


# promise kind -> (zh, en) purpose of the item a confirmed promise was made in; the first kind
# an item has, in this order, wins.
PROMISE_PURPOSES = {
    "instalment_plan": ("证明双方达成分期还款约定", "Shows the instalment plan that was agreed"),
    "waiver": ("证明对方同意减免罚息或费用", "Shows the creditor agreed to waive interest or fees"),
    "stop_calls": ("证明催收方承诺停止催收", "Shows the collector promised to stop calling"),
    "payment": ("证明双方约定的还款金额和期限", "Shows the payment agreed and when it is due"),
    "other": ("证明双方达成的约定", "Shows what the two sides agreed"),
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


def pick(zh_en: tuple[str, ...], language: str) -> str:
    return zh_en[0] if language == "zh" else zh_en[1]


def local_time(moment: datetime | None, tz: ZoneInfo, *, with_time: bool = True) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


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
                   language: str, tz: ZoneInfo) -> list[BundleGroup]:
    """One group per prefilled purpose, in the order their first items happened."""
    purposes = prefilled_purposes(session, negotiation, items, tz=tz)
    groups: dict[str, BundleGroup] = {}
    for item in items:
        key, texts = purposes[item.id]
        group = groups.setdefault(key, BundleGroup(pick(texts, language), []))
        group.evidence_ids.append(item.id)
    return list(groups.values())


def prefilled_purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence],
                       *, tz: ZoneInfo) -> dict[int, tuple[str, tuple[str, str]]]:
    """evidence id -> (group key, (zh, en) purpose)."""
    from_findings = _finding_purposes(session, negotiation, items, tz)
    from_promises = _promise_purposes(session, negotiation, items)
    return {item.id: from_findings.get(item.id) or from_promises.get(item.id)
            or _kind_purpose(item) for item in items}


def _promise_purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence]
                      ) -> dict[int, tuple[str, tuple[str, str]]]:
    """The purpose of the weightiest confirmed promise made in each item, when promises are
    installed (logger.promises); else nothing."""
    try:
        from logger.promises import ACTIVE_STATUSES, list_promises
    except ImportError:
        return {}
    wanted = {item.id for item in items}
    order = list(PROMISE_PURPOSES)
    best: dict[int, str] = {}
    for promise in list_promises(session, negotiation):
        source, kind = promise.source_evidence_id, str(promise.kind)
        if promise.status not in ACTIVE_STATUSES or source not in wanted:
            continue
        if source not in best or order.index(kind) < order.index(best[source]):
            best[source] = kind
    return {source: (f"promise:{kind}", PROMISE_PURPOSES[kind]) for source, kind in best.items()}


def _kind_purpose(item: Evidence) -> tuple[str, tuple[str, str]]:
    if item.kind == EvidenceKind.call and item.direction == Direction.from_them:
        return "kind:call:from_them", CALL_FROM_THEM
    return f"kind:{item.kind}", KIND_PURPOSES[EvidenceKind(item.kind)]


def _finding_purposes(session: Session, negotiation: Negotiation, items: Sequence[Evidence],
                      tz: ZoneInfo) -> dict[int, tuple[str, tuple[str, str]]]:
    """The purpose of each item's first active conduct finding, when the conduct rules are
    installed (logger.conduct); else nothing."""
    try:
        from logger.conduct import conduct_report
    except ImportError:
        return {}
    report = conduct_report(session, negotiation, default_zone=tz)
    rules = {state.rule.id: state.rule for state in report.rules}
    wanted = {item.id: item for item in items}
    out = {}
    for evidence_id, findings in report.by_evidence().items():
        item = wanted.get(evidence_id)
        rule = rules.get(findings[0].rule_id)
        if item is not None and rule is not None:
            out[evidence_id] = (f"rule:{rule.id}:{item.kind}", finding_purpose(rule, item))
    return out


def finding_purpose(rule, item: Evidence) -> tuple[str, str]:
    """(zh, en) purpose for an item that a conduct rule flags."""
    params = rule.params
    if rule.check == "quiet_hours":
        until, start = params["allowed_until"], params["allowed_from"]
        if item.kind == EvidenceKind.call:
            return (f"证明催收方在{until}后致电", f"Shows the collector called after {until}")
        return (f"证明催收方在{until}至次日{start}之间催收",
                f"Shows collection between {until} and {start}")
    if rule.check == "unanswered_per_day":
        return (f"证明催收方单日拨打本人电话未接通超过{params['limit']}次",
                f"Shows more than {params['limit']} unanswered calls in one day")
    if rule.check == "attempts_in_window":
        return (f"证明催收方{params['days']}日内致电超过{params['limit']}次",
                f"Shows more than {params['limit']} call attempts in {params['days']} days")
    if rule.check == "third_party":
        return ("证明催收方联系与债务无关的第三人",
                "Shows the collector contacted unrelated third parties")
    categories = params.get("categories") or []
    if rule.check == "lexicon" and categories and categories[0] in LEXICON_PURPOSES:
        return LEXICON_PURPOSES[categories[0]]
    return (f"证明催收方存在违规催收行为：{rule.description['zh']}",
            f"Shows a breach of the collection rules: {rule.description['en']}")


# ----------------------------------------------------------------------------- exhibits

def make_exhibits(session: Session, negotiation: Negotiation, groups: Sequence[BundleGroup], *,
                  language: str, tz: ZoneInfo) -> list[Exhibit]:
    """Number the grouped items (empty groups are dropped). Raises BundleError for an item
    named twice or none at all, NotFound for an item not of this negotiation."""
    groups = [g for g in groups if g.evidence_ids]
    ids = [i for g in groups for i in g.evidence_ids]
    if not ids:
        raise BundleError("the bundle has no items: choose at least one")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise BundleError("these items are in more than one group: "
                          + ", ".join(f"#{i}" for i in twice))
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
                formed_at=local_time(item.occurred_at, tz)
                or pick(("不详", "unknown"), language),
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
    label = pick(KIND_WORDS[EvidenceKind(item.kind)][:2], language)
    when = local_time(item.occurred_at, tz)
    who = counterpart(item)
    if language == "zh":
        name = f"{when} {label}" if when else label
        if item.kind == EvidenceKind.email and item.subject:
            name += f"《{item.subject}》"
        return name + (f"（{who}）" if who else "")
    name = label
    if who:
        name += f" {'with' if item.kind == EvidenceKind.call else 'from'} {who}"
    if item.kind == EvidenceKind.email and item.subject:
        name += f" “{item.subject}”"
    return name + (f", {when}" if when else "")


def evidence_source(item: Evidence, language: str) -> str:
    """证据来源: where the file comes from, and its name when it was stored."""
    from_them = item.direction == Direction.from_them
    by_kind = {
        EvidenceKind.call: ("本人手机通话录音", "Recorded on my phone"),
        EvidenceKind.chat: ("本人手机聊天记录截图", "Screenshot taken on my phone"),
        EvidenceKind.email: (("本人邮箱收到的邮件", "Email received in my mailbox") if from_them
                             else ("本人邮箱中的邮件", "Email from my mailbox")),
        EvidenceKind.letter: ("本人收到的信件（拍照或扫描）", "Letter I received (photo or scan)"),
        EvidenceKind.sms: ("本人手机短信", "Text messages on my phone"),
        EvidenceKind.payment_receipt: ("本人付款凭证", "My payment record"),
        EvidenceKind.note: ("本人记录", "Written by me"),
        EvidenceKind.document: ("本人保存的文件", "File I kept"),
    }
    where = pick(by_kind[EvidenceKind(item.kind)], language)
    if item.parent_id is not None:
        where += pick((f"；邮件（存档号 {item.parent_id}）的附件",
                       f"; attachment of email (record {item.parent_id})"), language)
    return where + pick((f"；原文件名：{item.original_filename}",
                         f"; original file name: {item.original_filename}"), language)


def original_or_copy(item: Evidence, language: str) -> str:
    """A photographed paper letter or receipt is a copy of the paper; every other file is the
    electronic data itself (its original)."""
    paper = item.kind in (EvidenceKind.letter, EvidenceKind.payment_receipt) \
        and item.media_type.startswith("image/")
    if paper:
        return pick(("复印件（照片，原件由本人保存）", "Copy (photo; I keep the paper)"), language)
    return pick(("原件（电子数据）", "Original (electronic data)"), language)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s]+")


def safe_part(text: str) -> str:
    """A piece of a file name that every system accepts: no separators, reserved characters,
    control characters or runs of spaces."""
    return _UNSAFE.sub("_", text).strip("._")


def exhibit_stem(number: str, item: Evidence, *, language: str, tz: ZoneInfo) -> str:
    """`1-2_2024-12-03_通话录音_13800138000`: exhibit, local date, kind, the other side."""
    words = KIND_WORDS[EvidenceKind(item.kind)]
    parts = [number, local_time(item.occurred_at, tz, with_time=False)
             or pick(("日期不详", "undated"), language),
             words[0] if language == "zh" else words[2]]
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


def channel_choices() -> list[str]:
    """What `select_items(channels=...)` accepts: the channels, and the kinds that stand in for
    a channel where an item has none (a chat screenshot, a document)."""
    channels = [c.value for c in Channel]
    return channels + [k.value for k in EvidenceKind if k.value not in channels]
