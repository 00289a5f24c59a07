"""An Outlook .msg file read (with extract-msg) into the same `ParsedEmail` an .eml gives.

An embedded message (an Outlook item attached to another) becomes an attachment holding that
item as a .msg of its own, so it is stored and parsed in turn like any attached email.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr

import extract_msg
from extract_msg.enums import AttachmentType

from logger.extract.email_text import decode_body, html_to_text
from logger.extract.emails import Attachment, ParsedEmail
from logger.intake.filemeta.common import clean_text, describe_error, is_plausible

_MSG_MEDIA_TYPE = "application/vnd.ms-outlook"


def parse_msg(data: bytes) -> ParsedEmail:
    """Read an Outlook .msg. Never raises for anything in `data`: a file extract-msg cannot open
    gives an empty ParsedEmail whose warning says why."""
    try:
        message = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:  # extract-msg raises many kinds on damaged files
        return ParsedEmail(warnings=[f"the Outlook file could not be read: "
                                     f"{describe_error(exc)}"])
    try:
        return _read(message)
    finally:
        message.close()


def _read(message) -> ParsedEmail:
    parsed = ParsedEmail()
    parsed.subject = _text(_field(message, "subject", parsed), 500)
    parsed.sender = _text(_field(message, "sender", parsed), 2000)
    parsed.to = _text(_field(message, "to", parsed), 2000)
    parsed.cc = _text(_field(message, "cc", parsed), 2000)
    parsed.message_id = _text(_field(message, "messageId", parsed), 500)
    parsed.from_address = _address_of(parsed.sender)
    _read_date(message, parsed)
    _read_bodies(message, parsed)
    for number, attachment in enumerate(_field(message, "attachments", parsed) or [], 1):
        _read_attachment(attachment, number, parsed)
    return parsed


def _field(message, name: str, parsed: ParsedEmail):
    try:
        return getattr(message, name)
    except Exception as exc:
        parsed.warnings.append(f"the Outlook field “{name}” could not be read: "
                               f"{describe_error(exc)}")
        return None


def _text(value: object, limit: int) -> str | None:
    return clean_text(value, limit) if value is not None else None


def _address_of(sender: str | None) -> str | None:
    address = parseaddr(sender)[1] if sender else ""
    return clean_text(address, 300) if "@" in address else None


def _read_date(message, parsed: ParsedEmail) -> None:
    sent = _field(message, "date", parsed)
    if not isinstance(sent, datetime):
        return
    sent = sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent.astimezone(UTC)
    parsed.date_header = sent.strftime("%a, %d %b %Y %H:%M:%S +0000")
    if is_plausible(sent):
        parsed.date = sent
    else:
        parsed.warnings.append(f"the Outlook item's date {parsed.date_header} is implausible; "
                               "it was ignored")


def _read_bodies(message, parsed: ParsedEmail) -> None:
    body = _field(message, "body", parsed)
    raw_html = _field(message, "htmlBody", parsed)
    if isinstance(raw_html, bytes) and raw_html.strip():
        parsed.html, warning = decode_body(raw_html, None, html_part=True)
        if warning:
            parsed.warnings.append(warning)
    if isinstance(body, str) and body.strip():
        parsed.text = body.replace("\r\n", "\n").strip()
    elif parsed.html:
        parsed.text = html_to_text(parsed.html)


def _read_attachment(attachment, number: int, parsed: ParsedEmail) -> None:
    name = clean_text(attachment.longFilename or attachment.shortFilename or "", 255)
    try:
        if attachment.type == AttachmentType.MSG:
            data, ctype = attachment.data.exportBytes(), _MSG_MEDIA_TYPE
            name = name or f"attachment-{number}.msg"
        elif isinstance(attachment.data, bytes):
            data, ctype = attachment.data, attachment.mimetype or "application/octet-stream"
        else:
            parsed.warnings.append(f"attachment {number} (“{name or 'unnamed'}”) is of a kind "
                                   f"Liuhen cannot extract ({attachment.type.name}); it is kept "
                                   "only in the original")
            return
    except Exception as exc:
        parsed.warnings.append(f"attachment {number} (“{name or 'unnamed'}”) could not be "
                               f"read: {describe_error(exc)}")
        return
    parsed.attachments.append(Attachment(
        filename=name or f"attachment-{number}.bin", content_type=ctype, data=data,
        inline=bool(attachment.hidden), content_id=clean_text(attachment.contentId or "", 300)))
