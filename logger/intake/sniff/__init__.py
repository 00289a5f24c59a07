"""Decide what an upload really is from its first bytes, and refuse anything not allowed.

Uploads are hostile until parsed: the type comes from the CONTENT, never from the filename
or the browser's declared type. The filename only breaks ties where the content cannot
choose between two allowed types (see `logger.intake.sniff.media`, `logger.intake.sniff.containers` and
`logger.intake.sniff.text` for each case). The accepted types are the constants in
`logger.intake.sniff.types`; everything else raises `UnsupportedFile` naming what the file appears
to be and what Liuhen accepts.
"""

import filetype

from logger.errors import UnsupportedFile
from logger.i18n import N_, Text
from logger.intake.sniff.containers import sniff_ole, sniff_zip
from logger.intake.sniff.media import sniff_media
from logger.intake.sniff.text import sniff_mail, sniff_text
from logger.intake.sniff.types import FileType, Refusal

__all__ = ["HEAD_SIZE", "FileType", "sniff"]

# Enough for an MP4 `moov` written at the front, ID3 tags with a small cover, an OLE
# directory (to tell Outlook .msg from Word .doc) and several ZIP entries (.docx vs .xlsx).
HEAD_SIZE = 64 * 1024

# The words of a refusal are marked for translation (`logger.i18n`): a page shows the refusal
# in its reader's language (`LiuhenError.in_language`), the CLI in English.
ACCEPTED = N_(
    "call recordings (m4a, mp3, amr, aac, wav, opus, flac), images (jpeg, png, webp, heic, "
    "gif), emails (eml, msg, mbox), PDF, Word/Excel, text and XML"
)

_UNPACK = N_("Unpack it and upload the files inside.")
_PROGRAM = N_("Programs are never accepted as evidence.")
_AS_IMAGE = N_("Save it as PDF, JPEG or PNG.")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SILK = Refusal(N_("a WeChat/QQ voice message (SILK audio)"), "audio/silk",
                N_("Convert it to mp3 or m4a (or record the conversation as a call)."))
_MACH_O = Refusal(N_("a macOS program"), "application/x-mach-binary", _PROGRAM)

# (offset, leading bytes, verdict) for files that are clearly something we refuse.
_REFUSED_SIGNATURES = (
    (0, b"MZ", Refusal(N_("a Windows program"), "application/x-msdownload", _PROGRAM)),
    (0, b"\x7fELF", Refusal(N_("a Linux program"), "application/x-executable", _PROGRAM)),
    (0, b"\xfe\xed\xfa\xce", _MACH_O),
    (0, b"\xfe\xed\xfa\xcf", _MACH_O),
    (0, b"\xce\xfa\xed\xfe", _MACH_O),
    (0, b"\xcf\xfa\xed\xfe", _MACH_O),
    (0, b"\xca\xfe\xba\xbe", Refusal(N_("a macOS or Java program"),
                                     "application/x-mach-binary", _PROGRAM)),
    (0, b"dex\n", Refusal(N_("an Android program (DEX)"), "application/vnd.android.dex",
                          _PROGRAM)),
    (0, b"\x00asm", Refusal(N_("a WebAssembly program"), "application/wasm", _PROGRAM)),
    (0, b"L\x00\x00\x00\x01\x14\x02\x00", Refusal(N_("a Windows shortcut"),
                                                  "application/x-ms-shortcut", _PROGRAM)),
    (0, b"PK\x05\x06", Refusal(N_("an empty ZIP archive"), "application/zip")),
    (0, b"PK\x07\x08", Refusal(N_("a ZIP archive"), "application/zip", _UNPACK)),
    (0, b"Rar!\x1a\x07", Refusal(N_("a RAR archive"), "application/vnd.rar", _UNPACK)),
    (0, b"7z\xbc\xaf\x27\x1c", Refusal(N_("a 7-Zip archive"), "application/x-7z-compressed",
                                        _UNPACK)),
    (0, b"\x1f\x8b", Refusal(N_("a gzip archive"), "application/gzip", _UNPACK)),
    (0, b"\xfd7zXZ\x00", Refusal(N_("an xz archive"), "application/x-xz", _UNPACK)),
    (0, b"\x28\xb5\x2f\xfd", Refusal(N_("a Zstandard archive"), "application/zstd", _UNPACK)),
    (257, b"ustar", Refusal(N_("a tar archive"), "application/x-tar", _UNPACK)),
    (0, b"MSCF", Refusal(N_("a Windows cabinet archive"), "application/vnd.ms-cab-compressed",
                         _UNPACK)),
    (0, b"SQLite format 3\x00", Refusal(N_("a database file (SQLite)"),
                                        "application/vnd.sqlite3",
                                        N_("Export the messages from the app as text or PDF."))),
    (0, b"\x1a\x45\xdf\xa3", Refusal(N_("a Matroska/WebM video or recording"), "video/webm",
                                     N_("Convert it to MP4 (video) or m4a/mp3 (sound)."))),
    (0, b"0&\xb2u\x8e\x66\xcf\x11", Refusal(N_("a Windows Media file (WMA/WMV)"),
                                           "video/x-ms-asf",
                                           N_("Convert it to MP4 (video) or m4a/mp3 (sound)."))),
    (0, b"#!SILK_V3", _SILK),
    (0, b"\x02#!SILK_V3", _SILK),
    (0, b"II*\x00", Refusal(N_("a TIFF image"), "image/tiff", _AS_IMAGE)),
    (0, b"MM\x00*", Refusal(N_("a TIFF image"), "image/tiff", _AS_IMAGE)),
)

