"""Look inside the two container formats that can hold an allowed type: ZIP and OLE.

ZIP holds Word/Excel (.docx/.xlsx, accepted) but also apps, ODF, EPUB and plain archives;
OLE (Microsoft compound file) holds Outlook messages (.msg, accepted) but also old Office
documents, password-protected Office files and Windows installers. Both functions see only
the head of the file, so they read what lies inside it and fall back to the filename only
where the content leaves two allowed types (or an allowed type and "can't see") undecided.
"""

import struct
import uuid
import zlib

from logger.i18n import N_
from logger.intake.sniff.types import DOCX, MSG, XLSX, FileType, Refusal

_SAVE_AS = N_("Save it as .docx, .xlsx or PDF and upload that.")
_PPTX = Refusal(N_("a PowerPoint presentation"),
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                N_("Save it as PDF."))
_ZIP = Refusal(N_("a ZIP archive"), "application/zip",
               N_("Unpack it and upload the files inside."))

# Main part content types in [Content_Types].xml, checked in this order.
_OOXML_MAIN = (
    (b"ms-word.document.macroEnabled",
     Refusal(N_("a Word document with macros (.docm)"),
             "application/vnd.ms-word.document.macroEnabled.12",
             N_("Save it as .docx (without macros) or PDF."))),
    (b"ms-excel.sheet.macroEnabled", Refusal(N_("an Excel workbook with macros (.xlsm)"),
                                             "application/vnd.ms-excel.sheet.macroEnabled.12",
                                             N_("Save it as .xlsx (without macros) or PDF."))),
    (b"ms-excel.sheet.binary.macroEnabled", Refusal(N_("an Excel binary workbook (.xlsb)"),
                                                    "application/vnd.ms-excel.sheet.binary."
                                                    "macroEnabled.12", _SAVE_AS)),
    (b"presentationml", _PPTX),
    (b"wordprocessingml.template",
     Refusal(N_("a Word template"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.template", _SAVE_AS)),
    (b"spreadsheetml.template",
     Refusal(N_("an Excel template"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.template", _SAVE_AS)),
    (b"wordprocessingml.document.main+xml", DOCX),
    (b"spreadsheetml.sheet.main+xml", XLSX),
)

_OUTLOOK_CLSID = uuid.UUID("00020D0B-0000-0000-C000-000000000046").bytes_le
_MSI_CLSIDS = {uuid.UUID(f"000C108{d}-0000-0000-C000-000000000046").bytes_le for d in "46"}
_OUTLOOK_PREFIXES = ("__substg1.0_", "__properties_version1.0", "__nameid_version1.0",
                     "__recip_version1.0_", "__attach_version1.0_")
_OLE_STREAMS = {
    "WordDocument": Refusal(N_("an old-style Word document (.doc)"), "application/msword",
                            _SAVE_AS),
    "Workbook": Refusal(N_("an old-style Excel workbook (.xls)"), "application/vnd.ms-excel",
                        _SAVE_AS),
    "Book": Refusal(N_("an old-style Excel workbook (.xls)"), "application/vnd.ms-excel",
                    _SAVE_AS),
    "PowerPoint Document": Refusal(N_("an old-style PowerPoint presentation (.ppt)"),
                                   "application/vnd.ms-powerpoint", N_("Save it as PDF.")),
    "EncryptedPackage": Refusal(N_("a password-protected Office document"),
                                "application/x-ms-encrypted-office",
                                N_("Remove the password (save a copy without one) and upload "
                                   "that.")),
}
_END_OF_CHAIN, _MAX_DIR_SECTORS = 0xFFFFFFFE, 64


def sniff_zip(head: bytes, filename: str) -> FileType | Refusal:
    """Word/Excel (.docx/.xlsx) or a refusal naming what else the ZIP is."""
    names, content_types = _zip_entries(head)
    if names and names[0] == b"mimetype":
        return _odf_or_epub(head)
    if b"AndroidManifest.xml" in names or b"classes.dex" in names:
        return Refusal(N_("an Android app (APK)"), "application/vnd.android.package-archive")
    if content_types is not None:
        for marker, verdict in _OOXML_MAIN:
            if marker in content_types:
                return verdict
    if any(name.endswith(b"vbaProject.bin") for name in names):
        return Refusal(N_("an Office document with macros"), "application/vnd.ms-office", _SAVE_AS)
    if any(name.startswith(b"word/") for name in names):
        return DOCX
    if any(name.startswith(b"xl/") for name in names):
        return XLSX
    if any(name.startswith(b"ppt/") for name in names):
        return _PPTX
    if b"META-INF/MANIFEST.MF" in names:
        return Refusal(N_("a Java program (JAR)"), "application/java-archive")
    if content_types is not None or b"_rels/.rels" in names:
        # An Office file whose main part is past the head: only the name can tell.
        lowered = filename.lower()
        if lowered.endswith(".docx"):
            return DOCX
        if lowered.endswith(".xlsx"):
            return XLSX
        return Refusal(N_("an Office document of a kind Liuhen could not tell"),
                       "application/vnd.openxmlformats-officedocument", _SAVE_AS)
    return _ZIP


def _zip_entries(head: bytes) -> tuple[list[bytes], bytes | None]:
    """Entry names of the local headers inside `head`, and [Content_Types].xml if readable."""
    names: list[bytes] = []
    content_types = None
    offset = 0
    while offset + 30 <= len(head) and head[offset:offset + 4] == b"PK\x03\x04":
        flags, method = struct.unpack("<HH", head[offset + 6:offset + 10])
        compressed = struct.unpack("<I", head[offset + 18:offset + 22])[0]
        name_len, extra_len = struct.unpack("<HH", head[offset + 26:offset + 30])
        name = head[offset + 30:offset + 30 + name_len]
        start = offset + 30 + name_len + extra_len
        names.append(name)
        sizes_known = not flags & 0x08 and compressed != 0xFFFFFFFF
        if name == b"[Content_Types].xml" and not flags & 0x01:
            end = start + compressed if sizes_known else len(head)
            content_types = _inflate(head[start:end], method)
        if sizes_known:
            offset = start + compressed
        else:  # sizes follow the data (streamed zip): find the next header instead
            offset = head.find(b"PK\x03\x04", start)
            if offset == -1:
                break
    return names, content_types


def _inflate(data: bytes, method: int) -> bytes | None:
    if method == 0:
        return data
    if method != 8:
        return None
    try:
        # Truncated input is normal here (the head ends mid-entry); take what inflates.
        return zlib.decompressobj(-15).decompress(data, 1 << 18)
    except zlib.error:
        return None


def _odf_or_epub(head: bytes) -> Refusal:
    mimetype = head[38:38 + 80].split(b"PK", 1)[0].decode("ascii", "replace").strip()
    if mimetype.startswith("application/epub"):
        return Refusal(N_("an e-book (EPUB)"), "application/epub+zip", N_("Save it as PDF."))
    return Refusal(N_("an OpenDocument file (LibreOffice/WPS)"), mimetype or "application/zip",
                   _SAVE_AS)


def sniff_ole(head: bytes, filename: str) -> FileType | Refusal:
    """An Outlook message (.msg), or a refusal naming the old Office format it is.

    The directory is read when it lies inside the head. Where it does not, the file is
    accepted as .msg only when it is named .msg: the content cannot tell, and a .doc renamed
    .msg is stored as an opaque download that no job can open, which is harmless.
    """
    names, root_clsid, complete = _ole_directory(head)
    if root_clsid == _OUTLOOK_CLSID or any(n.startswith(_OUTLOOK_PREFIXES) for n in names):
        return MSG
    if root_clsid in _MSI_CLSIDS:
        return Refusal(N_("a Windows installer (MSI)"), "application/x-msi")
    for name in names:
        if name in _OLE_STREAMS:
            return _OLE_STREAMS[name]
    if not complete and filename.lower().endswith(".msg"):
        return MSG
    return Refusal(N_("an old-style Office or Outlook file (OLE compound file)"),
                   "application/x-ole-storage",
                   N_("If it is an Outlook message, name it .msg; if it is a Word or Excel "
                      "file, save it as .docx, .xlsx or PDF and upload that."))


def _ole_directory(head: bytes) -> tuple[list[str], bytes | None, bool]:
    """(entry names, root CLSID, whether the whole directory was inside `head`)."""
    if len(head) < 512:
        return [], None, False
    shift = struct.unpack("<H", head[30:32])[0]
    if shift not in (9, 12):
        return [], None, False
    sector_size = 1 << shift
    difat = struct.unpack("<109I", head[76:512])
    names: list[str] = []
    root_clsid = None
    sector = struct.unpack("<I", head[48:52])[0]
    for _ in range(_MAX_DIR_SECTORS):
        if sector == _END_OF_CHAIN:
            return names, root_clsid, True
        data = _ole_sector(head, sector, sector_size)
        if data is None:
            break
        for at in range(0, sector_size, 128):
            entry = data[at:at + 128]
            name_len = min(struct.unpack("<H", entry[64:66])[0], 64)
            name = entry[:max(name_len - 2, 0)].decode("utf-16-le", "replace")
            if entry[66] == 5:  # the root storage
                root_clsid = entry[80:96]
            if name:
                names.append(name)
        sector = _ole_next_sector(head, difat, sector, sector_size)
        if sector is None:
            break
    return names, root_clsid, False


def _ole_sector(head: bytes, sector: int, sector_size: int) -> bytes | None:
    start = (sector + 1) * sector_size
    return head[start:start + sector_size] if start + sector_size <= len(head) else None


def _ole_next_sector(head: bytes, difat, sector: int, sector_size: int) -> int | None:
    per_fat_sector = sector_size // 4
    index = sector // per_fat_sector
    if index >= len(difat):
        return None
    fat = _ole_sector(head, difat[index], sector_size)
    if fat is None:
        return None
    at = (sector % per_fat_sector) * 4
    return struct.unpack("<I", fat[at:at + 4])[0]
