"""README.txt of every bundle, in Chinese and English: what the bundle holds and how anyone can
check it with verify.py. The English is written here; the Chinese is the translation of it in
`logger/translations/zh/LC_MESSAGES/bundles.po`, as for every other text."""

from __future__ import annotations

from logger.bundles.items import BundlePurpose
from logger.i18n import LANGUAGES, N_, translate

README = N_("""\
Liuhen evidence bundle — read me
================================

%(key)s
This bundle was exported by Liuhen. It holds:
- evidence/      the originals, byte for byte as they were stored, named by exhibit number;
- texts/         transcripts of recordings (.txt with time codes and speakers, .srt
                 subtitles), text read from images, email headers and bodies;
- the list of evidence as PDF, HTML and CSV: number, name, source, what it proves, date,
                 pages/file, original or copy, and SHA-256;
%(extra)s- manifest.json  every file's SHA-256 and size; each item's SHA-256 when it was
                 stored, the time it was stored and its custody events (with their chain
                 hashes); the time of export, the application version and the hash of the
                 custody chain's head;
- manifest.sig   the Ed25519 signature of manifest.json, with the public key, its
                 fingerprint and manifest.json's SHA-256;
- manifest.tsr   (when present) an RFC 3161 time-stamp of manifest.sig from a time-stamp
                 authority: it dates the signature, and so manifest.json;
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

"INTACT" proves that the files match manifest.json and that manifest.json was signed by the
key whose fingerprint verify.py prints. It does not prove who made the bundle: whoever alters a
bundle can sign it again with a key of their own. Ask the person who gave you the bundle for
their signing key fingerprint, by another way than the bundle (Liuhen shows it on its settings
page and with `liuhen export --show-key`), and compare it with the one verify.py prints, or let
verify.py compare it:

    python3 verify.py bundle.zip --key "ab12 cd34 …"

With a time-stamp, --tsa-ca names the authority's root certificate to check who issued it.
""")

# The fingerprint, at the top of the README.
KEY = N_("""\
Signing key fingerprint (Ed25519): %(fingerprint)s
The bundle is signed with this key. This line is only a copy, inside the bundle: compare the
fingerprint with the one the sender gave you by another way (see "How to check it").
""")

# What each purpose adds to the list of files (a backup adds nothing).
EXTRA = {
    BundlePurpose.court: N_(
        "- evidence-print.pdf (证据材料_打印版.pdf in a Chinese bundle)  the list, transcripts and\n"
        "                 images in one PDF for printing, each page stamped with its exhibit\n"
        "                 number and numbered; the list's page numbers are its pages;\n"),
    BundlePurpose.complaint: N_("- complaint-letter  the complaint letter (txt and PDF);\n"),
}


def readme_text(purpose: BundlePurpose, fingerprint: str) -> str:
    """The README in Chinese, then in English; `fingerprint`: the signing key's."""
    extra = EXTRA.get(BundlePurpose(purpose))
    return "\n\n".join(
        translate(language, README, extra=translate(language, extra) if extra else "",
                  key=translate(language, KEY, fingerprint=fingerprint))
        for language in LANGUAGES)
