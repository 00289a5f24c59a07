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


# Charges a creditor may forgo, and a discount named by its rate (按六折, 以8.5折).
_FEE = r"(?:罚息|利息|违约金|滞纳金|手续费)"
_DISCOUNT = r"[按以打][一二三四五六七八九\d]+(?:\.\d+)?折"


# Words of paying are lexicon.toml's (tokens.py). 还 is also "still" (还有, 还是, 还欠): those
# readings are excluded by what follows it.
_STILL = r"(?!有|是|没|要|在|得|行|会|能|挺|算|想|剩|差|欠|可以|价|好|真|很|以|不)"
# Paying that means money even without a sum: 月底前全部还清, 下周五还, 发了工资就还, "I'll pay
# by Friday".
PAY_FIRM = _rx(
    r"还(?:款|清|上|完|钱|你|给)|还(?=\s*(?:一半|部分|剩下|剩余|全部|所有))|结清|付款|付清|打款",
    rf"(?<=[号日天底末前就])还{_STILL}|(?<=(?:周|期|拜)[一二三四五六日天])还{_STILL}",
    r"\b(?:re)?pay\b|\bpay\s+(?:off|back)|\bclear\s+(?:it|the|my)\b|\bsettle\b(?!\s+for)")

# Saying one cannot or will not pay: the clause promises nothing.
PAY_REFUSED = _rx(
    r"(?:还|付|给|拿|凑)不(?:了|起|上|出|齐)|没(?:有)?钱|"
    r"(?<![分也都])(?:不可能|没办法|没法|不能|不会|不打算|不想|无法)[^，,]{0,8}?(?:还|付|转|交|结清)|(?:不|不会|不能|不想|不打算|没法|没办法)还",
    r"无力(?:偿还|还款)|不可能还|不接受|不同意|不认可|\b(?:I'm|I\s+am)\s+not\s+(?:paying|going\s+to\s+pay)\b|\b(?:can't|cannot|can not|won't|will not|unable to|not able to)"
    r"\s+(?:afford|pay|make|do)|\b(?:don't|do not)\s+have\s+(?:the\s+|any\s+)?money|\bno money\b")
# Words that, before a word of paying in the same clause, refuse it.
NEGATION = _rx(r"(?<![分也都])(?:不可能|没办法|没法|不能|不会|不打算|不想|无法|没有能力|拿不出|凑不齐)",
               r"\b(?:can't|cannot|can\s+not|won't|will\s+not|unable\s+to|not\s+able\s+to|no\s+way)\b")
PAST = _rx(
    r"\b(?:was|were|had\s+been)\s+(?:due|supposed)\b|\boverdue\b(?!\s+(?:amount|balance|sum|payments?|instal+ments?|part|portion))|\bmissed\b|本(?:该|应)|原定|已(?:经)?逾期|逾期了|到期了",
    r"之前(?:答应|说|讲|承诺)|上次|说好的|没做到|答应(?:了)?的|\bposted\b|\blast\s+payment\b|\bpast\s+due\b"
    r"|\bwent\s+through\b|(?<!cust )(?<!cust\. )(?<!customer )(?<!client )(?<!debtor )(?<!borrower )\bpromised\b|\bsaid\s+(?:you|he|she|they)(?:\s+would|'d)\b"
    r"|\b(?:payment|transfer|deposit)\s+(?:was\s+|has\s+been\s+)?(?:received|processed|confirmed)\b|\bwe\s+(?:have\s+)?received\b"
    r"|\b(?:was|were)\s+(?:going|planning|hoping|meaning)\s+to\b",
    r"刚(?:刚|才)|(?:本|应)(?:该|当)?在[^，,]{0,12}(?:前|之前)还|已经过了|本来(?!就)|没(?:有)?还(?:上|清|款)?(?!的话)|"
    r"成功(?:还款|扣款|支付|转账|入账)|(?:还款|扣款|支付|转账)成功|已(?:还款|扣款|入账|到账)|已于|早就(?:还|付|转)了|"
    r"去年|前年|签过|(?:你|您)(?:说|答应)的|都过了|还款时间|交易时间|交易单号|还款渠道|"
    r"上个?月(?![^，,。]{0,3}欠)(?!(?:的|那|的那)?一?期)|(?<=[我俺])(?:以前|之前|过去)(?=每|都|一直|从来|按时)|从来没|上+(?:周|星期|礼拜)|昨天|前天|(?:还|付|转|打|减|免|停)过(?!去|来)|(?:说|答应|讲|承诺)过",
    r"\byesterday\b|\blast\s+(?:week|month|time|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday)\b|\bago\b")
# A deed done: 还了, 转了 (after a time gone by, the past).
DONE = _rx(r"(?:还|转|付|打|存|交|汇|补)了(?![解结])")
# The deed itself said done, with no time gone by named (我今天还了300; a transcript's 还了 | 三百):
# paying followed by 了 and then a sum or nothing, with no word of what is still to come before
# it (那我就先还了 / 我把这三百还了 promise; 我会还了 is no Chinese).
DEED_DONE = _rx(r"^(?:(?!就|先|再|会|要|得|准备|打算|马上|把|等|了解|一定|肯定|保证).)*"
                r"(?:还|转|付|打|存|交|汇|补|花|用|借)(?:了(?![解结])(?:\s*(?:\d|钱|款)|\s*$)|的\s*$)")
