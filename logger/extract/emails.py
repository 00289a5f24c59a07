"""One email (.eml: RFC 5322 / MIME) read into what Liuhen keeps of it: decoded headers, the text
and HTML bodies, the attachments and attached messages (each to become a child evidence item),
and warnings that say, in words, what could not be read. Also `sanitize_email_html`, which makes
an email's HTML safe to show: nothing runs, nothing is fetched and no link can be followed.

Headers are read by `logger.intake.filemeta.email` (the same reader intake uses). Parsing never
raises on bad input: broken boundaries, truncated parts, damaged base64 and wrong charsets are
read as far as they go and described in `ParsedEmail.warnings`.
"""

from __future__ import annotations

import email.generator
import email.message
import email.parser
import email.policy
import email.utils
import io
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import nh3

from logger.extract.email_links import inert_links
from logger.extract.email_text import decode_body, html_to_text
from logger.intake.filemeta.common import FileMetadata
from logger.intake.filemeta.common import clean_text, describe_error
from logger.intake.filemeta.email import decode_header_text, read_email
from logger.intake.sniff.types import EML

# Deeper nesting or more parts than this is a mail bomb, not correspondence.
MAX_DEPTH = 30
MAX_PARTS = 2000
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# A line that looks like a MIME boundary delimiter: "--" then 6-70 boundary characters with at
# least one letter or digit, optionally closed by "--".
_BOUNDARY_LINE = re.compile(
    r"^--(?=[^\n]*[0-9A-Za-z])([0-9A-Za-z'()+_,\-./:=?]{6,70}?)(--)?[ \t]*$", re.MULTILINE)
_DEFECT_WORDS = {
    "StartBoundaryNotFoundDefect": "the boundary its header declares never occurs in the body",
    "CloseBoundaryNotFoundDefect": "a multipart section has no closing boundary (the message "
                                   "is probably truncated)",
    "MultipartInvariantViolationDefect": "a part declared multipart holds no parts",
    "InvalidBase64PaddingDefect": "base64 content has wrong padding",
    "InvalidBase64CharactersDefect": "base64 content holds characters that are not base64",
    "InvalidBase64LengthDefect": "base64 content has an impossible length (damaged)",
    "MissingHeaderBodySeparatorDefect": "a header block does not end with a blank line",
    "NoBoundaryInMultipartDefect": "a multipart part declares no boundary",
    "FirstHeaderLineIsContinuationDefect": "a header block starts with a continuation line",
    "MisplacedEnvelopeHeaderDefect": "a mailbox “From ” line sits inside the headers",
}
# Nothing an email shows may fetch anything: only inline (cid:) images keep their source.
_FETCHING_ATTRIBUTES = {"src", "srcset", "background", "poster", "data", "longdesc"}
_SANITIZE_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
# What a sanitised email may hold once its links are made inert: nothing to click.
_SHOWN_TAGS = set(nh3.ALLOWED_TAGS) - {"a", "area"}


