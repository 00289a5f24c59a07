"""The bytes of an item: the original as a download, recordings and images inline (with HTTP
Range, so a player can seek in a long call), and an email's sanitised body for a sandboxed frame.

Bytes are decrypted as they are sent (BlobStore.open); nothing is written in clear. The original
is always `application/octet-stream` as an attachment, so a browser never renders or runs it.
Registered on the `evidence` blueprint by web.evidence.
"""

from __future__ import annotations

from flask import Response, abort, request
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import FileWrapper

from storage.models import Evidence
from web.access import evidence_for
from web.downloads import attachment_disposition
from web.evidence import bp
from web.evidence.viewers import email_body_document, inline_media_type, read_email
from web.state import app_state
from web.zone import page_zone

SEND_BLOCK = 64 * 1024
# The frame that shows an email's body: nothing may load or run, not even in the frame itself
# (the CSP sandbox applies when the URL is opened directly as well). frame-ancestors lets this
# site frame it; browsers ignore X-Frame-Options when frame-ancestors is given.
EMAIL_FRAME_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                   "frame-ancestors 'self'; sandbox")


@bp.get("/evidence/<int:evidence_id>/original")
def original(evidence_id: int):
    """The original file, byte for byte, as a download under its original name (made safe to
    save: `web.downloads`)."""
    evidence = evidence_for(evidence_id, "view")
    response = _blob_response(evidence, "application/octet-stream")
    response.headers["Content-Disposition"] = attachment_disposition(evidence)
    return response


@bp.get("/evidence/<int:evidence_id>/media")
def media(evidence_id: int):
    """A recording or a raster image, inline, for the page's <audio> / <img>. 404 for any
    other type: those are only downloaded."""
    evidence = evidence_for(evidence_id, "view")
    media_type = inline_media_type(evidence)
    if media_type is None:
        abort(404)
    response = _blob_response(evidence, media_type)
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/evidence/<int:evidence_id>/email-body")
def email_body(evidence_id: int):
    """An email's body as a document for `<iframe sandbox>`, under its own strict CSP:
    `?body=text` (the default when the email has a text part) or `?body=html`."""
    evidence = evidence_for(evidence_id, "view")
    parsed = read_email(app_state().services.blobs, evidence, page_zone())
    if parsed is None:
        abort(404)
    response = Response(email_body_document(parsed, request.args.get("body")),
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    return response


def _blob_response(evidence: Evidence, media_type: str) -> Response:
    """The decrypted bytes, with ETag and Range handled by werkzeug (206, 416, If-Range)."""
    reader = app_state().services.blobs.open(evidence.blob_id)
    body = FileWrapper(reader, SEND_BLOCK)  # our own wrapper: never the server's sendfile
    response = Response(body, mimetype=media_type, direct_passthrough=True)
    response.content_length = evidence.size
    response.set_etag(evidence.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    try:
        return response.make_conditional(request.environ, accept_ranges=True,
                                         complete_length=evidence.size)
    except HTTPException:  # 416: the body will not be sent
        reader.close()
        raise
