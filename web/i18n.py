"""Simplified Chinese and English (Flask-Babel). Templates are written in English and marked with
_(); web/translations/zh/LC_MESSAGES/messages.po holds the Chinese.

The .po catalog is compiled into a private temporary directory when the app starts (it takes a
few milliseconds), so no compiled .mo file is committed or can go stale.

Which language: the account's choice, else the `lang` cookie (set by the switcher before
sign-in), else the browser's Accept-Language, else Chinese. Which time zone: the account's, else
`locale.timezone` from the config.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import Babel, get_locale

from web.state import app_state

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lang"
SOURCE_DIR = Path(__file__).parent / "translations"


def compile_catalogs(source: Path, target: Path) -> None:
    """Compile every `<lang>/LC_MESSAGES/*.po` under source into .mo files under target."""
    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        out = target / po_path.relative_to(source).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with out.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def select_locale() -> str:
    user = g.get("user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def select_timezone() -> str:
    user = g.get("user")
    if user is not None and user.timezone:
        return user.timezone
    return app_state().config.locale.timezone


def init_i18n(app: Flask) -> None:
    compiled = Path(tempfile.mkdtemp(prefix="liuhen-i18n-"))
    compile_catalogs(SOURCE_DIR, compiled)
    atexit.register(shutil.rmtree, compiled, ignore_errors=True)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["get_locale"] = get_locale