@dataclass
class Attachment:
    """One attached file or message, decoded. `filename` is never empty (a name is made up
    from the content type when the sender gave none)."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class ParsedEmail:
    """What one message says. `sender`, `to` and `cc` are the decoded header values; `date` is
    aware UTC; `text` is the text body (the HTML read as text when there is no text part)."""

    subject: str | None = None
    sender: str | None = None
    from_address: str | None = None
    to: str | None = None
    cc: str | None = None
    date: datetime | None = None
    date_header: str | None = None
    message_id: str | None = None
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The headers as intake's metadata reader reads them (a mailbox's split passes them on).
    headers: FileMetadata = field(default_factory=FileMetadata)

    def searchable_text(self) -> str:
        """The headers people search by, then the body: what goes into the search index."""
        heads = [("From", self.sender), ("To", self.to), ("Cc", self.cc),
                 ("Subject", self.subject), ("Date", self.date_header)]
        block = "\n".join(f"{name}: {value}" for name, value in heads if value)
        return f"{block}\n\n{self.text}".strip()


def parse_email(data: bytes, *, tz: ZoneInfo) -> ParsedEmail:
    """Read one RFC 5322 message. `tz` reads dates without an offset. Never raises for
    anything in `data`; what could not be read is in `.warnings`."""
    meta = FileMetadata()
    try:
        read_email(meta, EML, io.BytesIO(data), "", tz)
    except Exception as exc:  # the same promise intake's metadata reader keeps
        meta.problems.append(f"the email's headers could not be read: {describe_error(exc)}")
    parsed = ParsedEmail(
        subject=meta.subject, sender=meta.extra.get("from"),
        from_address=meta.extra.get("from_address"), to=meta.extra.get("to"),
        cc=meta.extra.get("cc"), date=meta.occurred_at, date_header=meta.extra.get("date_header"),
        message_id=meta.extra.get("message_id"), warnings=list(meta.problems), headers=meta)
    walker = _Walker(parsed)
    try:
        walker.visit(email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data),
                     depth=0)
    except Exception as exc:  # the email package has many corners; keep what was read
        walker.warn(f"the rest of the message could not be read: {describe_error(exc)}")
    walker.finish()
    return parsed


class _Walker:
    """Collects bodies and attachments from a parsed message tree into a ParsedEmail."""

    def __init__(self, parsed: ParsedEmail) -> None:
        self.parsed = parsed
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.parts = 0
        # Above zero inside the alternatives of a text/plain part: their text is not repeated.
        self.muted = 0

    def visit(self, part: email.message.Message, *, depth: int) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            if self.parts == MAX_PARTS + 1 or depth == MAX_DEPTH + 1:
                self.warn(f"the message nests more than {MAX_DEPTH} levels or has more than "
                          f"{MAX_PARTS} parts; the rest was not read")
            return
        self._note_defects(part)
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (ctype.startswith("message/") and _filename(part)):
            self._attach(_attached_message(part, self), "message/rfc822", part)
        elif ctype.startswith("message/"):  # delivery-status and the like: header blocks
            self._add_text(_report_text(part))
        elif part.is_multipart():
            self._visit_multipart(part, depth)
        elif ctype.startswith("multipart/"):
            self._recover_multipart(part, depth)
        elif ctype in ("text/plain", "text/html") and not _is_attachment(part):
            self._body(part, ctype)
        else:
            self._attach(_payload(part, self), ctype, part)

    def warn(self, message: str) -> None:
        if message not in self.parsed.warnings:
            self.parsed.warnings.append(message)

    def _visit_multipart(self, part: email.message.Message, depth: int) -> None:
        children = [p for p in part.get_payload() if isinstance(p, email.message.Message)]
        if part.get_content_subtype() != "alternative":
            for child in children:
                self.visit(child, depth=depth + 1)
            return
        # Alternatives say the same thing: the text comes from the plain one when there is one;
        # the HTML (and any images related to it) are kept too.
        has_plain = any(c.get_content_type() == "text/plain" for c in children)
        for child in children:
            muted = has_plain and child.get_content_type() != "text/plain"
            self.muted += muted
            self.visit(child, depth=depth + 1)
            self.muted -= muted

    def _recover_multipart(self, part: email.message.Message, depth: int) -> None:
        """A multipart whose declared boundary is not used: re-read it with the boundary its
        body does use, if one can be seen."""
        body = part.get_payload()
        found = _BOUNDARY_LINE.search(body) if isinstance(body, str) else None
        if found is None:
            self.warn("a multipart section could not be split into its parts; it was kept "
                      "only in the original")
            return
        boundary = found.group(1)
        self.warn(f"a multipart section was re-read with the boundary its body uses "
                  f"(“{boundary}”) instead of the declared one")
        # Every boundary-like line becomes the one boundary (the sender mixed several).
        fixed = _BOUNDARY_LINE.sub(lambda m: f"--{boundary}{m.group(2) or ''}", body)
        header = f"Content-Type: {part.get_content_type()}; boundary=\"{boundary}\"\n\n"
        rebuilt = email.parser.Parser(policy=email.policy.compat32).parsestr(header + fixed)
        if rebuilt.is_multipart():
            self._visit_multipart(rebuilt, depth)
        else:
            self.warn("a multipart section could not be split into its parts; it was kept "
                      "only in the original")

    def _body(self, part: email.message.Message, ctype: str) -> None:
        text = decode_part(part, self)
        if ctype == "text/html":
            self.htmls.append(text)
            self._add_text(html_to_text(text))
        else:
            self._add_text(text.strip())

    def _add_text(self, text: str) -> None:
        if not self.muted:
            self.texts.append(text)

    def _attach(self, data: bytes, ctype: str, part: email.message.Message) -> None:
        number = len(self.parsed.attachments) + 1
        inline = part.get_content_disposition() == "inline"
        content_id = part.get("Content-ID")
        self.parsed.attachments.append(Attachment(
            filename=_filename(part) or _made_up_name(ctype, number, inline),
            content_type=ctype, data=data, inline=inline,
            content_id=clean_text(str(content_id).strip().strip("<>"), 300)
            if content_id else None))

    def _note_defects(self, part: email.message.Message) -> None:
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            words = _DEFECT_WORDS.get(name, str(defect) or name)
            self.warn(f"{words} ({name})")

    def finish(self) -> None:
        self.parsed.text = "\n\n".join(t for t in self.texts if t.strip())
        self.parsed.html = "\n".join(self.htmls) if self.htmls else None


def decode_part(part: email.message.Message, walker: _Walker) -> str:
    """A leaf text part's text (transfer encoding undone, charset worked out)."""
    text, warning = decode_body(_payload(part, walker), part.get_content_charset(),
                                html_part=part.get_content_type() == "text/html")
    if warning:
        walker.warn(warning)
    return text