# What a waiver of charges names (the waiver of a payment made at once: offers.py).
FEES_NAMED = _rx(_FEE, r"费用|年费|逾期费|\bfees?\b|\binterest\b|\bpenalt")
# A receipt: its field lines (还款金额：8,600.00元) state what was paid.
RECEIPT = _rx(r"(?:还款|扣款|支付|交易|转账)(?:已经?)?成功|\bpayment\s+(?:was\s+)?(?:received|successful)\b")
RECEIPT_FIELD = _rx(r"^\s*[\u4e00-\u9fff]{2,8}\s*[：:]|^\s*[A-Za-z][A-Za-z ]{1,24}:\s")
# An offer said to have run out, as a fact (那个一次性结清6000的优惠，已经过期了; not 逾期减免失效, which
# says when it would): the sentence offers nothing.
EXPIRED = _rx(r"(?:已经?|早就|早已)(?:过期|失效|作废|取消)|(?:过期|失效|作废)了",
              r"\b(?:offer|settlement|deal|discount)\b[^.!?]{0,30}\b(?:has\s+|have\s+)?(?:expired"
              r"|(?:is\s+|are\s+)?no\s+longer\s+(?:valid|available|on\s+the\s+table))")
# Money already paid. (An offer already granted, 我们已经为你申请了停催, still binds them.)
PAID = _rx(r"已经|\balready\b|\b(?:I|we|have|'ve|had)\s+(?:paid|sent|transferred)\b")

# The creditor's side offering something: waiving penalty or interest, settling for less, ...
WAIVER = _rx(
    r"减免|免除|免掉|免去|豁免|免收|打.{0,2}折|折扣|(?:算|视为|按)结清",
    r"免" + _FEE + r"|免[^，,。]{1,4}?的?" + _FEE,
    r"(?:罚息|利息|违约金|滞纳金|手续费|逾期费用?)[^，,。]{0,6}?(?:免|减|不收|不要了|一分不(?:收|要)|不用(?:还|交)|一笔勾销)",
    r"不(?:收|要)(?:你)?(?:的)?(?:罚息|利息|违约金|滞纳金)",
    r"(?:给|帮)(?:你|您)(?:把)?[^，,]{0,8}?(?:免|减|去掉|抹掉)|(?:罚息|利息|违约金|滞纳金|手续费|费用)[^，,。]{0,4}?(?:去掉|抹掉|不算|全免|免一半)",
    r"\bwaiv(?:e|ing)|\bwaiver\b|\b(?:fees?|charges|interest|penalt(?:y|ies))\s+(?:are|is|will\s+be|get)\s+"
    r"(?:wiped|waived|removed|dropped|gone)\b",
    r"\breverse\s+(?:the\s+|your\s+)?(?:\w+\s+){0,2}(?:fees?|charges?|interest)|\bwrite\s+(?:it\s+)?off\b|\bwritten\s+off\b|\bforgive",
    r"\breduce\s+(?:your|the)\s+(?:balance|debt|interest|fees?)\b",
    r"\b(?:fees?|charges?|interest|penalt\w+)\s+(?:\w+\s+){0,2}comes?\s+off\b",
    r"\b(?:drop|remove|cancel|take\s+off|knock\s+off)\s+(?:all\s+)?(?:the\s+|your\s+)?"
    r"(?:late\s+|penalty\s+)?(?:fees?|interest|penalt(?:y|ies)|charges)",
    r"\bdiscount\b|\btake\s+(?:\w+\s+){0,3}(?:interest|fees?|charges?|penalt\w+)\s+off\b"
    r"|\b(?:wipe|clear)\s+(?:out\s+)?(?:all\s+)?(?:the\s+|your\s+)?(?:late\s+|penalty\s+)?(?:fees?|charges|penalt(?:y|ies))\b"
    r"|\bfreeze\s+(?:the\s+|all\s+)?(?:interest|fees|charges)\b")
# A sum said to close the debt (一万五结清, 四千五 一次性 给你们 结了, 作为全部欠款的最终结清, "final
# offer: 6k lump sum ... we're done"): a settlement whoever offers it. Not the whole debt paid at
# once, whose sum follows its closing word (一次性还清全部欠款，计人民币叁万伍仟元整), nor a sum
# paid off (我把八千结清, 把欠的两万三结清, 把本金8600一次性结清), nor a day (12月31号前结清).
SUM_CLOSES = _rx(
    r"(?:^|(?<=[，,。；;：:]))[^，,。；;：:把\n]{0,14}?\d+(?:\.\d+)?(?![\d号日月点天周期年])[^，,。\d全剩所欠]{0,8}?"
    r"(?:结清|了结|结了|结掉|销账|销了|两清)"
    r"|作为[^，,。]{0,10}(?:最终)?(?:结清|清偿)|视为[^，,。]{0,12}全部履行|放弃[^，,。]{0,10}追(?:索|偿|究)"
    r"|不再追究",
    r"\bfinal\s+offer\b|\bwe'?re\s+done\b|\bsettlement\s+of\b"
    r"|\bcall\s+it\s+(?:settled|even|square|quits)\b")
