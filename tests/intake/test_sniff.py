"""logger.intake.sniff: the type comes from the content; everything not allowed is refused."""

import io
import struct
import wave
import zipfile
from pathlib import Path

import pytest
from PIL import Image

import tests.support.media as mb
from logger.errors import UnsupportedFile
from logger.intake.sniff import HEAD_SIZE, FileType, sniff

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"

# Every real test input, by what it must be accepted as.
EXPECTED_TESTDATA = {
    **{f"audio/{name}": ("audio/wav", "wav", "audio") for name in (
        "BAC009S0764W0121.wav", "BAC009S0764W0122.wav", "IT0011W0001.wav",
        "TEST_MEETING_T0000000001_S00000.wav", "TEST_NET_Y0000000000_-KTKHdZ2fb8_S00000.wav",
        "aishell-BAC009S0724W0121.wav", "librispeech-1995-1837-0001.wav",
        "stereo_diarization.wav")},
    "audio/jfk.flac": ("audio/flac", "flac", "audio"),
    **{f"email/{name}": ("message/rfc822", "eml", "email") for name in (
        "demisto_chinese_big5_encoding.eml", "demisto_chinese_email_test_utf8_raw_header.eml",
        "demisto_chinese_gb2312_encoding.eml", "demisto_chinese_gbk_encoding.eml",
        "demisto_multipart_with_eml_attachment_containing_html.eml",
        "demisto_test-unknown-8bit.eml", "phpmimemailparser_failure_truncated_dsn_gb2312.eml",
        "spamscope_mail_malformed_3_html_only_bad_boundary.eml",
        "spamscope_mail_test_12_gb2312_spam.eml", "spamscope_mail_test_14_html_inline_png.eml")},
    **{f"images/{name}": ("image/png", "png", "image") for name in (
        "cnocr_multi-line_cn1_chat_bubble_white.png", "cnocr_multi-line_cn2_chat_bubble_green.png",
        "rapidocr_black_font_color_transparent.png")},
    **{f"images/{name}": ("image/jpeg", "jpg", "image") for name in (
        "rapidocr_ch_en_num_promo_poster.jpg", "rapidocr_img_exif_orientation.jpg",
        "rapidocr_test_letterbox_like_ui_screenshot.jpg",
        "rapidocr_test_without_det_single_line.jpg", "rapidocr_text_rec_sign_crop.jpg")},
    "README.md": ("text/plain", "txt", "text"),
    "audio/references.tsv": ("text/plain", "txt", "text"),
    "email/SOURCES.tsv": ("text/plain", "txt", "text"),
    "images/SOURCES.tsv": ("text/plain", "txt", "text"),
}


def head_of(data: bytes) -> bytes:
    return data[:HEAD_SIZE]


def refusal(data: bytes, filename: str | None = None) -> str:
    with pytest.raises(UnsupportedFile) as caught:
        sniff(head_of(data), filename)
    return str(caught.value)


def test_the_table_covers_every_file_in_testdata():
    on_disk = {p.relative_to(TESTDATA).as_posix() for p in TESTDATA.rglob("*") if p.is_file()}
    assert on_disk == set(EXPECTED_TESTDATA)


@pytest.mark.parametrize("relative", sorted(EXPECTED_TESTDATA))
def test_every_real_input_is_accepted_as_what_it_is(relative):
    data = (TESTDATA / relative).read_bytes()
    assert sniff(head_of(data), Path(relative).name) == FileType(*EXPECTED_TESTDATA[relative])


@pytest.mark.parametrize("relative", ["audio/jfk.flac", "images/rapidocr_text_rec_sign_crop.jpg",
                                      "email/demisto_chinese_gbk_encoding.eml"])
@pytest.mark.parametrize("lying_name", ["invoice.pdf", "setup.exe", "notes.txt", None])
def test_the_filename_does_not_change_the_verdict(relative, lying_name):
    data = (TESTDATA / relative).read_bytes()
    assert sniff(head_of(data), lying_name) == FileType(*EXPECTED_TESTDATA[relative])


def _pil(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, fmt)
    return buffer.getvalue()


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(1600))
    return buffer.getvalue()


def _heic() -> bytes:
    return mb.box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + mb.box(b"meta", bytes(8))


WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

