"""How many SMS segments a text takes: GSM-7 when every character is in the GSM 03.38 alphabet
(160 characters in one message, 153 per part of a longer one; an extension character such as
€ or [ counts twice), else UCS-2, as any Chinese text is (70 in one, 67 per part; a character
outside the Basic Multilingual Plane counts twice)."""

from __future__ import annotations

from math import ceil

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
UCS2_SINGLE, UCS2_PART = 70, 67
GSM_SINGLE, GSM_PART = 160, 153


def sms_units(text: str) -> tuple[int, bool]:
    """(the length in the units an SMS counts, whether it is GSM-7)."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        return sum(2 if c in GSM_EXTENSION else 1 for c in text), True
    return len(text.encode("utf-16-le")) // 2, False


def sms_segments(text: str) -> int:
    """How many SMS messages `text` is sent as (0 for an empty text)."""
    units, gsm = sms_units(text)
    single, part = (GSM_SINGLE, GSM_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    if units == 0:
        return 0
    return 1 if units <= single else ceil(units / part)