# Words for what the `filetype` library recognises and we have no signature for above.
_GUESS_WORDS = {
    "bmp": N_("a BMP image"), "psd": N_("a Photoshop image"), "ico": N_("an icon"),
    "xcf": N_("a GIMP image"), "jxr": N_("a JPEG XR image"), "jpx": N_("a JPEG 2000 image"),
    "cr2": N_("a camera RAW photo"), "dcm": N_("a medical image (DICOM)"),
    "dwg": N_("a CAD drawing"), "mid": N_("a MIDI file"), "aiff": N_("an AIFF recording"),
    "flv": N_("a Flash video"), "mpg": N_("an MPEG video"), "swf": N_("a Flash program"),
    "woff": N_("a font"), "woff2": N_("a font"), "ttf": N_("a font"), "otf": N_("a font"),
    "eot": N_("a font"), "deb": N_("a Debian package"), "rpm": N_("an RPM package"),
    "crx": N_("a browser extension"), "nes": N_("a game ROM"), "bz2": N_("a bzip2 archive"),
}
# What `filetype` calls the types we accept: its guess is one of these only when our own,
# stricter check of that type failed, i.e. the file is damaged or only pretends to be one.
_ALLOWED_MEDIA_TYPES = {
    "audio/mpeg", "audio/aac", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/ogg",
    "audio/x-flac", "audio/x-wav", "audio/amr", "image/jpeg", "image/png", "image/gif",
    "image/webp", "image/heic", "application/pdf", "video/mp4", "video/3gpp",
}
_GUESS_ADVICE = {"image": N_("Save it as JPEG or PNG."),
                 "audio": N_("Convert it to m4a or mp3."),
                 "video": N_("Convert it to MP4.")}


def sniff(head: bytes, filename: str | None = None) -> FileType:
    """The type of the file whose first bytes are `head` (pass `HEAD_SIZE` bytes, or the
    whole file if it is shorter).

    Raises UnsupportedFile, with a message a person can act on, for an empty file and for
    any content that is not one of the allowed types.
    """
    name = filename or ""
    if not head:
        raise UnsupportedFile(Text(
            "%(name)s: the file is empty (0 bytes), so nothing was stored. Choose the file "
            "again, or export it again from the app that made it.", name=_quoted(filename)))
    verdict = (sniff_media(head, name) or _sniff_container(head, name)
               or _known_refusal(head) or sniff_mail(head, name) or sniff_text(head, name)
               or _guessed_refusal(head))
    if isinstance(verdict, FileType):
        return verdict
    raise UnsupportedFile(refusal_message(verdict, filename))


def refusal_message(refusal: Refusal, filename: str | None) -> Text:
    """The sentence shown to the person whose upload was refused, in every language."""
    message = Text("%(name)s is %(what)s (%(type)s); Liuhen accepts %(accepted)s",
                   name=_quoted(filename), what=_words(refusal.what), type=refusal.media_type,
                   accepted=Text(ACCEPTED))
    if not refusal.advice:
        return message
    return Text("%(refusal)s. %(advice)s", refusal=message, advice=_words(refusal.advice))


def _words(text: str | Text) -> Text:
    return text if isinstance(text, Text) else Text(text)


def _quoted(filename: str | None) -> str | Text:
    if not filename:
        return Text("This file")
    # The name is attacker-chosen: keep it short and free of control characters.
    clean = "".join(ch if ch.isprintable() else "?" for ch in filename)
    return f"“{clean[:77] + '…' if len(clean) > 80 else clean}”"


def _sniff_container(head: bytes, name: str) -> FileType | Refusal | None:
    if head.startswith(b"PK\x03\x04"):
        return sniff_zip(head, name)
    if head.startswith(_OLE_SIGNATURE):
        return sniff_ole(head, name)
    return None


def _known_refusal(head: bytes) -> Refusal | None:
    for offset, signature, refusal in _REFUSED_SIGNATURES:
        if head[offset:offset + len(signature)] != signature:
            continue
        # A printable signature ("MZ", "MSCF") may just begin a text file ("MZ: 明天还款");
        # the real formats have NUL bytes in their first header.
        if all(32 <= byte < 127 or byte == 10 for byte in signature) and (
                b"\x00" not in head[:1024]):
            continue
        return refusal
    return None


def _guessed_refusal(head: bytes) -> Refusal:
    """Name what the binary content appears to be, for the refusal message."""
    kind = filetype.guess(head)
    if kind is None:
        return Refusal(N_("data of a kind Liuhen does not recognise"),
                       "application/octet-stream",
                       N_("If it is a recording, photo or document, export it again from the "
                          "app that made it in one of those formats."))
    family = kind.mime.split("/")[0]
    if kind.mime in _ALLOWED_MEDIA_TYPES:
        return Refusal(Text("a damaged or fake %(extension)s file", extension=kind.extension),
                       kind.mime,
                       N_("Copy or export it again from the phone or app."))
    what = _GUESS_WORDS.get(kind.extension) or Text("a %(kind)s file",
                                                    kind=kind.extension.upper())
    return Refusal(what, kind.mime, _GUESS_ADVICE.get(family, ""))
