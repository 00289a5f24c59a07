"""The name an original is downloaded under (the page's and the API's download): the name it was
uploaded with, made safe to save. Whoever sent the file chose that name, so it may be `..`, a
path (`../x`, `a\\b`), control or bidi-override characters (`invoice‮fdp.exe`), characters a
file system refuses, a Windows device name, or nothing readable at all. The last part of any
path is kept, with what a file system or a reader would trip on removed; a name with nothing
readable left becomes `evidence-<id>.<ext>`. A Chinese name stays Chinese (RFC 5987
`filename*`), with a plain-ASCII stand-in for old clients (RFC 6266).
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from storage.models import Evidence

# Room for the suffix a browser adds to a repeated download ("name (1).pdf") under 255 bytes.
MAX_NAME_BYTES = 200
_REFUSED = re.compile(r'[<>:"/\\|?*]')
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³")}


def download_name(evidence: Evidence) -> str:
    """The item's original name, safe to save anywhere; `evidence-<id>.<ext>` when nothing
    readable is left of it."""
    name = (evidence.original_filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # Cc, Cf, Cs, Co, Cn
    name = " ".join(_REFUSED.sub("_", name).split())
    stem = PurePosixPath(name).stem.strip(" .") if name else ""  # "....txt" is only a suffix
    name = name.strip(" .")
    if not stem or not any(ch.isalnum() for ch in name) or \
            name.split(".")[0].strip().upper() in _DEVICES:
        return fallback_name(evidence)
    return _shortened(name)


def fallback_name(evidence: Evidence) -> str:
    """`evidence-<id>` with the original's extension, else one for its type."""
    suffix = PurePosixPath(evidence.original_filename or "").suffix
    if not _SUFFIX.fullmatch(suffix):
        suffix = mimetypes.guess_extension(evidence.media_type or "") or ""
    return f"evidence-{evidence.id}{suffix.lower()}"


def attachment_disposition(evidence: Evidence) -> str:
    """`attachment` with the safe name: `filename*` carries it in UTF-8 (RFC 5987), `filename`
    is a plain-ASCII stand-in (the name itself when it is ASCII)."""
    name = download_name(evidence)
    ascii_name = name if name.isascii() else fallback_name(evidence)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _shortened(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = PurePosixPath(name).suffix
    suffix = suffix if _SUFFIX.fullmatch(suffix) else ""
    stem = name[:len(name) - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix
