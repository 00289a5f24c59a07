"""OCR end to end: every image of shared/testdata/images imported as evidence and read by the
`ocr` job that `liuhen transcribe --wait` runs, with the real packaged PP-OCR models; EXIF
orientation; an image that cannot be decoded; the models load once per process."""

import csv
import io
import json
import struct
import threading
import zlib

import pytest
from PIL import Image, ImageDraw

from tests.support.chat_images import cjk_font
from transcription.chinese import cer, normalise_for_cer
from transcription.engines.base import ModelCache
from transcription.ocr import reader as ocr

# Character error rates measured on this machine were 0.025 (cn1: "--" read as "—一"), 0.055
# (letterbox: "CUDAeXecution" read as "CUDA execution"), 0 for the others; the bounds leave
# room for other CPUs, and a broken OCR (nothing, wrong order, upside down) is far above them.
CER_BOUNDS = {
    "cnocr_multi-line_cn1_chat_bubble_white.png": 0.08,
    "cnocr_multi-line_cn2_chat_bubble_green.png": 0.08,
    "rapidocr_test_letterbox_like_ui_screenshot.jpg": 0.12,
    "rapidocr_ch_en_num_promo_poster.jpg": 0.1,
    "rapidocr_img_exif_orientation.jpg": 0.0,
    "rapidocr_black_font_color_transparent.png": 0.0,
    "rapidocr_test_without_det_single_line.jpg": 0.1,
    "rapidocr_text_rec_sign_crop.jpg": 0.25,
}
# SOURCES.tsv gives only the first lines of these two; the rest of what is read is not checked.
PARTIAL = {"rapidocr_test_letterbox_like_ui_screenshot.jpg", "rapidocr_ch_en_num_promo_poster.jpg"}


def expected_texts(testdata) -> dict[str, str]:
    """File name -> the text it shows ("|" marks line breaks; a note in brackets may follow)."""
    with open(testdata / "images" / "SOURCES.tsv", encoding="utf-8") as f:
        return {row["filename"]: row["expected_text"].split(" (")[0].replace("|", "\n")
                for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture
def negotiation_id(cli) -> int:
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--language", "zh", "--json")
    return json.loads(out.stdout)["id"]


def import_files(cli, negotiation_id, paths, *options) -> list[int]:
    out = cli("import", "--negotiation", negotiation_id, *options, *paths, "--json")
    assert out.exit_code == 0, out.output
    return [row["id"] for row in json.loads(out.stdout)]


def run_jobs(cli) -> list[dict]:
    run = cli("transcribe", "--wait", "--json")
    return json.loads(run.stdout)


def ocr_texts(cli, evidence_id) -> tuple[list[dict], dict]:
    shown = json.loads(cli("show", evidence_id, "--json").stdout)
    return [t for t in shown["texts"] if t["source"] == "ocr"], shown


def error_rate(expected: str, read: str, *, partial: bool) -> float:
    reference, hypothesis = normalise_for_cer(expected), normalise_for_cer(read)
    if partial:
        hypothesis = hypothesis[:len(reference)]
    return cer(reference, hypothesis)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["chat", "letter"])
def test_every_test_image_is_read(cli, negotiation_id, testdata, kind):
    """Each image as a chat screenshot (messages with a side where one shows) and as a letter
    (lines in reading order, no side)."""
    expected = expected_texts(testdata)
    paths = sorted(p for p in (testdata / "images").iterdir() if p.name != "SOURCES.tsv")
    assert sorted(p.name for p in paths) == sorted(expected) == sorted(CER_BOUNDS)
    ids = import_files(cli, negotiation_id, paths, "--kind", kind)

    ran = run_jobs(cli)
    assert sorted((j["evidence_id"], j["kind"], j["status"]) for j in ran) == \
        [(i, "ocr", "done") for i in sorted(ids)]
    for path, evidence_id in zip(paths, ids, strict=True):
        texts, shown = ocr_texts(cli, evidence_id)
        assert shown["kind"] == kind and len(texts) == 1
        text = texts[0]
        assert (text["engine"], text["model"]) == ("rapidocr", "PP-OCRv6 small")
        rate = error_rate(expected[path.name], text["text"], partial=path.name in PARTIAL)
        assert rate <= CER_BOUNDS[path.name], (path.name, rate, text["text"])
        segments = text["segments"]
        assert text["text"] == "\n".join(s["text"] for s in segments)
        assert all(len(s["box"]) == 4 and s["box"][0] < s["box"][2] and s["box"][1] < s["box"][3]
                   for s in segments)
        sides = {s["side"] for s in segments}
        assert sides == {None} if kind == "letter" else sides <= {"them", "me", None}


