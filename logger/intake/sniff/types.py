"""The kinds of file Liuhen accepts, and the verdict for one it refuses.

`FileType` is re-exported by `logger.intake.sniff`, which is where callers should import it from.
The constants below are the whole allow-list: `sniff` returns one of them or refuses.
"""

from dataclasses import dataclass

from logger.i18n import Text


@dataclass(frozen=True)
class FileType:
    """A file's real type, decided from its content.

    `media_type` is what the file is served as, `extension` (no dot) is what it is stored
    and downloaded as whatever the uploader called it, `family` picks the metadata reader
    and the background jobs: one of "audio", "video", "image", "email", "mailbox",
    "outlook", "pdf", "text", "xml", "office".
    """

    media_type: str
    extension: str
    family: str


@dataclass(frozen=True)
class Refusal:
    """What a refused file appears to be: `what` in words ("a Windows program"), its
    `media_type`, and optional `advice` on what to do instead (one sentence). The words are
    English marked with `N_` (or a `Text` where they hold a value), translated when shown."""

    what: str | Text
    media_type: str
    advice: str | Text = ""


M4A = FileType("audio/mp4", "m4a", "audio")
MP3 = FileType("audio/mpeg", "mp3", "audio")
AMR = FileType("audio/amr", "amr", "audio")
AMR_WB = FileType("audio/amr-wb", "awb", "audio")
AAC = FileType("audio/aac", "aac", "audio")
WAV = FileType("audio/wav", "wav", "audio")
OPUS = FileType("audio/ogg", "opus", "audio")
OGG = FileType("audio/ogg", "ogg", "audio")
FLAC = FileType("audio/flac", "flac", "audio")
AUDIO_3GP = FileType("audio/3gpp", "3gp", "audio")
AUDIO_3G2 = FileType("audio/3gpp2", "3g2", "audio")
MP4_VIDEO = FileType("video/mp4", "mp4", "video")
VIDEO_3GP = FileType("video/3gpp", "3gp", "video")
VIDEO_3G2 = FileType("video/3gpp2", "3g2", "video")
JPEG = FileType("image/jpeg", "jpg", "image")
PNG = FileType("image/png", "png", "image")
WEBP = FileType("image/webp", "webp", "image")
HEIC = FileType("image/heic", "heic", "image")
GIF = FileType("image/gif", "gif", "image")
PDF = FileType("application/pdf", "pdf", "pdf")
EML = FileType("message/rfc822", "eml", "email")
MBOX = FileType("application/mbox", "mbox", "mailbox")
MSG = FileType("application/vnd.ms-outlook", "msg", "outlook")
TEXT = FileType("text/plain", "txt", "text")
XML = FileType("application/xml", "xml", "xml")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "office"
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "office"
)
