"""Read the other party and the start time out of a phone call recorder's file name.

Chinese phone recorders name their files after the call, for example
`通话录音 13800138000 20241203_153012.m4a`, `张三(13800138000)_20241203153012.mp3`,
`+8613800138000 2024-12-03 15-30-12.m4a` or Samsung's `通话录音 张三_241203_153012.m4a`.
The time in the name is the phone's local time; the caller says which zone that is.

Numbers are returned as digits only. A Chinese number written with +86 / 0086 is returned
as the national number ("+8613800138000" -> "13800138000") so that the same person's calls
match however the recorder wrote the number; any other international number keeps its "+".
"""

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from zoneinfo import ZoneInfo

AUDIO_EXTENSIONS = frozenset(
    {"m4a", "mp3", "amr", "awb", "aac", "wav", "opus", "ogg", "flac", "3gp", "3ga", "3g2"})

_TIME_4 = re.compile(
    r"(?<!\d)(?P<y>20\d\d)[-_.]?(?P<mo>\d\d)[-_.]?(?P<d>\d\d)[-_.\sT]?"
    r"(?P<h>\d\d)[-_.:]?(?P<mi>\d\d)[-_.:]?(?P<s>\d\d)(?:\d{3})?(?!\d)")
# Samsung writes yyMMdd_HHmmss.
_TIME_2 = re.compile(
    r"(?<!\d)(?P<y>\d\d)(?P<mo>\d\d)(?P<d>\d\d)_(?P<h>\d\d)(?P<mi>\d\d)(?P<s>\d\d)(?!\d)")
_DATE_ONLY = re.compile(r"(?<!\d)20\d\d[-_.]?[01]\d[-_.]?[0-3]\d(?!\d)")
# Without a call time in the name, only a number shaped like a real one counts: +country,
# mobile, landline with area code, 955xx/95xxxxx, 400/800, 100xx/123xx service lines.
_PHONE_SHAPE = re.compile(
    r"\+\d{8,15}|1[3-9]\d{9}|0[1-9]\d{8,10}"  # international, mobile, landline
    r"|9[56]\d{3}(?:\d\d)?|[48]00\d{7}|1[02]\d{3}")  # 955xx, 400/800, 100xx/123xx
_NUMBER = re.compile(r"(?<![\d+])\+?\d[\d \-]{3,18}\d(?!\d)")
# Words recorders put in the name that are not the other party's name.
_CHINESE_LABELS = re.compile(r"通话录音|电话录音|通话记录|新录音|录音|通话|来电|去电|呼入|呼出")
_LABELS = frozenset({
    "call", "calls", "recording", "record", "rec", "recorder", "voice", "audio", "phone",
    "incoming", "outgoing", "in", "out", "callrecord", "callrecording", "aud", "img", "vid",
    "screenshot", "screenrecording", "sound", "memo", "new", "unknown", "未知号码",
})
_SEPARATORS = re.compile(r"[\s_()（）\[\]【】{}@#,，.·\-—~]+")


def parse_recorder_filename(
    filename: str, *, tz: ZoneInfo
) -> tuple[str | None, str | None, datetime | None]:
    """(number, name, start time in UTC) read from a call recording's file name.

    Any part may be None; all three are None when the name does not look like a recording
    (not an audio extension, or neither a number nor a time in it). An impossible date or
    time in the name (month 13, 30 February) gives no time rather than an error.
    """
    stem, _, extension = _basename(filename).rpartition(".")
    if not stem or extension.lower() not in AUDIO_EXTENSIONS:
        return None, None, None
    started, party = _take_time(stem, tz)
    party = _DATE_ONLY.sub(" ", party)  # "张三_20241203" has a date, not a number
    number = next((n for m in _NUMBER.finditer(party) for n in _number_candidates(m.group())
                   if n and (started or _PHONE_SHAPE.fullmatch(n))), None)
    if number is None and started is None:
        return None, None, None
    return number, _name(_NUMBER.sub(" ", party)), started


def _basename(filename: str) -> str:
    return PurePosixPath(PureWindowsPath(filename).name).name


def _take_time(stem: str, tz: ZoneInfo) -> tuple[datetime | None, str]:
    """The start time in the name (UTC), and the name with the time cut out.

    The matched digits are cut out even when they are no valid date, so that they are not
    then mistaken for a phone number.
    """
    for pattern in (_TIME_4, _TIME_2):
        matches = list(pattern.finditer(stem))
        if not matches:
            continue
        match = matches[-1]  # the call time comes after any number in every known layout
        rest = stem[:match.start()] + " " + stem[match.end():]
        year = int(match["y"]) if len(match["y"]) == 4 else 2000 + int(match["y"])
        try:
            local = datetime(year, int(match["mo"]), int(match["d"]), int(match["h"]),
                             int(match["mi"]), int(match["s"]), tzinfo=tz)
        except ValueError:
            return None, rest
        return local.astimezone(UTC), rest
    return None, stem


def _number_candidates(text: str) -> list[str | None]:
    """The number `text` spells, else each space-separated part (two numbers side by side)."""
    whole = _normalise_number(text)
    return [whole] if whole else [_normalise_number(part) for part in text.split()]


def _normalise_number(text: str) -> str | None:
    digits = re.sub(r"[ \-]", "", text)
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if digits.startswith("0086") and len(digits) > 13:
        digits, plus = digits[4:], False
    elif plus and digits.startswith("86"):
        digits, plus = digits[2:], False
    elif not plus and digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]  # 86 + an 11-digit mobile number, written without the "+"
    if not 5 <= len(digits) <= 15:
        return None
    return "+" + digits if plus else digits


def _name(party: str) -> str | None:
    words = [w for w in _SEPARATORS.split(_CHINESE_LABELS.sub(" ", party))
             if w and w.lower() not in _LABELS and not w.isdigit()]
    name = " ".join(words)
    return name if any(ch.isalpha() for ch in name) else None
