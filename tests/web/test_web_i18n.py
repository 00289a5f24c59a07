"""Every message in web/ and in the domain (logger/) has its Chinese translation, and the pages
speak one language.

The web's messages are found the way `pybabel extract -F web/babel.cfg -k lazy_gettext web/`
finds them (Python and Jinja templates, every part of the app); the domain's with the keywords
`logger.i18n` names (translate, N_, NC_, Text). Both are looked up in all the catalogues under
logger/translations/zh, merged as the app merges them: one place for a translator."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from logger.i18n import CATALOGUES
from logger.i18n import KEYWORDS as DOMAIN_KEYWORDS
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import COMMON_CREDITORS
from tests.support.common import make_negotiation_in
from tests.support.web import new_browser, post_form, sign_in, visible_text
from web.i18n import compile_catalogs

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
LOGGER = ROOT / "logger"
CATALOGS = CATALOGUES / "zh" / "LC_MESSAGES"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# The standalone checker copied into every bundle speaks both languages itself (no imports).
DOMAIN_METHODS = [("**/bundles/verify.py", "ignore"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*(?:\.\d+)?[sdf]")

Message = tuple[str, int, str | None, str | tuple[str, ...]]  # file, line, context, id


def extracted() -> list[Message]:
    """(file, line, context, message id) of every translatable message in web/."""
    with (WEB / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return [(f"web/{path}", line, context, message) for path, line, message, _comments, context
            in extract_from_dir(WEB, method_map, options_map, keywords=KEYWORDS)]


def extracted_from_the_domain() -> list[Message]:
    """(file, line, context, message id) of every translatable message in logger/."""
    return [(f"logger/{path}", line, context, message)
            for path, line, message, _comments, context
            in extract_from_dir(LOGGER, DOMAIN_METHODS, keywords=DOMAIN_KEYWORDS)]


def chinese() -> dict[tuple[str | None, str], str | tuple[str, ...]]:
    """(context, message id (the singular for plurals)) -> translation, over every zh catalog."""
    found = {}
    for po_path in sorted(CATALOGS.glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    found[(message.context, key)] = message.string
    return found


def untranslated(messages: list[Message]) -> list[str]:
    translations = chinese()
    missing = []
    for path, line, context, message in messages:
        key = message[0] if isinstance(message, tuple) else message
        translated = translations.get((context, key))
        if isinstance(message, tuple) != isinstance(translated, tuple) or not (
                all(translated) if isinstance(translated, tuple) else translated):
            missing.append(f"{path}:{line}: {key!r}" + (f" (context {context!r})"
                                                         if context else ""))
    return missing


def wrong_placeholders(messages: list[Message]) -> list[str]:
    translations = chinese()
    wrong = []
    for path, _line, context, message in messages:
        singular = message[0] if isinstance(message, tuple) else message
        translated = translations.get((context, singular))
        for text in translated if isinstance(translated, tuple) else [translated]:
            if text and set(PLACEHOLDER.findall(singular)) != set(PLACEHOLDER.findall(text)):
                wrong.append(f"{path}: {singular!r} -> {text!r}")
    return wrong


def test_extraction_sees_python_and_templates_of_every_part():
    files = {path for path, _line, _context, _message in extracted()}
    assert {"web/auth.py", "web/negotiations.py"} <= files
    assert any(path.startswith("web/settings/") for path in files)
    assert {"web/templates/base.html", "web/templates/negotiations/overview.html"} <= files
    assert len(files) >= 10


def test_extraction_sees_the_domains_texts():
    files = {path for path, _line, _context, _message in extracted_from_the_domain()}
    assert {"logger/reminders/text.py", "logger/bundles/readme.py", "logger/bundles/items.py",
            "logger/bundles/letter.py", "logger/conduct/inputs.py"} <= files
    assert not any(path.endswith("verify.py") for path in files)


def test_every_message_has_a_chinese_translation():
    missing = untranslated(extracted())
    assert not missing, f"no Chinese in {CATALOGS}/*.po for:\n" + "\n".join(missing)


def test_every_message_of_the_domain_has_a_chinese_translation():
    missing = untranslated(extracted_from_the_domain())
    assert not missing, f"no Chinese in {CATALOGS}/*.po for:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders():
    wrong = wrong_placeholders(extracted() + extracted_from_the_domain())
    assert not wrong, "\n".join(wrong)


def test_the_catalogs_live_in_one_place():
    assert list(CATALOGS.glob("*.po"))
    assert not list(WEB.rglob("*.po")), "the catalogs are in logger/translations, not in web/"


def test_the_catalogs_merge_without_contradictions(tmp_path):
    compile_catalogs(CATALOGUES, tmp_path)
    assert (tmp_path / "zh" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000


def test_a_message_translated_two_ways_is_refused(tmp_path):
    source = tmp_path / "source" / "zh" / "LC_MESSAGES"
    source.mkdir(parents=True)
    for name, text in (("a", "协商"), ("b", "谈判")):
        (source / f"{name}.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: zh\\n"\n\nmsgid "Negotiations"\nmsgstr "{text}"\n',
            encoding="utf-8")
    with pytest.raises(ValueError, match="translated differently"):
        compile_catalogs(tmp_path / "source", tmp_path / "out")


# --- The pages themselves ----------------------------------------------------------------------

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Not words to translate: zone names (Asia/Shanghai), acronyms (CNY, API), file names.
# Not prose: paths and media types, acronyms (SMTP), file names, config sections ([reminders]).
NOT_PROSE = re.compile(r"[A-Za-z_]+/[\w/+-]+|\b[A-Z]{2,5}\b|\S+\.\w{2,4}\b|\[[a-z_]+\]")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(services, session, owner, testdata):
    """An owner with a negotiation that has evidence, and every page of W1's part to look at."""
    negotiation = make_negotiation_in(
        session, owner, collection_agency="某某催收", account_reference="XYF-2024-001",
        principal=Decimal("20000"), outstanding=Decimal("23456.78"),
        overdue_since=date.today() - timedelta(days=12))
    path = testdata / "audio" / "BAC009S0764W0121.wav"
    with path.open("rb") as stream:
        ingest(session=session, blobs=services.blobs, source=IncomingFile(stream, path.name),
               negotiation=negotiation, actor=owner, max_bytes=10**8,
               tz=services.config.locale.zone,
               details=EvidenceDetails(occurred_at=datetime(2024, 12, 3, 7, 30, tzinfo=UTC)))
    return negotiation


