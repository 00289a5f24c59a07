"""Who said each line, as the evidence pages show it: a chat screenshot's messages with their
side in words (本人 / 对方, or "side unknown", never a guess) and the title apart from the
messages; a stereo call's channels named, and the form where a person says which channel is
their own voice (`logger.record.sides`), which then names every line of the transcript and
gives the promise suggestions found in it their side."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, pgettext

from logger.promises.suggestions import resay_suggestions
from logger.record.sides import (LEFT_CHANNEL, SIDES, VOICE_A, channel_sides, chat_roles,
                                 segment_side, set_voice_side)
from web.access import current_user, db, evidence_for
from web.evidence import bp

@bp.app_template_global()
def side_label(side: str | None) -> str:
    """"Me" / "Them" (本人 / 对方), or "Side unknown" for a line whose side could not be
    told."""
    if side == "me":
        return pgettext("speaker", "Me")
    if side == "them":
        return pgettext("speaker", "Them")
    return pgettext("speaker", "Side unknown")


@bp.app_template_global()
def speaker_label(segment: dict, channels: dict[str, str]) -> str:
    """Who said a transcript line: the side (once a person said whose each channel or voice
    is), else the channel it was recorded on or the voice it was told to be, else nothing."""
    side = segment_side(segment, channels)
    if side:
        return side_label(side)
    if segment.get("speaker") == "left":
        return pgettext("speaker", "Left channel")
    if segment.get("speaker") == "right":
        return pgettext("speaker", "Right channel")
    if segment.get("speaker") == "A":
        return pgettext("speaker", "Voice A")
    if segment.get("speaker") == "B":
        return pgettext("speaker", "Voice B")
    return ""


@bp.app_template_global()
def chat_rows(segments: list[dict]) -> list[dict]:
    """A chat screenshot's segments as the page lists them: {"role": "title" | "notice" |
    "stamp" | "message" (`logger.record.sides.chat_roles`), "side", "text", "time" (an aware
    datetime, or the text as stored when it is not a time), "index"}."""
    return [{"role": role or "notice", "text": segment.get("text") or "",
             "side": segment.get("side") if segment.get("side") in SIDES else None,
             "time": _moment(segment.get("time")), "index": index}
            for index, (segment, role) in enumerate(zip(segments, chat_roles(segments),
                                                        strict=True))]


def _moment(value) -> datetime | str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)


@bp.post("/evidence/<int:evidence_id>/channels")
def set_channels(evidence_id: int):
    """Save a person's word on which channel of a stereo call (form field `left`), or which
    voice of a mono one (`voice_a`), is their own."""
    evidence = evidence_for(evidence_id, "edit")
    key = VOICE_A if "voice_a" in request.form else LEFT_CHANNEL
    side = request.form.get("voice_a" if key == VOICE_A else "left", "").strip() or None
    if side is not None and side not in SIDES:
        abort(400)
    session = db()
    if set_voice_side(session, evidence, key, side=side, actor=current_user()):
        resay_suggestions(session, evidence)
        session.commit()
        flash(_("Saved: each line of the transcript now says who spoke. The change is recorded "
                "in the custody log."), "success")
    else:
        flash(_("Nothing was changed."), "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id) + "#transcript")


@bp.app_template_global("channel_sides")
def channels_of(evidence) -> dict[str, str]:
    """{"left"/"A": side, "right"/"B": side} once a person said whose each is, else {}."""
    return channel_sides(evidence)