# ... settling the debt for less, paid at once: the sum is what settles it.
SETTLEMENT = _rx(SUM_CLOSES.pattern, _DISCOUNT, r"结清方案|折[^，,。]{0,2}结(?:清|了)",
    r"全部了结|一次了结|一口价|按本金(?:结清|结|算)|都不(?:再)?追了|不再追(?:究|讨|索)",
    r"\bsettle\s+(?:\w+\s+){0,2}at\s+\d",
    r"一次性(?:结清|还清|付清|还款|清偿|处理|还|付)|(?:算|视为|按|当作?)(?:你)?(?:全部)?(?:债务)?结清|结清价|协商结清"
    r"|按\s*\d[^，,。]{0,4}?结(?:了|清|掉)|两清|就算了了|这事就(?:算|了)|(?:不再|放弃)追偿|就当(?:全部)?(?:结清|了结)"
    r"|(?:减到|减至|降到|降至|只需(?:要)?(?:还|付)?|只(?:要)?(?:还|付)|只收)(?:本金)?\s*\d"
    r"|以结清|作为结清|视作结清|剩(?:下|余)(?!的?" + _FEE + r")的?[^，,]{0,10}(?:不要了|别要了|不用还了?|免了|一笔勾销|就算了)"
    r"|(?<!费)(?<!息)(?<!金)(?<!就)一笔勾销|其他的?(?:都)?不用(?:还|管)了?"
    r"|(?:就|也就|这笔就|就算(?:你)?|算(?:你)?)(?:结清|了结)了?|只收本金|结清减免",
    r"\bsettle\s+(?:the\s+(?:account|debt|balance)\s+|it\s+|this\s+)?for\b"
    r"|\b(?:full|final|one[- ]time|1[- ]time|lump[- ]sum|full\s+and\s+final)\s+(?:settlement|payment)\b"
    r"|\bto\s+settle\s+(?:the|this|my|your)\s+(?:account|debt|balance)\b"
    r"|\bsettlement\s+(?:offer\s+)?(?:of|for|at)\b|\baccept\s+\$?\d[\d,.]*\s+(?:as|to)\b"
    r"|\bpaid\s+in\s+full\s+for\b|\bclose\s+(?:out\s+)?(?:the|your)\s+account\b"
    r"|\bsettle(?:d|ment)?\b[^.]{0,40}\bfor\s+\$?\d|\bsettlement\s+offer\b|\bsettled\s+in\s+full\b"
    r"|\bthe\s+rest\s+(?:is|will\s+be)\s+(?:forgiven|waived|written\s+off)\b|\bas\s+(?:a\s+)?settlement\b"
    r"|\bsettle\s+(?:the\s+|my\s+|this\s+)?(?:account|debt|balance)\s+in\s+full\b|\bknock\s+(?:it|that|this)\s+down\s+to\b"
    r"|\bclose\s+(?:it|this|the\s+account)\s+out\b|\blump[- ]sum\s+of\b"
    r"|\bin\s+full\s+satisfaction\b|\$?\d[\d,.]*\s+(?:lump[- ]sum|to\s+settle)\b"
    r"|\bwrite\s+off\s+the\s+(?:remaining|rest)\b")
# A letter in the debtor's own name: it opens with 本人 or is signed by the one who promises.
DEBTOR_LETTER = _rx(r"(?:^|\n)\s*本人|(?:^|\n)\s*(?:承诺人|申请人)\s*[：:]")
# The whole debt paid off (一次性还清全部欠款): a payment, not a settlement for less.
WHOLE_DEBT = _rx(r"(?:还清|付清|结清|清偿|归还)(?:全部|所有|剩余的?)(?:欠款|债务|借款|本息|款项)")
# Paying at once, no more: 一次性还, 一次性付清 (ONE_GO: near a clause's start).
AT_ONCE = _rx(r"一次性(?:还|付|结清|还清|付清|支付|偿还)")
ONE_GO = _rx(r"^[^，,]{0,6}" + AT_ONCE.pattern)
SETTLED_SUM_MARK = _rx(SUM_CLOSES.pattern,
                       _DISCOUNT, r"(?:给(?:你|您))?算\s*\d",
                       r"减到|减至|降到|降至|只需|只要还|只还|只收|以结清|按\s*\d[^，,。]{0,4}?结|两清|就算了了|视为(?:全部)?(?:债务)?结清|(?:不再|放弃)追偿|就当(?:全部)?(?:结清|了结)"
                       r"|\bdown\s+to\b|\bsettle\s+(?:\w+\s+){0,2}in\s+full\b|\blump[- ]sum\b|\bclose\s+(?:it|this)\s+out\b|剩(?:下|余)(?!的?" + _FEE + r")的?[^，,]{0,10}(?:不要了|别要了|不用还|免了|一笔勾销)|一笔勾销|折|\bsettle\s+(?:\w+\s+){0,2}for\b|\baccept\b"
                       r"|\bfull\s+and\s+final\b|\bwrite\s+off\s+the\s+(?:remaining|rest)\b")
# The sum a settlement names: the one after these words, else the smallest said.
SETTLED_SUM = _rx(r"(?:减到|减至|降到|降至|只需(?:要)?(?:还|付)?|只(?:要)?(?:还|付)|结清价|按|for|of|at|accept"
                  r"|一次性(?:还|付|结清|支付|偿还|还清|付清)?)"
                  r"\s*(?:¥|\$|人民币)?\s*$")