def pages(app, negotiation, language: str):
    """(what, html) for W1's pages, signed out and in, with and without errors."""
    visitor = new_browser(app, language=language)
    yield "login", visitor.get("/login")
    yield "login refused", post_form(visitor, "/login", {"name": "owner", "password": "nope"})
    browser = sign_in(new_browser(app, language=language), "owner", "owner-password")
    yield "overview", browser.get("/")
    yield "new", browser.get("/negotiations/new")
    yield "new refused", post_form(browser, "/negotiations/new",
                                   {"creditor": "", "principal": "x", "overdue_since": "y"})
    yield "edit", browser.get(f"/negotiations/{negotiation.id}/edit")
    yield "settings", browser.get("/settings")
    yield "timezone refused", post_form(browser, "/settings/timezone", {"timezone": "Nowhere"})
    yield "members", browser.get("/settings/members")
    yield "member refused", post_form(browser, "/settings/members", {"name": "", "password": ""})


def test_chinese_pages_have_no_english_left(app, world):
    for what, reply in pages(app, world, "zh"):
        assert reply.status_code in (200, 400, 401), what
        texts = [t.replace("owner", "") for t in visible_text(reply.get_data(as_text=True))]
        leftovers = [t for t in texts if ENGLISH_WORD.search(NOT_PROSE.sub("", t))]
        assert not leftovers, f"{what}: untranslated {leftovers}"


def test_english_pages_have_no_chinese_but_the_data(app, world):
    data = re.compile("信用飞|某某催收|" + "|".join(COMMON_CREDITORS))
    for what, reply in pages(app, world, "en"):
        texts = [data.sub("", t) for t in visible_text(reply.get_data(as_text=True))]
        leftovers = [t for t in texts if HAN.search(t)]
        assert not leftovers, f"{what}: Chinese on an English page {leftovers}"
