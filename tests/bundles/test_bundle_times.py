"""Unknown and date-only times in the bundle, the complaint letter and the overview (issue 13):
an item uploaded without a time is 日期不详 in the 证据目录, is no contact in the letter and never
the last contact; a date alone is shown as a date; a document is no contact whatever its date."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from PIL import Image
from pypdf import PdfWriter

from logger.bundles.items import BundleGroup, make_exhibits
from logger.bundles.letter import draft_letter
from logger.bundles.letters.plan import plan_letter
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import negotiation_statuses
from storage.models import EvidenceKind, TimeSource
from storage.models.types import TimePrecision
from tests.support.bundles import PARTY, world  # noqa: F401  (world is a fixture)


def _pdf() -> bytes:
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(200, 200)
    writer.write(buffer)
    return buffer.getvalue()


def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), colour).save(buffer, "PNG")
    return buffer.getvalue()


def add(world, data: bytes, name: str, **details):
    return ingest(session=world.session, blobs=world.services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=world.negotiation,
                  actor=world.owner, max_bytes=10**8, tz=world.tz,
                  details=EvidenceDetails(**details))


def test_the_list_says_date_unknown_and_keeps_a_date_a_date(world):
    agreement = add(world, _pdf(), "还款协议.pdf")
    shot = add(world, _png("white"), "微信截图_20241208.png")
    assert agreement.occurred_at is None
    assert (shot.occurred_at_source, shot.occurred_at_precision) == (TimeSource.file_name,
                                                                    TimePrecision.day)
    exhibits = make_exhibits(world.session, world.negotiation,
                             [BundleGroup("协议", [agreement.id, shot.id])], language="zh",
                             tz=world.tz)
    assert [e.formed_at for e in exhibits] == ["日期不详", "2024-12-08"]
    assert exhibits[0].name == "文件"
    assert "2024-12-08" in exhibits[1].name and "12:00" not in exhibits[1].name
    english = make_exhibits(world.session, world.negotiation,
                            [BundleGroup("x", [agreement.id])], language="en", tz=world.tz)
    assert english[0].formed_at == "date unknown"


def test_the_letter_lists_contacts_of_known_time_only(world):
    add(world, _pdf(), "还款协议.pdf")                                     # no time
    add(world, _png("white"), "screenshot.png")                            # no time
    add(world, b"%PDF-1.4\n%%EOF\n", "合同.pdf", kind=EvidenceKind.document,
        occurred_at=datetime(2024, 12, 2, 10, 0, tzinfo=world.tz))          # no contact
    add(world, _png("green"), "微信截图_20241208.png")                      # a date alone
    letter = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                          party=PARTY, today=date(2024, 12, 20))
    section = letter.split("二、")[1].split("三、")[0]  # 联系经过
    contacts = [line for line in section.splitlines()
                if re.match(r"\d+\. \d{4}年\d+月\d+日", line)]
    # The world's three contacts of known direction (issue 16: the screenshots, of unknown
    # direction, are shown on the page as uncertain and left out of the letter).
    assert len(contacts) == 3
    assert not any("文件" in line or "2024年12月2日" in line for line in contacts)
    plan = plan_letter(world.session, world.negotiation, language="zh", tz=world.tz)
    doubts = [d.what for d in plan.uncertain]
    assert "2024年12月8日 聊天记录截图" in doubts and not any("12:00" in d for d in doubts)


def test_the_last_contact_is_never_an_upload_nor_a_document(world):
    def last():
        [status] = negotiation_statuses(world.session, [world.negotiation],
                                        today=date(2024, 12, 20))
        return status.last_contact, status.last_contact_precision

    letter_time = world.items["letter"].occurred_at
    assert last() == (letter_time, TimePrecision.minute)
    add(world, _pdf(), "还款协议.pdf")
    add(world, b"%PDF-1.4\n%%EOF\n", "协议.pdf",
        occurred_at=datetime(2024, 12, 19, 10, 0, tzinfo=world.tz))
    assert last()[0] == letter_time
    shot = add(world, _png("white"), "微信截图_20241208.png")
    assert last() == (shot.occurred_at, TimePrecision.day)
