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
from logger.record.moments import human_stored, human_time, parse_stored, zone_label
from logger.record.sides import channel_sides, chat_roles, segment_side
from storage.blobs.store import BlobStore
from storage.models import ExtractedText, TextSource

# Emails bigger than this are not read into memory for their text (the original is still in
# the bundle); real correspondence is far smaller.
MAX_EMAIL_BYTES = 64 * 1024 * 1024
EMAIL_TYPES = ("message/rfc822", "application/vnd.ms-outlook")

SPEAKERS = {"left": NC_("speaker", "Left channel"), "right": NC_("speaker", "Right channel"),
            "A": NC_("speaker", "Voice A"), "B": NC_("speaker", "Voice B"),
            "them": NC_("speaker", "Them"), "me": NC_("speaker", "Me")}
UNKNOWN_SIDE, NOTICE = NC_("speaker", "Side unknown"), NC_("speaker", "Notice")
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
    dates that carry no offset. An exported call log gets the list of its calls, not its raw
    text; of each kind of text, the newest version (a person's correction) is named plainly
    and printed first, earlier ones are kept beside it."""
    if exhibit.calls:
        return [calls_txt(exhibit, language)]
    out: list[TextFile] = []
    for text in sorted(exhibit.texts, key=lambda t: -t.id):
        source = TextSource(text.source)
        if source == TextSource.email:
            continue  # read from the original below
        stem = f"texts/{exhibit.stem}.{SUFFIX[source]}"
        if any(f.path == f"{stem}.txt" for f in out):
            stem = f"{stem}-{text.id}"
        if source == TextSource.transcript:
            out.append(transcript_txt(exhibit, text, language, f"{stem}.txt", tz))
            out.append(TextFile(exhibit, language, f"{stem}.srt", "", (),
                                tuple(transcript_srt(text, language,
                                                     channel_sides(exhibit.evidence))),
                                printable=False))
        else:
            out.append(segments_txt(exhibit, text, language, f"{stem}.txt", tz))
    if exhibit.evidence.media_type in EMAIL_TYPES and exhibit.evidence.size <= MAX_EMAIL_BYTES:
        with blobs.open(exhibit.evidence.blob_id) as reader:
            data = reader.read()
        out.append(email_txt(exhibit, data, language, tz))
    return out


def calls_txt(exhibit: Exhibit, language: str) -> TextFile:
    """An exported call log's calls, one line each, as the evidence list has them."""
    body = tuple(f"{c.number}  {c.when}  {c.description}  ({c.source})" for c in exhibit.calls)
    return TextFile(exhibit, language, f"texts/{exhibit.stem}.calls.txt",
                    translate(language, "the calls in the exported call log"), (), body)


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


def transcript_txt(exhibit: Exhibit, text: ExtractedText, language: str, path: str,
                   tz: ZoneInfo | None = None) -> TextFile:
    notes = (_engine_line(text, language),
             translate(language, "Time codes are positions in the recording (h:mm:ss); "
                                 "speakers are the left and right channels of a stereo "
                                 "recording."))
    item = exhibit.evidence
    if tz is not None and item.occurred_at is not None:   # local, never UTC
        notes += (translate(language, "The recording began: %(when)s (local time, %(zone)s).",
                            when=human_time(item.occurred_at, tz, item.occurred_at_precision),
                            zone=zone_label(tz, item.occurred_at)),)
    channels = channel_sides(item)
    if "left" in channels:   # a person said whose voice each channel is
        notes += (translate(language, "Left channel: %(left)s; right channel: %(right)s (as the "
                                      "user said).",
                            left=translate(language, SPEAKERS[channels["left"]]),
                            right=translate(language, SPEAKERS[channels["right"]])),)
    if any(s.get("speaker") in ("A", "B") for s in text.segments):
        notes += (translate(language, "The two voices of this mono recording were told apart "
                                      "by a speaker model (Voice A is the first heard); a line "
                                      "without a voice could not be given one."),)
    if "A" in channels:
        notes += (translate(language, "Voice A: %(a)s; Voice B: %(b)s (as the user said).",
                            a=translate(language, SPEAKERS[channels["A"]]),
                            b=translate(language, SPEAKERS[channels["B"]])),)
    timed = [s for s in text.segments if s.get("start") is not None]
    body = [f"[{clock(s['start'])} – {clock(s.get('end', s['start']))}] "
            f"{speaker(s, language, channels)}{s.get('text', '').strip()}" for s in timed]
    return TextFile(exhibit, language, path, translate(language, "transcript of the recording"),
                    notes, tuple(body or text.text.strip().splitlines()))


def segments_txt(exhibit: Exhibit, text: ExtractedText, language: str, path: str,
                 tz: ZoneInfo | None = None) -> TextFile:
    """OCR or document text; a chat screenshot's messages with their side and their time,
    local in `tz` as the screenshot shows it (stored times are UTC: never printed as such)."""
    if text.source == TextSource.ocr:
        title = translate(language, "text read from the image")
    else:
        title = translate(language, "text of the document")
    notes = (_engine_line(text, language),) if text.source == TextSource.ocr else ()
    roles = chat_roles(text.segments)
    notes += tuple(translate(language, "Title of the conversation: %(title)s",
                             title=s.get("text", "").strip())
                   for s, role in zip(text.segments, roles, strict=True) if role == "title")
    messages = [(s, role) for s, role in zip(text.segments, roles, strict=True)
                if role in ("message", "notice") or (role != "title" and s.get("time"))]
    zone = tz or ZoneInfo("UTC")
    first = next((s["time"] for s, _ in messages if s.get("time")), None)
    if tz is not None and first:
        notes += (translate(language, "Times are local time (%(zone)s).",
                            zone=zone_label(tz, parse_stored(first)[0])),)
    body = [(f"[{human_stored(s['time'], zone)}] " if s.get("time") else "")
            + f"{said_by(s, role, language)}{s.get('text', '').strip()}" for s, role in messages]
    return TextFile(exhibit, language, path, title, notes,
                    tuple(body or text.text.strip().splitlines()))


def speaker(segment: dict, language: str, channels: dict[str, str] | None = None) -> str:
    """"Left channel: ", "对方：" … before a line (a channel's side once a person said whose
    it is), or nothing when neither is known."""
    who = segment_side(segment, channels or {}) or segment.get("speaker")
    if who not in SPEAKERS:
        return ""
    return translate(language, "%(speaker)s: ", speaker=translate(language, SPEAKERS[who]))


def said_by(segment: dict, role: str | None, language: str) -> str:
    """Before a line of a chat screenshot (`role` as `logger.record.sides.chat_roles` gives
    it): "本人：", "对方：", or "发言方不明：" for a message whose side could not be told (a
    line without a side must not read as anyone's); "提示：" before a notice."""
    if role == "notice":
        return translate(language, "%(speaker)s: ", speaker=translate(language, NOTICE))
    if role == "message" and segment.get("side") not in SPEAKERS:
        return translate(language, "%(speaker)s: ", speaker=translate(language, UNKNOWN_SIDE))
    return speaker(segment, language)


def clock(seconds: float) -> str:
    tenths = int(round(float(seconds) * 10))
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{hours}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def transcript_srt(text: ExtractedText, language: str | None = None,
                   channels: dict[str, str] | None = None) -> list[str]:
    """SubRip subtitles (as lines): play the original with them to hear each line where it was
    said, each marked with its side (once known, in `language`) or its channel."""
    lines: list[str] = []
    timed = [s for s in text.segments if s.get("start") is not None]
    for number, segment in enumerate(timed, start=1):
        start = float(segment["start"])
        end = max(float(segment.get("end", start)), start)
        line = segment.get("text", "").strip()
        side = segment_side(segment, channels or {})
        if side and language:
            line = f"[{translate(language, SPEAKERS[side])}] {line}"
        elif segment.get("speaker") in ("left", "right", "A", "B"):
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
