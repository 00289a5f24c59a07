"""A sentence no pattern of a rule matched, but that the resemblance model reads as the rule's
kind above all else (at least `SUGGEST_AT` sure), is a *suggestion* when it holds a word the
lexicon's `[suggest]` names for that kind: quoted with that word, shown apart, not counted and
kept out of letters until a person confirms it (custody-logged), or dismissed. The model's
reading is stubbed here, so the tests do not depend on the shipped model's weights."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.bundles.letter import draft_letter
from logger.conduct.confirm import confirm_finding, confirm_third_party
from logger.conduct.language import resemblance
from logger.conduct.lexicon import SUGGEST_AT, Match, categories, find_matches, parse_lexicon
from logger.conduct.language.model import LexiconError
from logger.conduct.report import ConductError, conduct_report, dismiss_finding
from logger.conduct.ruleset import get_rule_set
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind,
                            ExtractedText, Negotiation, TextSource, ThirdParty, User)
from tests.support.web import new_browser, post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2024, 12, 3, 14, 0, tzinfo=SHANGHAI)
# No pattern matches it (checked below); 传票 is a word of fake_legal's [suggest] classes.
SUMMONS = "你那张传票我们帮你代收了，要不要我念给你听听？"
NO_WORD = "你那张单子我们帮你代收了，要不要我念给你听听？"
FAKE_LEGAL_RULE = next(r.id for r in get_rule_set("cn").rules
                       if "fake_legal" in r.params.get("categories", ()))


@pytest.fixture
def reads_as(monkeypatch):
    """Make the model read every sentence as `category`, `chance` sure."""
    def stub(category: str, chance: float = 0.9) -> None:
        monkeypatch.setattr(resemblance, "reading", lambda sentence: (category, chance))
    return stub


def test_no_pattern_matches_the_example_sentences():
    assert find_matches(SUMMONS, categories(), suggest_at=1.1) == []
    assert find_matches(NO_WORD, categories(), suggest_at=1.1) == []


def test_a_sentence_read_as_a_kind_is_suggested_on_its_word(reads_as):
    reads_as("fake_legal")
    assert find_matches(SUMMONS, categories()) == [
        Match("fake_legal", "传票", SUMMONS, suggested=True)]


def test_no_suggestion_below_the_threshold_without_the_word_or_as_lawful(reads_as):
    reads_as("fake_legal", SUGGEST_AT - 0.01)
    assert find_matches(SUMMONS, categories()) == []
    reads_as("fake_legal", 0.99)
    assert find_matches(NO_WORD, categories()) == [], "the model's reading alone is not enough"
    assert find_matches(SUMMONS, categories() - {"fake_legal"}) == [], "a category not asked for"
    reads_as("lawful", 0.99)
    assert find_matches(SUMMONS, categories()) == []


@pytest.mark.parametrize("sentence", [
    "这张传票不是我们发的，您别担心。",      # a negation: said not to be so
    "我们从来没有给您寄过传票。",
    "您可以去法院核实这张传票的真假。",      # a lawful option (`unless`)
    "We never sent you a court summons.",
])
def test_a_negated_sentence_or_a_lawful_option_is_not_suggested(reads_as, sentence):
    reads_as("fake_legal", 0.99)
    assert find_matches(sentence, categories(), suggest_at=1.1) == []
    assert find_matches(sentence, categories()) == []


def test_without_a_model_nothing_is_suggested():
    with resemblance.using(None):
        assert find_matches(SUMMONS, categories()) == []


def test_a_pattern_match_is_not_also_suggested(reads_as):
    court = "我是朝阳区人民法院的，你的案子已经立案了。"
    found = find_matches(court, categories(), suggest_at=1.1)
    assert found and not any(m.suggested for m in found)
    reads_as(found[0].category)
    assert find_matches(court, categories()) == found


def test_an_english_sentence_is_suggested_on_its_word(reads_as):
    text = "That paper with the county seal on it is a judgment notice, so read it."
    # the first word of the kind's [suggest] classes in the sentence
    assert find_matches(text, categories(), suggest_at=1.1) == []
    reads_as("fake_legal")
    [match] = find_matches(text, categories())
    assert (match.category, match.phrase, match.suggested) == ("fake_legal", "seal", True)


@pytest.mark.parametrize("table, message", [
    ('[suggest]\nthreat = ["no_such_class"]', "known word classes"),
    ('[suggest]\nweather = ["you"]', "unknown category"),
    ('[suggest]\nthreat = "you"', "known word classes"),
])
def test_a_wrong_suggest_table_is_refused_with_the_entry_named(table, message):
    data = ('language = "zh"\nsource = "test"\n[negation]\ncues = ["不"]\nwindow = 3\n'
            '[words]\nyou = ["你"]\n' + table + "\n").encode()
    with pytest.raises(LexiconError, match=message):
        parse_lexicon("lexicon_zh.toml", data)


# --- the report, the letter, confirming -----------------------------------------------------

def add_sms(services, session, negotiation, owner, text=SUMMONS):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"sms {text}\n".encode()), "sms.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=EvidenceKind.sms, channel=Channel.sms,
                                          direction=Direction.from_them, occurred_at=SENT_AT))
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.ocr, text=text,
                              segments=[{"text": text}]))
    session.commit()
    return item


def report(session, negotiation):
    return conduct_report(session, negotiation, default_zone=SHANGHAI)


def letter(session, negotiation) -> str:
    return draft_letter(session, negotiation, language="en", tz=SHANGHAI, party="张三")


@pytest.fixture
def suggested(services, session, negotiation, owner, reads_as):
    reads_as("fake_legal")
    add_sms(services, session, negotiation, owner)
    [suggestion] = report(session, negotiation).suggested()
    return suggestion


def test_a_suggestion_is_shown_apart_not_counted_nor_in_a_letter(session, negotiation,
                                                                  suggested):
    assert (suggested.rule_id, suggested.state, suggested.phrase, suggested.quote) == (
        FAKE_LEGAL_RULE, "suggested", "传票", SUMMONS)
    assert "not because a pattern of the rule matched" in suggested.reason["en"]
    assert suggested.legal_sources
    state = report(session, negotiation)
    assert state.active() == []
    assert [d.findings for d in state.per_day] == [0]
    assert "传票" not in letter(session, negotiation)


def test_confirming_a_suggestion_makes_it_count_once_and_is_logged(session, negotiation, owner,
                                                                    suggested):
    confirmed = confirm_finding(session, negotiation, suggested.id[:8], actor=owner,
                                default_zone=SHANGHAI)
    assert (confirmed.id, confirmed.state) == (suggested.id, "active")
    assert "confirmed by a person" in confirmed.reason["en"]
    assert "not because a pattern" not in confirmed.reason["en"]
    [event] = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.finding_confirmation)).all()
    assert (event.details["finding_id"], event.details["phrase"]) == (suggested.id, "传票")
    state = report(session, negotiation)
    assert state.suggested() == []
    assert [(f.id, f.state) for f in state.active()] == [(suggested.id, "active")]
    assert "传票" in letter(session, negotiation)
    with pytest.raises(ConductError, match="not a suggestion"):
        confirm_finding(session, negotiation, suggested.id, actor=owner, default_zone=SHANGHAI)


def test_a_suggestion_is_confirmed_as_it_is_not_as_a_contact(session, negotiation, owner,
                                                             suggested):
    with pytest.raises(ConductError, match="not about a contact"):
        confirm_third_party(session, negotiation, suggested.id, relation=ThirdParty.relative,
                            name=None, actor=owner, default_zone=SHANGHAI)


def test_a_dismissed_suggestion_cannot_be_confirmed(session, negotiation, owner, suggested):
    dismiss_finding(session, negotiation, suggested.id, reason="这是真的法院传票",
                    actor=owner, default_zone=SHANGHAI)
    with pytest.raises(ConductError, match="not a suggestion"):
        confirm_finding(session, negotiation, suggested.id, actor=owner, default_zone=SHANGHAI)
    assert [f.state for f in report(session, negotiation).findings] == ["dismissed"]


def test_a_third_party_suggestion_is_confirmed_by_saying_who(services, session, negotiation,
                                                            owner, reads_as):
    reads_as("lawful")
    add_sms(services, session, negotiation, owner, text="您是张伟的同事吧？他欠我们五千。")
    [contact] = report(session, negotiation).suggested()
    with pytest.raises(ConductError, match="saying who that was"):
        confirm_finding(session, negotiation, contact.id, actor=owner, default_zone=SHANGHAI)


def test_the_page_lists_word_suggestions_apart_and_confirms_one(app, session, negotiation,
                                                                 suggested):
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    url = f"/negotiations/{negotiation.id}/findings"
    page = browser.get(url).get_data(as_text=True)
    section = re.search(r'data-testid="word-suggestions".*?</section>', page, re.S).group(0)
    assert f'id="finding-{suggested.id}"' in section and "传票" in section
    assert 'name="as_is"' in section and 'data-testid="dismiss-form"' in section
    assert 'data-testid="suggestions"' not in page, "not listed as a contact with someone else"
    reply = post_form(browser, f"{url}/confirm", {"finding_id": suggested.id, "as_is": "1"})
    assert reply.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="word-suggestions"' not in page
    shown = re.search(rf'<li[^>]*id="finding-{suggested.id}"[^>]*>', page).group(0)
    assert 'data-dismissed="false"' in shown and "data-state" not in shown, "an active finding"
    again = post_form(browser, f"{url}/confirm", {"finding_id": suggested.id, "as_is": "1"},
                      follow_redirects=True)
    assert "cannot be confirmed" in again.get_data(as_text=True)
    assert len(session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.finding_confirmation)).all()) == 1


def test_the_cli_lists_a_suggestion_apart_and_confirms_it(cli, services_for, reads_as):
    reads_as("fake_legal")
    for command in (("init",), ("user", "add", "owner"),
                    ("negotiation", "add", "--creditor", "信用飞")):
        assert cli(*command).exit_code == 0
    with services_for() as services, services.session() as session:
        owner = session.exec(select(User)).one()
        add_sms(services, session, session.get(Negotiation, 1), owner)
    listed = cli("findings", "--negotiation", "1")
    assert "0 finding(s), 1 suggested, not counted until confirmed" in listed.stdout
    assert "liuhen findings confirm" in listed.stdout and "传票" in listed.stdout
    [shown] = json.loads(cli("findings", "--negotiation", "1", "--json").stdout)["findings"]
    assert (shown["state"], shown["suggested"], shown["phrase"]) == ("suggested", True, "传票")
    done = cli("findings", "confirm", shown["id"][:8], "--negotiation", "1", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["state"] == "active"
    assert "1 finding(s)" in cli("findings", "--negotiation", "1").stdout
    again = cli("findings", "confirm", shown["id"], "--negotiation", "1")
    assert again.exit_code == 1 and "not a suggestion" in again.stderr
    assert cli("verify").exit_code == 0
