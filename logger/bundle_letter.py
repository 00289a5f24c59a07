"""The draft complaint letter of a complaint bundle (zh or en), for the user to edit.

It summarises the negotiation, lists the contacts on record in time order (evidence items and
the contacts the user recorded by hand), what was promised, and the conduct findings
(`logger.conduct`, dismissed ones left out), then asks the regulator to act. Promises come from
`logger.promises`: every confirmed promise still in force, with whether it was kept, missed or is
still to come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from logger.bundle_items import KIND_WORDS, local_time, pick
from logger.contact_entries import list_contact_entries
from logger.evidence import list_evidence
from storage.models import Direction, EvidenceKind, Negotiation

MAX_TIMELINE_LINES = 300

DIRECTIONS = {Direction.from_them: ("对方发起", "from them"),
              Direction.from_me: ("本人发起", "from me")}
CHANNELS = {"call": ("电话", "call"), "sms": ("短信", "text message"),
            "app_chat": ("应用内聊天", "app chat"), "wechat": ("微信", "WeChat"),
            "email": ("电子邮件", "email"), "letter": ("信件", "letter"),
            "visit": ("上门", "visit"), "other": ("其他方式", "other")}


def draft_letter(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
                 party: str, today: date | None = None) -> str:
    """The letter's text; the user edits it before it goes into the bundle."""
    today = today or datetime.now(UTC).astimezone(tz).date()
    sections = [
        _opening(negotiation, language, party),
        _timeline(session, negotiation, language, tz),
        _promises(session, negotiation, language, tz),
        _findings(session, negotiation, language, tz),
        _requests(negotiation, language),
        _closing(language, party, today),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _money(amount, currency: str) -> str | None:
    return f"{amount:,.2f} {currency}" if amount is not None else None


def _opening(n: Negotiation, language: str, party: str) -> list[str]:
    facts = [
        (("被投诉机构", "Complaint against"), n.creditor),
        (("催收机构", "Collection agency"), n.collection_agency),
        (("借款账号/合同编号", "Account / loan reference"), n.account_reference),
        (("借款本金", "Principal"), _money(n.principal, n.currency)),
        (("当前欠款", "Outstanding"), _money(n.outstanding, n.currency)),
        (("逾期起始日", "Overdue since"), n.overdue_since.isoformat() if n.overdue_since
         else None),
    ]
    lines = [pick(("投诉信", "Complaint"), language), "",
             pick(("致：国家金融监督管理总局（金融消费者投诉热线 12378）及相关监管部门",
                   "To: the financial regulator / consumer protection authority"), language),
             "", pick((f"投诉人：{party}", f"Complainant: {party}"), language)]
    sep = pick(("：", ": "), language)
    lines += [f"{pick(label, language)}{sep}{value}" for label, value in facts if value]
    lines += ["", pick(("一、基本情况", "1. Summary"), language), pick((
        f"本人在{n.creditor}的借款出现逾期。逾期后，本人一直积极与对方沟通、协商还款方案。"
        "在此期间，催收方的催收行为存在下述问题，本人依法投诉，请予核查处理。",
        f"My loan with {n.creditor} became overdue. Since then I have kept in contact with them "
        "and tried to agree a way to repay. During this time the collection was conducted as "
        "described below, and I ask you to look into it."), language)]
    return lines


def _timeline(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    events: list[tuple[datetime, str]] = []
    for item in list_evidence(session, n.id):
        if item.occurred_at is None:
            continue
        label = pick(KIND_WORDS[EvidenceKind(item.kind)][:2], language)
        detail = [pick(DIRECTIONS[item.direction], language)] \
            if item.direction in DIRECTIONS else []
        who = item.counterpart_number or item.counterpart_name
        if who:
            detail.append(who)
        suffix = ""
        if detail:
            suffix = f"（{'，'.join(detail)}）" if language == "zh" else f" ({', '.join(detail)})"
        events.append((item.occurred_at, label + suffix))
    for entry in list_contact_entries(session, n.id):
        channel = pick(CHANNELS.get(str(entry.channel), CHANNELS["other"]), language)
        events.append((entry.occurred_at, f"{channel}{pick(('：', ': '), language)}"
                                          f"{entry.description}"))
    events.sort(key=lambda e: e[0])
    lines = [pick(("二、联系经过（按时间顺序）", "2. Contacts on record, in time order"), language)]
    for number, (moment, text) in enumerate(events[:MAX_TIMELINE_LINES], start=1):
        lines.append(f"{number}. {local_time(moment, tz)} {text}")
    if len(events) > MAX_TIMELINE_LINES:
        more = len(events) - MAX_TIMELINE_LINES
        lines.append(pick((f"……另有 {more} 条，见证据目录。", f"… and {more} more, see the list "
                                                           "of evidence."), language))
    if not events:
        lines.append(pick(("（暂无记录）", "(none on record)"), language))
    return lines


PARTIES = {"me": ("本人", "I"), "them": ("对方", "They")}
PROMISE_KINDS = {"payment": ("还款", "to pay"), "instalment_plan": ("分期还款方案",
                                                                 "an instalment plan"),
                 "waiver": ("减免罚息或费用", "to waive interest or fees"),
                 "stop_calls": ("停止催收", "to stop calling"), "other": ("其他约定", "something "
                                                                          "else")}
PROMISE_STATES = {"pending": ("尚未到期", "not yet due"), "kept": ("已履行", "kept"),
                  "missed": ("未履行", "broken")}


def _promises(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    lines = [pick(("三、双方承诺及履行情况", "3. Promises made, kept and broken"), language)]
    for number, promise in enumerate(_active_promises(session, n), start=1):
        lines.append(f"{number}. {_promise_line(promise, language, tz)}")
    if len(lines) == 1:
        lines.append(pick(("（记录中暂无经确认的承诺；请在此写明双方的还款承诺及履行情况。）",
                           "(No confirmed promises on record; write here what each side "
                           "promised and whether it was kept.)"), language))
    return lines


def _active_promises(session: Session, n: Negotiation) -> list:
    """Confirmed promises still in force (not cancelled or replaced), by due time, when
    promises are installed (logger.promises)."""
    try:
        from logger.promises import ACTIVE_STATUSES, list_promises
    except ImportError:
        return []
    return [p for p in list_promises(session, n) if p.status in ACTIVE_STATUSES]


def _promise_line(promise, language: str, tz: ZoneInfo) -> str:
    due = local_time(promise.due_at, tz) or pick(("未定期限", "no due date"), language)
    who = pick(PARTIES[str(promise.party)], language)
    what = pick(PROMISE_KINDS[str(promise.kind)], language)
    amount = f" {_money(promise.amount, promise.currency)}" if promise.amount is not None else ""
    part = pick((f"（第{promise.instalment}期）", f" (instalment {promise.instalment})"),
                language) if promise.instalment else ""
    state = pick(PROMISE_STATES[str(promise.status)], language)
    if language == "zh":
        return f"{due} {who}承诺{what}{amount}{part}——{state}"
    return f"{due} {who} promised {what}{amount}{part} — {state}"


def _findings(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    lines = [pick(("四、违规催收行为", "4. Collection conduct that breaks the rules"), language)]
    findings = _active_findings(session, n, tz)
    for number, (reason, source) in enumerate(findings, start=1):
        lines.append(f"{number}. {pick(reason, language)}"
                     + (pick((f"（依据：{source}）", f" (rule: {source})"), language)
                        if source else ""))
    if not findings:
        lines.append(pick(("（记录中暂未发现违规催收行为；如有，请在此补充。）",
                           "(None found in the record; add any here.)"), language))
    return lines


def _active_findings(session: Session, n: Negotiation, tz: ZoneInfo
                     ) -> Sequence[tuple[tuple[str, str], str]]:
    """((zh, en) reason, source) of each active finding (its reason names its time), when the
    conduct rules are installed."""
    try:
        from logger.conduct import conduct_report
    except ImportError:
        return []
    report = conduct_report(session, n, default_zone=tz)
    sources = {s.rule.id: f"{s.rule.source_document} {s.rule.source_article}".strip()
               for s in report.rules}
    return [((f.reason.get("zh", ""), f.reason.get("en", "")), sources.get(f.rule_id, ""))
            for f in report.active()]


def _requests(n: Negotiation, language: str) -> list[str]:
    who = n.creditor + (f"及{n.collection_agency}" if n.collection_agency else "")
    who_en = n.creditor + (f" and {n.collection_agency}" if n.collection_agency else "")
    return [pick(("五、投诉请求", "5. What I ask"), language),
            pick((f"1. 责令{who}立即停止上述违规催收行为；",
                  f"1. That {who_en} stop the collection conduct described above;"), language),
            pick(("2. 依法核查上述情况并予以处理；", "2. That you investigate and act on it;"),
                 language),
            pick(("3. 督促对方与本人协商合理的还款方案。",
                  "3. That they be required to agree a reasonable repayment plan with me."),
                 language),
            "",
            pick(("附件：证据目录及证据材料（见本证据包）。",
                  "Enclosed: the list of evidence and the evidence (in this bundle)."), language)]


def _closing(language: str, party: str, today: date) -> list[str]:
    return [pick((f"投诉人：{party}", f"Complainant: {party}"), language),
            pick((f"日期：{today.year}年{today.month}月{today.day}日",
                  f"Date: {today.isoformat()}"), language)]
