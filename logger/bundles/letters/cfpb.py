"""A complaint narrative for the CFPB's complaint form (a US debt): what happened, in time
order, and what I want, in plain first person. English only."""

from __future__ import annotations

from datetime import date

from logger.bundles.letters.plan import Fact, LetterPlan, Section
from logger.bundles.letters.words import written_day, written_money

# An item's channel -> what they did, what I did: a contact told as a sentence.
DID = {"call": ("called me", "I called them"),
       "sms": ("sent me a text message", "I sent them a text message"),
       "email": ("emailed me", "I emailed them"),
       "app_chat": ("messaged me in their app", "I messaged them in their app"),
       "chat": ("messaged me", "I messaged them"), "wechat": ("messaged me on WeChat",
                                                           "I messaged them on WeChat"),
       "letter": ("sent me a letter", "I sent them a letter"),
       "visit": ("came to see me", "I went to see them")}
STATES = {"kept": "and that promise was kept", "missed": "and that promise was not kept",
          "pending": "and that date has not come yet"}


def write(plan: LetterPlan, *, party: str, today: date, picks) -> tuple[str, str]:
    """(title, text) of the narrative."""
    n = plan.negotiation
    collector = _collector(plan)
    title = f"Complaint about debt collection by {collector}"
    account = f" (account {n.account_reference})" if n.account_reference else ""
    opening = f"I have a debt with {n.creditor}{account}"
    if n.outstanding is not None:
        opening += f"; {written_money(n.outstanding, n.currency, 'en')} is outstanding"
    if n.overdue_since:
        opening += f". It has been past due since {written_day(n.overdue_since, 'en')}"
    opening += "."
    if n.collection_agency:
        opening += f" {n.collection_agency} is collecting it for {n.creditor}."
    findings = plan.picked(Section.finding, picks)
    told = {f.detail.get("source") for f in findings}  # a contact a finding tells already
    contacts = [f for f in plan.picked(Section.contact, picks) if f.key not in told]
    facts = sorted(contacts + plan.picked(Section.promise, picks) + findings,
                   key=lambda f: (f.at is None, f.at.timestamp() if f.at else 0, f.key))
    happened = [opening] + [_sentence(plan, f) for f in facts]
    wants = [f"I want {collector} to stop the conduct described above and to follow the law "
             "when it contacts me.",
             "I want the CFPB to look into it.",
             "I am willing to agree a reasonable way to repay."]
    parts = [[title], ["What happened", *happened], ["What I want", *wants],
             [party, written_day(today, "en")]]
    return title, "\n\n".join("\n".join(lines) for lines in parts) + "\n"


def _sentence(plan: LetterPlan, fact: Fact) -> str:
    when = plan.when(fact, twelve_hour=True)
    if fact.section == Section.finding:
        text = f"On {when}: {fact.text}." if when else f"{fact.text}."
        if fact.detail.get("rule"):
            text += f" This goes against the rule: {fact.detail['rule'].rstrip('.')}"
            sources = "; ".join(fact.detail.get("sources") or ())
            text += f" ({sources})." if sources else "."
        return text
    if fact.section == Section.promise:
        if fact.detail.get("instalments"):
            return f"{fact.text}, in {fact.detail['instalments']} instalments."
        state = STATES.get(fact.detail.get("state") or "")
        due = f"{fact.text}, due {when}" if fact.at else fact.text
        return f"{due}, {state}." if state else f"{due}."
    # An evidence item is a contact here only with its direction known (plan.py leaves the
    # others uncertain); a contact typed by hand keeps its own words.
    did = DID.get(fact.detail.get("channel") or "")
    if did is not None and fact.key.startswith("evidence:") and when:
        if fact.detail["from_them"]:
            who = f" ({fact.detail['who']})" if fact.detail.get("who") else ""
            return f"On {when}, {_collector(plan)}{who} {did[0]}."
        return f"On {when}, {did[1]}."
    return f"On {when}: {fact.text}."


def _collector(plan: LetterPlan) -> str:
    n = plan.negotiation
    return n.collection_agency or n.creditor
