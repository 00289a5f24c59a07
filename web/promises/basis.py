"""What a suggested due date was counted from, in words for the accept form: "下周五 →
2024-12-13, counted from the text message of 2024-12-05 10:31", or, when nothing dates the words,
that the date cannot be counted and a person must give it (logger.promises.text.anchors)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_datetime as babel_datetime
from flask_babel import format_date, get_locale, gettext as _

from storage.models import Channel, Evidence
from storage.models.promises import PromiseSuggestion
from storage.models.types import TimePrecision

MESSAGE_WORDS = {Channel.sms: lambda when: _("the text message of %(when)s", when=when),
                 Channel.wechat: lambda when: _("the WeChat message of %(when)s", when=when),
                 Channel.app_chat: lambda when: _("the app message of %(when)s", when=when),
                 Channel.email: lambda when: _("the email of %(when)s", when=when)}


def counted_from(suggestion: PromiseSuggestion, evidence: Evidence,
                 due_text: str | None) -> str | None:
    """One sentence for the suggestion's due date and its basis, or None when no day was
    said (nothing to count). `due_text` is the resolved due date as the page shows it."""
    basis = suggestion.due_basis or {}
    words = basis.get("words")
    if basis.get("unresolved"):
        return _("“%(words)s” cannot be counted: nothing on record says when these words "
                 "were said. Give the due date.", words=words or suggestion.quote)
    if not words or not due_text:
        return None
    return _("%(words)s → %(date)s, counted from %(anchor)s", words=words, date=due_text,
             anchor=anchor_words(basis, suggestion, evidence))


def anchor_words(basis: dict, suggestion: PromiseSuggestion, evidence: Evidence) -> str:
    """"the text message of 2024-12-05 10:31", "the call, 3:05 after it began (…)" …"""
    when = _when(basis.get("at"), basis.get("precision"))
    anchor = basis.get("anchor")
    if anchor == "message":
        words = MESSAGE_WORDS.get(evidence.channel)
        return words(when) if words else _("the message of %(when)s", when=when)
    if anchor == "call" and suggestion.start is not None:
        seconds = int(suggestion.start)
        offset = "%d:%02d" % divmod(seconds, 60)
        return _("the moment in the call, %(when)s (%(offset)s after it began)", when=when,
                 offset=offset)
    if anchor == "given":
        return _("the time given, %(when)s", when=when)
    return _("the time of this item, %(when)s", when=when)


def _when(value: str | None, precision: str | None) -> str:
    if not value:
        return _("an unknown time")
    if precision == TimePrecision.day or len(value) == 10:
        return format_date(date.fromisoformat(value[:10]), "medium")
    moment = datetime.fromisoformat(value)
    # The local time it was said at, in the zone it was read in (its offset is in the text).
    return babel_datetime(moment, "medium", tzinfo=moment.tzinfo, locale=get_locale())
