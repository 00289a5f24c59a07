"""Recognise the text-based kinds: email, mailbox, XML and plain text; refuse active content.

`sniff_mail` works on raw bytes (emails routinely carry undeclared 8-bit GBK or UTF-8 in
their headers, so they need not decode as text). `sniff_text` decodes the head as UTF-8,
UTF-16 with a byte-order mark or GB18030 and returns None when it is not text at all.

The filename breaks ties only between allowed types:
- a header block too thin to be sure it is an email (e.g. only "Date:" and "Subject:") is an
  email when named .eml, otherwise plain text;
- a mailbox "From " line followed by one message is an email when named .eml, else a mailbox;
- markup that starts with an element but has no `<?xml` declaration is XML when named .xml,
  otherwise plain text (a chat export may well start with "<张三>").
"""

import codecs
import re

from logger.i18n import N_
from logger.intake.sniff.types import EML, MBOX, TEXT, XML, FileType, Refusal

_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
# Control characters other than tab, line breaks, form feed and ESC.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_TRANSPORT_FIELDS = {
    b"received", b"return-path", b"message-id", b"mime-version", b"delivered-to",
    b"dkim-signature", b"x-mailer", b"x-original-to", b"authentication-results",
    b"content-transfer-encoding", b"x-received",
}
_MAIL_FIELDS = _TRANSPORT_FIELDS | {
    b"from", b"to", b"cc", b"bcc", b"subject", b"date", b"reply-to", b"sender",
    b"in-reply-to", b"references", b"content-type", b"user-agent", b"thread-topic",
    b"thread-index", b"importance",
}

# The WHATWG MIME-sniffing patterns a browser takes for HTML, each followed by a space, ">"
# or the end; any of them at the start makes an upload active content.
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    r"|!--)(?=[\s>/]|$)", re.IGNORECASE)
_XML_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*",
                         re.DOTALL | re.IGNORECASE)
_ELEMENT = re.compile(r"<([^\W\d][\w.\-]*:)?([^\W\d][\w.\-]*)")
_WEB_NAMESPACES = ("http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg")
_SVG = Refusal(N_("an SVG image (it can carry scripts)"), "image/svg+xml",
               N_("Save it as PNG."))
_HTML = Refusal(N_("a web page (HTML, which can carry scripts)"), "text/html",
                N_("Print it to PDF, or take a screenshot, and upload that."))


def could_be_mailbox(head: bytes) -> bool:
    """Whether a file starting with `head` may be a mailbox (`sniff_mail` then says): none
    other starts with a "From " line."""
    return _mail_body(head).startswith(b"From ")


def _mail_body(head: bytes) -> bytes:
    return _LEADING_BLANK_LINES.sub(b"", head[3:] if head.startswith(codecs.BOM_UTF8) else head)


def sniff_mail(head: bytes, filename: str) -> FileType | None:
    """An email (.eml) or a mailbox (.mbox) by the header block at the start, else None."""
    lowered = filename.lower()
    body = _mail_body(head)
    if body.startswith(b"From "):
        first_line_end = body.find(b"\n")
        if first_line_end == -1:
            return None
        names, _ = _header_block(body[first_line_end + 1:])
        if not any(name in _MAIL_FIELDS or name.startswith(b"x-") for name in names):
            return None
        one_message = body.count(b"\nFrom ") == 0
        return EML if one_message and lowered.endswith(".eml") else MBOX
    names, clean = _header_block(body)
    known = [n for n in names if n in _MAIL_FIELDS or n.startswith((b"x-", b"arc-", b"list-"))]
    strong = clean and len(names) >= 2 and len(known) >= 2 and (
        any(n in _TRANSPORT_FIELDS for n in names) or (b"from" in names and len(known) >= 3))
    if strong or (known and lowered.endswith(".eml")):
        return EML
    return None


def _header_block(data: bytes) -> tuple[list[bytes], bool]:
    """Lower-cased field names of the header lines that open `data`, and whether the
    block ends cleanly (at a blank line or at the end of `data`) rather than at a line
    that is not a header."""
    names: list[bytes] = []
    for line in data.split(b"\n"):
        line = line.removesuffix(b"\r")
        if not line:
            return names, True
        if _CONTROL_BYTES.search(line):
            return names, False
        if line[0] in b" \t":  # a folded continuation of the previous field
            if not names:
                return names, False
            continue
        match = _FIELD.match(line)
        if not match:
            return names, False
        names.append(match.group(1).lower())
    return names, True


def sniff_text(head: bytes, filename: str) -> FileType | Refusal | None:
    """Plain text or XML; a refusal for HTML, SVG, scripts, RTF, PostScript; None if binary."""
    text = _decode(head)
    if text is None:
        if _looks_like_utf16_without_bom(head):
            return Refusal(N_("UTF-16 text without a byte-order mark"), "text/plain",
                           N_("Save it as UTF-8 text and upload that."))
        return None
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("#!"):
        return Refusal(N_("a script (it starts with “#!”)"), "text/x-shellscript")
    if start.startswith("{\\rtf"):
        return Refusal(N_("a Rich Text document (RTF)"), "application/rtf",
                       N_("Save it as PDF or .docx and upload that."))
    if start.startswith("%!PS"):
        return Refusal(N_("a PostScript document"), "application/postscript",
                       N_("Save it as PDF."))
    if start.startswith("<"):
        return _markup(start, filename)
    return TEXT


def _markup(text: str, filename: str) -> FileType | Refusal:
    if not text.startswith("<?xml"):
        if _HTML_START.match(text):
            return _HTML
        if re.match(r"<svg[\s>]", text, re.IGNORECASE):
            return _SVG
        if not (_ELEMENT.match(text) and filename.lower().endswith(".xml")):
            return TEXT
    prolog = _XML_PROLOG.match(text)
    prolog_text = prolog.group(0) if prolog else ""
    if re.search(r"<!DOCTYPE\s+html", prolog_text, re.IGNORECASE):
        return _HTML
    root = _ELEMENT.match(text, len(prolog_text))
    local_name = root.group(2).lower() if root else ""
    if local_name == "svg":
        return _SVG
    if local_name == "html":
        return _HTML
    if any(namespace in text for namespace in _WEB_NAMESPACES):
        # A browser runs XHTML/SVG script elements embedded in any XML document.
        return Refusal(N_("XML with embedded web content (XHTML or SVG)"), "application/xml")
    return XML


def _decode(head: bytes) -> str | None:
    """The head as text, or None if it is not text in an encoding we accept."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            # final=False: the head may end in the middle of a character.
            text = codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return text if _is_plain(text) else None
    return None


def _is_plain(text: str) -> bool:
    """No NUL, and hardly any other control characters (a stray ESC or form feed is fine)."""
    if "\x00" in text:
        return False
    return len(_CONTROL_CHARS.findall(text)) <= len(text) // 100


def _looks_like_utf16_without_bom(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 4:
        return False
    even_nul, odd_nul = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return max(even_nul, odd_nul) > half * 0.6 and min(even_nul, odd_nul) < half * 0.05
