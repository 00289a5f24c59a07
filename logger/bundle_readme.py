"""README.txt of every bundle, in Chinese and English: what the bundle holds and how anyone can
check it with verify.py."""

from __future__ import annotations

from logger.bundle_items import BundlePurpose

ZH = """\
留痕（Liuhen）证据包 — 说明
================================

本证据包由留痕（Liuhen）导出，内容：
- evidence/    证据原件，与存档时的文件逐字节相同，按证据序号命名；
- texts/       录音转写（.txt 带时间码和说话方，.srt 字幕）、图片文字识别、邮件信头和正文；
- 证据目录     PDF、HTML、CSV 三种格式，列出序号、证据名称、证据来源、证明目的、形成时间、
               页码/文件、原件/复印件和 SHA-256 哈希值；
{extra_zh}- manifest.json  每个文件的 SHA-256 和大小，每项证据存档时记录的 SHA-256、存档时间和
               保管记录（含链式哈希），以及导出时间、软件版本和保管记录链头的哈希；
- manifest.sig   manifest.json 的 Ed25519 签名及签名公钥和公钥指纹；
- manifest.tsr   （如有）可信时间戳机构对 manifest.json 出具的 RFC 3161 时间戳；
- verify.py      校验程序。

如何校验
--------
需要 Python 3.8 或更高版本；校验签名还需要安装 cryptography（pip install cryptography）。
解压后在本文件夹中运行：

    python3 verify.py

或直接校验收到的压缩包：

    python3 verify.py 证据包.zip

程序逐个核对文件的哈希值，指出被修改、增加、删除或改名的文件，核对每份原件与存档时的
SHA-256 是否一致、保管记录的链式哈希、manifest.json 的签名以及时间戳；全部无误时显示
“完好”并以状态 0 退出，发现问题时逐项列出并以状态 1 退出。

请向证据提供人另行索取签名公钥指纹（在留痕的“设置”页面或 `liuhen export --show-key`
中可以看到），与 verify.py 显示的指纹核对；也可以用 --key 参数让程序核对：

    python3 verify.py 证据包.zip --key "ab12 cd34 …"

若有时间戳，可用 --tsa-ca 参数指定时间戳机构的根证书，一并核对其签发者。
"""

EN = """\
Liuhen evidence bundle — read me
================================

This bundle was exported by Liuhen. It holds:
- evidence/      the originals, byte for byte as they were stored, named by exhibit number;
- texts/         transcripts of recordings (.txt with time codes and speakers, .srt
                 subtitles), text read from images, email headers and bodies;
- the list of evidence as PDF, HTML and CSV: number, name, source, what it proves, date,
                 pages/file, original or copy, and SHA-256;
{extra_en}- manifest.json  every file's SHA-256 and size; each item's SHA-256 when it was
                 stored, the time it was stored and its custody events (with their chain
                 hashes); the time of export, the application version and the hash of the
                 custody chain's head;
- manifest.sig   the Ed25519 signature of manifest.json, with the public key and its
                 fingerprint;
- manifest.tsr   (when present) an RFC 3161 time-stamp of manifest.json from a time-stamp
                 authority;
- verify.py      the checker.

How to check it
---------------
You need Python 3.8 or later, and the package cryptography to check the signature
(pip install cryptography). In the unpacked folder run:

    python3 verify.py

or check the ZIP file as received:

    python3 verify.py bundle.zip

It re-hashes every file and names any file that was altered, added, removed or renamed; it
checks that every original still has the SHA-256 recorded when it was stored, the custody
events' chain hashes, the signature of manifest.json and the time-stamp. It prints "INTACT"
and exits with status 0 when everything checks, and lists each problem and exits with status 1
otherwise.

Ask the person who gave you the bundle for their signing key fingerprint (Liuhen shows it on
its settings page and with `liuhen export --show-key`) and compare it with the one verify.py
prints, or let verify.py compare it:

    python3 verify.py bundle.zip --key "ab12 cd34 …"

With a time-stamp, --tsa-ca names the authority's root certificate to check who issued it.
"""

EXTRA = {
    BundlePurpose.court: ("- 证据材料_打印版.pdf  证据目录、转写文本和图片合成的打印版，每页有证据编号\n"
                          "               章和连续页码，证据目录中的页码即此文件的页码；\n",
                          "- evidence-print.pdf (证据材料_打印版.pdf in a Chinese bundle)  the "
                          "list, transcripts and\n                 images in one PDF for printing, "
                          "each page stamped with its exhibit\n                 number and "
                          "numbered; the list's page numbers are its pages;\n"),
    BundlePurpose.complaint: ("- 投诉信         投诉信（txt 和 PDF）；\n",
                              "- complaint-letter  the complaint letter (txt and PDF);\n"),
    BundlePurpose.backup: ("", ""),
}


def readme_text(purpose: BundlePurpose) -> str:
    extra_zh, extra_en = EXTRA[BundlePurpose(purpose)]
    return ZH.format(extra_zh=extra_zh) + "\n\n" + EN.format(extra_en=extra_en)