def test_chat_crops_of_several_lines_are_one_message_each(cli, negotiation_id, testdata):
    """A cropped bubble is one message, its lines joined without breaks."""
    crops = ["cnocr_multi-line_cn1_chat_bubble_white.png",
             "cnocr_multi-line_cn2_chat_bubble_green.png"]
    ids = import_files(cli, negotiation_id, [testdata / "images" / name for name in crops])
    run_jobs(cli)
    for evidence_id in ids:
        texts, _ = ocr_texts(cli, evidence_id)
        assert len(texts[0]["segments"]) == 1, texts[0]["segments"]


def rotated_photo(orientation: int) -> bytes:
    """A JPEG of one line of text stored turned a quarter, with the EXIF Orientation that turns
    it upright (6: display turned clockwise, 8: counter-clockwise)."""
    upright = Image.new("RGB", (900, 200), "white")
    ImageDraw.Draw(upright).text((40, 60), "我是中国人，请按时还款", font=cjk_font(64),
                                 fill="black")
    stored = upright.transpose(Image.ROTATE_90 if orientation == 6 else Image.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Phone maker"   # a camera photo: intake files it as a letter
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_orientation_is_applied_before_reading(cli, negotiation_id, tmp_path, orientation):
    photo = tmp_path / f"letter-{orientation}.jpg"
    photo.write_bytes(rotated_photo(orientation))
    [evidence_id] = import_files(cli, negotiation_id, [photo])
    run_jobs(cli)
    texts, shown = ocr_texts(cli, evidence_id)
    assert shown["kind"] == "letter"
    [segment] = texts[0]["segments"]
    assert cer("我是中国人，请按时还款", segment["text"]) <= 0.1, segment
    x0, y0, x1, y1 = segment["box"]
    assert x1 - x0 > 4 * (y1 - y0)   # a line across the upright picture, not down it


def broken_png() -> bytes:
    """A PNG whose header is valid (so intake takes it as an image) and whose pixel data is not
    compressed data at all."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 640, 480, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"not deflate data " * 40) + chunk(b"IEND", b""))


def test_an_undecodable_image_fails_its_job_and_stays_evidence(cli, negotiation_id, tmp_path):
    damaged = tmp_path / "screenshot.png"
    damaged.write_bytes(broken_png())
    [evidence_id] = import_files(cli, negotiation_id, [damaged])
    before = json.loads(cli("show", evidence_id, "--json").stdout)

    run = cli("transcribe", "--wait", "--json")
    assert run.exit_code == 1
    [job] = json.loads(run.stdout)
    assert (job["kind"], job["status"], job["attempts"]) == ("ocr", "failed", 1)
    assert "could not be decoded" in job["error"] and "damaged" in job["error"]
    texts, after = ocr_texts(cli, evidence_id)
    assert texts == []
    assert after["sha256"] == before["sha256"] and after["size"] == len(broken_png())
    assert cli("verify").exit_code == 0


def test_the_models_load_once_per_process_even_when_asked_at_once():
    cache = ModelCache()
    engines = [ocr.OcrEngine(cache=cache) for _ in range(3)]
    loaded = []
    threads = [threading.Thread(target=lambda e=e: loaded.append(e.load())) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.loads == 1 and len({id(model) for model in loaded}) == 1


def test_jobs_share_the_process_wide_models(cli, negotiation_id, testdata):
    names = ["rapidocr_img_exif_orientation.jpg", "rapidocr_text_rec_sign_crop.jpg"]
    import_files(cli, negotiation_id, [testdata / "images" / name for name in names])
    assert [j["status"] for j in run_jobs(cli)] == ["done", "done"]
    assert ocr._CACHE.loads == 1
