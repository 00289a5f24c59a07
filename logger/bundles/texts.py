"""The readable texts a bundle carries beside each original: transcripts (.txt with time codes
and speaker sides, and .srt), OCR texts, email headers and bodies, text taken from documents.

Each .txt starts with a short head naming the exhibit, its original and the original's SHA-256,
so a printed page can be matched to its file. Emails are read again from the original (every
header, in order, decoded; the body as `logger.extract.emails` reads it), so the text does not depend on
whether the parse job has run.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from logger.bundles.items import Exhibit
from logger.extract.emails import parse_email
from logger.i18n import NC_, translate
from logger.intake.filemeta.email import decode_header_text
from storage.blobs.store import BlobStore
from storage.models import ExtractedText, TextSource

# Emails bigger than this are not read into memory for their text (the original is still in
# the bundle); real correspondence is far smaller.
MAX_EMAIL_BYTES = 64 * 1024 * 1024
EMAIL_TYPES = ("message/rfc822", "application/vnd.ms-outlook")

SPEAKERS = {"left": NC_("speaker", "Left channel"), "right": NC_("speaker", "Right channel"),
            "them": NC_("speaker", "Them"), "me": NC_("speaker", "Me")}
SUFFIX = {TextSource.transcript: "transcript", TextSource.ocr: "ocr", TextSource.pdf: "text",
          TextSource.text: "text"}


@dataclass(frozen=True)
class TextFile:
    """One text file of an exhibit: `title` says what it is, `notes` how it was made, `body` is
    the text itself; the print version shows the same parts under the exhibit's heading."""

    exhibit: Exhibit
    language: str
    path: str  # in the bundle, under texts/
    title: str
    notes: tuple[str, ...]
    body: tuple[str, ...]
    printable: bool = True  # part of the court print version

    @property
    def content(self) -> str:
        if not self.printable:  # the .srt: its own format, no head
            return "\n".join(self.body)
        lines = head(self.exhibit, self.language, self.title) + list(self.notes)
        return "\n".join([*lines, "", *self.body]) + "\n"


def text_files(exhibit: Exhibit, blobs: BlobStore, language: str, tz: ZoneInfo
               ) -> list[TextFile]:
    """Every text file for this exhibit, in the order they are written. `tz` reads email
    dates that carry no offset."""
    out: list[TextFile] = []
    for text in exhibit.texts:
        source = TextSource(text.source)
        if source == TextSource.email:
            continue  # read from the original below
        stem = f"texts/{exhibit.stem}.{SUFFIX[source]}"
        if any(f.path == f"{stem}.txt" for f in out):
            stem = f"{stem}-{text.id}"
        if source == TextSource.transcript:
            out.append(transcript_txt(exhibit, text, language, f"{stem}.txt"))
            out.append(TextFile(exhibit, language, f"{stem}.srt", "", (),
                                tuple(transcript_srt(text)), printable=False))
        else:
            out.append(segments_txt(exhibit, text, language, f"{stem}.txt"))
    if exhibit.evidence.media_type in EMAIL_TYPES and exhibit.evidence.size <= MAX_EMAIL_BYTES:
        with blobs.open(exhibit.evidence.blob_id) as reader:
            data = reader.read()
        out.append(email_txt(exhibit, data, language, tz))
    return out


def head(exhibit: Exhibit, language: str, what: str) -> list[str]:
    return [
        translate(language, "Exhibit %(number)s: %(name)s", number=exhibit.number,
                  name=exhibit.name),
        translate(language, "Content: %(what)s", what=what),
        translate(language, "Original: %(path)s", path=exhibit.original_path),
        translate(language, "Original SHA-256: %(sha256)s", sha256=exhibit.evidence.sha256),
    ]


def _engine_line(text: ExtractedText, language: str) -> str:
    engine = " ".join(x for x in (text.engine, text.model) if x) or translate(language,
                                                                              "unknown")
    checked = translate(language, "; corrected by a person") if text.edited else ""
    return translate(language, "Made by: %(engine)s (machine output, may contain "
                               "errors%(checked)s)", engine=engine, checked=checked)


