"""An agreement in an evidence bundle (logger.bundles.items): its kind's words, source, file
name and prefilled purpose, in Chinese and English."""

from __future__ import annotations

from logger.bundles.items import (evidence_source, exhibit_stem, kind_label,
                                  prefilled_purposes)
from tests.support.agreements import agreement_with
from tests.support.promises import ZONE


def test_an_agreement_has_its_words_in_a_bundle(services, session, negotiation, owner):
    item = agreement_with(services, session, negotiation, owner, "以上内容确认无误。")
    assert kind_label(item, "zh") == "书面协议/书面确认"
    assert kind_label(item, "en") == "Written agreement or confirmation"
    assert evidence_source(item, "zh").startswith("我收到的书面协议或书面确认")
    assert "_书面协议" in exhibit_stem("1-1", item, language="zh", tz=ZONE)
    assert "_agreement" in exhibit_stem("1-1", item, language="en", tz=ZONE)
    key, (zh, en) = prefilled_purposes(session, negotiation, [item], tz=ZONE)[item.id]
    assert (key, zh, en) == ("kind:agreement", "证明双方书面达成的约定",
                             "Shows what the two sides agreed in writing")
