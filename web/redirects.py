"""Where the app may send a browser back to after an action: a path on this site, never another
one (no open redirect). Every redirect to a target that came with the request (`?next=` after
signing in, the language switcher's and a form's `next` field) goes through `local_path`.

A target is judged in every form a browser or Werkzeug may read it: as sent; as Werkzeug writes
the Location header (`iri_to_uri`, which turns `////host` into `//host`); percent-decoded
(repeatedly); with Unicode look-alikes folded (NFKC: `／` is `/`); with backslashes read as
slashes and tabs, newlines and other control characters dropped, as browsers do. It is taken only
if each form is a path that starts with exactly one `/` and resolves to this site; anything else
(a scheme, `//host`, `/\\host`, a dot segment such as `/.//host`) is refused, and the caller
uses its own default.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urljoin, urlsplit

from werkzeug.urls import iri_to_uri

MAX_CHARS = 2048
# Any origin will do: a target is judged by whether it stays on the origin it is resolved against.
_ORIGIN = "http://liuhen.invalid:8000/"
_DECODE_ROUNDS = 4


def local_path(target: object) -> str | None:
    """`target` as the Location header will carry it, if it is a path on this site; else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_CHARS:
        return None
    if any(_browser_ignores(ch) or ch.isspace() or ch == "\\" for ch in target):
        return None
    try:
        emitted = iri_to_uri(target)
    except ValueError:
        return None
    readings = {target, emitted}
    for reading in list(readings):
        readings |= _decoded(reading)
    readings |= {_as_browser_reads(unicodedata.normalize("NFKC", r)) for r in list(readings)}
    return emitted if all(_stays_here(r) for r in readings) else None


def _decoded(text: str) -> set[str]:
    found = set()
    for _round in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        found.add(decoded)
        text = decoded
    return found


def _as_browser_reads(text: str) -> str:
    """Backslashes as slashes, control and invisible format characters dropped, surrounding
    white space stripped (the WHATWG URL parser's leniencies for http URLs)."""
    kept = "".join(ch for ch in text if not _browser_ignores(ch))
    return kept.replace("\\", "/").strip()


def _browser_ignores(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _stays_here(reading: str) -> bool:
    if not reading.startswith("/") or reading[1:2] in ("/", "\\"):
        return False
    reading = reading.replace("\\", "/")
    parts = urlsplit(reading)
    if parts.scheme or parts.netloc or any(s in (".", "..") for s in parts.path.split("/")):
        return False
    resolved = urlsplit(urljoin(_ORIGIN, reading))
    origin = urlsplit(_ORIGIN)
    return (resolved.scheme, resolved.netloc) == (origin.scheme, origin.netloc) and \
        not resolved.path.startswith("//")
