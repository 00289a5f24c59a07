"""Chinese and English for every layer, from one set of gettext catalogues.

Messages are written in English where they are used; `logger/translations/zh/LC_MESSAGES/*.po`
hold their Chinese, one catalogue per part of the app, the web's pages and the domain's own
texts alike (the bundle page's labels and a bundle's README are both in `bundles.po`), so a
translator works in one place. The web compiles them for Flask-Babel (`web.i18n`); domain code,
which is told its language (a bundle in Chinese, a reminder in the account's language), calls
`translate`.

Marking, as `KEYWORDS` tells extraction (`pybabel extract -k translate:2 -k N_ -k NC_:1c,2
-k Text:1 logger/`): `translate(language, "…", **values)` for a message written where it is
used; `N_("…")` for one kept in a table and translated later; `NC_(context, "…")` where one
English word needs two Chinese ones (a file name's "email" is not a channel's); `Text("…",
**values)` for one kept until it is written in each language (a conduct finding's reason).
Placeholders are `%(name)s`, as in the web's messages.

May import only the standard library and babel (never `web`, nor anything in `logger`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"  # for an account, a page or a text that has not chosen
SOURCE_LANGUAGE = "en"  # what the code is written in; it has no catalogue
CATALOGUES = Path(__file__).parent / "translations"
# How `pybabel extract` and the tests find the domain's messages (the web adds its own).
KEYWORDS = {"translate": (2,), "N_": None, "NC_": ((1, "c"), 2), "Text": (1,)}

T = TypeVar("T")


class Message(NamedTuple):
    """A message with its context (`NC_`): the same English, translated apart."""

    context: str
    id: str


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; `translate` it where it is used."""
    return message


def NC_(context: str, message: str) -> Message:
    """`N_` for a message whose English means two things; the context tells them apart."""
    return Message(context, message)


class Text:
    """A message and its values, put into a language only when it is written: a conduct finding
    keeps its reason in every language, and a word inside it is translated with it."""

    __slots__ = ("message", "values")

    def __init__(self, message: str | Message, /, **values: object) -> None:
        self.message = message
        self.values = values

    def to(self, language: str | None) -> str:
        return translate(language, self.message, **self.values)

    def in_each_language(self) -> dict[str, str]:
        """{"zh": …, "en": …}."""
        return {language: self.to(language) for language in LANGUAGES}


def translate(language: str | None, message: str | Message, /, **values: object) -> str:
    """`message` in `language` ("en": as written; "zh", None or any other: Chinese, the app's
    default), with `values` put into its placeholders. A value that is a `Text` is written in
    the same language; a mapping by language (a finding's reason) gives its entry for it. A
    message without a translation comes out in English (tests/web/test_web_i18n.py fails on
    any)."""
    context, text = message if isinstance(message, Message) else (None, message)
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    if language != SOURCE_LANGUAGE and text:
        text = _translations(language).get((context, text), text)
    if not values:
        return text
    return text % {name: _written(value, language) for name, value in values.items()}


def in_language(texts: Mapping[str, str], language: str | None) -> str:
    """The entry for `language` of a text written in each language (a finding's reason, a rule's
    description), by the rule `translate` follows; "" where it has none."""
    return texts.get(language if language in LANGUAGES else DEFAULT_LANGUAGE, "")


def _written(value: object, language: str) -> object:
    if isinstance(value, Text):
        return value.to(language)
    if isinstance(value, Mapping):
        return in_language(value, language)
    return value


class InEachLanguage(Mapping[str, T]):
    """language -> `make(language)`, made when it is asked for: a table in each language
    (`COLUMNS["zh"]`) that does not read the catalogues when its module is imported."""

    def __init__(self, make: Callable[[str], T]) -> None:
        self._make = make

    def __getitem__(self, language: str) -> T:
        if language not in LANGUAGES:
            raise KeyError(language)
        return self._make(language)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


def merged_catalogues(source: Path = CATALOGUES) -> dict[str, Catalog]:
    """Language -> every `<language>/LC_MESSAGES/*.po` under `source`, merged into one. Raises
    ValueError for a message translated differently in two catalogues. Babel is imported here,
    when a text is first translated: every `liuhen` command imports this module (its errors are
    written in both languages), most never translate."""
    from babel.messages.pofile import read_po

    merged: dict[str, Catalog] = {}
    for language_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        for po_path in sorted((language_dir / "LC_MESSAGES").glob("*.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            into = merged.setdefault(language_dir.name, catalog)
            if into is catalog:
                continue
            for entry in catalog:
                if not entry.id:
                    continue
                known = into.get(entry.id, entry.context)
                if known is not None and known.string and known.string != entry.string:
                    raise ValueError(f"{po_path}: {entry.id!r} is translated differently in "
                                     "another catalogue")
                into[entry.id] = entry
    return merged


@cache
def _translations(language: str) -> dict[tuple[str | None, str], str]:
    """(context, English) -> translation, for the singular messages of `language`; read once
    per process (a few milliseconds)."""
    catalog = merged_catalogues().get(language)
    if catalog is None:
        return {}
    return {(entry.context, entry.id): entry.string for entry in catalog
            if isinstance(entry.id, str) and entry.id and isinstance(entry.string, str)
            and entry.string and not entry.fuzzy}
