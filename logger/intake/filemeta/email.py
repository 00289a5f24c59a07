"""Date, subject and addresses of an .eml, from its header block only.

Chinese mail is often mislabelled: "gb2312" declared for GBK/GB18030 bytes, raw 8-bit
UTF-8 or GBK with no declaration at all, a multibyte character split across two encoded
words. `decode_header_text` decodes RFC 2047 words itself (the standard library leaves
undecodable bytes as surrogates) by trying, in order, the declared charset's superset,
UTF-8 and GB18030 (but valid UTF-8 that reads as Chinese wins over a declared charset),
and never raises.
"""

import base64
import binascii
import codecs
import email.parser
import email.policy
import email.utils
import re
from datetime import UTC
from typing import BinaryIO
from zoneinfo import ZoneInfo

from logger.intake.filemeta.common import FileMetadata, clean_text, describe_error, is_plausible
from logger.intake.sniff.types import FileType

MAX_HEADER_BYTES = 256 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Declared charsets mapped to the superset that also decodes what senders really wrote.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
    "x-gbk": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030",
    "big5": "big5hkscs", "big-5": "big5hkscs", "cn-big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "us-ascii": "utf-8", "ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252",
}
_ADDRESS_FIELDS = ("from", "to", "cc")


def read_email(meta: "FileMetadata", file_type: FileType, fileobj: BinaryIO,
               filename: str, tz: ZoneInfo) -> None:
    """Fill `meta` with the Date (as occurred_at), Subject and From/To/Cc/Message-ID."""
    fileobj.seek(0)
    prefix = fileobj.read(MAX_HEADER_BYTES)
    end = _HEADER_END.search(prefix)
    if end is None and len(prefix) == MAX_HEADER_BYTES:
        meta.problems.append(f"the email's headers are longer than {MAX_HEADER_BYTES // 1024} "
                             "KB; only that much was read")
    headers = prefix[:end.end()] if end else prefix
    # compat32: the raw values are all that is read, and it does not parse them on the way.
    message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(headers)
    raw = {}
    for name, value in message.raw_items():  # raw: undecoded, so we decode it ourselves
        raw.setdefault(name.lower(), value)

    subject = raw.get("subject")
    if subject is not None:
        meta.subject = clean_text(decode_header_text(subject), 500)
    for field in _ADDRESS_FIELDS:
        if field in raw:
            meta.extra[field] = clean_text(decode_header_text(raw[field]), 2000)
    if "from" in raw:
        name, address = _first_address(raw["from"])
        if name:
            meta.extra["from_name"] = name
        if address:
            meta.extra["from_address"] = address
    if "message-id" in raw:
        meta.extra["message_id"] = clean_text(_unfold(raw["message-id"]), 500)
    if "date" in raw:
        _read_date(meta, _unfold(raw["date"]))


def _read_date(meta: "FileMetadata", date_text: str) -> None:
    meta.extra["date_header"] = clean_text(date_text, 200)
    try:
        sent = email.utils.parsedate_to_datetime(date_text)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        meta.problems.append(f"the email's Date header “{clean_text(date_text, 80)}” could not "
                             f"be read: {describe_error(exc)}")
        return
    # RFC 5322 "-0000" (no zone information) gives a naive time: it is UTC by definition.
    sent = sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent.astimezone(UTC)
    if is_plausible(sent):
        meta.add_time(sent)
    else:
        meta.problems.append(f"the email's Date header “{clean_text(date_text, 80)}” is "
                             "implausible; it was ignored")


def _first_address(raw_value: str) -> tuple[str | None, str | None]:
    """Display name (decoded) and address of the first mailbox in a From header."""
    try:
        pairs = email.utils.getaddresses([_unfold(raw_value)])
    except Exception:  # getaddresses has raised on odd input in some Python releases
        return None, None
    if not pairs:
        return None, None
    name, address = (decode_header_text(part) for part in pairs[0])
    if "<" in address:  # the whole mailbox was one encoded word: parse it once decoded
        name, address = email.utils.parseaddr(address)
    return clean_text(name, 200), clean_text(address, 300)


def _unfold(value: str) -> str:
    return _FOLD.sub("", value).strip()


def decode_header_text(raw_value: str) -> str:
    """Decode a raw header value (str with surrogate escapes for 8-bit bytes) to text.

    RFC 2047 encoded words are decoded with their declared charset's superset (falling back
    to UTF-8, then GB18030); adjacent words in one charset are joined before decoding so that
    a character split between them survives; raw 8-bit text is tried as UTF-8, then GB18030.
    """
    value = _unfold(raw_value)
    parts: list[str] = []
    pending: tuple[str, bytes] | None = None  # (charset, bytes) of adjacent encoded words
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        if pending and not _BETWEEN_WORDS.fullmatch(between):
            parts.append(_decode_bytes(pending[1], pending[0]))
            pending = None
        if pending is None:
            parts.append(_decode_raw(between))
        charset = match[1].split("*", 1)[0].lower()  # RFC 2231 "charset*lang"
        data = _word_bytes(match[2], match[3])
        if pending and pending[0] == charset:
            pending = (charset, pending[1] + data)
        else:
            if pending:
                parts.append(_decode_bytes(pending[1], pending[0]))
            pending = (charset, data)
        position = match.end()
    if pending:
        parts.append(_decode_bytes(pending[1], pending[0]))
    parts.append(_decode_raw(value[position:]))
    return "".join(parts)


def _word_bytes(encoding: str, payload: str) -> bytes:
    try:
        if encoding in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        text = payload.replace("_", " ")
        return re.sub(r"=([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), text).encode(
            "latin-1", "replace")
    except (binascii.Error, ValueError):
        return payload.encode("ascii", "replace")


def _decode_raw(text: str) -> str:
    if text.isascii():
        return text
    return _decode_bytes(text.encode("utf-8", "surrogateescape"), None)


def superset_of(charset: str) -> str:
    """The codec name to decode text declared as `charset` with: its superset where senders
    often write more than they declare (gb2312 -> gb18030), else the name itself, lower-cased."""
    charset = charset.strip().lower()
    return _SUPERSETS.get(charset, charset)


def is_unknown_charset(charset: str | None) -> bool:
    """True for no charset, or one that says only "8-bit, unknown" (unknown-8bit, x-unknown)."""
    return not charset or charset.strip().lower() in ("unknown-8bit", "x-unknown", "unknown")


def as_chinese_utf8(data: bytes) -> str | None:
    """`data` as text if it is valid UTF-8 that reads as Chinese, else None. Such bytes are UTF-8
    whatever was declared (mislabelled "gb2312" mail is common); GBK bytes almost never form
    valid UTF-8 Chinese."""
    if data.isascii():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _CJK.search(text) else None


def _decode_bytes(data: bytes, declared: str | None) -> str:
    as_utf8 = as_chinese_utf8(data)
    if as_utf8 is not None:
        return as_utf8
    candidates = []
    if not is_unknown_charset(declared):
        candidates.append(superset_of(declared))
    candidates += ["utf-8", "gb18030"]
    for charset in candidates:
        try:
            codecs.lookup(charset)
            return data.decode(charset)
        except (LookupError, ValueError):  # ValueError: UnicodeError, or a garbled name
            continue
    return data.decode("utf-8", "replace")
