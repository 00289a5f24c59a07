"""Numbers and sums of money in what people say about a debt, Chinese and English.

`normalise_numbers` rewrites number words as digits first (三千五 -> 3500, 十五号 -> 15号,
"three thousand" -> 3000), with cn2an and text2num doing the arithmetic, so that the date and
amount rules only ever look at digits. `find_amounts` then picks the numbers that are money:
those with a currency or a multiplier (¥3000, 3000元, $250, 3k, 3,000) and bare ones right
after a word of paying (还3000, "pay 3000", 每期1000). A day, a count or a time never is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an
from text_to_num import alpha2digit

CNY, USD = "CNY", "USD"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．＄￥", "0123456789.$¥")

# A run of Chinese numerals (digits may be mixed in: 3千5, 1.5万). It must start with a digit
# or a base numeral, so that 千万 ("by all means") and 万一 ("in case") stay words.
_CN_RUN = re.compile(r"[0-9零〇一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]"
                     r"[0-9.零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]*")
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]")
_CN_MULTIPLIER = re.compile(r"[十百千万亿拾佰仟]")
# A lone numeral is a number only before a unit: 一定, 一下 and 一起 are words, 一个月 is not.
_WEEKDAY_BEFORE = re.compile(r"(?:周|星期|礼拜)$")
_DIGITS = re.compile(r"[0-9.]+")
_CN_UNIT_AFTER = re.compile(r"[号日月年期天周个点时元块次]|星期|礼拜")

# "on the first", "the second of": days of the month; any other first or second is a word.
_ORDINALS = {"first": "1st", "second": "2nd"}
_EN_DAY_ORDINAL = re.compile(r"(?<=\b(?:on|by) the )(?:first|second)\b(?!\s+(?:one|payment|instal))"
                             r"|(?<=\bthe )(?:first|second)(?=\s+of\b)", re.IGNORECASE)
_EN_KEPT_ORDINAL = re.compile(r"(?<!twenty.)(?<!thirty.)\b(first|second)\b", re.IGNORECASE)

_AMOUNT = re.compile(
    r"(?P<pre>US\$|\$|¥|RMB|CNY|USD|人民币)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,])"
    r"(?:\s*(?P<mult>万|千|[kKwW](?![a-zA-Z])|thousand\b|grand\b))?"
    r"(?:\s*(?P<post>块钱|块|元|圆|人民币|美元|美金|刀|dollars?\b|bucks\b|USD\b|yuan\b|RMB\b"
    r"|CNY\b|kuai\b))?",
    re.IGNORECASE)
# "2 thousand", "1.5 million": digits and a word (text2num would read the word alone).
_DIGITS_TIMES_WORD = re.compile(r"\b(\d+(?:\.\d+)?)\s+(hundred|thousand|million)\b", re.IGNORECASE)
_SCALE = {"hundred": 100, "thousand": 1000, "million": 1000000}
_MULTIPLIERS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "thousand": 1000, "grand": 1000}
_USD_MARKS = {"$", "us$", "usd", "美元", "美金", "刀", "dollar", "dollars", "bucks"}
# What follows a number that is a day, a time, a count or a share, never money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:号|日|月(?!底|初|中|末)|年|期|天|周|个|点|时|分钟|次|%|％|岁|倍|折|成|:\d|"
    r"(?:st|nd|rd|th|am|pm|a\.m|p\.m|days?|weeks?|months?|years?|instal+ments?|payments?"
    r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|times|percent|o'clock)\b)", re.IGNORECASE)
# What comes just before a bare number that is money: a word of paying, "each", "in total".
_MONEY_BEFORE = re.compile(
    r"(?:还|付|转|打|给|交|缴|凑|存|把|每期|每月|每个月|每次|每周|首付|首期|一共|总共|共|剩下|剩余"
    r"|账单|欠款|本金|余额|尾款|全款|金额|欠|剩的|再|又|另外|到账|到位|一次性|减到|减至|降到|降至|只需|只收|结清价|(?<!\d)1个月|一期|一次"
    r"|\banother\b|\bplus\b|\bremaining\b|\bthe\s+rest\b|(?:'ll|will|can|could)\s+do\b|\bowe|\bbalance|\bbill\b|\bpay|\brepay|\btransfer|\bsend|\bwire|\bdeposit|\bsettle|\bclear"
    r"|payments? of|instal+ments? of|amount of|balance of|plan of|\beach|\bper|\btotal)"
    r"[^\d,.;，。]{0,10}$", re.IGNORECASE)
# ... or just after it: 12000分6期, 1000一期, "200 a month".
_MONEY_AFTER = re.compile(r"\s*(?:分\s*\d+\s*(?:[期次]|个月)|一期|每期|a\s+month|per\s+month|a\s+week|each\b"
                          r"|every\s+(?:\d+\s+|other\s+)?(?:weeks?|months?|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b"
                          r"|(?:一定|会|就|肯定|保证)?(?:还(?!有|是|没|要)|付|转给|打给|打过去|结清|到账)|一次性)",
                          re.IGNORECASE)
_PHONE_LIKE = re.compile(r"1\d{10}|\d{9,}")
# A card or account number, or a phone number, written in groups (6222 0212 3456 7890,
# 1-800-555-0142): none of its groups is a sum.
_GROUPED_NUMBER = re.compile(r"(?<![\d.,])\d{1,4}(?:[ -]\d{3,4}){2,}(?![\d.,])")
_YEAR_LIKE = re.compile(r"(?:19|20)\d\d")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# What comes just before a number that is a code, never money: ABC1234, #1234, 尾号1234.
_CODE_BEFORE = re.compile(r"(?:[A-Za-z][-_]?|[#№]\s*|\bNo\.?\s*|\bref(?:erence)?\.?\s*(?:no\.?|number|#)?"
                          r"\s*:?\s*|\b(?:ending|ends)\s+(?:in\s+|with\s+)?"
                          r"\s*:?\s*|(?:编号|单号|尾号|账号|卡号|合同号|订单号|案号|工号|工单|编码|验证码|动态码|校验码|取件码|口令|密码|电话|手机|房间?|室)\s*[:：]?\s*)$",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Amount:
    """A sum of money found at text[start:end] of the normalised text."""

    value: Decimal
    currency: str
    start: int
    end: int


def normalise_numbers(text: str, language: str) -> str:
    """`text` with full-width digits made ASCII and number words written as digits.

    Chinese numerals are converted in every language (they cannot be mistaken for anything
    else); English number words only when `language` is "en", so that a stray "one" in a
    Chinese message stays as it was."""
    text = _convert_chinese_numerals(text.translate(_FULL_WIDTH))
    if language == "en":
        text = _DIGITS_TIMES_WORD.sub(lambda m: _plain(Decimal(m[1]) * _SCALE[m[2].lower()]), text)
        text = _EN_DAY_ORDINAL.sub(lambda m: _ORDINALS[m[0].lower()], text)
        pieces = _EN_KEPT_ORDINAL.split(text)   # "first one due ..." is not "1st 1 due"
        text = "".join(piece if i % 2 else alpha2digit(piece, "en", threshold=0)
                       for i, piece in enumerate(pieces))
    return text


def _convert_chinese_numerals(text: str) -> str:
    return _CN_RUN.sub(_convert_chinese_run, text)


def _convert_chinese_run(match: re.Match) -> str:
    run = match.group()
    if _WEEKDAY_BEFORE.search(match.string, 0, match.start()) and run[0] in "一二三四五六":
        return run[0] + _convert_chinese_numerals(run[1:])   # 周一十点: Monday, ten o'clock
    digits = _DIGITS.match(run)
    if digits and not _CN_MULTIPLIER.search(run):   # 8600一次性: digits, then a word
        return digits.group() + _convert_chinese_numerals(run[digits.end():])
    if not _CN_NUMERAL.search(run):
        return run
    if run == "一" and match.string.startswith("次性", match.end()):
        return run   # 一次性: at once
    followed_by_unit = _CN_UNIT_AFTER.match(match.string, match.end())
    if not (_CN_MULTIPLIER.search(run) or followed_by_unit or len(run) > 1):
        return run
    for cut in range(len(run), 0, -1):   # 两千五一定: the longest head that reads as a number
        try:
            value = cn2an.cn2an(run[:cut], "smart")
        except (ValueError, KeyError):   # what cn2an raises on runs it cannot read (三千五31)
            continue
        if cut < len(run) and not _CN_MULTIPLIER.search(run[:cut]):
            return run
        return _plain(Decimal(str(value))) + run[cut:]
    return run


def _grouped(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _GROUPED_NUMBER.finditer(text)]


def find_amounts(text: str) -> list[Amount]:
    """The sums of money in normalised `text`, in the order they appear."""
    amounts = []
    grouped = _grouped(text)
    for match in _AMOUNT.finditer(text):
        if any(s <= match.start("num") < e for s, e in grouped):
            continue
        value = _money_value(match)
        if value is not None:
            start = match.start("pre") if match.group("pre") else match.start("num")
            amounts.append(Amount(value, _currency(match), start, match.end()))
    return amounts


def loose_amounts(text: str) -> list[Amount]:
    """Bare numbers of 100 or more in normalised `text` that can only be money: not a day, a
    time, a count, a year, a code or a phone number. For a clause that speaks of paying or
    names nothing else (我把上两期的5120在月底前补上, 卡账3100)."""
    found = []
    grouped = _grouped(text)
    for match in _AMOUNT.finditer(text):
        number, start = match.group("num"), match.start("num")
        if any(s <= start < e for s, e in grouped):
            continue
        if match.group("pre") or match.group("post") or match.group("mult") or "," in number:
            continue   # find_amounts read these
        try:
            value = Decimal(number)
        except InvalidOperation:
            continue
        if (value < 100 or _NOT_MONEY_AFTER.match(text, match.end("num"))
                or _PHONE_LIKE.fullmatch(number) or (_YEAR_LIKE.fullmatch(number)
                                                     and not _among_chinese(text, match))
                or _CODE_BEFORE.search(text[max(0, start - 12):start])):
            continue
        found.append(Amount(value, CNY, start, match.end()))
    return found


def _among_chinese(text: str, match: re.Match) -> bool:
    """A figure said among Chinese words, not before 年 (一次两千, 还2000块): a sum, not a year."""
    before = text[match.start("num") - 1:match.start("num")]
    after = text[match.end("num"):match.end("num") + 1]
    return after != "年" and bool(_HAN.match(before) or _HAN.match(after))


def _money_value(match: re.Match) -> Decimal | None:
    """The sum `match` stands for, or None when the number is not money."""
    number, pre, mult, post = match.group("num", "pre", "mult", "post")
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if mult:
        value *= _MULTIPLIERS[mult.lower()]
    explicit = bool(pre or post or mult or "," in number)
    text, start = match.string, match.start("num")
    if not pre and _CODE_BEFORE.search(text[max(0, start - 12):start]):
        return None
    if not explicit:
        if _NOT_MONEY_AFTER.match(text, match.end("num")) or _PHONE_LIKE.fullmatch(number):
            return None
        if value < 10 or not (_MONEY_BEFORE.search(text[max(0, start - 16):start])
                              or _MONEY_AFTER.match(text, match.end("num"))):
            return None
    return value if value > 0 else None


def _currency(match: re.Match) -> str:
    marks = {(match.group("pre") or "").lower(), (match.group("post") or "").lower()}
    return USD if marks & _USD_MARKS else CNY


def _plain(value: Decimal) -> str:
    """A Decimal written without exponent or trailing zeros: 15000, 3000.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_amount(value: Decimal) -> str:
    """How an amount is printed and compared: digits, no exponent, no trailing zeros."""
    return _plain(value)