# ... or stopping collection: calls, visits, contacting family.
STOP_CALLS = _rx(
    r"停催|停止催(?:收|款|讨)|暂停催收|(?:停止|暂停)(?:一切|所有|全部)?(?:对(?:你|您)的)?(?:上门|外访|外呼|联系|打电话|拨打|催收|电话)",
    r"(?:催收|外呼|外访|上门|电话|催款)[^，,。]{0,6}?(?:停掉|停了|停下|暂停|先停)|不(?:会)?再接到[^，,。]{0,8}电话",
    r"(?:停止|暂停)[^，,。]{0,10}(?:联络|联系|催收)|(?:案子|案件|账户)?挂起来|不会有人(?:再)?(?:打|联系|催|上门)",
    r"不(?:会)?再(?:有人)?(?:往|给|跟|向)[^，,。]{0,10}?(?:打(?:电话)?|发(?:短信|信息)|联系|骚扰|上门)",
    r"不(?:会)?再(?:有人)?(?:往|给|跟|向)?(?:你|您)?(?:的)?(?:单位|公司|家里|家人|同事|朋友)?(?:打(?:电话|你|您)?|催|联系|上门|骚扰)|不再以[^，,。]{0,16}(?:联系|打扰|催收)",
    r"不(?:会)?(?:再)?(?:联系|打扰)(?:你|您)的?(?:家里人|家人|父母|朋友|同事|紧急联系人|单位)|不(?:会)?上门",
    r"不(?:会)?(?:再)?打(?:你|您)?(?:的)?(?:单位|公司|家里|家人|同事|朋友)?(?:的)?电话|不(?:会)?(?:再)?(?:给|跟)(?:你|您)?(?:的)?(?:同事|家里人|家人|单位|朋友|紧急联系人)?(?:打电话|联系)",
    r"(?:单位|公司|家里|老家|家人)那边(?:我们)?就?不(?:去|找|打)了",
    # no more contact, said as a negation of it (我们这边不会再发短信打扰您, 不向借款人的亲属、同事进行催收)
    r"不(?:会|再|向)(?:再)?(?:有人)?[^，,。]{0,10}?(?:打电话|打扰|发短信|发信息|发消息|进行催收|上门|去(?:你|您)家"
    r"|有电话|电催|外访)|暂停电催|(?:外访|上门)[^，,。]{0,8}?撤了|"
    r"(?:停|停掉|关)了?(?:你的?)?(?:外呼|催收|电话|上门|外访)|不(?:会)?(?:再)?(?:给|跟)(?:你|您)打(?:了|电话)"
    r"|不(?:会)?再打给(?:你|您)|撤(?:回|销)(?:了)?(?:上门|外访)|不再(?:给(?:你|您))?发(?:短信|信息|消息)",
    r"(?:就|会|将)不(?:会)?(?:再)?(?:联系|打扰|骚扰|催(?:你|您)?|打电话)(?:了|你|您)",
    r"我们(?:就|这边)?不(?:会)?(?:再)?(?:打扰|骚扰|联系)(?:你|您)了",
    r"\bcalls\s+(?:will|would)\s+stop\b|\bcease[- ]calls?\b|\bonly\s+(?:contact|reach)\s+you\s+by\s+(?:email|mail|letter|text)",
    r"\bstop\s+(?:all\s+)?(?:calling|the\s+(?:\w+\s+)?calls|contacting|collections?|calls)",
    r"\b(?:the\s+)?(?:calls|texts|messages|visits)\s+(?:to\s+(?:\w+\s+){1,2})?(?:will\s+)?stop\b",
    r"\bno\s+(?:one|1|more)\s+(?:calls?|texts?|contacts?)\b|\bno\s+calls?\s+or\s+texts?\b"
    r"|\bno\s+(?:calls?|contact)\s+(?:for|until)\b|\bnot\s+be\s+contacted\b|\bstop\s+(?:the\s+)?(?:home\s+)?visits\b|\bcontact\s+hold\b|\b(?:won't|will\s+not|not\s+going\s+to)\s+(?:call|contact|bother)\b",
    r"\bpause\s+(?:all\s+)?(?:the\s+)?(?:collection\s+)?(?:collections?|calls)",
    r"\bno\s+calls\s+(?:will\s+be\s+made|during)\b|\bcalls?\s+(?:are\s+|will\s+be\s+)?suspended\b"
    r"|\bsuspend(?:ed|ing)?\s+(?:the\s+|all\s+)?(?:collection\s+)?calls\b",
    r"\bcease\s+(?:all\s+)?(?:telephone\s+|phone\s+)?(?:contact|calls|collection)",
    r"\bhold\s+off\s+(?:on\s+)?(?:calling|collection|(?:the\s+)?calls)|\bhold\s+on\s+(?:\w+\s+){0,2}(?:calls|collections?)\b",
    r"\b(?:nobody|no\s+one)\b[^.]{0,30}\b(?:call|ring|contact)|\bwon't\s+(?:ring|phone)\b",
    r"\bput\s+(?:the\s+|your\s+)?(?:account|collections?|calls)\s+on\s+hold",
    r"\b(?:have|get)\s+(?:the|these|all\s+the)\s+calls\s+stopped\b")
OFFER_REFUSED = _rx(
    r"(?:不|没法|无法|不能|不可能|不会|不给|别想)(?:再)?(?:给你|帮你|给您|为您|为你)?(?:办理|申请|做)?(?:减免|免除|免掉|免|减|降|停|暂停|打折|延期|宽限)",
    r"(?:延期|减免|停催|分期|结清价|宽限)[^，,]{0,3}?(?:是)?(?:不可能|不行|没(?:有)?(?:办法|可能)|办不了|不能)",
    r"\b(?:can't|cannot|can\s+not|won't|will\s+not|unable\s+to|not\s+able\s+to|no\s+way\s+(?:we|I)"
    r"(?:'ll|\s+will|\s+can))\s+(?:waive|stop|pause|drop|remove|reduce|accept|agree\s+to|settle|offer"
    r"|give\s+you\s+a\s+discount)|(?:n't|\bnot|\bno\s+longer)\s+(?:be\s+)?(?:waiv|settl|offer)",
    r"(?:不|无法|不能)(?:同意|批准|接受|考虑)[^，,。]{0,6}?(?:减免|免除|免|减|停催|延期|宽限|结清|分期)",
    r"(?:您|你)(?:也)?可(?:以)?申请(?!到)|可申请(?!到)|详情请点击"
    r"|\bwants?\s+(?:the|his|her|their|my)\s+(?:\w+\s+){1,3}(?:waived|reduced|removed|stopped)\b",
    r"\bnot\s+(?:waiving|stopping)\b|\b(?:isn't|is\s+not|not)\s+(?:possible|available|an\s+option)\b",
    r"没(?:有)?(?:审核)?(?:通过|批准|批下来)|未(?:通过|获批|批准)|被拒|驳回|(?:才|再)(?:有资格|能|可以)?谈",
    r"\b(?:declined|denied|rejected|turned\s+down|not\s+(?:been\s+)?approved)\b")

# Other promises worth keeping: more time, no report to the credit bureau, it in writing.
OTHER = _rx(
    r"征信|起诉|撤诉|撤案|书面|协议|合同|发给(?:你|您)|寄给(?:你|您)",
    r"\bin\s+writing\b|\bwritten\b"
    r"|\bagreement\b|\b(?:won't|will\s+not|not)\s+(?:report|sue)\b|\bsend\s+you\b|\bemail\s+you\b")