def transcript_txt(exhibit: Exhibit, text: ExtractedText, language: str, path: str) -> TextFile:
    notes = (_engine_line(text, language),
             translate(language, "Time codes are positions in the recording (h:mm:ss); "
                                 "speakers are the left and right channels of a stereo "
                                 "recording."))
    timed = [s for s in text.segments if s.get("start") is not None]
    body = [f"[{clock(s['start'])} – {clock(s.get('end', s['start']))}] "
            f"{speaker(s, language)}{s.get('text', '').strip()}" for s in timed]
    return TextFile(exhibit, language, path, translate(language, "transcript of the recording"),
                    notes, tuple(body or text.text.strip().splitlines()))


def segments_txt(exhibit: Exhibit, text: ExtractedText, language: str, path: str) -> TextFile:
    """OCR or document text; a chat screenshot's messages with their side and time."""
    if text.source == TextSource.ocr:
        title = translate(language, "text read from the image")
    else:
        title = translate(language, "text of the document")
    notes = (_engine_line(text, language),) if text.source == TextSource.ocr else ()
    messages = [s for s in text.segments if s.get("side") or s.get("time")]
    body = [(f"[{s['time']}] " if s.get("time") else "")
            + f"{speaker(s, language)}{s.get('text', '').strip()}" for s in messages]
    return TextFile(exhibit, language, path, title, notes,
                    tuple(body or text.text.strip().splitlines()))


def speaker(segment: dict, language: str) -> str:
    """"Left channel: ", "对方：" … before a line, or nothing when the side is not known."""
    who = segment.get("speaker") or segment.get("side")
    if who not in SPEAKERS:
        return ""
    return translate(language, "%(speaker)s: ", speaker=translate(language, SPEAKERS[who]))


def clock(seconds: float) -> str:
    tenths = int(round(float(seconds) * 10))
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{hours}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def transcript_srt(text: ExtractedText) -> list[str]:
    """SubRip subtitles (as lines): play the original with them to hear each line where it was
    said."""
    lines: list[str] = []
    timed = [s for s in text.segments if s.get("start") is not None]
    for number, segment in enumerate(timed, start=1):
        start = float(segment["start"])
        end = max(float(segment.get("end", start)), start)
        line = segment.get("text", "").strip()
        if segment.get("speaker") in ("left", "right"):
            line = f"[{segment['speaker']}] {line}"
        lines += [str(number), f"{_srt_time(start)} --> {_srt_time(end)}", line, ""]
    return lines


def _srt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def email_txt(exhibit: Exhibit, data: bytes, language: str, tz: ZoneInfo) -> TextFile:
    """Every header as sent (decoded), then the body as text, then what could not be read."""
    body = [translate(language, "—— Headers ——")]
    if exhibit.evidence.media_type == "message/rfc822":
        parsed = parse_email(data, tz=tz)
        header_block = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            header_block)
        body += [f"{name}: {decode_header_text(str(value))}" for name, value in message.items()]
    else:
        from logger.extract.email_msg import parse_msg  # extract_msg is slow to import; .msg is rare
        parsed = parse_msg(data)
        body += [f"{name}: {value}" for name, value in (
            ("From", parsed.sender), ("To", parsed.to), ("Cc", parsed.cc),
            ("Date", parsed.date_header), ("Subject", parsed.subject)) if value]
    body += ["", translate(language, "—— Body ——"), *parsed.text.strip().splitlines()]
    if parsed.attachments:
        body += ["", translate(language, "—— Attachments ——")]
        body += [f"{a.filename} ({a.content_type}, {len(a.data)} bytes)"
                 for a in parsed.attachments]
    if parsed.warnings:
        body += ["", translate(language, "—— Reading notes ——"), *parsed.warnings]
    return TextFile(exhibit, language, f"texts/{exhibit.stem}.email.txt",
                    translate(language, "all headers and the body of the email"), (),
                    tuple(body))
