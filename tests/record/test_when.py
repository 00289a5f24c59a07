"""logger.record.when (issue 13): which reading of an item's time wins, and that a person's
time, or one of unknown provenance, is never replaced by a machine's."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from logger.record.when import TimeReading, best, may_replace, offer, on_day, rank, set_by_person
from storage.models import Evidence, EvidenceKind, TimeSource
from storage.models.types import TimePrecision

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY, MINUTE = TimePrecision.day, TimePrecision.minute
T1 = datetime(2024, 12, 3, 7, 30, 12, tzinfo=UTC)
T2 = datetime(2024, 12, 3, 6, 55, tzinfo=UTC)


def item(at=None, source=None, precision=None) -> Evidence:
    return Evidence(negotiation_id=1, kind=EvidenceKind.chat, original_filename="x.png",
                    media_type="image/png", size=1, sha256="0" * 64, blob_id="b",
                    occurred_at=at, occurred_at_source=source, occurred_at_precision=precision)


def test_the_order_of_the_sources():
    order = [rank(TimeSource.person), rank(TimeSource.content), rank(TimeSource.parent),
             rank(TimeSource.file_name), rank(TimeSource.metadata),
             rank(TimeSource.file_name, DAY), rank(TimeSource.metadata, DAY)]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    # A person's date alone still outranks every machine reading.
    assert rank(TimeSource.person, DAY) > rank(TimeSource.content)


def test_best_picks_the_strongest_reading():
    name = TimeReading(T1, TimeSource.file_name)
    exif = TimeReading(T2, TimeSource.metadata)
    name_day = on_day(date(2024, 12, 3), SHANGHAI, TimeSource.file_name)
    assert best([exif, name]) == name            # a recorder's or camera's name: its start
    assert best([name_day, exif]) == exif        # a date alone gives way to a clock time
    assert best([]) is None


def test_a_day_stands_at_noon_of_its_date_in_its_zone():
    reading = on_day(date(2024, 12, 4), SHANGHAI, TimeSource.file_name)
    assert reading.at == datetime(2024, 12, 4, 4, 0, tzinfo=UTC)
    assert reading.precision == DAY
    assert TimeReading.from_json(reading.as_json()) == reading
    assert TimeReading.from_json({"at": "x"}) is None


def test_content_replaces_a_file_name_and_metadata_but_not_the_other_way():
    screenshot = item(T1, TimeSource.file_name, MINUTE)
    changes = offer(screenshot, TimeReading(T2, TimeSource.content))
    assert screenshot.occurred_at == T2 and screenshot.occurred_at_source == TimeSource.content
    assert changes == {
        "occurred_at": {"old": "2024-12-03T07:30:12Z", "new": "2024-12-03T06:55:00Z"},
        "occurred_at_source": {"old": "file_name", "new": "content"}}
    assert offer(screenshot, TimeReading(T1, TimeSource.file_name)) == {}
    assert offer(screenshot, TimeReading(T1, TimeSource.metadata)) == {}
    assert screenshot.occurred_at == T2


def test_a_persons_time_is_never_replaced_by_a_machine():
    said = item(T1, TimeSource.person, MINUTE)
    for source in (TimeSource.content, TimeSource.metadata, TimeSource.file_name,
                   TimeSource.parent):
        assert not may_replace(said, TimeReading(T2, source))
        assert offer(said, TimeReading(T2, source)) == {}
    assert said.occurred_at == T1
    # Nor a person's word that the time is unknown.
    cleared = item()
    set_by_person(cleared, None)
    assert cleared.occurred_at_source == TimeSource.person
    assert offer(cleared, TimeReading(T2, TimeSource.content)) == {}
    assert cleared.occurred_at is None


def test_a_time_of_unknown_provenance_is_kept():
    old = item(T1)  # stored before sources were recorded: it may be a person's
    assert offer(old, TimeReading(T2, TimeSource.content)) == {}
    assert old.occurred_at == T1


def test_an_unknown_time_takes_any_machine_reading():
    blank = item()
    assert offer(blank, on_day(date(2024, 12, 4), SHANGHAI, TimeSource.file_name))
    assert (blank.occurred_at_source, blank.occurred_at_precision) == (TimeSource.file_name, DAY)


def test_a_second_reading_of_the_same_source_replaces_the_first():
    read = item(T1, TimeSource.content, MINUTE)
    assert offer(read, TimeReading(T2, TimeSource.content))
    assert read.occurred_at == T2


def test_a_day_gives_way_to_a_clock_time_of_the_same_source_rank_or_above():
    dated = item(on_day(date(2024, 12, 3), SHANGHAI, TimeSource.file_name).at,
                 TimeSource.file_name, DAY)
    changes = offer(dated, TimeReading(T2, TimeSource.metadata))
    assert dated.occurred_at == T2 and dated.occurred_at_precision == MINUTE
    assert changes["occurred_at_precision"] == {"old": "day", "new": "minute"}


def test_a_person_sets_a_time_or_a_date():
    found = item(T1, TimeSource.file_name, MINUTE)
    changes = set_by_person(found, datetime(2024, 12, 3, 15, 0, tzinfo=SHANGHAI))
    assert found.occurred_at == datetime(2024, 12, 3, 7, 0, tzinfo=UTC)
    assert changes["occurred_at_source"] == {"old": "file_name", "new": "person"}
    assert "occurred_at_precision" not in changes  # a clock time, as before
    set_by_person(found, on_day(date(2024, 12, 2), SHANGHAI, TimeSource.person).at, DAY)
    assert found.occurred_at_precision == DAY
    with pytest.raises(ValueError):
        set_by_person(found, datetime(2024, 12, 3, 15, 0))
    with pytest.raises(ValueError):
        may_replace(found, TimeReading(T1, TimeSource.person))