ACCEPTED_SYNTHETIC = [
    ("m4a brand", mb.mp4(), None, ("audio/mp4", "m4a", "audio")),
    ("isom with a sound track", mb.mp4(major=b"isom"), None, ("audio/mp4", "m4a", "audio")),
    ("isom with a video track", mb.mp4(major=b"isom", handler=b"vide"), "x.m4a",
     ("video/mp4", "mp4", "video")),
    ("3gp audio", mb.mp4(major=b"3gp4"), None, ("audio/3gpp", "3gp", "audio")),
    ("3gp video", mb.mp4(major=b"3gp5", handler=b"vide"), None, ("video/3gpp", "3gp", "video")),
    ("3g2 audio", mb.mp4(major=b"3g2a"), None, ("audio/3gpp2", "3g2", "audio")),
    ("mp3 frames", mb.mp3_frames(), None, ("audio/mpeg", "mp3", "audio")),
    ("mp3 after ID3", mb.id3_tag() + mb.mp3_frames(), None, ("audio/mpeg", "mp3", "audio")),
    ("aac after ID3", mb.id3_tag() + mb.adts_frames(), None, ("audio/aac", "aac", "audio")),
    ("adts aac", mb.adts_frames(), None, ("audio/aac", "aac", "audio")),
    ("amr-nb", mb.amr(), None, ("audio/amr", "amr", "audio")),
    ("amr-wb", mb.amr(wideband=True), None, ("audio/amr-wb", "awb", "audio")),
    ("ogg opus", mb.ogg_opus(), None, ("audio/ogg", "opus", "audio")),
    ("wav", _wav(), None, ("audio/wav", "wav", "audio")),
    ("jpeg", _pil("JPEG"), None, ("image/jpeg", "jpg", "image")),
    ("png", _pil("PNG"), None, ("image/png", "png", "image")),
    ("gif", _pil("GIF"), None, ("image/gif", "gif", "image")),
    ("webp", _pil("WEBP"), None, ("image/webp", "webp", "image")),
    ("heic", _heic(), None, ("image/heic", "heic", "image")),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", None,
     ("application/pdf", "pdf", "pdf")),
    ("docx", mb.office_zip(WORD, ("word/document.xml",)), None,
     ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
      "office")),
    ("xlsx", mb.office_zip(EXCEL, ("xl/workbook.xml",)), None,
     ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "office")),
    ("outlook msg by stream names", mb.ole(("__nameid_version1.0", "__substg1.0_0037001F")),
     None, ("application/vnd.ms-outlook", "msg", "outlook")),
    ("outlook msg by root CLSID", mb.ole(("x",), root_clsid=mb.OUTLOOK_CLSID), None,
     ("application/vnd.ms-outlook", "msg", "outlook")),
    ("msg whose directory lies past the head, named .msg",
     mb.ole(("__substg1.0_0037001F",), padding_sectors=HEAD_SIZE // 512), "mail.MSG",
     ("application/vnd.ms-outlook", "msg", "outlook")),
    ("utf-8 chat export", "张三: 明天还款 5000 元\n我: 好的\n".encode(), None,
     ("text/plain", "txt", "text")),
    ("text that starts like a program", "MZ: 明天还款\n".encode(), None,
     ("text/plain", "txt", "text")),
    ("utf-8 with BOM", b"\xef\xbb\xbf" + "聊天记录".encode(), None, ("text/plain", "txt", "text")),
    ("utf-16 le with BOM", "\ufeff微信聊天记录\r\n".encode("utf-16-le"), None,
     ("text/plain", "txt", "text")),
    ("utf-16 be with BOM", "\ufeff微信聊天记录\r\n".encode("utf-16-be"), None,
     ("text/plain", "txt", "text")),
    ("gb18030 text", "催收电话记录：今天下午三点来电，要求本周还清。".encode("gb18030"), None,
     ("text/plain", "txt", "text")),
    ("sms backup xml", b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
     b'<?xml-stylesheet type="text/xsl" href="sms.xsl"?>\n<smses count="1">'
     b'<sms address="95188" body="x" /></smses>', "sms.txt", ("application/xml", "xml", "xml")),
    ("xml without declaration, named .xml", b"<calls count='0'></calls>", "calls.xml",
     ("application/xml", "xml", "xml")),
    ("markup-like text named .txt", b"<calls count='0'></calls>", "calls.txt",
     ("text/plain", "txt", "text")),
    ("email after blank lines",
     b"\r\n\r\nReceived: from x\r\nFrom: a@b.cn\r\nSubject: hi\r\n\r\nbody", None,
     ("message/rfc822", "eml", "email")),
    ("mbox", b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: a@b.cn\nSubject: x\n\nbody\n"
     b"\nFrom b@c.cn Fri Jul  8 12:09:00 2011\nFrom: b@c.cn\n\nbody\n", "all.eml",
     ("application/mbox", "mbox", "mailbox")),
    ("one message with a mbox From line, named .eml",
     b"From a@b.cn Fri Jul  8 12:08:34 2011\nFrom: a@b.cn\nSubject: x\n\nbody\n", "one.eml",
     ("message/rfc822", "eml", "email")),
    ("thin header block, named .eml", b"Date: Tue, 3 Dec 2024 15:30:12 +0800\nSubject: x\n\nhi",
     "note.eml", ("message/rfc822", "eml", "email")),
    ("thin header block, named .txt", b"Date: Tue, 3 Dec 2024 15:30:12 +0800\nSubject: x\n\nhi",
     "note.txt", ("text/plain", "txt", "text")),
]


