"""Text out of email bodies: bytes in a declared (often wrong) charset to str, HTML to plain text.

Chinese mail declares gb2312 for GBK/GB18030 bytes, gb2312 for UTF-8 bytes, or nothing at all;
`decode_body` reads such parts the way `logger.intake.filemeta.email` reads headers, and says in a
warning when what was declared was not what the bytes are. `html_to_text` keeps what a reader
sees (text, line breaks, link targets, image alt texts), never scripts or styles.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from logger.intake.filemeta.email import as_chinese_utf8, is_unknown_charset, superset_of

# Tried in order when the declared charset is missing or wrong. cp1252 before latin-1: the
# Western mail that is neither UTF-8 nor GB18030 is mostly Windows-1252.
_FALLBACKS = ("utf-8", "gb18030", "cp1252")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}
_HIDDEN_TAGS = {"script", "style", "head", "title", "template", "noscript", "object", "iframe"}
_CELL_TAGS = {"td", "th"}
_SPACES = re.compile(r"[\s\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def decode_body(data: bytes, declared: str | None, *,
                html_part: bool = False) -> tuple[str, str | None]:
    """`data` as text, and a warning when the declared charset was missing or wrong.

    Valid UTF-8 Chinese wins over any declaration; then the declared charset's superset (an
    HTML part without one may declare it in a <meta> tag), UTF-8, GB18030, Windows-1252; Latin-1
    last, which decodes anything. Never raises.
    """
    if is_unknown_charset(declared) and html_part:
        found = _META_CHARSET.search(data[:4096])
        declared = found.group(1).decode("ascii") if found else declared
    stated = None if is_unknown_charset(declared) else superset_of(declared)
    chinese = as_chinese_utf8(data)
    if chinese is not None:
        return chinese, _mismatch(declared, stated, "utf-8")
    candidates = ([stated] if stated and _known_codec(stated) else []) + list(_FALLBACKS)
    for charset in candidates:
        try:
            return data.decode(charset), _mismatch(declared, stated, charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), _mismatch(declared, stated, "latin-1")


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a name that is not even text
        return False
    return True


def _mismatch(declared: str | None, stated: str | None, used: str) -> str | None:
    if stated is not None and _known_codec(stated) and \
            codecs.lookup(stated).name == codecs.lookup(used).name:
        return None
    if stated is None:
        return None if used == "utf-8" else f"a text part declares no charset; read as {used}"
    return f"a text part declares charset {declared} but is not; read as {used}"


def html_to_text(markup: str) -> str:
    """The text a person reading `markup` sees, with paragraphs and line breaks kept; link
    targets follow their text in brackets when they differ from it."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n")
        elif tag in _CELL_TAGS:
            self._parts.append(" ")
        if tag == "pre":
            self._pre += 1
        elif tag == "a":
            self._links.append((values.get("href"), len(self._parts)))
        elif tag == "img" and values.get("alt") and not self._hidden:
            self._parts.append(f"[{values['alt']}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN_TAGS:  # a self-closed <script/> hides nothing after it
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            shown = "".join(self._parts[start:]).strip()
            target = (href or "").strip()
            if target and not target.startswith(("#", "cid:")) and \
                    target.removeprefix("mailto:") != shown:
                self._parts.append(f" ({target})")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self._parts.append(data if self._pre else _SPACES.sub(" ", data))

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self._parts).splitlines())
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
