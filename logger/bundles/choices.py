"""What a bundle can be asked for: its purpose (`BundlePurpose`) and the channels its items can
be chosen by (`channel_choices`). Plain values without the database, so that `liuhen export
--help` lists them without loading the tables; `logger.bundles.items` re-exports both."""

from __future__ import annotations

from enum import StrEnum

from storage.kinds import Channel, EvidenceKind


class BundlePurpose(StrEnum):
    court = "court"
    complaint = "complaint"
    backup = "backup"


def channel_choices() -> list[str]:
    """What `select_items(channels=...)` accepts: the channels, and the kinds that stand in for
    a channel where an item has none (a chat screenshot, a document)."""
    channels = [c.value for c in Channel]
    return channels + [k.value for k in EvidenceKind if k.value not in channels]