@pytest.mark.parametrize("label, data, filename, expected", ACCEPTED_SYNTHETIC,
                         ids=[case[0] for case in ACCEPTED_SYNTHETIC])
def test_allowed_types_are_recognised(label, data, filename, expected):
    assert sniff(head_of(data), filename) == FileType(*expected)


def test_mp4_whose_track_list_is_past_the_head_is_told_apart_by_name():
    data = mb.mp4(major=b"isom", moov_first=False, mdat_size=HEAD_SIZE * 2)
    assert sniff(head_of(data), "录音.m4a").family == "audio"
    assert sniff(head_of(data), "screen.mp4").family == "video"
    assert sniff(head_of(data), None).family == "video"


def test_id3_tag_bigger_than_the_head_is_mp3_unless_named_aac():
    data = mb.id3_tag(HEAD_SIZE * 2) + mb.adts_frames()
    assert sniff(head_of(data), "call.mp3").media_type == "audio/mpeg"
    assert sniff(head_of(data), "call.aac").media_type == "audio/aac"


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def _tar() -> bytes:
    header = b"evil.sh".ljust(257, b"\x00") + b"ustar\x0000"
    return header.ljust(512, b"\x00") + b"#!/bin/sh\n".ljust(512, b"\x00")


HOSTILE = [
    ("windows program", b"MZ\x90\x00\x03" + bytes(200), "invoice.pdf.exe",
     "“invoice.pdf.exe” is a Windows program (application/x-msdownload); Liuhen accepts call "
     "recordings (m4a, mp3, amr, aac, wav, opus, flac), images (jpeg, png, webp, heic, gif), "
     "emails (eml, msg, mbox), PDF, Word/Excel, text and XML"),
    ("linux program", b"\x7fELF\x02\x01\x01" + bytes(100), "a.m4a", "a Linux program"),
    ("mach-o program", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(100), None, "macOS program"),
    ("shell script", b"#!/bin/sh\nrm -rf ~\n", "notes.txt", "a script"),
    ("script after BOM", b"\xef\xbb\xbf#!/usr/bin/env python3\n", None, "a script"),
    ("html doctype", b"<!DOCTYPE html><html><body>hi</body></html>", "chat.txt", "text/html"),
    ("html after whitespace", b"\n\n   <html>\n<script>alert(1)</script>", None, "text/html"),
    ("html script first", b"<script>fetch('/api')</script>", "a.xml", "text/html"),
    ("html comment first", b"<!-- saved page --><div>x</div>", None, "text/html"),
    ("xhtml as xml", b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>",
     None, "text/html"),
    ("xml doctype html", b"<?xml version='1.0'?><!DOCTYPE html><root/>", None, "text/html"),
    ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>", "p.png",
     "image/svg+xml"),
    ("svg with declaration", b"<?xml version='1.0'?>\n<!-- x -->\n<svg:svg xmlns:svg='s'/>",
     None, "image/svg+xml"),
    ("xml embedding xhtml", b"<?xml version='1.0'?><smses><x:script xmlns:x="
     b"'http://www.w3.org/1999/xhtml'>alert(1)</x:script></smses>", None, "embedded web"),
    ("plain zip", _zip({"a.jpg": b"x", "b.jpg": b"y"}), "photos.docx", "a ZIP archive"),
    ("android app", _zip({"AndroidManifest.xml": b"x", "classes.dex": b"y"}), None, "Android"),
    ("java archive", _zip({"META-INF/MANIFEST.MF": b"x", "a.class": b"y"}), None, "Java"),
    ("word with macros", mb.office_zip("application/vnd.ms-word.document.macroEnabled.main+xml",
                                       ("word/document.xml",)), "x.docx", "macros"),
    ("powerpoint", mb.office_zip("application/vnd.openxmlformats-officedocument.presentationml"
                                 ".presentation.main+xml", ("ppt/presentation.xml",)), None,
     "PowerPoint"),
    ("opendocument", _odt(), "x.docx", "OpenDocument"),
    ("old word document", mb.ole(("WordDocument", "\x05SummaryInformation")), "x.msg", ".doc"),
    ("password-protected office", mb.ole(("EncryptionInfo", "EncryptedPackage")), None,
     "password"),
    ("ole past the head, not named .msg",
     mb.ole(("__substg1.0_0037001F",), padding_sectors=HEAD_SIZE // 512), "mail.doc",
     "name it .msg"),
    ("ole whose whole directory has no outlook streams", mb.ole(("Foo", "Bar")), "x.msg",
     "OLE compound file"),
    ("rar", b"Rar!\x1a\x07\x01\x00" + bytes(50), None, "RAR archive"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(50), None, "7-Zip"),
    ("gzip", b"\x1f\x8b\x08\x00" + bytes(50), "chat.txt", "gzip"),
    ("tar", _tar(), None, "tar archive"),
    ("quicktime", mb.mp4(major=b"qt  ", handler=b"vide"), "screen.mp4", "QuickTime"),
    ("avif", mb.box(b"ftyp", b"avif" + bytes(4) + b"mif1avif"), None, "AVIF"),
    ("tiff scan", b"II*\x00\x08\x00\x00\x00" + bytes(100), "scan.jpg", "TIFF"),
    ("bmp", b"BM" + struct.pack("<I", 100) + bytes(4) + struct.pack("<I", 54) + bytes(92), None,
     "BMP"),
    ("webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + bytes(50), "a.m4a", "WebM"),
    ("ogg video", mb.ogg_opus().replace(b"OpusHead", b"\x80theora"), None, "Ogg video"),
    ("pdf not at the start", b"<html>%PDF-1.4", None, "text/html"),
    ("rtf", b"{\\rtf1\\ansi hello}", "a.txt", "RTF"),
    ("wechat voice", b"\x02#!SILK_V3\x0c\x00" + bytes(40), "voice.amr", "SILK"),
    ("utf-16 without BOM", "2024-12-03 15:30 张三: ok\r\n".encode("utf-16-le") * 4, None,
     "byte-order mark"),
    ("random binary", bytes(range(256)) * 8, "call.m4a", "does not recognise"),
    ("nul-laden text", b"hello\x00world" * 10, None, "does not recognise"),
    ("mp3 sync bytes then garbage", b"\xff\xfb\x90\x00" + bytes(413) + b"\x01\x02\x03\x04" * 50,
     "a.mp3", "a damaged or fake mp3 file (audio/mpeg)"),
]


@pytest.mark.parametrize("label, data, filename, expected", HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_everything_else_is_refused_with_a_message_naming_it(label, data, filename, expected):
    message = refusal(data, filename)
    assert expected in message
    assert "Liuhen accepts call recordings" in message


def test_the_refusal_message_matches_the_documented_shape_exactly():
    assert refusal(b"MZ" + bytes(64), "invoice.pdf.exe") == HOSTILE[0][3] + (
        ". Programs are never accepted as evidence.")


def test_an_empty_file_is_refused_as_empty():
    assert "the file is empty" in refusal(b"", "call.m4a")
    assert "“call.m4a”" in refusal(b"", "call.m4a")


def test_a_hostile_filename_is_shortened_and_stripped_of_control_characters():
    message = refusal(b"MZ" + bytes(64), "a\r\nb\x1b[31m" + "x" * 500 + ".exe")
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 600


def test_a_truncated_head_of_any_accepted_type_does_not_crash():
    for _, data, filename, _ in ACCEPTED_SYNTHETIC:
        for cut in (1, 2, 4, 7, 12, 27, 100):
            try:
                sniff(data[:cut], filename)
            except UnsupportedFile:
                pass