# More time to pay: the day is the new one.
EXTENSION = _rx(
    r"延期|延长|宽限|推迟|缓\d*(?:天|日|周|个月)|延(?:你|您)?\d+(?:天|日|周|个(?:星期|礼拜|月))|往后(?:推|延)|延后|展期|顺延|延到|延至|推到|推至"
    r"|(?:给|帮)(?:你|您)延了|可以晚(?:几|两|一|\d+)天",
    r"\bpush\s+(?:your|the)\s+(?:\w+\s+)?(?:due\s+)?date\s+(?:to|until|back)\b|\bextend(?!ed\s+family)|\bextension\b(?!\s*\d)|\bpostpone|\bgrace\s+period|\bpush(?:ed)?\s+(?:\w+\s+){0,3}(?:back|out)\b"
    r"|\bdefer(?:ral|red|ment)?\b"
    r"|\b(?:need|get|have)\s+until\b|\bmore\s+time\b"
    r"|\b(?:give|giving)\s+you\s+(?:until|till|to|more\s+time|an?\s+(?:extra|few|more))"
    r"|\bmove\s+(?:the|your)\s+(?:due\s+)?date\b|\bdate\s+(?:has\s+been\s+|was\s+|is\s+)?moved\b|\bmoved\s+(?:your|the)\s+(?:payment\s+)?due\s+date\b|\bextra\s+(?:\w+\s+)?(?:days?|weeks?|months?)\b"
    r"|\bnew\s+due\s+date\b|\b(?:give|giving|grant)\s+you\s+(?:\d+|a|an|another)\s+(?:more\s+|extra\s+)?"
    r"(?:days?|weeks?|months?)\b|(?:再|多)给(?:你|您)\d*(?:天|周|个月|点时间|些时间|几天)")
OTHER_REFUSED = _rx(
    r"(?:不|没法|无法|不能|不可能|不给)(?:给你|帮你)?(?:延期|延长|宽限|推迟)",
    r"没(?:有)?(?:审核)?(?:通过|批准|批下来)|未(?:通过|获批|批准)|被拒|驳回"
    r"|\b(?:declined|denied|rejected|turned\s+down|not\s+(?:been\s+)?approved)\b",
    r"(?:延期|宽限|推迟)[^，,]{0,3}?(?:是)?(?:不可能|不行|没(?:有)?(?:办法|可能)|办不了|不能)",
    r"\b(?:can't|cannot|won't|will\s+not|unable\s+to)\s+(?:extend|give\s+you\s+(?:an?\s+)?"
    r"(?:extension|grace)|postpone)")

# Paying in instalments.
PLAN = _rx(
    r"每天(?:还|付|转)|连续[^，,。]{0,3}\d+天|每半个月|每(?:两|\d+)个?(?:周|礼拜|星期)|每隔|(?:两|\d+)个?(?:礼拜|星期|周|月)(?:还|付|转|给)?[一1]次"
    r"|各(?:还|付|转|给)\s*\d|(?<![这上下前本当])(?:一|1)个月(?:给(?:你|您)们?)?(?:还|付|转)"
    r"|分\s*\d+\s*(?:期|次|个月)|(?<!第)(?<![那这前上后])\d+\s*期|每期|分期(?!乐)|按月|每(?:个)?月|每(?:个)?(?:周|星期|礼拜)",
    r"\binstal+ments\b|\bpayment\s+plan\b|\b\d+\s+(?:monthly\s+|weekly\s+|equal\s+)?payments\b",
    r"\b(?:every|each|per|a)\s+(?:month|week)\b|/\s*mo(?:nth)?\b|\bmonthly\b|\bweekly\b"
    r"|\bbi-?weekly\b|\bevery\s+(?:two|2|other)\s+weeks\b",
    r"\bevery\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bevery\s+(?:\d+|other)\s+weeks?\b",
    r"\bover\s+\d+\s+(?:months|weeks)\b")
# Words that are about paying by instalments on their own, without a verb of paying.
# A day of every month (每月20号): a plan when someone commits to a sum on it, not a platform's
# reminder of its billing day.
MONTHLY_DAY = _rx(r"每(?:个)?月\s*\d{1,2}\s*[号日]")
PLAN_ITSELF = _rx(r"分\s*\d+\s*期|每期|\d\s*/\s*mo(?:nth)?\b|\binstal+ments\b|\binstal+ment\s+plan\b|\bpayment\s+plan\b"
                  r"|\d\s*(?:dollars\s+)?(?:a|per|each|every)\s+(?:month|week)\b|\b(?:of|on)\s+(?:every|each)\s+month\b"
                  r"|\b(?:a|per|each|every)\s+(?:month|week|\w+day)\s+for\s+\d+\s+(?:months|weeks)\b"
                  r"|\bevery\s+(?:two|2|other)\s+weeks\b|\bplan\s+of\s+\$?\d"
                  r"|\b(?:automatic|recurring|regular|monthly|weekly)\s+payments\b"
                  r"|\b\d+\s+(?:monthly\s+|weekly\s+|equal\s+)?payments\b")

# Words that make a bare sum and day an agreed payment (行，就这么定了，周五前六千; "OK, Friday,
# 3500"; "$400 on the 12th, I promise").
AGREED = _rx(r"^\s*(?:好|行|可以|OK|okay|嗯|那就|就这样|对对|是的)|没错|定了|说定|说好了|就这么办|一言为定|保证|一定|没问题",
             r"\bI\s+promise\b|\bdeal\b|(?:^|,\s*)done[.!]?\s*$|\bagreed\b|\bthat's\s+final\b|^\s*(?:ok(?:ay)?|fine|sure|alright)\b")
