"""Search results in time order (issue 13): an item whose time is unknown comes first, as on
the timeline, and is never placed among the dated ones by its upload time."""

from datetime import UTC, datetime

from storage.db import session
from storage.models import Evidence
from tests.record.test_search import find, world  # noqa: F401  (world is a fixture)


def test_an_undated_item_is_not_placed_by_its_upload_time(world):
    old = world.evidence(note="还款 一", day=1)
    new = world.evidence(note="还款 二", day=20)
    undated = world.evidence(note="还款 三", day=2)
    with session(world.engine) as s:
        item = s.get(Evidence, undated)
        # Uploaded between the two: the old order put it there, as if that were its time.
        item.occurred_at, item.created_at = None, datetime(2024, 5, 10, tzinfo=UTC)
        s.add(item)
        s.commit()
    assert [h.evidence_id for h in find(world, "还款")] == [undated, new, old]
