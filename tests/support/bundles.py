"""A negotiation built from the real test inputs for the bundle tests: two call recordings with
transcripts, an email, two chat screenshots with OCR text and a photographed letter, all through
`logger.intake.ingest`. Transcript and OCR rows are stored directly (the jobs that make them are
tested elsewhere). Import the `world` fixture into a test module to use it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from logger.bundles.build import BundleRequest, BundleResult, build_bundle
from logger.bundles.items import BundlePurpose, select_items, suggest_groups
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import Direction, Evidence, EvidenceKind, ExtractedText, TextSource

NIGHT_CALL_TEXT = "甚至出现交易几乎停滞的情况"  # the recording's reference transcript
DAY_CALL_LINES = ("我们可以给你办分期还款", "那我每个月还一千，分十二期")
WHITE_BUBBLE = "网络支付并无本质的区别，因为每一个手机号码和邮件地址背后都会对应着一个账户"
GREEN_BUBBLE = "当然，在媒介越来越多的情形下,意味着传播方式的变化。"
PARTY = "张三"


@dataclass
class World:
    services: object
    session: object
    owner: object
    negotiation: object
    items: dict[str, Evidence]
    files: dict[str, Path]  # the test input each item came from
    tz: ZoneInfo

    def groups(self, language: str = "zh"):
        items = select_items(self.session, self.negotiation, tz=self.tz)
        return suggest_groups(self.session, self.negotiation, items, language=language,
                              tz=self.tz)

    def export(self, out: Path, *, purpose: str = "court", language: str = "zh",
               groups=None, letter: str | None = None, timestamp: bool = True) -> BundleResult:
        request = BundleRequest(
            negotiation=self.negotiation, purpose=BundlePurpose(purpose), language=language,
            groups=groups if groups is not None else self.groups(language), party=PARTY,
            letter=letter, timestamp=timestamp)
        return build_bundle(session=self.session, services=self.services, request=request,
                            out=out, actor=self.owner)


def _ingest(services, session, owner, negotiation, path: Path, **details) -> Evidence:
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(path.read_bytes()), path.name),
                  negotiation=negotiation, actor=owner, max_bytes=10**8,
                  tz=services.config.locale.zone, details=EvidenceDetails(**details))


def make_world(services, session, owner, negotiation, testdata: Path) -> World:
    tz = services.config.locale.zone
    files = {
        "email": testdata / "email" / "demisto_chinese_gb2312_encoding.eml",
        "night_call": testdata / "audio" / "BAC009S0764W0121.wav",
        "white_chat": testdata / "images" / "cnocr_multi-line_cn1_chat_bubble_white.png",
        "day_call": testdata / "audio" / "stereo_diarization.wav",
        "green_chat": testdata / "images" / "cnocr_multi-line_cn2_chat_bubble_green.png",
        "letter": testdata / "images" / "rapidocr_img_exif_orientation.jpg",
    }
    when = {
        "email": datetime(2024, 12, 1, 9, 0, tzinfo=tz),
        "night_call": datetime(2024, 12, 3, 22, 30, tzinfo=tz),
        "white_chat": datetime(2024, 12, 4, 14, 0, tzinfo=tz),
        "day_call": datetime(2024, 12, 5, 10, 15, tzinfo=tz),
        "green_chat": datetime(2024, 12, 6, 11, 0, tzinfo=tz),
        "letter": datetime(2024, 12, 7, 16, 0, tzinfo=tz),
    }
    extra = {
        "night_call": {"direction": Direction.from_them, "counterpart_number": "13800138000"},
        "day_call": {"direction": Direction.from_me, "counterpart_number": "95188"},
        "letter": {"kind": EvidenceKind.letter, "direction": Direction.from_them},
    }
    items = {name: _ingest(services, session, owner, negotiation, path, occurred_at=when[name],
                           **extra.get(name, {}))
             for name, path in files.items()}
    session.add_all([
        ExtractedText(evidence_id=items["night_call"].id, source=TextSource.transcript,
                      language="zh", text=NIGHT_CALL_TEXT, engine="faster-whisper",
                      model="base", segments=[{"start": 0.0, "end": 4.2,
                                               "text": NIGHT_CALL_TEXT, "speaker": None}]),
        ExtractedText(evidence_id=items["day_call"].id, source=TextSource.transcript,
                      language="zh", text="".join(DAY_CALL_LINES), engine="faster-whisper",
                      model="base", edited=True,
                      segments=[{"start": 0.5, "end": 2.25, "text": DAY_CALL_LINES[0],
                                 "speaker": "left"},
                                {"start": 2.25, "end": 4.0, "text": DAY_CALL_LINES[1],
                                 "speaker": "right"}]),
        ExtractedText(evidence_id=items["white_chat"].id, source=TextSource.ocr,
                      text=WHITE_BUBBLE, engine="rapidocr",
                      segments=[{"side": "them", "time": None, "text": WHITE_BUBBLE,
                                 "box": [0, 0, 10, 10]}]),
        ExtractedText(evidence_id=items["green_chat"].id, source=TextSource.ocr,
                      text=GREEN_BUBBLE, engine="rapidocr",
                      segments=[{"side": "me", "time": "2024-12-06T11:00:00+08:00",
                                 "text": GREEN_BUBBLE, "box": [0, 0, 10, 10]}]),
    ])
    session.commit()
    return World(services, session, owner, negotiation, items, files, tz)


@pytest.fixture
def world(services, session, owner, negotiation, testdata) -> World:
    return make_world(services, session, owner, negotiation, testdata)


def members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(source: Path, target: Path, change) -> Path:
    """Copy a bundle, passing each (name, data) through `change`, which returns the list of
    (name, data) to write instead (empty: drop it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            for new_name, data in change(name, old.read(name)):
                new.writestr(new_name, data)
    return target
