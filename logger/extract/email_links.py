"""The links of an email's HTML made inert for the viewer: a collector's or a phisher's link is
evidence to read, not a way out of Liuhen. Each `<a href>` becomes its words, underlined, with
the address it pointed to written after them as text (`<https://…>`, left out when the words are
the address already), so a person sees where it led and can copy it, but no click leaves the
page, fetches anything or tells the sender the email was read.

Works on nh3's output (`logger.extract.emails.sanitize_email_html`): there every attribute is
double-quoted with `"`, `<` and `>` escaped, and an `<a>` never holds another `<a>`.
"""

from __future__ import annotations

import html
import re

# A start tag <a ...> as nh3 writes it (not <abbr>, <area>, <article>, <aside>).
_LINK_START = re.compile(r'<a((?:\s+[^\s"=<>/]+(?:="[^"]*")?)*)\s*/?>')
_LINK_END = "</a>"
_HREF = re.compile(r'\shref="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
# Addresses shown as text after a link's words (in-page #anchors and cid: parts are not).
_SHOWN = re.compile(r"(?i)(?:https?:|mailto:|tel:|//)")
MAX_SHOWN_CHARS = 300


def inert_links(clean_html: str) -> str:
    """`clean_html` (nh3's output) with every `<a>` replaced by its words and its address."""
    out: list[str] = []
    position = 0
    while (start := _LINK_START.search(clean_html, position)) is not None:
        end = clean_html.find(_LINK_END, start.end())
        if end < 0:
            end = len(clean_html)
        words = clean_html[start.end():end]
        out += [clean_html[position:start.start()], "<u>", words, "</u>",
                _address(start.group(1), words)]
        position = end + len(_LINK_END)
    out.append(clean_html[position:])
    return "".join(out)


def _address(attributes: str, words: str) -> str:
    found = _HREF.search(attributes)
    target = html.unescape(found.group(1)).strip() if found else ""
    if not target or not _SHOWN.match(target):
        return ""
    said = html.unescape(_TAG.sub("", words)).strip()
    bare = target.split(":", 1)[1] if target.lower().startswith(("mailto:", "tel:")) else target
    if said in (target, bare) or said.rstrip("/") == target.rstrip("/"):
        return ""
    if len(target) > MAX_SHOWN_CHARS:
        target = target[:MAX_SHOWN_CHARS - 1] + "…"
    return f" <small>&lt;{html.escape(target, quote=False)}&gt;</small>"
