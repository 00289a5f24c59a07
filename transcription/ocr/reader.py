"""Image to text lines: decoding, the packaged PP-OCR models, and reading order.

`decode_image` turns the stored bytes into the picture a person sees: EXIF orientation applied,
transparency laid on white (black text on a transparent PNG would otherwise turn black on
black). `OcrEngine.read` finds and reads the text lines with RapidOCR and the PP-OCRv6 models
that ship inside the `rapidocr` wheel (loaded from the package folder by path, so nothing is
ever downloaded; once per process, under the lock of a ModelCache). Very tall images (scrolling
screenshots) are read in overlapping windows, because the detector sees each image shrunk to
960 pixels on its long side. `rows` joins the pieces of one printed line; `document_segments`
gives a photo's or a scan's lines in reading order.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
from PIL import Image, ImageOps, UnidentifiedImageError

from transcription.engines.base import ModelCache

ENGINE_NAME = "rapidocr"
MODEL_NAME = "PP-OCRv6 small"
_MODEL_FILES = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
                "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
# The detector's input is the image scaled down to this long side. Measured on the test images
# and on generated screenshots and A4 pages: RapidOCR's default (short side scaled *up* to 736)
# splits or loses very large characters and is 2-4 times slower; 960 reads them all.
DETECTOR_SIDE = 960
# Images taller than this many widths are read in windows this many widths tall, overlapping by
# enough that every line lies whole inside one window.
TALL_RATIO, WINDOW_RATIO, OVERLAP_RATIO = 2.4, 2.0, 0.25

_CACHE = ModelCache()


class ImageDecodeError(Exception):
    """The bytes are not an image this program can decode; the message says why."""


@dataclass(frozen=True)
class TextLine:
    """One piece of text the detector found: its box [x0, y0, x1, y1] in pixels of the
    upright image, what it says, and the recogniser's confidence (0..1)."""

    box: tuple[int, int, int, int]
    text: str
    score: float

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def centre_y(self) -> float:
        return (self.box[1] + self.box[3]) / 2


def decode_image(data: bytes) -> Image.Image:
    """The upright RGB picture in `data`. Raises ImageDecodeError."""
    try:
        with warnings.catch_warnings():
            # Large photos are expected; the hard limit (DecompressionBombError) still holds.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = _open(data)
            image.load()
            image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as e:
        raise ImageDecodeError(f"the image is too large to read safely ({e})") from e
    except UnidentifiedImageError as e:
        raise ImageDecodeError("the image could not be decoded: no image format was recognised "
                               "in it; the file is probably damaged or not really an image") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageDecodeError(f"the image could not be decoded ({e}); the file is probably "
                               "damaged or not really an image") from e
    return _flatten(image)


def _open(data: bytes) -> Image.Image:
    if data[4:8] == b"ftyp":   # HEIC (an ISO media file): Pillow needs libheif for it
        import pillow_heif  # native libheif: loaded only when a HEIC photo arrives

        return pillow_heif.open_heif(data).to_pillow()
    return Image.open(io.BytesIO(data))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


class OcrEngine:
    """RapidOCR with the packaged models. Cheap to create; the models load on the first `read`
    (or `load`), once per process (`cache` for tests that count loads)."""

    name, model = ENGINE_NAME, MODEL_NAME

    def __init__(self, cache: ModelCache | None = None) -> None:
        self._cache = _CACHE if cache is None else cache

    def load(self) -> Any:
        """The loaded RapidOCR object (loading it the first time in this process)."""
        return self._cache.get((ENGINE_NAME, MODEL_NAME), _load_rapidocr)

    def read(self, image: Image.Image, *,
             progress: Callable[[float], None] | None = None) -> list[TextLine]:
        """Every text line found in the RGB `image`, top to bottom. `progress(fraction)` is
        called after each window of a tall image."""
        ocr = self.load()
        windows = _windows(image.width, image.height)
        found: list[TextLine] = []
        for index, (top, bottom, keep_from, keep_to) in enumerate(windows):
            pixels = numpy.asarray(image.crop((0, top, image.width, bottom)))[:, :, ::-1]
            for line in _lines(ocr(numpy.ascontiguousarray(pixels)), top):
                if keep_from <= line.centre_y < keep_to:
                    found.append(line)
            if progress is not None:
                progress((index + 1) / len(windows))
        return sorted(found, key=lambda line: (line.box[1], line.box[0]))


