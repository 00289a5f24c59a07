"""Who said each line of an item: "me" (the user) or "them" (the other side), or not known.

A chat screenshot's messages carry the side their bubble is on (`transcription.ocr.chat_layout`:
"side" "me" / "them" / None, and "kind" "title" or "notice" for what is no one's message). A
two-party stereo call is transcribed per channel ("speaker" "left" / "right"), and the two
voices of a mono call are told apart ("speaker" "A", the first voice heard, / "B":
transcription.speakers). Which of them is the user is not in the recording, so a person says
it (`set_voice_side`: kept in `extracted_metadata["left_channel"]` or `["voice_a"]`, logged
like any correction of the item's details), and from then on each line of either has its side.
Until then the lines say which channel or voice they are, never a guessed side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from logger.record import custody
from storage.models import CustodyAction, Evidence, User

SIDES = ("me", "them")
LEFT_CHANNEL = "left_channel"
VOICE_A = "voice_a"
# The metadata key a person's word is kept under, and the two speaker labels it settles.
PAIRS = {LEFT_CHANNEL: ("left", "right"), VOICE_A: ("A", "B")}
# Segments that are no one's message: the chat's title bar, a notice ("对方撤回了一条消息"), a
# time stamp that could not be read, a transcript's marker where speech gave no text
# ("[听不清 12.3–18.0 秒]").
NOT_SAID = ("title", "notice", "stamp", "gap")


def channel_sides(evidence: Evidence) -> dict[str, str]:
    """{"left": side, "right": the other side} once a person said which channel is whose, and
    {"A": side, "B": the other} once they said whose the first voice is; else {}."""
    metadata = evidence.extracted_metadata or {}
    sides: dict[str, str] = {}
    for key, (first, second) in PAIRS.items():
        if metadata.get(key) in SIDES:
            sides[first] = metadata[key]
            sides[second] = "them" if metadata[key] == "me" else "me"
    return sides


def segment_side(segment: Mapping[str, Any], channels: Mapping[str, str]) -> str | None:
    """The side that said `segment`: its own (a chat message), else its channel's (a stereo
    call, once a person said whose it is), else None."""
    side = segment.get("side")
    if side in SIDES:
        return side
    return channels.get(segment.get("speaker") or "")


def said_segments(segments: Iterable[Mapping[str, Any]], evidence: Evidence) -> list[dict]:
    """The segments as things said, one for one (an index into them is one into the stored
    ones): each with the side that said it where known, a title or notice with no text."""
    channels = channel_sides(evidence)
    said = []
    for segment in segments:
        copy = dict(segment)
        if copy.get("kind") in NOT_SAID:
            copy["text"] = ""
        elif (side := segment_side(copy, channels)) is not None:
            copy["side"] = side
        said.append(copy)
    return said


def chat_roles(segments: list[Mapping[str, Any]]) -> list[str | None]:
    """What each segment of a text is: "title", "notice" (also a stamp that could not be
    read), "stamp", "message" (a chat message, its side known or not), or None for a line of a
    document (no sides at all). Texts read before segments were marked ("kind") had titles and
    notices as side-less lines: those stay notices, never messages of an unknown side."""
    chat = any("side" in s or s.get("kind") for s in segments)
    marked = any(s.get("kind") for s in segments)
    roles: list[str | None] = []
    for segment in segments:
        kind, side = segment.get("kind"), segment.get("side")
        if kind in NOT_SAID:
            roles.append("notice" if kind == "stamp" else kind)   # a stamp not read: its text
        elif side in SIDES or kind == "message" or (marked and "side" in segment):
            roles.append("message")
        elif not chat:
            roles.append("stamp" if segment.get("time") and not segment.get("text") else None)
        elif segment.get("time") and not segment.get("text"):
            roles.append("stamp")
        else:
            roles.append("notice")
    return roles


def set_voice_side(session: Session, evidence: Evidence, key: str, *, side: str | None,
                   actor: User | None) -> bool:
    """Record a person's word on whose voice the left channel of a stereo recording
    (`key` LEFT_CHANNEL) or the first voice of a mono one (VOICE_A) is: "me", "them", or None
    (not known), with a `metadata_edit` custody event, and commit. Returns False (nothing
    written) when it was already so. Raises ValueError for another key or value."""
    if key not in PAIRS:
        raise ValueError(f"no such voice: {key!r}")
    if side is not None and side not in SIDES:
        raise ValueError(f"a voice is 'me' or 'them', not {side!r}")
    metadata = dict(evidence.extracted_metadata or {})
    old = metadata.get(key)
    if old == side:
        return False
    if side is None:
        metadata.pop(key, None)
    else:
        metadata[key] = side
    custody.lock_chain(session)
    evidence.extracted_metadata = metadata
    session.add(evidence)
    custody.append_event(session, action=CustodyAction.metadata_edit,
                         actor_id=actor.id if actor else None,
                         negotiation_id=evidence.negotiation_id, evidence_id=evidence.id,
                         details={"changes": {key: {"old": old, "new": side}}})
    session.commit()
    return True


def set_left_channel(session: Session, evidence: Evidence, *, side: str | None,
                     actor: User | None) -> bool:
    """set_voice_side for the left channel of a stereo recording."""
    return set_voice_side(session, evidence, LEFT_CHANNEL, side=side, actor=actor)