# Paying in full, said without a verb (十二月五号之前，一万二，一分不少).
# A part paid first, the rest after (先还1000，周五还; "first $300, the rest on Friday").
PART_FIRST = _rx(r"先|首付|剩下|剩余|其余|余下|尾款|\bfirst\b|\bthe\s+(?:rest|remainder)\b|\bdown\b")
IN_FULL = _rx(r"一分(?:都|也)?不(?:少|差)|分文不少|全额|足额|\bin\s+full\b|\bevery\s+(?:penny|cent)\b"
              r"|\b(?:the\s+)?(?:whole|full|entire)\s+(?:balance|amount|debt)\b|\ball\s+of\s+it\b"
              r"|\bthe\s+(?:rest|remainder|balance)\b(?!\s+(?:is|was|of|remains|stands))"
              r"|(?:剩下|余下|其余)的(?!全是|都是|是)|尾款")
# A statement of what is owed: its sum is the debt, not a promise.
# The terms of the old contract or a statement, whatever verbs they hold.
TERMS = _rx(r"合同(?:上|里)|原(?:合同|协议)|借款合同|按(?:照)?合同|合同约定|账单日|(?:您|你)的还款日(?:为|是)|最低还款额?(?:是|为)"
            r"|本期应还|应还(?:金额|款额)|(?:剩余|当前|本月)应还|即将到期|(?:要|该|应)还的\s*(?:[：:]|$)|(?<!每期)(?<!每月)应还\s*(?:¥|人民币)?\s*\d|(?:最后|到期)还款日|温馨提示|账单(?:上|显示|里)|约定每"
            r"|(?:借款|转账|交易|到账)金额|借款期限|还款方式|流水号|(?:合同|借款|订单)编号|剩余待还",
            r"\boriginal\s+(?:agreement|contract|terms|loan)\b|\b(?:agreement|contract)\s+(?:required|requires|said|says|stated|states)\b",
            r"\breminder\s+that\b|\bthis\s+is\s+a\s+reminder\b|^\s*reminder\b"
            r"|\bminimum\s+payment\s+(?:of\s+)?\S+\s+(?:is\s+)?due\b"
            r"|\byour\s+(?:\w+\s+)?payment\s+(?:of\s+\S+\s+)?is\s+due\b",
            r"\bminimum\s+(?:payment\s+)?(?:due\s+)?is\b(?!\s+(?:paid|received))|\bstatement\b|\bunder\s+(?:the|your)\s+"
            r"(?:original\s+)?(?:contract|terms)\b|\bdays\s+(?:late|past\s+due|delinquent)\b")
DEBT = _rx(r"欠(?!条)|尚欠|未还(?:金额|款)|应还(?:金额|款)|待还|逾期(?:金额|款)|账单(?:金额)?(?:是|为|共)",
           r"\bowe[sd]?\b|\boutstanding\b|\bbalance\s+(?:is|stands|remains)\b|\byou\s+have\s+an?\s+"
           r"(?:overdue|outstanding|unpaid)")
# A condition that is not to be: the speaker's own luck or a counterfactual.
HYPOTHETICAL = _rx(
    r"(?:如果|要是|假如|假设|万一|若是|倘若)[^，,]*(?:中(?:了)?(?:彩票|奖)|彩票|发财|有钱|暴富|有这笔钱)",
    r"(?:如果|要是|假如|假设|万一|若是|倘若)(?:说)?(?:我|他|她|家里|朋友|我[爸妈哥姐弟妹老])",
    r"(?:如果|要是|假如|假设|万一|若是|倘若)[^，,]{0,6}(?:奖金|年终奖|提成|分红|赔偿|补偿|借到|贷款|钱)[^，,]{0,6}(?:下来|到账|批)",
    r"(?:朋友|同事|亲戚|家里|他|她)[^，,]{0,4}(?:如果|要是|假如)|彩票|中了?大奖|找到(?:工作|活)|找着工作|不敢保证|不能保证|保证不了|不一定|不确定|说不准",
    r"\b(?:find|get|land)\s+a\s+(?:new\s+)?job\b|\bcan't\s+promise\b|\bno\s+guarantees?\b|\bnot\s+sure\b",
    r"^\s*万一|(?<!不)可能|说不定|也许|或许|大概|尽量|争取|看看能不能|试试|到时候看",
    r"\bif\s+(?:my|his|her|our)\b|\bif\s+I\s+(?:win|won|had|were|hit|get|land|find|sell|can|could)\b|\blottery\b|\bif\s+I\s+could\b"
    r"|\bmaybe\b|\bmight\b|\bperhaps\b|\bhopefully\b|\btry\s+to\b|\bI'll\s+try\b|\bprobably\b"
    r"|\bshould\s+be\s+able\s+to\b|\bsomething\s+(?:next|this|by|on)\b"
    r"|\bif\s+(?:my|the)\s+(?:\w+\s+){0,2}(?:comes?\s+through|pays?\s+me|goes\s+through)"
    r"|\bI\s+would\s+(?:pay|have\s+paid)\b|\bI'd\s+pay\b|\bhypothetically\b"
    r"|\bif\s+(?:it'?s|it\s+is|that'?s|this\s+is)\s+approved\b|如果(?:能)?(?:批|审批通过)|批下来的话")

# A part of what is owed, not all of it (先还一部分, "something", "part of it").
PART = _rx(r"一部分|部分|一些|一点|一半|\bsome(?:thing)?\b|\bpart\s+of\b|\bhalf\b")
# A deadline named on its own line or sentence (付款时间：12月12日, 截止: 2024-12-18, "Offer good
# until 12/18", "your new due date is 1/2/2025"): the day an offer said before it runs to.
DEADLINE = _rx(r"截止|有效期|付款时间|还款日期|最晚|之前(?:支付|还款|付款)|请于|给(?:你|您)\s*\d+\s*天",
               r"\boffer\s+(?:is\s+)?(?:good|valid|open|stands)\b|\bexpires?\b|\bdue\s+date\b"
               r"|\bpayment\s+due\b|\bdeadline\b|\bby\b")
