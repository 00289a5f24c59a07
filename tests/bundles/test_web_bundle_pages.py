"""The bundle page of a large negotiation: items listed a page at a time with counts per group and
kind, the letter's facts and doubts listed up to a number and counted beyond it, and a choice
made on one page that keeps every other page's items (and facts) as the filters tick them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape

import pytest

from tests.support.bundles import world  # noqa: F401  (world is a fixture)
from tests.support.web import post_form
from web import bundles


def url(world) -> str:
    return f"/negotiations/{world.negotiation.id}/bundle"


def ticks(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="tick-(\d+)"', html)]


def listed(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]+)"', html)


@pytest.fixture
def two_a_page(monkeypatch):
    monkeypatch.setattr(bundles, "PAGE_ITEMS", 2)


def test_items_are_listed_a_page_at_a_time_and_counted_whole(world, client, two_a_page):
    everything = {item.id for item in world.items.values()}
    html = client.get(url(world), headers={"Accept-Language": "en"}).get_data(as_text=True)
    first = ticks(html)
    assert len(first) == 2 and set(first) <= everything
    assert f"{len(everything)} of {len(everything)} items ticked" in html
    counted = re.findall(r'data-testid="group-count-\d+">(\d+) of (\d+)', html)
    # Every group counts all its items, ticked and not, whichever page lists them.
    assert sum(int(total) for _, total in counted) == len(everything)
    assert sum(int(ticked) for ticked, _ in counted) == len(everything)
    seen = set(first)
    page = 1
    while (later := re.search(r'href="([^"]+)" data-testid="bundle-page-later"', html)):
        html = client.get(later.group(1).replace("&amp;", "&")).get_data(as_text=True)
        page += 1
        assert not seen & set(ticks(html))
        seen |= set(ticks(html))
    assert seen == everything and page == -(-len(everything) // 2)
    past_the_end = client.get(url(world) + "?page=99").get_data(as_text=True)
    assert ticks(past_the_end) == ticks(html)  # the last page


def test_a_choice_on_one_page_keeps_the_other_pages_items(world, client, two_a_page, tmp_path):
    html = client.get(url(world)).get_data(as_text=True)
    shown = listed(html, "shown")
    kept, dropped = int(shown[0]), int(shown[1])
    groups = dict(re.findall(r'<select name="group-(\d+)".*?<option value="(\d+)" selected',
                             html, re.S))
    form = {"purpose": "court", "lang": "zh", "party": "李四", "page": "1", "shown": shown,
            "item": [kept], **{f"group-{i}": n for i, n in groups.items()}}
    reply = post_form(client, url(world), form)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    with zipfile.ZipFile(io.BytesIO(reply.get_data())) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("证据目录.csv").decode("utf-8-sig"))))
    reply.close()
    sources = [row[2] for row in rows[1:]]  # each names its original file
    assert len(sources) == len(world.items) - 1  # all but the one unticked on page 1
    for item in world.items.values():
        assert any(item.original_filename in source for source in sources) == (
            item.id != dropped), item.original_filename


def test_filters_decide_the_items_of_the_pages_not_shown(world, client, two_a_page):
    calls = {world.items["day_call"].id, world.items["night_call"].id}
    html = client.get(url(world) + "?channel=call").get_data(as_text=True)
    shown = [int(i) for i in listed(html, "shown")]
    form = {"purpose": "court", "lang": "zh", "party": "李四", "channel": "call",
            "shown": shown, "item": [i for i in shown if i in calls], "redraft": "1"}
    again = post_form(client, url(world), form).get_data(as_text=True)
    # The two calls, the one ticked on this page and the one the filter ticks on another.
    assert f"已勾选 2 项，共 {len(world.items)} 项" in again


def test_the_letters_facts_are_listed_up_to_a_number_and_an_untick_sticks(
        world, client, monkeypatch):
    monkeypatch.setattr(bundles, "LISTED_FACTS", 1)
    html = client.get(url(world) + "?purpose=complaint").get_data(as_text=True)
    facts = listed(html, "fact_listed")
    sections = re.findall(r'data-testid="letter-facts-(\w+)"', html)
    assert 1 <= len(facts) == len(sections)  # one fact listed per section
    more = re.findall(r'data-testid="letter-facts-more-(\w+)"', html)
    assert more, "the world has a section with more than one fact"
    unticked = facts[0]
    form = {"purpose": "complaint", "lang": "zh", "party": "李四", "facts_shown": "1",
            "fact_listed": facts, "fact": facts[1:], "redraft": "1"}
    again = post_form(client, url(world), form).get_data(as_text=True)
    assert f'value="{unticked}"  data-testid="fact-{unticked}"' in again
    for other in facts[1:]:
        assert f'value="{other}" checked data-testid="fact-{other}"' in again


def test_the_page_reads_the_conduct_report_once_and_keeps_it_with_the_headers(
        world, client, monkeypatch):
    """The groups' purposes and the letter's findings come from one report per request, the
    one the negotiation's pages keep until the record changes: a second view computes none."""
    from logger.bundles import items
    from logger.bundles.letters import plan
    from web.findings import view
    computed = []
    real = view.conduct_report

    def counted(*args, **kwargs):
        computed.append(args[1].id)
        return real(*args, **kwargs)

    for module in (items, plan, view):
        monkeypatch.setattr(module, "conduct_report", counted)
    for _ in range(2):
        html = client.get(url(world), headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Shows the collector called after 22:00" in html  # a group's purpose
        assert 'name="fact" value="finding:' in html  # the letter's findings
    assert computed == [world.negotiation.id]


def test_the_items_and_their_groups_are_kept_until_the_record_changes(world, client,
                                                                      monkeypatch):
    """A second view groups nothing again; a change to the record (a new text) and another
    language group again, and the page shows the groups as computed afresh."""
    from storage.models import ExtractedText, TextSource
    grouped: list[str] = []
    real = bundles.suggest_groups

    def counted(*args, **kwargs):
        grouped.append(kwargs["language"])
        return real(*args, **kwargs)

    monkeypatch.setattr(bundles, "suggest_groups", counted)

    def purposes(language: str) -> list[str]:
        html = client.get(url(world) + f"?lang={language}").get_data(as_text=True)
        return [unescape(purpose) for purpose in
                re.findall(r'name="purpose-\d+"[^>]*>([^<]*)<', html) if purpose]

    first = purposes("en")
    assert first and purposes("en") == first and grouped == ["en"]
    assert purposes("zh") != first and grouped == ["en", "zh"]
    call = next(item for item in world.items.values() if item.kind == "call")
    world.session.add(ExtractedText(evidence_id=call.id, source=TextSource.transcript,
                                    text="你再不还钱，我们就去你单位找你领导。"))
    world.session.commit()
    assert purposes("en") == [group.purpose for group in world.groups("en")]
    assert grouped == ["en", "zh", "en"]
