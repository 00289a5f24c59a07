"""The word lists that tell a promise from talk, Chinese and English, as named expressions.

They all read normalised text (numbers already digits, see promise_amounts). Each answers one
question about a sentence or a clause; logger.promises.text decides what the answers make.
When a phrasing is missed or misread, the fix is usually one alternative added here and one
case added to tests/data/promise_corpus.toml.
"""

from __future__ import annotations

import re


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(alternatives), re.IGNORECASE)


# Paying. 还 is also "still" (还有, 还是, 还欠): those readings are excluded by what follows it.
_STILL = r"(?!有|是|没|要|在|得|行|会|能|挺|算|想|剩|差|欠|可以|价|好|真|很|以|不)"
PAY = _rx(
    rf"还{_STILL}",
    r"付|支付|结清|打款|打钱|打给|打到|转|交|缴|凑|给(?:你|您)\s*\d",
    r"\b(?:re)?pay|\bsettle\b(?!\s+for)|\bclear\s+(?:it|the|my)\b|\btransfer",
    r"\bsend\s+(?:you\s+)?\$?\d",
    r"\bwire\b|\bdeposit\b|\bmake\s+(?:a\s+)?payment|\bget\s+you\b|\bdue\b",
    r"\b(?:can|could|will|'ll)\s+do\s+\$?\d")
# Paying that means money even without a sum: 月底前全部还清, 下周五还, 发了工资就还, "I'll pay
# by Friday".
PAY_FIRM = _rx(
    r"还(?:款|清|上|完|钱|你|给)|还(?=\s*(?:一半|部分|剩下|剩余|全部|所有))|结清|付款|付清|打款",
    rf"(?<=[号日天底末前就])还{_STILL}|(?<=(?:周|期|拜)[一二三四五六日天])还{_STILL}",
    r"\b(?:re)?pay\b|\bpay\s+(?:off|back)|\bclear\s+(?:it|the|my)\b|\bsettle\b(?!\s+for)")

# Saying one cannot or will not pay: the clause promises nothing.
PAY_REFUSED = _rx(
    r"(?:还|付|给|拿|凑)不(?:了|起|上|出|齐)|没(?:有)?钱|(?:不|不会|不能|不想|不打算|没法|没办法)还",
    r"无力(?:偿还|还款)|不可能还|\b(?:can't|cannot|can not|won't|will not|unable to|not able to)"
    r"\s+(?:afford|pay|make|do)|\b(?:don't|do not)\s+have\s+(?:the\s+|any\s+)?money|\bno money\b")
PAST = _rx(
    r"上个?月|上+(?:周|星期|礼拜)|昨天|前天|(?:还|付|转|打|减|免|停)过(?!去|来)|(?:说|答应|讲|承诺)过",
    r"\byesterday\b|\blast\s+(?:week|month|time|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday)\b|\bago\b")
# Money already paid. (An offer already granted, 我们已经为你申请了停催, still binds them.)
PAID = _rx(r"已经|\balready\b|\b(?:I|we|have|'ve|had)\s+(?:paid|sent|transferred)\b")

# The creditor's side offering something: waiving penalty or interest, settling for less, ...
WAIVER = _rx(
    r"减免|免除|免掉|免去|豁免|免收|打.{0,2}折|折扣|(?:算|视为|按)结清",
    r"免(?:罚息|利息|违约金|滞纳金|手续费)",
    r"(?:罚息|利息|违约金|滞纳金|手续费)[^，,。]{0,6}?(?:免|减|不收|不要了|不用(?:还|交))",
    r"不(?:收|要)(?:你)?(?:的)?(?:罚息|利息|违约金|滞纳金)",
    r"\bwaive|\bwaiver\b|\bwrite\s+(?:it\s+)?off\b|\bwritten\s+off\b|\bforgive",
    r"\breduce\s+(?:your|the)\s+(?:balance|debt|interest|fees?)\b",
    r"\b(?:drop|remove|cancel|take\s+off|knock\s+off)\s+(?:all\s+)?(?:the\s+|your\s+)?"
    r"(?:late\s+|penalty\s+)?(?:fees?|interest|penalt(?:y|ies)|charges)",
    r"\bsettle\s+(?:the\s+(?:account|debt)\s+|it\s+)?for\b|\bdiscount\b"
    r"|\b(?:full|final|one[- ]time|1[- ]time|lump[- ]sum)\s+settlement\b")
