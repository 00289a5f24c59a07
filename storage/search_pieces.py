"""`search_pieces(text)`: the characters and pairs of neighbouring characters of a text, as
SQLite's search index holds them for words of one or two characters (the `search_short` table of
migration 0018): each lower-cased like SQLite's lower() (ASCII letters only), its UTF-8 bytes in
upper-case hex, all space-separated; a piece starts at every character but a space or a line
break, and the last character's pair is the character alone. None for NULL or when nothing is
left.

Registered as an SQL function on every SQLite connection (`storage.db`), the triggers of
migration 0021 call it: it is what 0018's recursive query computed, about 20 times faster. A leaf
module, as every connection imports it.
"""

from __future__ import annotations

ASCII_UPPER, ASCII_LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_LOWERED = str.maketrans(ASCII_UPPER, ASCII_LOWER)
_NO_PIECE = frozenset({" ".encode().hex().upper(), "\n".encode().hex().upper()})
_HEX: dict[str, str] = {}  # a character's UTF-8 in hex: a pair's is its two characters' joined
_HEX_KEPT = 1 << 16


def search_pieces(text: str | None) -> str | None:
    if text is None:
        return None
    hexes = [_HEX.get(char) or _hex(char) for char in ascii_lower(text)]
    if not hexes:
        return None
    following = [*hexes[1:], ""]
    pieces = [f"{this} {this}{after}" for this, after in zip(hexes, following, strict=True)
              if this not in _NO_PIECE]
    return " ".join(pieces) or None


def ascii_lower(text: str) -> str:
    """`text` with its ASCII letters in lower case (what SQLite's lower() and the index's
    pieces do; other letters keep their case)."""
    return text.translate(_LOWERED)


def _hex(char: str) -> str:
    found = char.encode().hex().upper()
    if len(_HEX) < _HEX_KEPT:
        _HEX[char] = found
    return found


def register(connection) -> None:
    """Make `search_pieces` callable in SQL on this sqlite3 (or sqlcipher3) connection."""
    connection.create_function("search_pieces", 1, search_pieces, deterministic=True)
