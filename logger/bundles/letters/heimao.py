"""A complaint for 黑猫投诉 (a public complaint platform): a title of at most 30 characters, the
demand (投诉要求), and a body of at most 500 characters that states the facts briefly. Facts
that do not fit are left out whole (never cut in the middle) and named, so the page can say
what was left out. Chinese only."""

from __future__ import annotations

from logger.bundles.letters.plan import LetterPlan, Section
from logger.bundles.letters.words import PROMISE_STATES, written_day
from logger.i18n import translate

TITLE_LIMIT = 30
DEMAND_LIMIT = 100
BODY_LIMIT = 500
DEMAND = "停止违规催收，依法核查处理，协商合理的还款方案"
DEMAND_WITHOUT_FINDINGS = "依法依规催收，协商合理的还款方案"
CLOSING = "以上情况均有录音、截图等证据，可提供核实。"


def title_of(plan: LetterPlan, findings: bool = True) -> str:
    creditor = plan.negotiation.creditor
    what = "违规催收" if findings else "催收及还款协商问题"
    title = f"投诉{creditor}{what}"
    if len(title) > TITLE_LIMIT:  # a long name is shortened, the complaint stays
        title = f"投诉{creditor[:TITLE_LIMIT - 3 - len(what)]}…{what}"
    return title


def write(plan: LetterPlan, *, party: str, picks) -> tuple[str, str, list[str]]:
    """(title, text, the facts left out for the length)."""
    n = plan.negotiation
    findings = plan.picked(Section.finding, picks)
    title = title_of(plan, bool(findings))
    groups = [("催收中存在以下问题：", [f"{plan.when(f)}，{f.text}。" for f in findings]),
              ("双方约定及履行情况：", [_promise(plan, f)
                                     for f in plan.picked(Section.promise, picks)])]
    opening = f"本人在{n.creditor}的借款"
    opening += f"自{written_day(n.overdue_since, 'zh')}起逾期" if n.overdue_since else "逾期"
    opening += "，一直与对方协商还款。"
    body, left_out = [opening], []
    used = len(opening) + len(CLOSING) + 1
    for heading, facts in groups:
        lines: list[str] = []
        for fact in facts:  # a fact fits whole or is left out whole
            line = f"{len(lines) + 1}. {fact}"
            cost = len(line) + 1 + (0 if lines else len(heading) + 1)
            if used + cost > BODY_LIMIT:
                left_out.append(fact)
                continue
            lines.append(line)
            used += cost
        if lines:
            body += [heading, *lines]
    body.append(CLOSING)
    target = n.creditor + (f"（催收方：{n.collection_agency}）" if n.collection_agency else "")
    demand = DEMAND if findings else DEMAND_WITHOUT_FINDINGS
    text = "\n".join([f"标题：{title}", f"投诉对象：{target}", f"投诉要求：{demand}",
                      "投诉内容：", *body, "", f"投诉人：{party}"]) + "\n"
    return title, text, left_out


def body_of(text: str) -> str:
    """The body of a 黑猫 complaint written by `write` (what its 500 characters count)."""
    after = text.split("投诉内容：\n", 1)[1]
    return after.rsplit("\n\n投诉人：", 1)[0]


def _promise(plan: LetterPlan, fact) -> str:
    if fact.detail.get("instalments"):
        return f"{fact.text}，分 {fact.detail['instalments']} 期。"
    text = f"{plan.when(fact)} {fact.text}".strip()
    state = PROMISE_STATES.get(fact.detail["state"] or "")
    return (f"{text}，{translate('zh', state)}。" if state else f"{text}。")