# ... or stopping collection: calls, visits, contacting family.
STOP_CALLS = _rx(
    r"停催|停止催(?:收|款|讨)|暂停催收|(?:停止|暂停)(?:上门|外访|联系|打电话|拨打|催收)",
    r"不(?:会)?再(?:给你|跟你|给您)?(?:打(?:电话)?|催|联系|上门|骚扰)",
    r"不(?:会)?(?:再)?(?:联系|打扰)(?:你|您)的?(?:家人|朋友|同事|紧急联系人|单位)|不(?:会)?上门",
    r"\bstop\s+(?:all\s+)?(?:calling|the\s+calls|contacting|collections?|calls)",
    r"\bno\s+more\s+calls\b|\b(?:won't|will\s+not|not\s+going\s+to)\s+(?:call|contact|bother)\b",
    r"\bpause\s+(?:the\s+)?(?:collections?|calls)",
    r"\bcease\s+(?:all\s+)?(?:contact|calls|collection)",
    r"\bhold\s+off\s+(?:on\s+)?(?:calling|collection|(?:the\s+)?calls)",
    r"\bput\s+(?:the\s+|your\s+)?(?:account|collection|calls)\s+on\s+hold",
    r"\b(?:have|get)\s+(?:the|these|all\s+the)\s+calls\s+stopped\b")
OFFER_REFUSED = _rx(
    r"(?:不|没法|无法|不能|不可能|不会|不给|别想)(?:给你|帮你|给您)?(?:减免|免除|免掉|免|减|停|暂停|打折)",
    r"\b(?:can't|cannot|can\s+not|won't|will\s+not|unable\s+to|not\s+able\s+to|no\s+way\s+(?:we|I)"
    r"(?:'ll|\s+will|\s+can))\s+(?:waive|stop|pause|drop|remove|reduce|give\s+you\s+a\s+discount)",
    r"\bnot\s+(?:waiving|stopping)\b")

# Other promises worth keeping: more time, no report to the credit bureau, it in writing.
OTHER = _rx(
    r"延期|延长|宽限|推迟|缓\d*天|征信|起诉|撤诉|撤案|书面|协议|合同|发给(?:你|您)|寄给(?:你|您)",
    r"\bextend|\bextension\b|\bpostpone|\bgrace\s+period|\bin\s+writing\b|\bwritten\b"
    r"|\bagreement\b|\b(?:won't|will\s+not|not)\s+(?:report|sue)\b|\bsend\s+you\b|\bemail\s+you\b")
OTHER_REFUSED = _rx(
    r"(?:不|没法|无法|不能|不可能|不给)(?:给你|帮你)?(?:延期|延长|宽限|推迟)",
    r"\b(?:can't|cannot|won't|will\s+not|unable\s+to)\s+(?:extend|give\s+you\s+(?:an?\s+)?"
    r"(?:extension|grace)|postpone)")

# Paying in instalments.
PLAN = _rx(
    r"分\s*\d+\s*(?:期|次|个月)|(?<!第)\d+\s*期|每期|分期(?!乐)|按月|每(?:个)?月|每(?:个)?(?:周|星期|礼拜)",
    r"\binstal+ments\b|\bpayment\s+plan\b|\b\d+\s+(?:monthly\s+|weekly\s+|equal\s+)?payments\b",
    r"\b(?:every|each|per|a)\s+(?:month|week)\b|/\s*month\b|\bmonthly\b|\bweekly\b",
    r"\bevery\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bevery\s+(?:\d+|other)\s+weeks?\b",
    r"\bover\s+\d+\s+(?:months|weeks)\b")
# Words that are about paying by instalments on their own, without a verb of paying.
PLAN_ITSELF = _rx(r"分\s*\d+\s*期|每期|\binstal+ments\b|\binstal+ment\s+plan\b|\bpayment\s+plan\b"
                  r"|\b(?:automatic|recurring|regular|monthly|weekly)\s+payments\b"
                  r"|\b\d+\s+(?:monthly\s+|weekly\s+|equal\s+)?payments\b")

