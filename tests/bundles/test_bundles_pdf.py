"""The bundle's PDFs: rendered to PNG with pdftoppm (poppler-utils) and read back with pypdf. They
must carry an embedded font with Chinese glyphs, show the list's columns and rows, stamp every
page of the court print version with its exhibit and a running page number, and the 页码 in the
list must be the pages where each exhibit really is."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps
from pypdf import PdfReader

from logger.bundles.listing import COLUMNS
from tests.support.bundles import NIGHT_CALL_TEXT, PARTY, WHITE_BUBBLE, members, world  # noqa: F401

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="pdftoppm is missing: run tools/system-packages.sh")


def render(pdf: bytes, tmp_path: Path, name: str, dpi: int = 40) -> list[Path]:
    """Every page as a PNG, in order."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / name)],
                   check=True, capture_output=True, timeout=120)
    return sorted(tmp_path.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def ink(png: Path, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> float:
    """The share of clearly non-white pixels inside `box` (fractions of width and height)."""
    image = Image.open(png).convert("L")
    w, h = image.size
    crop = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    histogram = crop.histogram()
    return sum(histogram[:200]) / sum(histogram)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def embedded_fonts(pdf: bytes) -> set[str]:
    """BaseFont names of the fonts whose glyphs are embedded (FontFile2: TrueType)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    names.add(str(font["/BaseFont"]))
    return names


@pytest.fixture
def court(world, tmp_path):
    return members(world.export(tmp_path / "court.zip").path)


def test_the_list_pdf_embeds_a_chinese_font_and_shows_every_row(world, court, tmp_path):
    pdf = court["证据目录.pdf"]
    assert any("WenQuanYi" in name for name in embedded_fonts(pdf)), embedded_fonts(pdf)
    text = "".join(page_texts(pdf)).replace("\n", "")
    for heading in ("证据目录", *COLUMNS["zh"]):
        assert heading in text, heading
    for number in ("1-1", "2-1", "3-1", "3-2", "4-1", "5-1"):
        assert number in text
    assert "证明催收方在22:00后致电" in text
    assert f"提交人：{PARTY}" in text and "签名：" in text
    sha = world.items["night_call"].sha256
    assert all(sha[i:i + 16] in text for i in range(0, 64, 16))  # printed in four lines
    pages = render(pdf, tmp_path, "list")
    assert pages and all(ink(p) > 0.01 for p in pages)
    assert ink(pages[0], (0.3, 0.05, 0.7, 0.15)) > 0.02  # the title, drawn in Chinese glyphs


def test_every_print_page_has_its_exhibit_stamp_and_running_number(court, tmp_path):
    pdf = court["证据材料_打印版.pdf"]
    texts = page_texts(pdf)
    total = len(texts)
    manifest = json.loads(court["manifest.json"])
    exhibits = {item["exhibit"]: item["pages"] for item in manifest["items"]}
    list_pages = range(1, min(first for first, _ in exhibits.values()))
    for page in list_pages:
        assert "证据目录" in texts[page - 1]
    for number, (first, last) in exhibits.items():
        for page in range(first, last + 1):
            assert f"证据 {number}" in texts[page - 1], (number, page)
    for page, text in enumerate(texts, start=1):
        assert f"第 {page} 页，共 {total} 页" in text, page
    assert max(last for _, last in exhibits.values()) == total
    # The list inside the print version gives the same pages.
    listed = "".join(texts[p - 1] for p in list_pages).replace("\n", "")
    for number, (first, last) in exhibits.items():
        span = str(first) if first == last else f"{first}–{last}"
        assert f"第{span}页" in listed, number


def test_print_pages_show_transcripts_texts_and_images(court, tmp_path):
    pdf = court["证据材料_打印版.pdf"]
    texts = page_texts(pdf)
    pages = {item["exhibit"]: item["pages"][0]
             for item in json.loads(court["manifest.json"])["items"]}
    assert NIGHT_CALL_TEXT in texts[pages["2-1"] - 1].replace("\n", "")
    assert "证明催收方在22:00后致电" in texts[pages["2-1"] - 1]
    assert WHITE_BUBBLE[:10] in texts[pages["3-1"] - 1].replace("\n", "")
    assert "你好，我是程序员" in texts[pages["1-1"] - 1].replace("\n", "")
    png = render(pdf, tmp_path, "print")
    assert all(ink(p) > 0.005 for p in png)
    stamp_box = (0.7, 0.0, 1.0, 0.08)
    assert all(ink(p, stamp_box) > 0.01 for p in png)  # the red stamp, top right
    # The screenshot fills much of its page; a transcript page does not.
    assert ink(png[pages["3-1"] - 1]) > 2 * ink(png[pages["2-1"] - 1])


def test_a_photo_is_printed_the_right_way_up(world, court):
    """The letter photo's EXIF says "turn me 180°": the print shows it turned."""
    pdf = PdfReader(io.BytesIO(court["证据材料_打印版.pdf"]))
    pages = {item["exhibit"]: item["pages"][0]
             for item in json.loads(court["manifest.json"])["items"]}
    printed = pdf.pages[pages["5-1"] - 1].images[0].image.convert("L")
    original = Image.open(world.files["letter"])
    upright = ImageOps.exif_transpose(original).convert("L").resize(printed.size)
    as_stored = original.convert("L").resize(printed.size)
    assert difference(printed, upright) < 2  # JPEG noise only
    assert difference(printed, as_stored) > 5  # upside down: the text lands elsewhere


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two grey images of the same size (0-255)."""
    histogram = ImageChops.difference(a, b).histogram()
    return sum(value * count for value, count in enumerate(histogram)) / sum(histogram)


def test_the_complaint_letter_pdf_renders_the_letter(world, tmp_path):
    files = members(world.export(tmp_path / "c.zip", purpose="complaint").path)
    pdf = files["投诉信.pdf"]
    text = "".join(page_texts(pdf)).replace("\n", "")
    assert "投诉信" in text and f"投诉人：{PARTY}" in text and "、投诉请求" in text
    assert all(ink(p) > 0.01 for p in render(pdf, tmp_path, "letter"))


def test_an_english_list_pdf_has_english_headings(world, tmp_path):
    files = members(world.export(tmp_path / "en.zip", language="en").path)
    text = "".join(page_texts(files["evidence-list.pdf"])).replace("\n", " ")
    for heading in ("List of Evidence", "No.", "What it proves", "Original / copy"):
        assert heading in text, heading
    assert "Submitted by: 张三" in text.replace("  ", " ")