# Where a long utterance pivots from its troubles to what will be done.
PIVOT = _rx(r"但是|不过|所以|这样吧|这样|反正|总之|\bbut\b|\bso\b|\bwhat\s+I\s+can\s+do\b")
# Words that put a deed said with 了 still to come (我 保证 周四 前 把 两千 | 交 了).
TO_COME = _rx(r"把|保证|一定|肯定|会|要|准备|打算|马上")
# Leaving a part for later (想办法, 剩下的再说, 再商量): that clause promises nothing, the rest
# of the sentence still can (三千块钱我在想办法了，……，月底之前肯定凑齐给你们转过去).
HEDGE = _rx(r"想办法|再说|再商量|再议|\bwe'll\s+see\b|\bwe\s+can\s+talk\s+about\b")

TRAILING_JOINERS = re.compile(r"[\s,，、;；.。!！]*(?:\band\b|\bthen\b)?[\s,，、;；.。!！]*$",
                              re.IGNORECASE)

# Paying something else (the rent, school fees, a repair) with no word of the creditor or the
# debt: not a promise to them (房东让我月底前交房租; "My rent is $1,400 and it's due on the 1st").
OTHER_BILL = _rx(r"学费|房租|房东|租金|水电费|话费|医药费|\brent\b|\btuition\b|\bcar\s+repair\b"
                 r"|\butilit(?:y|ies)\b|\bgroceries\b|\bphone\s+bill\b|\bmortgage\b")
TO_THE_CREDITOR = _rx(r"你们|您|(?<!房东让)你|平台|贷款|欠款|借款|网贷|信用卡|\byou\b|\byour\b|\baccount\b"
                      r"|\bbalance\b|\bloan\b|\bcard\b|\bdebt\b")
# A line of a call's notes or a pasted chat that says who speaks; the debtor's labels.
TURN_LABEL = re.compile(
    r"^\s*(?P<label>我|客户|借款人|本人|催收|催收员|客服|专员|坐席|Agent|Customer|Collector|Rep|Me"
    r"|Debtor|Borrower|Caller)\s*[:：]\s*", re.IGNORECASE | re.MULTILINE)
DEBTOR_LABELS = frozenset({"我", "客户", "借款人", "本人", "customer", "me", "debtor", "borrower",
                           "caller"})

# Asking, whatever tag closes the sentence (请问…可以吗？).
ASKING = _rx(r"请问|想问(?:一下)?|问一下|我想问|\bI\s+was\s+wondering\b|\bmay\s+I\s+ask\b")

# Another person's promise, reported (我爸说他过完元旦帮我还; "my brother said he'd send it"):
# not the speaker's, and not the other side's.
REPORTED = _rx(
    r"(?:朋友|老婆|老公|媳妇|爱人|爸|妈|父亲|母亲|哥|姐|弟|妹|同事|家人|家里人|亲戚|儿子|女儿|对象"
    r"|男朋友|女朋友|他|她)(?:跟我|和我|对我)?(?:说|讲|答应|表示|保证)(?:过)?(?:了)?[，,]?(?:他|她)(?!们)",
    r"(?:朋友|老婆|老公|媳妇|爱人|爸|妈|父亲|母亲|哥|姐|弟|妹|亲戚|儿子|女儿|对象)(?:跟我|和我|对我)?(?:说|讲|答应)(?:过)?[^，,。]{0,12}帮我",
    r"说[，,]\s*(?:他|她)(?:会|要|答应|保证)",
    # 我老公说明天给你们转一千五: his word, reported (跟我老公说好了 is the speaker's own)
    r"(?<![跟和给对])(?<![跟和给对]我)(?:朋友|老婆|老公|媳妇|爱人|爸|妈|哥|姐|弟|妹|亲戚|儿子|女儿|对象)"
    r"(?:说|讲)(?!好|定)(?:过)?(?:了)?[^，,。我]{0,8}(?:转|还|打|付)",
    r"\b(?:he|she|they)\s+(?:said|says|told\s+(?:me|us|you)|promised)\s+(?:that\s+)?(?:he|she|they)\b"
    r"|\b(?:my|your|his|her|their)\s+\w+\s+(?:said|says|told\s+(?:me|us|you)|promised)\s+(?:that\s+)?(?:he|she|they)\b"
    r"|(?<!customer )(?<!cust )(?<!client )(?<!debtor )\b(?:said|says)\s+(?:that\s+)?(?:his|her|my|the)?\s*(?:mom|mum|dad|mother|father|son|daughter|wife"
    r"|husband|brother|sister|he|she)\s+(?:will|would|is\s+going\s+to)\b|\bno\s+commitment\b"
    r"|\b(?:the\s+)?(?:collector|agent|rep|caller|they|he|she)\s+told\s+me\b"
    r"|\b(?:friend|brother|sister|mother|father|mom|mum|dad|wife|husband|cousin|colleague|neighbou?r)"
    r"\s+(?:said|says|told\s+(?:me|us))\b")

# Speech acts that are not promises.
THREAT = _rx(r"否则|不然|要不然|再不还|不还的话|不还就|最后通牒|(?:就|将|会)(?:起诉|上诉|报案)|还不(?:上|了|起)的话|(?:没|不)(?:还|付)(?:上|清)?的话|未(?:还款?|结清|处理)(?:的话)?(?:将|会|就)|移交(?:法务|律师|法院)|后果自负|\bor\s+else\b|\botherwise\b|\bor\s+we\b|\bunless\b|\bcourt\s+proceedings\b",
             r"\bif\s+you\s+(?:don't|do\s+not|can't|cannot|fail\s+to)\s+pay\b|\bfailure\s+to\s+pay\b"
             r"|\bwill\s+result\s+in\b|\blegal\s+action\b|\bif\s+[^.]{0,40}\bis\s+not\s+(?:paid|received|made)\b")
