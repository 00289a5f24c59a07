"""What the evidence page shows for each kind of file: a player with its transcript, an image
with its recognised text, an email's headers and sanitised body, the calls of an exported call
log, or the extracted text.

Which bytes may be shown inline at all is decided here too (`inline_media_type`): recordings and
raster images only. Everything else is offered as a download, never rendered by the browser.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from markupsafe import escape
from sqlmodel import Session, select

from logger.extract.chat_merge import conversation_around, merge_conversations
from logger.extract.emails import ParsedEmail, parse_email, sanitize_email_html
from logger.extract.email_msg import parse_msg
from logger.record.evidence import child_evidence, evidence_history
from logger.record.timeline import JobState
from logger.record.timeline_calls import CallLine, calls_in_file
from logger.record.transcripts import transcript_versions
from logger.record.trash import live
from storage.blobs.store import BlobStore
from storage.models import CustodyEvent, Evidence, ExtractedText, Job, TextSource, User

RASTER_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
                 "image/bmp", "image/avif"}
EMAIL_TYPES = {"message/rfc822": "eml", "application/vnd.ms-outlook": "msg"}
# An email larger than this is offered as a download only (the viewer parses it in memory).
MAX_EMAIL_VIEW_BYTES = 25 * 1024 * 1024
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_CID_SOURCE = re.compile(r'src="cid:([^"]+)"')


@dataclass
class Viewer:
    kind: str  # "player", "image", "email", "calllog", "text"
    texts: list[ExtractedText] = field(default_factory=list)
    email: ParsedEmail | None = None
    children: list[Evidence] = field(default_factory=list)
    calls: list[CallLine] = field(default_factory=list)


def inline_media_type(evidence: Evidence) -> str | None:
    """The type to serve the item's bytes as inline, or None when it must only be downloaded."""
    media_type = evidence.media_type.lower()
    if media_type.startswith(("audio/", "video/")) or media_type in RASTER_IMAGES:
        return media_type
    return None


def build_viewer(session: Session, blobs: BlobStore, evidence: Evidence,
                 tz: ZoneInfo) -> Viewer:
    children = child_evidence(session, evidence)
    media_type = evidence.media_type.lower()
    if media_type.startswith(("audio/", "video/")):
        return Viewer("player", transcript_versions(session, evidence), children=children)
    if media_type in RASTER_IMAGES:
        return Viewer("image", _texts(session, evidence, TextSource.ocr), children=children)
    if media_type in EMAIL_TYPES:
        return Viewer("email", _texts(session, evidence, TextSource.email),
                      email=read_email(blobs, evidence, tz), children=children)
    calls = calls_in_file(session, evidence.id)
    if calls:  # an exported call log: its calls, each a line of the timeline
        return Viewer("calllog", _texts(session, evidence, None), children=children,
                      calls=calls)
    return Viewer("text", _texts(session, evidence, None), children=children)


def read_email(blobs: BlobStore, evidence: Evidence, tz: ZoneInfo) -> ParsedEmail | None:
    """The email parsed from its original, or None when it is too large to show."""
    if evidence.size > MAX_EMAIL_VIEW_BYTES or evidence.media_type not in EMAIL_TYPES:
        return None
    with blobs.open(evidence.blob_id) as reader:
        data = reader.read()
    if EMAIL_TYPES[evidence.media_type] == "msg":
        return parse_msg(data)
    return parse_email(data, tz=tz)


def email_parts(parsed: ParsedEmail) -> list[str]:
    """The ways the body can be shown, the default first: "text" (the plain-text part, or the
    HTML read as text when there is none) and "html" (the sanitised HTML part). The text comes
    first: it is what the sender wrote as words (an agreement in the text part is often
    missing from a templated HTML part), it shows every word with nothing hidden by styling,
    and a switch shows the HTML as it was laid out."""
    parts = ["text"] if parsed.text.strip() or not parsed.html else []
    return parts + (["html"] if parsed.html else [])


def email_part(parsed: ParsedEmail, asked: str | None) -> str:
    """The part to show: the one asked for (`?body=`), if the email has it, else the default."""
    parts = email_parts(parsed)
    return asked if asked in parts else parts[0]


