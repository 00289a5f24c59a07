"""Simplified Chinese and English (Flask-Babel). Templates are written in English and marked with
_(); web/translations/zh/LC_MESSAGES/messages.po holds the Chinese.

Each part of the app keeps its own catalog (`zh/LC_MESSAGES/<part>.po`); when the app starts they
are merged and compiled into one `messages.mo` in a private temporary directory (a few
milliseconds), so no compiled file is committed or can go stale.

Which language: the account's choice, else the `lang` cookie (set by the switcher before
sign-in), else the browser's Accept-Language, else Chinese. Which time zone: the account's, else
`locale.timezone` from the config.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
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
    """Merge every `<lang>/LC_MESSAGES/*.po` under source into `<lang>/LC_MESSAGES/messages.mo`
    under target. The same message id in two catalogs must have the same translation."""
    for language_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        merged: Catalog | None = None
        for po_path in sorted((language_dir / "LC_MESSAGES").glob("*.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            if merged is None:
                merged = catalog
                continue
            for message in catalog:
                if not message.id:
                    continue
                known = merged.get(message.id, message.context)
                if known is not None and known.string and known.string != message.string:
                    raise ValueError(f"{po_path}: {message.id!r} is translated differently in "
                                     "another catalog")
                merged[message.id] = message
        if merged is None:
            continue
        out = target / language_dir.name / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as mo_file:
            write_mo(mo_file, merged)


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
