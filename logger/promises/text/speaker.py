"""Who made a promise: the side it was said from when that is known (a chat bubble's side, a
stereo channel, a mono call's speaker label, an email's sender), else the wording."""

from __future__ import annotations

import re

from logger.promises.text import rules
from logger.promises.text.clauses import Sentence
from logger.promises.text.suggestion import Who

# A borrower or a lender named in the third person, as agreements and letters do.
# A call-centre note names the debtor 客户 ("客户承诺12月10日前还款").
# The debtor's promise logged by the collector's side (已为您登记还款承诺).
_PROMISE_LOGGED = r"登记(?:了)?(?:您|你)?的?还款承诺"
_ME_NAMED = re.compile(r"借款人|债务人|本人|" + _PROMISE_LOGGED +
                       r"|客户(?=[^，,。]{0,6}(?:承诺|表示|同意|提出|保证|答应|签署|称|说))"
                       r"|\b(?:the\s+)?borrower\b|\b(?:the\s+)?debtor\b|\b(?:customer|cust\.?|client)"
                       r"\s+(?:agrees|agreed|promised|promises|states|stated|said|says|will|set\s+up"
                       r"|committed|commits)\b", re.I)
_THEM_NAMED = re.compile(r"出借人|债权人|贷款人|贷款方|放款方|本机构|本平台|\b(?:the\s+)?lender\b"
                         r"|\bagent\s+(?:approved|granted|agreed|offered|confirmed|set\s+up)\b"
                         r"|\b(?:the\s+)?creditor\b", re.I)


def side_of(side: str | None) -> Who | None:
    return Who(side) if side in (Who.me, Who.them) else None


# The debtor named in the third person by the creditor's side, as a collector's notes do
# ("Agent: Customer agrees to 3 payments of $150", 客服：客户承诺周五前还款两千): the promise is the
# debtor's, whoever writes it down.
_DEBTOR_NOTED = re.compile(r"(?:客户|借款人|债务人)(?:已|本人)?(?:承诺|同意|答应|保证|表示会)"
                           r"|" + _PROMISE_LOGGED +
                           r"|\b(?:the\s+)?(?:customer|cust\.?|borrower|debtor|cardholder|client)\s+"
                           r"(?:has\s+)?(?:agrees|agreed|promised|promises|commits|committed|will\s+pay"
                           r"|to\s+pay)\b", re.I)


def who(said: Sentence, text: str) -> Who:
    """The side said it (the debtor's promise written down by the creditor's side is the
    debtor's), else the wording of `text`, else of the whole sentence."""
    if said.side == Who.them and _DEBTOR_NOTED.search(said.whole):
        return Who.me
    if said.side in (Who.me, Who.them):
        return Who(said.side)
    wording = from_wording(text)
    return wording if wording != Who.unknown else from_wording(said.whole)


def from_wording(text: str) -> Who:
    """借款人承诺 / 我 / I -> me; 我们可以 / 给你减免 / 只要你 -> them; 你/you alone (a collector
    restating what the debtor is to pay) -> them; else 你们 (the creditor addressed) -> me."""
    named = [(m.start(), party) for rx, party in ((_ME_NAMED, Who.me), (_THEM_NAMED, Who.them))
             for m in [rx.search(text)] if m]
    if named:   # an agreement's clause: its subject, the party named first
        return min(named)[1]
    if rules.THEM_SPEAKING.search(text):
        return Who.them
    if rules.ME_SPEAKING.search(text):
        return Who.me
    if rules.ADDRESSING_DEBTOR.search(text):
        return Who.them
    return Who.me if rules.CREDITOR_ADDRESSED.search(text) else Who.unknown


# An agreement names its parties once (甲方（出借人）：陈某 / 乙方（借款人）：刘某) and then by 甲方 and
# 乙方 alone.
_PARTY = re.compile(r"(甲方|乙方|丙方)\s*[（(]\s*([^）)]{2,6}?)\s*[）)]")
_PARTY_NAMED = re.compile(r"甲方|乙方|丙方")


def parties(text: str) -> dict[str, Who]:
    """The parties an agreement defines, by the role it gives each (借款人 -> me)."""
    found = {}
    for party, role in _PARTY.findall(text):
        wording = from_wording(role)
        if wording != Who.unknown:
            found.setdefault(party, wording)
    return found


def by_party(sentence: str, defined: dict[str, Who]) -> Who:
    """The side of the first party the sentence names (its subject), as the agreement defined
    it; unknown when it names none or one the agreement did not define."""
    named = _PARTY_NAMED.search(sentence)
    return defined.get(named[0], Who.unknown) if named else Who.unknown