# Speech acts that are not promises.
THREAT = _rx(r"否则|不然|要不然|再不还|不还的话|\bor\s+else\b|\botherwise\b|\bor\s+we(?:'ll|\s+will)\b",
             r"\bif\s+you\s+(?:don't|do\s+not|can't|cannot|fail\s+to)\s+pay\b")
DEMAND = _rx(r"必须|务必|马上|立刻|立即|赶紧|赶快|\bmust\b|\bhave\s+to\b|\bneed\s+to\b"
             r"|\bimmediately\b|\bright\s+now\b")
REQUEST = _rx(
    r"能不能|能否|可不可以|可否|是否可以|(?<!申)请(?!问)|麻烦|拜托|求(?:求)?(?:你|您)",
    r"别再|不要再|你们别|你别",
    r"\bcan\s+you\b|\bcould\s+you\b|\bwould\s+you\b|\bwill\s+you\b|\bplease\b",
    r"\bis\s+it\s+possible\b|\bany\s+chance\b|^\s*(?:stop|don't|do\s+not|quit)\b")
QUESTION = re.compile(r"[?？]\s*$|[吗么呢]\s*[。.!！]?\s*$")
# A proposal ending in a question tag ("……，行吗？", "…, okay?") is a statement.
TAG_QUESTION = _rx(
    r"[，,]?\s*(?:行吗|好吗|可以吗|行不行|好不好|可不可以|成吗|对吧|是吧|对吗|是吗|没错吧|ok(?:ay)?|alright"
    r"|all\s+right|is\s+that\s+ok(?:ay)?|does\s+that\s+work(?:\s+for\s+you)?|right|correct|deal)"
    r"\s*[?？]\s*$")
COMMITS = _rx(
    r"我们?(?:这边)?(?:不)?(?:会|保证|一定|肯定|可以|能|就|将|同意|愿意|承诺|答应)",
    r"\b(?:I|we)(?:'ll|\s+will|\s+can|\s+could|\s+promise|\s+won't|\s+will\s+not)\b")
# A clause that is the "if" of another ("如果你们减免罚息，我就还").
CONDITIONAL = _rx(r"^\s*(?:那么?\s*)?(?:(?:你们?|您)\s*)?(?:如果|只要|要是|假如|若|if\b"
                  r"|as\s+long\s+as\b|provided\b|once\b)")

# Who speaks, from the wording, when the text has no sides.
THEM_SPEAKING = _rx(
    r"我们(?!家)|我司|本公司|我方|我行",
    r"(?:给|帮|为|替)(?:你|您)(?:申请|减免|免|办理|办|分期|延期|停|争取|登记|安排)",
    r"(?:只要|如果|要是|假如)(?:你|您)(?!们)|(?<!我)可以(?:给你|帮你|为你)?申请",
    r"\bwe\b|\bwe'(?:ll|re|ve|d)\b|\bour\b|\bif\s+you\b|\bas\s+long\s+as\s+you\b|\bonce\s+you\b")
# Paying "you" (还你, 转给你) is the debtor speaking, even without a 我.
ME_SPEAKING = _rx(r"(?<![给帮让替为叫和跟])我(?!们)|(?:还|转|付|打)给?(?:你|您)|\bI\b|\bmy\b"
                  r"|\blet\s+me\b")
# 你/you as the one to pay: a collector restating what the debtor is to pay.
ADDRESSING_DEBTOR = _rx(
    r"(?:你|您)们?[^，,。]{0,8}?(?:还|付|转|交|结清)",
    r"\byou(?:'ll|\s+will|\s+can|\s+need|\s+must|\s+should|\s+have)?\s+(?:to\s+)?"
    r"(?:pay|make|send|transfer|settle|clear)|\byou(?:'ll|\s+will)\s+(?:get|receive)\b|你会收到",
    r"\byour\s+(?:next\s+)?(?:payment|instal+ment)\b")