def _report_text(part: email.message.Message) -> str:
    """A message/delivery-status (or similar) part: its header blocks, as written."""
    blocks = part.get_payload()
    if isinstance(blocks, str):
        return blocks.strip()
    return "\n\n".join(b.as_string(policy=email.policy.compat32).strip() for b in blocks
                       if isinstance(b, email.message.Message))


def _payload(part: email.message.Message, walker: _Walker) -> bytes:
    """The part's content with its transfer encoding undone. A part declared base64 that is not
    (words with spaces, say) is kept as written, with a warning."""
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = part.get_payload()
    if cte == "base64" and isinstance(raw, str) and not all(
            _BASE64_LINE.fullmatch(line.strip(" \t\r\n\x00")) for line in raw.splitlines()):
        walker.warn("a part declared base64 is not base64; it was read as written")
        return raw.encode("utf-8", "surrogateescape")
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _attached_message(part: email.message.Message, walker: _Walker) -> bytes:
    """The bytes of an attached message, as the parser re-serialises them (headers and body as
    written, lines ending in LF)."""
    payload = part.get_payload()
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list) and payload and cte not in ("base64", "quoted-printable"):
        return _serialised(payload[0])
    if isinstance(payload, list) and payload:
        # An encoded attached message (not allowed, but sent): the parser took the encoded
        # text for headers; undo that and decode it.
        part = _as_leaf(part)
    return _payload(part, walker)


def _serialised(message: email.message.Message) -> bytes:
    out = io.BytesIO()
    try:
        email.generator.BytesGenerator(out, mangle_from_=False,
                                       policy=email.policy.compat32).flatten(message)
    except UnicodeError:  # a header the parser already turned into text it cannot write back
        return message.as_string(policy=email.policy.compat32).encode("utf-8",
                                                                      "surrogateescape")
    return out.getvalue()


def _as_leaf(part: email.message.Message) -> email.message.Message:
    text = part.as_string(policy=email.policy.compat32)
    return email.parser.Parser(policy=email.policy.compat32).parsestr(
        text.replace("message/rfc822", "application/octet-stream", 1))


def _is_attachment(part: email.message.Message) -> bool:
    return part.get_content_disposition() == "attachment" or _filename(part) is not None


def _filename(part: email.message.Message) -> str | None:
    """The decoded file name: RFC 2231 (with its charset), RFC 2047 words in a parameter (not
    allowed, but common), or raw 8-bit UTF-8/GBK."""
    value = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value as Latin-1 bytes)
        charset, _, octets = value
        name = decode_body(octets.encode("latin-1", "replace"), charset or None)[0]
    else:
        name = decode_header_text(email.utils.unquote(str(value)))
    return clean_text(name.replace("\\", "/").rsplit("/", 1)[-1], 255)


def _made_up_name(ctype: str, number: int, inline: bool) -> str:
    extension = ".eml" if ctype == "message/rfc822" else (
        mimetypes.guess_extension(ctype, strict=False) or ".bin")
    return f"{'inline' if inline else 'attachment'}-{number}{extension}"


def sanitize_email_html(html: str) -> str:
    """An email's HTML made safe to show in a page: no scripts, styles, event handlers, forms or
    frames (nh3's allow-list), and nothing that would be fetched when shown: remote images and
    other remote sources are removed (their alt text stays); inline `cid:` images are kept as
    references for the viewer to resolve. No link survives: each becomes its words with the
    address written after them as text (`logger.extract.email_links`), and a second pass with
    neither `<a>` nor `<area>` allowed makes sure of it."""
    clean = nh3.clean(html, url_schemes=_SANITIZE_SCHEMES, attribute_filter=_no_fetching)
    return nh3.clean(inert_links(clean), tags=_SHOWN_TAGS, url_schemes=_SANITIZE_SCHEMES,
                     attribute_filter=_no_fetching)


def _no_fetching(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _FETCHING_ATTRIBUTES and not value.strip().lower().startswith("cid:"):
        return None
    return value
