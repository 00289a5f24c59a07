"""Simplified Chinese and English (Flask-Babel). Templates and views are written in English and
marked with _(); the Chinese is in the catalogues the whole app shares,
`logger/translations/zh/LC_MESSAGES/<part>.po`, one per part of the app (`logger.i18n`: the
domain's own texts, a bundle's or a reminder's, are translated from the same files).

When the app starts the catalogues are merged and compiled into one `messages.mo` in a private
temporary directory (a few milliseconds), so no compiled file is committed or can go stale.

Which language: the account's choice, else the `lang` cookie (set by the switcher before
sign-in), else the browser's Accept-Language, else Chinese. The JSON API puts the request's
Accept-Language first, so a client gets every answer, errors included, in the language it asks.
Which time zone: that of the negotiation the request is about, else the account's, else
`locale.timezone` from the config (web.zone).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from flask import Flask, g, request
from flask_babel import Babel, get_locale

from logger.errors import LiuhenError
from logger.i18n import CATALOGUES, DEFAULT_LANGUAGE, LANGUAGES, merged_catalogues
from web.zone import page_zone, zone_note

LANGUAGE_COOKIE = "lang"
SOURCE_DIR = CATALOGUES


def compile_catalogs(source: Path, target: Path) -> None:
    """Merge every `<lang>/LC_MESSAGES/*.po` under source into `<lang>/LC_MESSAGES/messages.mo`
    under target. The same message id in two catalogs must have the same translation
    (ValueError otherwise)."""
    for language, catalog in merged_catalogues(source).items():
        out = target / language / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def select_locale() -> str:
    if request.blueprint == "api" or request.path.startswith("/api/"):
        # An API client says in each request what it reads; its answers, errors before and
        # after the token is checked alike, follow that, else the token's account's choice.
        asked = request.accept_languages.best_match(LANGUAGES)
        if asked:
            return asked
    user = g.get("user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def reader_language() -> str:
    """The language this request's pages are written in ("zh" or "en")."""
    locale = get_locale()
    language = locale.language if locale is not None else None
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def refusal_text(error: LiuhenError) -> str:
    """A domain error's message in the reader's language (English where the domain wrote it
    as a plain string): never `str(error)` on a page."""
    return error.in_language(reader_language())


def select_timezone() -> str:
    return page_zone().key


def init_i18n(app: Flask) -> None:
    compiled = Path(tempfile.mkdtemp(prefix="liuhen-i18n-"))
    compile_catalogs(SOURCE_DIR, compiled)
    atexit.register(shutil.rmtree, compiled, ignore_errors=True)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(get_locale=get_locale, zone_note=zone_note)