# A sum that a part is taken from (欠的2.5万中的一万): the whole, not what is paid.
_WHOLE_OF = re.compile(r"\s*(?:元|块钱?)?\s*(?:中的|里的|当中的?|里面的?|之中的?)")
# A sum said not to be the one (不是八千，是一万八).
_NOT_THIS = re.compile(r"不是\s*$")
# A clause that is only a sum (一万二, "1,280块"): money, whatever stands around it.
LONE_SUM = re.compile(r"^\s*(?:共|一共|总共|就|先|再)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?:块钱|块|元|整)?\s*$")
_AROUND_A_DAY = re.compile(r"之前|以前|前|之内|以内|内|\b(?:by|before|on|until|no\s+later\s+than)\b",
                           re.IGNORECASE)


def said_as_the_sum(text: str, amount: Amount) -> bool:
    """The figure is a sum said to be paid: not one denied (不是八千) nor a whole that a part is
    taken from (欠的2.5万中的一万)."""
    return not _NOT_THIS.search(text, 0, amount.start) and not _WHOLE_OF.match(text, amount.end)


def lone_sum(text: str, spans: list[tuple[int, int]]) -> list[Amount]:
    """A bare number of 100 or more that is all a clause says besides a day (一万二; 月底前3000):
    a sum of money."""
    kept = "".join(" " * len(text[i:i + 1]) if any(a <= i < b for a, b in spans) else ch
                   for i, ch in enumerate(text))
    kept = _AROUND_A_DAY.sub(lambda m: " " * len(m[0]), kept)
    lone = LONE_SUM.match(kept)
    if lone is None or Decimal(lone["num"]) < 100:
        return []
    return [Amount(Decimal(lone["num"]), CNY, lone.start("num"), lone.end("num"))]