def email_body_document(parsed: ParsedEmail, part: str | None = None) -> str:
    """A whole HTML document for the sandboxed frame: the text body as text, or the sanitised
    HTML body (inline cid: images turned into data: URLs, nothing remote); `part` as
    `email_part` picks it."""
    if email_part(parsed, part) == "html":
        body = _inline_images(sanitize_email_html(parsed.html), parsed)
    else:
        body = f"<pre>{escape(parsed.text)}</pre>"
    style = ("body{font:15px/1.5 system-ui,sans-serif;margin:12px;color:#1d2433;"
             "overflow-wrap:anywhere}pre{white-space:pre-wrap;font:inherit}"
             "img{max-width:100%;height:auto}")
    return (f'<!doctype html><html><head><meta charset="utf-8"><style>{style}</style></head>'
            f"<body>{body}</body></html>")


def latest_job_states(session: Session, evidence: Evidence) -> list[tuple[Job, JobState]]:
    """Every job of the item, newest first, with its state for `web.jobstatus`."""
    jobs = session.exec(select(Job).where(Job.evidence_id == evidence.id)
                        .order_by(Job.id.desc())
                        .execution_options(populate_existing=True)).all()
    return [(j, JobState(j.id, j.kind, j.status, j.progress, j.error,
                                j.error_texts)) for j in jobs]


def history_with_actors(session: Session,
                        evidence: Evidence) -> list[tuple[CustodyEvent, str | None]]:
    events = evidence_history(session, evidence)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(session.exec(select(User.id, User.name).where(User.id.in_(ids))).all()) \
        if ids else {}
    return [(e, names.get(e.actor_id)) for e in events]


def is_chat(text: ExtractedText | None) -> bool:
    """OCR of a chat screenshot: its lines know whose bubble they were in, or say what they are
    (a message whose side could not be told, the title)."""
    return bool(text and any(s.get("side") or s.get("kind") for s in text.segments))


# Screenshots uploaded this close together may be one scrolled conversation.
SAME_UPLOAD = timedelta(hours=1)
MAX_SCREENSHOTS = 30


def merged_conversation(session: Session, evidence: Evidence) -> tuple[list[int], list[dict]]:
    """When this chat screenshot overlaps others of its negotiation uploaded around the same
    time: (their ids in upload order, the merged messages with their sources); else ([], [])."""
    nearby = session.exec(
        select(Evidence).where(Evidence.negotiation_id == evidence.negotiation_id,
                               Evidence.media_type.startswith("image/"), live(),
                               Evidence.created_at >= evidence.created_at - SAME_UPLOAD,
                               Evidence.created_at <= evidence.created_at + SAME_UPLOAD)
        .order_by(Evidence.created_at, Evidence.id).limit(MAX_SCREENSHOTS)).all()
    shots = []
    for item in nearby:
        texts = _texts(session, item, TextSource.ocr)
        if texts and is_chat(texts[-1]):
            shots.append((item.id, texts[-1].segments))
    if evidence.id not in dict(shots):
        return [], []
    group = conversation_around(evidence.id, shots)
    if len(group) < 2:
        return [], []
    return group, merge_conversations([(i, segments) for i, segments in shots if i in group])


def _texts(session: Session, evidence: Evidence,
           source: TextSource | None) -> list[ExtractedText]:
    query = select(ExtractedText).where(ExtractedText.evidence_id == evidence.id)
    if source is not None:
        query = query.where(ExtractedText.source == source)
    return list(session.exec(query.order_by(ExtractedText.id)).all())


def _inline_images(html: str, parsed: ParsedEmail) -> str:
    images = {a.content_id: a for a in parsed.attachments
              if a.content_id and a.content_type.lower() in INLINE_IMAGE_TYPES}

    def resolve(match: re.Match) -> str:
        found = images.get(match.group(1).strip("<>"))
        if found is None:
            return 'src=""'
        encoded = base64.b64encode(found.data).decode("ascii")
        return f'src="data:{found.content_type.lower()};base64,{encoded}"'
    return _CID_SOURCE.sub(resolve, html)
