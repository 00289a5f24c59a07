"""Helpers for the complaint letter tests (tests/letters/): the record's uncertain facts added to
the bundle world (tests.support.bundles), the strings that must never be in a letter, and a
PDF read back page by page with poppler (pdftoppm, pdftotext)."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from PIL import Image

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.promises.payments import record_payment, settle
from logger.promises.promises import InstalmentTerms, PromiseTerms, add_plan, add_promise
from storage.models import Direction, Evidence, EvidenceKind
from storage.models.promises import PaymentMethod, Promise, PromiseKind, PromiseParty

KINDS = ("generic", "cbirc_12378", "samr_12315", "heimao", "cfpb")
# Notes meant for the user, old and new, in both languages: never in a letter.
NOTES = ("记录中没有方向", "如果是你主动联系的", "请忽略此条", "方向不详", "请设定方向",
         "The record does not say", "if it was you", "dismiss this finding", "set its direction",
         "记录中没有说明", "请在此", "如有，请在此补充", "write here", "add any here",
         "check it before sending", "尚未与文件的发布文本核对", "Read from the words",
         "从言语中", "未定期限", "no due date", "暂无记录", "none on record", "请先确认")


def add_file(world, path: Path | bytes, name: str, **details) -> Evidence:
    data = path if isinstance(path, bytes) else path.read_bytes()
    return ingest(session=world.session, blobs=world.services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=world.negotiation,
                  actor=world.owner, max_bytes=10**8, tz=world.tz,
                  details=EvidenceDetails(**details))


def png(colour: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(out, "PNG")
    return out.getvalue()


def unknown_night_call(world, testdata: Path) -> Evidence:
    """A call at 23:20 that nobody said who started: a finding waiting for a direction."""
    return add_file(world, testdata / "audio" / "BAC009S0764W0122.wav", "night.wav",
                    kind=EvidenceKind.call, direction=Direction.unknown,
                    occurred_at=datetime(2024, 12, 9, 23, 20, tzinfo=world.tz))


def missed_promise_with_a_payment(world) -> Promise:
    """The debtor promised 1,000 by 2024-12-10 12:00; it was marked missed, and a payment of
    1,000 that day was recorded but nobody matched it to the promise."""
    tz = world.tz
    promise = add_promise(world.session, negotiation=world.negotiation, actor=world.owner,
                          tz=tz, terms=PromiseTerms(PromiseParty.me, PromiseKind.payment,
                                                    Decimal("1000"),
                                                    due_at=datetime(2024, 12, 10, 12, 0,
                                                                    tzinfo=tz)))
    settle(world.session, promise, now=datetime(2024, 12, 11, tzinfo=tz))
    world.session.commit()
    record_payment(world.session, negotiation=world.negotiation, actor=world.owner,
                   paid_at=datetime(2024, 12, 10, 11, 0, tzinfo=tz), amount=Decimal("1000"),
                   method=PaymentMethod.alipay)
    return promise


def undated_plan(world) -> Promise:
    """They offered 分两期, 1,500 each, with no dates said."""
    return add_plan(world.session, negotiation=world.negotiation, actor=world.owner,
                    party=PromiseParty.them, tz=world.tz,
                    instalments=[InstalmentTerms(None, Decimal("1500")),
                                 InstalmentTerms(None, Decimal("1500"))])


def waiver_without_date(world) -> Promise:
    return add_promise(world.session, negotiation=world.negotiation, actor=world.owner,
                       tz=world.tz, terms=PromiseTerms(PromiseParty.them, PromiseKind.waiver))


def notes_in(text: str) -> list[str]:
    return [note for note in NOTES if note.lower() in text.lower()]


def pdf_pages(pdf: bytes, tmp_path: Path, name: str) -> list[tuple[str, Path]]:
    """Each page's text (pdftotext) and image (pdftoppm -png), in order."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(tmp_path / name)],
                   check=True, capture_output=True, timeout=120)
    images = sorted(tmp_path.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    pages = []
    for number, image in enumerate(images, start=1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(number), "-l", str(number),
                               str(source), "-"], check=True, capture_output=True,
                              timeout=60).stdout.decode("utf-8")
        pages.append((text, image))
    return pages


def ink(png_path: Path) -> float:
    """The share of clearly non-white pixels of a page image."""
    histogram = Image.open(png_path).convert("L").histogram()
    return sum(histogram[:200]) / sum(histogram)
