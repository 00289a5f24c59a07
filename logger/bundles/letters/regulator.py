"""The structured complaint of the financial regulator's consumer line (12378, 国家金融监督管理总局)
and of the market regulator's (12315, 市场监督管理部门, for a non-bank lender or a collection
company): 投诉人, 被投诉机构, 投诉事项, 事实与理由, 诉求, 证据清单. Chinese only, written here
as a careful person would write it."""

from __future__ import annotations

from datetime import date

from logger.bundles.letters.plan import LetterPlan, Section
from logger.bundles.letters.words import PROMISE_STATES, written_day, written_money
from logger.i18n import translate

ADDRESSEES = {
    "cbirc_12378": ("金融消费者投诉书",
                    "致：国家金融监督管理总局（金融消费者投诉热线 12378）"),
    "samr_12315": ("消费者投诉书", "致：市场监督管理部门（全国 12315 平台）"),
}
SUB_HEADINGS = ("（一）", "（二）", "（三）")


def write(plan: LetterPlan, *, kind: str, party: str, today: date, picks) -> tuple[str, str]:
    """(title, text) of the complaint."""
    title, addressee = ADDRESSEES[kind]
    n = plan.negotiation
    institution = "被投诉机构" if kind == "cbirc_12378" else "被投诉单位"
    parts = [[title, "", addressee],
             ["一、投诉人", f"姓名：{party}"],
             [f"二、{institution}", f"名称：{n.creditor}"]
             + ([f"催收机构：{n.collection_agency}"] if n.collection_agency else [])
             + ([f"借款账号/合同编号：{n.account_reference}"] if n.account_reference else [])]
    findings = plan.picked(Section.finding, picks)
    who = _who(plan)
    parts.append(["三、投诉事项", f"{who}在催收本人逾期借款过程中存在违规催收行为，请依法核查处理。"
                  if findings else f"{who}在本人逾期借款的催收及还款协商中的问题，请依法核查处理。"])
    parts.append(["四、事实与理由", *_facts(plan, picks)])
    parts.append(["五、诉求", f"1. 责令{who}立即停止上述违规催收行为；" if findings
                  else f"1. 督促{who}依法依规开展催收；",
                  "2. 依法核查上述情况并予以处理；", "3. 督促对方与本人协商合理的还款方案。"])
    parts.append(["六、证据清单", *_evidence(plan, picks)])
    parts.append([f"投诉人：{party}", f"日期：{written_day(today, 'zh')}"])
    return title, "\n\n".join("\n".join(lines) for lines in parts) + "\n"


def _who(plan: LetterPlan) -> str:
    n = plan.negotiation
    return f"{n.creditor}及其委托的{n.collection_agency}" if n.collection_agency else n.creditor


def _facts(plan: LetterPlan, picks) -> list[str]:
    n = plan.negotiation
    opening = f"本人在{n.creditor}的借款"
    if n.overdue_since:
        opening += f"自{written_day(n.overdue_since, 'zh')}起逾期"
    else:
        opening += "出现逾期"
    if n.outstanding is not None:
        opening += f"，目前欠款{written_money(n.outstanding, n.currency, 'zh')}"
    lines = [opening + "。逾期后本人一直与对方沟通、协商还款。"]
    sections = [("联系经过", [f"{plan.when(f)} {f.text}"
                             for f in plan.picked(Section.contact, picks)]),
                ("双方约定及履行情况", [_promise(plan, f)
                                       for f in plan.picked(Section.promise, picks)]),
                ("违规催收行为", [_finding(plan, f)
                                  for f in plan.picked(Section.finding, picks)])]
    number = 0
    for heading, facts in sections:
        if not facts:  # an empty section is left out
            continue
        if number == 0:
            lines[0] += "具体情况如下："
        lines.append(f"{SUB_HEADINGS[number]}{heading}")
        lines += [f"{i}. {fact}" for i, fact in enumerate(facts, start=1)]
        number += 1
    return lines


def _promise(plan: LetterPlan, fact) -> str:
    if fact.detail.get("instalments"):
        return f"{fact.text}，分 {fact.detail['instalments']} 期"
    text = f"{plan.when(fact)} {fact.text}".strip()
    state = PROMISE_STATES.get(fact.detail["state"] or "")
    return f"{text}——{translate('zh', state)}" if state else text


def _finding(plan: LetterPlan, fact) -> str:
    text = f"{plan.when(fact)}，{fact.text}。"
    if fact.detail.get("sources"):
        text += f"依据：{'；'.join(fact.detail['sources'])}。"
    return text


def _evidence(plan: LetterPlan, picks) -> list[str]:
    lines = ["1. 证据目录（证据包内，含每件证据的 SHA-256 校验值）"]
    items = [f for f in plan.picked(Section.contact, picks) if f.key.startswith("evidence:")]
    for number, fact in enumerate(items, start=2):
        lines.append(f"{number}. {fact.text}，{plan.when(fact)}")
    return lines
