"""The words of a reminder, in the account's language (Chinese unless it chose English): the
subject line, the body of an email, the summary of a calendar event, the JSON of a webhook.

The web app shows notifications through its own catalog; this is for what leaves the app
(email, webhook, calendar), where no Flask is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from logger.config import REMINDER_OFFSET
from logger.promises import promise_dict
from storage.models import Negotiation
from storage.models_promises import Promise, PromiseKind, PromiseParty

MISSED, UNMET = "missed", "unmet"
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}

_WORDS = {
    "zh": {
        "reminder_pay": "还款提醒：{when}前向{creditor}还款{amount}",
        "reminder_other": "承诺提醒：{when}前{what}（{creditor}）",
        "missed_pay": "未按时还款：{when}前应向{creditor}还款{amount}",
        "missed_other": "未履行的承诺：{when}前{what}（{creditor}）",
        "unmet": "对方承诺未兑现：{creditor}答应{what}，期限{when}",
        "kind_payment": "还款{amount}", "kind_waiver": "减免罚息或利息",
        "kind_stop_calls": "停止催收电话", "kind_other": "其他承诺",
        "instalment": "第{number}期还款{amount}", "some_amount": "（金额未定）",
        "days": "{n}天后到期", "today": "今天到期", "hours": "{n}小时后到期",
        "shortfall": "已还{paid}，还差{shortfall}。", "quote": "原话：“{quote}”",
        "conditions": "条件：{conditions}",
        "late": "（迟发：提醒服务在原定时间没有运行。）",
        "footer": "—— 留痕 Liuhen", "calendar": "留痕：承诺与还款",
        "status_kept": "已履行", "status_missed": "未履行",
        "made_by_me": "我的承诺", "made_by_them": "对方的承诺",
        "date": "{d.year}年{d.month}月{d.day}日 {d:%H:%M}",
    },
    "en": {
        "reminder_pay": "Reminder: pay {amount} to {creditor} by {when}",
        "reminder_other": "Reminder: {what} by {when} ({creditor})",
        "missed_pay": "Missed: {amount} to {creditor} was due by {when}",
        "missed_other": "Missed: {what} by {when} ({creditor})",
        "unmet": "Not kept by the other side: {creditor} promised to {what} by {when}",
        "kind_payment": "pay {amount}", "kind_waiver": "waive penalty or interest",
        "kind_stop_calls": "stop collection calls", "kind_other": "another promise",
        "instalment": "pay instalment {number}, {amount}", "some_amount": "(amount not set)",
        "days": "due in {n} days", "today": "due today", "hours": "due in {n} hours",
        "shortfall": "Paid {paid}; {shortfall} is still missing.", "quote": "Said: “{quote}”",
        "conditions": "Conditions: {conditions}",
        "late": "(Sent late: the reminder service was not running at the time.)",
        "footer": "— Liuhen", "calendar": "Liuhen: promises and payments",
        "status_kept": "kept", "status_missed": "missed",
        "made_by_me": "Your promise", "made_by_them": "Their promise",
        "date": "{d:%Y-%m-%d %H:%M}",
    },
}


@dataclass(frozen=True)
class ReminderText:
    subject: str
    body: str
    payload: dict


def words(language: str | None) -> dict[str, str]:
    return _WORDS["en" if language == "en" else "zh"]


def money(amount: Decimal | None, currency: str, language: str | None) -> str:
    if amount is None:
        return words(language)["some_amount"]
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def local_time(moment: datetime, promise: Promise, language: str | None) -> str:
    return words(language)["date"].format(d=moment.astimezone(ZoneInfo(promise.timezone)))


def what(promise: Promise, language: str | None) -> str:
    """The promise in a few words ("还款¥1,000.00", "waive penalty or interest")."""
    w = words(language)
    amount = money(promise.amount, promise.currency, language)
    if promise.instalment:
        return w["instalment"].format(number=promise.instalment, amount=amount)
    if promise.kind == PromiseKind.other and promise.description:
        return promise.description
    return w[f"kind_{promise.kind}"].format(amount=amount)


def headline(promise: Promise, negotiation: Negotiation, event: str,
             language: str | None) -> str:
    """One line: what is due (or was missed), to whom, by when."""
    w = words(language)
    pay = promise.kind == PromiseKind.payment and not promise.instalment
    key = {"reminder": "reminder_pay" if pay else "reminder_other",
           MISSED: "missed_pay" if pay else "missed_other", UNMET: "unmet"}[event]
    return w[key].format(when=local_time(promise.due_at, promise, language),
                         creditor=negotiation.creditor, what=what(promise, language),
                         amount=money(promise.amount, promise.currency, language))


def offset_words(offset: str, language: str | None) -> str:
    w = words(language)
    match = REMINDER_OFFSET.match(offset)
    if match is None:
        return ""
    n, unit = int(match.group(1)), match.group(2)
    return w["hours"].format(n=n) if unit == "h" else (
        w["today"] if n == 0 else w["days"].format(n=n))


def compose(*, promise: Promise, negotiation: Negotiation, offset: str, late: bool,
            language: str | None, reminder_id: int, paid: Decimal,
            shortfall: Decimal | None) -> ReminderText:
    """The reminder `offset` ("3d", or MISSED / UNMET) of `promise`, in `language`."""
    w = words(language)
    event = offset if offset in (MISSED, UNMET) else "reminder"
    subject = headline(promise, negotiation, event, language)
    if event == "reminder":
        subject += f" · {offset_words(offset, language)}"
    lines = [subject, ""]
    if event == MISSED and shortfall:
        lines.append(w["shortfall"].format(paid=money(paid, promise.currency, language),
                                           shortfall=money(shortfall, promise.currency,
                                                           language)))
    if promise.conditions:
        lines.append(w["conditions"].format(conditions=promise.conditions))
    if promise.source_quote:
        lines.append(w["quote"].format(quote=promise.source_quote))
    if late:
        lines.append(w["late"])
    lines += ["", w["footer"]]
    payload = {"event": event, "reminder_id": reminder_id, "offset": offset, "late": late,
               "subject": subject, "text": "\n".join(lines),
               "promise": promise_dict(promise),
               "negotiation": {"id": negotiation.id, "creditor": negotiation.creditor,
                               "collection_agency": negotiation.collection_agency},
               "shortfall": str(shortfall) if shortfall is not None else None}
    return ReminderText(subject, "\n".join(lines), payload)


def made_by(promise: Promise, language: str | None) -> str:
    return words(language)["made_by_me" if promise.party == PromiseParty.me else "made_by_them"]
