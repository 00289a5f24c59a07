"""A person's correction of text a machine read (a transcript, the OCR of a screenshot, the text
of a PDF or document) is a new version beside it; the machine's text is never changed.

Each saved correction is a new `ExtractedText` row of the same source (`edited=True`) whose
segments keep everything the machine's had but the words (timings, sides, times, pages, boxes),
and one custody event (`transcript_edit` for a transcript, `text_edit` otherwise) names the
version it corrected, the new one and every segment that changed. Whatever reads "the newest
text of each source" (the timeline's summary, search, the conduct checks, the bundle's texts)
then reads the correction; older versions stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from logger.record import custody
from storage.models import CustodyAction, Evidence, ExtractedText, TextSource, User
from storage.models.types import utcnow

MAX_SEGMENT_CHARS = 5000
# The texts people may correct, and the custody action that records it.
CORRECTABLE = {TextSource.transcript: CustodyAction.transcript_edit,
               TextSource.ocr: CustodyAction.text_edit,
               TextSource.pdf: CustodyAction.text_edit,
               TextSource.text: CustodyAction.text_edit}
# What a corrected transcript segment keeps from the machine's: where it is, and who spoke.
_TRANSCRIPT_KEEPS = ("start", "end", "speaker", "side", "time", "box")


class TextEditError(LiuhenError):
    """A correction that does not fit the text it claims to correct."""


def text_versions(session: Session, evidence: Evidence, source: TextSource
                  ) -> list[ExtractedText]:
    """Every text of this source of the item, oldest first (machine runs and corrections)."""
    return list(session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == evidence.id,
        ExtractedText.source == source).order_by(ExtractedText.id)).all())


def save_edited_text(session: Session, evidence: Evidence, *, base_id: int,
                     lines: Sequence[str], actor: User | None,
                     sources: Sequence[TextSource] = tuple(CORRECTABLE)) -> ExtractedText:
    """Store `lines` (one per segment of version `base_id`, in order) as a corrected version
    and commit, with a custody event listing the changed segments. A transcript's line is one
    line of speech (its spaces and breaks are collapsed); a document's or an image's keeps its
    line breaks.

    The base version is never changed. Raises NotFound when `base_id` is not a text of this
    item of one of `sources`, TextEditError when the number of lines differs from its segments
    or nothing changed.
    """
    base = session.get(ExtractedText, base_id)
    if (base is None or base.evidence_id != evidence.id
            or TextSource(base.source) not in sources or base.source not in CORRECTABLE):
        raise NotFound(f"evidence #{evidence.id} has no correctable text #{base_id}")
    source = TextSource(base.source)
    segments = base.segments or [{"text": base.text}]
    if len(lines) != len(segments):
        raise TextEditError(
            f"the correction has {len(lines)} lines but text #{base_id} has {len(segments)} "
            "segments; reload the page and edit again")
    clean = _one_line if source == TextSource.transcript else _lines
    cleaned = [clean(line)[:MAX_SEGMENT_CHARS] for line in lines]
    changes = [{"segment": i, "old": s.get("text", ""), "new": new}
               for i, (s, new) in enumerate(zip(segments, cleaned, strict=True))
               if new != clean(s.get("text") or "")]
    if not changes:
        raise TextEditError("nothing was changed, so no new version was saved")
    edited = [{**_kept(s, source), "text": new} for s, new in zip(segments, cleaned,
                                                                  strict=True)]
    custody.lock_chain(session)
    version = ExtractedText(
        evidence_id=evidence.id, source=source, language=base.language,
        text="\n".join(s["text"] for s in edited if s["text"]), segments=edited,
        engine=base.engine, model=base.model, edited=True, edited_at=utcnow())
    session.add(version)
    session.flush()
    details = {"base_text_id": base.id, "text_id": version.id, "changes": changes}
    if source != TextSource.transcript:
        details["source"] = str(source)
    custody.append_event(
        session, action=CORRECTABLE[source], actor_id=actor.id if actor else None,
        negotiation_id=evidence.negotiation_id, evidence_id=evidence.id, details=details)
    session.commit()
    return version


def _kept(segment: dict, source: TextSource) -> dict:
    """What a corrected segment keeps from the machine's: all but the words (a transcript: its
    timing and speaker only, not the engine's scores)."""
    if source == TextSource.transcript:
        return {k: segment[k] for k in _TRANSCRIPT_KEEPS if k in segment}
    return {k: v for k, v in segment.items() if k != "text"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _lines(text: str) -> str:
    """Line breaks kept (a page of a document), each line's trailing spaces and the blank lines
    at either end dropped."""
    rows = [row.rstrip() for row in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(rows).strip("\n")