def _load_rapidocr() -> Any:
    import rapidocr
    from rapidocr import RapidOCR

    models = Path(rapidocr.__file__).parent / "models"
    missing = [name for name in _MODEL_FILES.values() if not (models / name).is_file()]
    if missing:
        # Never let RapidOCR fetch them: this program does not download at run time.
        raise RuntimeError(f"the OCR models {', '.join(missing)} are missing from {models}; "
                           "reinstall the `rapidocr` package (pip install --force-reinstall "
                           "rapidocr)")
    params = {f"{task}.model_path": str(models / name) for task, name in _MODEL_FILES.items()}
    return RapidOCR(params={**params, "Global.log_level": "error",
                            "Det.limit_type": "max", "Det.limit_side_len": DETECTOR_SIDE})


def _windows(width: int, height: int) -> list[tuple[int, int, float, float]]:
    """(top, bottom, keep_from, keep_to) of each window: a line belongs to the window whose
    keep range holds its centre, which is at least half an overlap away from a cut edge."""
    if height <= TALL_RATIO * width:
        return [(0, height, 0, height)]
    size, overlap = round(WINDOW_RATIO * width), round(OVERLAP_RATIO * width)
    tops = list(range(0, height - size, size - overlap)) + [height - size]
    windows = []
    for index, top in enumerate(tops):
        keep_from = 0 if index == 0 else (top + tops[index - 1] + size) / 2
        keep_to = height if index == len(tops) - 1 else (tops[index + 1] + top + size) / 2
        windows.append((top, top + size, keep_from, keep_to))
    return windows


def _lines(result: Any, top: int) -> list[TextLine]:
    if result.boxes is None or result.txts is None:
        return []
    lines = []
    for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = (int(min(xs)), int(min(ys)) + top, int(round(max(xs))), int(round(max(ys))) + top)
        lines.append(TextLine(box=box, text=unicodedata.normalize("NFC", text.strip()),
                              score=float(score)))
    return [line for line in lines if line.text]


def rows(lines: list[TextLine], *,
         joinable: Callable[[TextLine, TextLine], bool] | None = None) -> list[TextLine]:
    """Pieces on one printed line joined into one line, top to bottom: pieces whose heights
    overlap by at least half the smaller one and that lie less than two heights apart (and,
    when given, for which `joinable(left piece, right piece)` holds)."""
    joined: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda item: item.box[0]):
        for row in joined:
            if _same_row(row, line) and (joinable is None or joinable(row[-1], line)):
                row.append(line)
                break
        else:
            joined.append([line])
    merged = [_join(row) for row in joined]
    return sorted(merged, key=lambda line: (line.box[1], line.box[0]))


def _same_row(row: list[TextLine], line: TextLine) -> bool:
    last = row[-1]
    overlap = min(last.box[3], line.box[3]) - max(last.box[1], line.box[1])
    small = max(1, min(last.height, line.height))
    return overlap >= small / 2 and line.box[0] - last.box[2] < 2 * max(last.height, line.height)


def _join(row: list[TextLine]) -> TextLine:
    text = row[0].text
    for piece in row[1:]:
        text += (" " if _spaced(text[-1], piece.text[0]) else "") + piece.text
    box = (min(p.box[0] for p in row), min(p.box[1] for p in row),
           max(p.box[2] for p in row), max(p.box[3] for p in row))
    return TextLine(box=box, text=text, score=min(p.score for p in row))


def _spaced(before: str, after: str) -> bool:
    """Pieces of Latin text keep a space between them; Chinese never has one."""
    return not (is_cjk(before) or is_cjk(after))


def is_cjk(char: str) -> bool:
    """A Chinese character or full-width punctuation (East Asian wide)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def document_segments(lines: list[TextLine]) -> list[dict]:
    """A letter's or a scan's lines in reading order, as stored: {"box", "text"}."""
    return [{"box": list(line.box), "text": line.text} for line in rows(lines)]