DEMAND = _rx(r"\bis\s+required\b|\bfinal\s+notice\b|如已还款|必须|务必|一分(?:钱)?(?:都|也)?不能少|马上|立刻|立即|赶紧|赶快|(?:今天|现在|今晚)就要|至少|最晚|最迟|限你|得先|要(?:你|您)(?:还|付)|\bmust\b|\bhave\s+to\b|\bneed\s+to\b"
             r"|\bimmediately\b|\bright\s+now\b"
             # the collector's imperative ("…; pay the $300 by Friday")
             r"|(?:^|[;.!]\s*)(?:please\s+|just\s+)?(?:pay|send|transfer|get|make\s+(?:a|the|your)\s+payment)\b")
# A platform's reminder of a payment due (请于4月20日前还款): what it asks, not what it gives.
PAY_REMINDER = _rx(r"请(?:您)?于[^，,。]{0,16}(?:还款|还清|支付|归还|缴)")
REQUEST = _rx(
    r"能不能|能否|可不可以|可否|是否可以|(?<!申)请(?!问|于|在|按时)|麻烦|拜托|求(?:求)?(?:你|您)",
    r"别再|不要再|你们别|你别|(?:你们|你|您)[^，,。]{0,4}别(?:再)?(?:打|催|联系|发|骚扰|上门)|(?:发|给|告诉|转)我一下|一下吧|帮我问问|问一下|问问",
    r"\bcan\s+you\b|\bcould\s+you\b|\bwould\s+you\b|\bwill\s+you\b|\bplease\b",
    r"\bis\s+it\s+possible\b|\bany\s+chance\b|^\s*(?:stop|don't|do\s+not|quit)\b")
QUESTION = re.compile(r"[?？]\s*$|[吗么呢]\s*[。.!！]?\s*$")
# A proposal ending in a question tag ("……，行吗？", "…, okay?") is a statement.
TAG_QUESTION = _rx(
    r"[，,]?\s*(?:行吗|好吗|可以吗|行不行|好不好|可不可以|成吗|成不成|对吧|是吧|对吗|是吗|没错吧|好吧|行吧|可以吧|好伐|要得不|要得吗|中不中|ok(?:ay)?|alright"
    r"|all\s+right|is\s+that\s+ok(?:ay)?|does\s+that\s+work(?:\s+for\s+you)?|right|correct|deal)"
    r"\s*[?？]\s*$")
COMMITS = _rx(
    r"我们?(?:这边)?(?:不)?(?:会|保证|一定|肯定|可以|能|就|将|同意|愿意|承诺|答应)",
    r"\b(?:I|we)(?:'ll|\s+will|\s+can|\s+could|\s+promise|\s+won't|\s+will\s+not)\b")
# A clause that states a condition anywhere in it (……的话, "if").
CONDITION = _rx(r"的话|如果|只要|要是|假如|\bif\b|\bas\s+long\s+as\b|\bprovided\b")
# A clause that is the "if" of another ("如果你们减免罚息，我就还").
CONDITIONAL = _rx(r"^\s*(?:那么?\s*)?(?:(?:你们?|您)\s*)?(?:如果|只要|要是|假如|若|if\b"
                  r"|as\s+long\s+as\b|provided\b|once\b)|的话\s*$",
                  # the concession asked of the creditor first (你们把这个月的违约金免了，我……)
                  r"^\s*(?:你们|您们)(?:要|先|能|要能|要是能)?(?:把|给我)")

# Who speaks, from the wording, when the text has no sides.
THEM_SPEAKING = _rx(
    r"我们(?!家)|我司|本公司|我方|我行|^\s*【[^】]{1,12}】",
    r"(?:给|帮|为|替)(?:你|您)(?:申请|减免|免|办理|办|分期|延期|停|争取|登记|安排)",
    # a plan granted to "you" (可以给您分3期, 你这种情况可以分期, 给你走分期, 您的账户可办理…分期)
    r"(?:给|帮|为|替)(?:你|您)(?:走|做)?分\s*\d*\s*期|(?:你|您)[^，,。我]{0,8}?可(?:以)?(?:办|办理)?"
    r"[^，,。我]{0,6}?分\s*\d*\s*期|可办理[^，,。]{0,6}?分期|您的(?:账户|申请)|(?:申请|审批|审核)(?:已经?)?通过",
    r"(?:只要|如果|要是|假如)(?:你|您)(?!们)|(?<!我)可以(?:给你|帮你|为你)?申请",
    r"\bwe\b|\bwe'(?:ll|re|ve|d)\b|\bour\b|\bif\s+you\b|\bas\s+long\s+as\s+you\b|\bonce\s+you\b")
# Paying "you" (还你, 转给你) is the debtor speaking, even without a 我.
ME_SPEAKING = _rx(r"(?<![给帮让替为叫和跟])[我俺](?!们)|(?:还|转|付|打)给?(?:你|您)|\bI\b|\bmy\b|\bfrom\s+me\b"
                  r"|\blet\s+me\b",
                  # paying "you" said the other way round (给你打八百, 给你存一千五; not 给你打五折)
                  r"给(?:你|您)们?(?:打(?![\d一二三四五六七八九]?折)|转|还|付|存|汇)")
# The creditor addressed as 你们 (…，你们别再打了): the debtor speaking, when nothing else tells.
CREDITOR_ADDRESSED = _rx(r"(?<![我他她])你们(?!公司|那边|家)")
# 你/you as the one to pay: a collector restating what the debtor is to pay.
ADDRESSING_DEBTOR = _rx(
    r"(?:你|您)们?[^，,。]{0,8}?(?:还|付|转|交|结清)",
    r"\byou(?:'ll|\s+will|\s+can|\s+need|\s+must|\s+should|\s+have)?\s+(?:to\s+)?"
    r"(?:pay|make|send|transfer|settle|clear)|\byou(?:'ll|\s+will)\s+(?:get|receive)\b|你会收到",
    r"\byour\s+(?:next\s+)?(?:payment|instal+ment)\b")
