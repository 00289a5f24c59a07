#!/usr/bin/env python3
"""Check a Liuhen evidence bundle. 校验留痕（Liuhen）证据包。

    python verify.py                      check the unpacked bundle this file is in
    python verify.py BUNDLE.zip           check a bundle as received (or an unpacked folder)
    python verify.py BUNDLE.zip --key "ab12 cd34 ..."   also require this signing key
    python verify.py BUNDLE.zip --tsa-ca tsa-root.pem   also check the time-stamp's issuer

It re-hashes every file (every copy, when a ZIP holds a name twice) and compares it with
manifest.json; names every file that was altered, added, removed or renamed and every malformed
entry of the manifest; checks that each original still has the SHA-256 recorded when it was
stored (intake) and that each listed custody event still matches its chain hash; checks the
Ed25519 signature of manifest.json (manifest.sig) and, when present, the RFC 3161 time-stamp
token (manifest.tsr) over manifest.sig: the signature, the public key and manifest.json's
SHA-256, so the stamp dates who signed what (bundles made before Liuhen said so in the manifest's
`timestamp.covers` were stamped over manifest.json alone, and are reported as such).

What INTACT proves: the files match a manifest signed by the key whose fingerprint is printed.
Anyone can change a bundle and sign it again with a key of their own, so it proves who made the
bundle only if that fingerprint matches the one the sender gave you (--key checks it).

Exit status: 0 intact; 1 a problem was found (with --key: also a signature by another key);
2 no problem found, but the signature or time-stamp could not be checked because the Python
package `cryptography` is missing (pip install cryptography); 3 (`liuhen verify-bundle` only,
which knows its own key) intact, but signed by another key than that Liuhen's (with other
problems too: 1, and the verdict says both).

Only Python's standard library is needed (3.8 or later), plus `cryptography` for signatures.
This file is both `verify.py` in every bundle and the module behind `liuhen verify-bundle`, so
the two can never disagree. It must not import anything else of Liuhen.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TIMESTAMP = "manifest.tsr"
SIGNATURE_FILES = (MANIFEST, SIGNATURE, TIMESTAMP)  # cover the manifest; not listed in it
FORMAT_NAME = "liuhen-bundle"
FORMAT_VERSION = 1
READ_SIZE = 1 << 20
EXIT_INTACT, EXIT_PROBLEM, EXIT_UNCHECKED, EXIT_OTHER_KEY = 0, 1, 2, 3
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# What reading a damaged or hostile entry may raise, besides OSError.
READ_ERRORS = (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
               zlib.error, ValueError, KeyError)

# Status -> (English, Chinese) words printed in the first columns of a line.
WORDS = {
    "ok": ("OK", "完好"), "altered": ("ALTERED", "已被修改"), "missing": ("MISSING", "缺失"),
    "added": ("ADDED", "多出"), "renamed": ("RENAMED", "被改名"),
    "mismatch": ("MISMATCH", "不一致"), "bad": ("BAD", "无效"), "unchecked": ("UNCHECKED", "未校验"),
    "other key": ("OTHER KEY", "他人密钥"),
}


@dataclass
class Line:
    status: str  # a key of WORDS
    subject: str  # a path in the bundle, or "signature", "time-stamp", "item 1-2" ...
    message: str = ""

    @property
    def problem(self) -> bool:
        return self.status not in ("ok", "unchecked")


@dataclass
class Report:
    source: str
    lines: list = field(default_factory=list)
    fingerprint: str = ""  # of the key manifest.sig carries ("" when there is none)
    expected_key: str = ""  # --key: the fingerprint the sender gave
    local_key: str = ""  # `liuhen verify-bundle`: the fingerprint of this Liuhen's own key

    def add(self, status: str, subject: str, message: str = "") -> None:
        self.lines.append(Line(status, subject, message))

    @property
    def problems(self) -> list:
        return [line for line in self.lines if line.problem]

    @property
    def exit_code(self) -> int:
        problems = self.problems
        if any(line.status != "other key" for line in problems):
            return EXIT_PROBLEM
        if problems:
            return EXIT_OTHER_KEY
        if any(line.status == "unchecked" for line in self.lines):
            return EXIT_UNCHECKED
        return EXIT_INTACT

    @property
    def made_here(self):
        """True: signed by this Liuhen's key; False: by another; None: no local key to ask."""
        if not self.local_key or not self.fingerprint:
            return None
        return _squash(self.local_key) == _squash(self.fingerprint)

    def as_dict(self) -> dict:
        english, chinese = self.verdict()
        return {"source": self.source, "ok": self.exit_code == 0, "exit_code": self.exit_code,
                "fingerprint": self.fingerprint, "expected_key": self.expected_key or None,
                "local_key": self.local_key or None, "made_here": self.made_here,
                "verdict": english, "verdict_zh": chinese,
                "lines": [asdict(x) for x in self.lines]}

    def verdict(self) -> tuple:
        """What the check proves, in English and in Chinese."""
        code, key = self.exit_code, self.fingerprint
        if code == EXIT_INTACT and self.expected_key:
            return (f"INTACT — the files match the manifest, signed by key {key}, the key you "
                    "gave with --key.",
                    f"完好：文件与清单（manifest.json）一致，清单由公钥 {key} 签名，与您用 --key "
                    "给出的指纹相符。")
        if code == EXIT_INTACT and self.made_here:
            return (f"INTACT — made by this Liuhen: the files match the manifest, signed by this "
                    f"Liuhen's own key {key}.",
                    f"完好，由本留痕导出：文件与清单（manifest.json）一致，清单由本留痕自己的公钥 "
                    f"{key} 签名。")
        if code == EXIT_INTACT:
            return (f"INTACT — the files match the manifest, signed by key {key}; this proves "
                    "who made the bundle only if that fingerprint matches the one the sender "
                    "gave you.",
                    f"完好：文件与清单（manifest.json）一致，清单由公钥 {key} 签名；只有该指纹与"
                    "提供人另行告知您的指纹一致，才能证明证据包出自其手。")
        if code == EXIT_UNCHECKED:
            return ("HASHES MATCH, SIGNATURE NOT CHECKED (pip install cryptography): nothing "
                    "proves who made the bundle.",
                    "哈希值一致，签名未校验（请安装 cryptography）：无法证明证据包出自何人。")
        if code == EXIT_OTHER_KEY:
            return (f"NOT MADE BY THIS LIUHEN — the files match the manifest, but it was signed "
                    f"by key {key}, not by this Liuhen's key {self.local_key}. Whoever holds "
                    "that key made it, or changed it and signed it again.",
                    f"并非本留痕导出：文件与清单一致，但清单由公钥 {key} 签名，而不是本留痕的公钥 "
                    f"{self.local_key}。证据包由持有该密钥者制作，或经其修改后重新签名。")
        count = len(self.problems)
        if self.made_here is False:
            return (f"NOT INTACT, AND NOT MADE BY THIS LIUHEN — {count} problem(s) above; "
                    f"signed by key {key}, not by this Liuhen's key {self.local_key}.",
                    f"有问题，且并非本留痕导出：共 {count} 处，见上；清单由公钥 {key} 签名，而不是"
                    f"本留痕的公钥 {self.local_key}。")
        return (f"NOT INTACT — {count} problem(s) above.", f"有问题：共 {count} 处，见上。")

    def text(self) -> str:
        out = [f"Liuhen evidence bundle check / 留痕证据包校验: {self.source}"]
        for line in self.lines:
            english, chinese = WORDS[line.status]
            # Chinese characters take two columns in a terminal: pad to eight columns.
            out.append(f"{english:<9} {chinese}{' ' * (8 - 2 * len(chinese))}  {line.subject}"
                       + (f"  ({line.message})" if line.message else ""))
        if self.fingerprint:
            out.append(f"SIGNING KEY / 签名公钥指纹: {self.fingerprint}")
        english, chinese = self.verdict()
        out += [f"VERDICT / 结论: {english}", f"                {chinese}"]
        return "\n".join(out)


# ----------------------------------------------------------------------------- reading bundles

class ZipSource:
    """A bundle as received: the ZIP file. Entries are read, never extracted. A name the ZIP
    holds more than once keeps every copy: unpacking tools differ in which one they keep."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        self.copies: dict = {}
        for info in self.zip.infolist():
            if not info.is_dir():
                self.copies.setdefault(info.filename, []).append(info)
        self.names = dict.fromkeys(sorted(self.copies))  # in order, with O(1) membership
        self.duplicates = [n for n in self.names if len(self.copies[n]) > 1]

    def read(self, name: str) -> bytes:
        return self.zip.read(self.copies[name][-1])  # the copy zipfile itself would read

    def size(self, name: str) -> int:
        return self.copies[name][-1].file_size

    def digests(self, name: str) -> list:
        """(SHA-256, size) of every copy of `name`."""
        out = []
        for info in self.copies[name]:
            with self.zip.open(info) as stream:
                out.append(_digest(stream))
        return out

    def close(self) -> None:
        self.zip.close()


class FolderSource:
    """An unpacked bundle. Python's own __pycache__ folders are not part of it."""

    def __init__(self, root: Path):
        self.root = root
        self.duplicates: list = []
        self.names = dict.fromkeys(sorted(
            p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.relative_to(root).parts))

    def _inside(self, name: str) -> Path:
        """The file, refused when a link takes it outside the folder."""
        path = self.root / name
        root = os.path.realpath(self.root)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise OSError(f"{name} is a link to a file outside the bundle")
        return path

    def read(self, name: str) -> bytes:
        return self._inside(name).read_bytes()

    def size(self, name: str) -> int:
        return (self.root / name).stat().st_size

    def digests(self, name: str) -> list:
        with open(self._inside(name), "rb") as stream:
            return [_digest(stream)]

    def close(self) -> None:
        pass


def _digest(stream) -> tuple:
    sha, size = hashlib.sha256(), 0
    while True:
        block = stream.read(READ_SIZE)
        if not block:
            return sha.hexdigest(), size
        sha.update(block)
        size += len(block)


def open_source(path: Path):
    if path.is_dir():
        return FolderSource(path)
    try:
        return ZipSource(path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as e:
        raise SystemExit(f"verify: {path} is neither a ZIP bundle nor a folder ({e})")


def safe_path(path) -> bool:
    """A relative POSIX path that stays inside the bundle when unpacked."""
    if not isinstance(path, str) or not path or "\\" in path or "\0" in path \
            or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


# ----------------------------------------------------------------------------- the checks

def verify_bundle(path: Path, *, key: str = "", tsa_ca: str = "", local_key: str = "") -> Report:
    """Check everything; the returned Report names each problem. `key`: the fingerprint the
    sender gave you; `tsa_ca`: a PEM file with the time-stamp authority's certificate(s);
    `local_key`: the fingerprint of the checking Liuhen's own key (`liuhen verify-bundle`)."""
    report = Report(str(path), expected_key=key, local_key=local_key)
    source = open_source(Path(path))
    try:
        read = _read_manifest(source, report)
        if read is None:
            return report
        manifest_bytes, manifest = read
        sig_bytes = _read_unlisted(source, SIGNATURE, report)
        check_signature(sig_bytes, manifest, manifest_bytes, report, key)
        hashes = check_files(source, manifest, report)
        check_items(manifest, hashes, report)
        check_timestamp(source, manifest, manifest_bytes, sig_bytes, report, tsa_ca)
    except Exception as e:  # noqa: BLE001  a malformed bundle this checker did not foresee
        report.add("bad", "bundle", f"the check stopped on something malformed "
                                    f"({type(e).__name__}: {e}); it is not intact")
    finally:
        source.close()
    return report


def _read_unlisted(source, name: str, report: Report):
    if name not in source.names:
        return None
    try:
        return source.read(name)
    except READ_ERRORS as e:
        report.add("bad", name, f"cannot be read: {e}")
        return b""


def _read_manifest(source, report: Report):
    if MANIFEST not in source.names:
        report.add("missing", MANIFEST, "without it nothing can be checked")
        return None
    try:
        data = source.read(MANIFEST)
    except READ_ERRORS as e:
        report.add("bad", MANIFEST, f"cannot be read: {e}")
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        report.add("bad", MANIFEST, f"not readable JSON: {e}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME \
            or manifest.get("version") != FORMAT_VERSION or not isinstance(
                manifest.get("files"), list):
        report.add("bad", MANIFEST, f"not a {FORMAT_NAME} version {FORMAT_VERSION} manifest")
        return None
    return data, manifest


def listed_files(manifest: dict, report: Report) -> dict:
    """path -> its manifest entry, or None when the entry cannot be checked (each reported)."""
    listed: dict = {}
    for index, entry in enumerate(manifest["files"]):
        where = f"{MANIFEST} files[{index}]"
        if not isinstance(entry, dict):
            report.add("bad", where, "not an object with a path, sha256 and size")
            continue
        path = entry.get("path")
        if not isinstance(path, str) or not path:
            report.add("bad", where, "no path (the file's name in the bundle) given")
        elif not safe_path(path) or path in SIGNATURE_FILES:
            report.add("bad", where, f"unsafe path {path!r}: it points outside the bundle "
                                     "or at the manifest itself; not read")
        elif path in listed:
            report.add("bad", path, f"listed more than once in {MANIFEST}")
            listed[path] = None
        elif not isinstance(entry.get("sha256"), str) \
                or not SHA256_HEX.fullmatch(entry["sha256"]):
            report.add("bad", path, f"{MANIFEST} gives no valid SHA-256 for it "
                                    f"({entry.get('sha256')!r:.40})")
            listed[path] = None
        elif type(entry.get("size")) is not int or entry["size"] < 0:
            report.add("bad", path, f"{MANIFEST} gives no valid size for it "
                                    f"({entry.get('size')!r:.40})")
            listed[path] = None
        else:
            listed[path] = entry
    return listed


def check_files(source, manifest: dict, report: Report) -> dict:
    """Every listed file (every copy of it) against its hash and size; unlisted files;
    renames. Returns the SHA-256s found for each listed path that is present."""
    listed = listed_files(manifest, report)
    found: dict = {}
    missing = []
    for path, entry in listed.items():
        if path not in source.names:
            if entry is not None:
                missing.append(path)
            continue
        try:
            copies = source.digests(path)
        except READ_ERRORS as e:
            report.add("altered", path, f"cannot be read: {e}")
            continue
        found[path] = [sha for sha, _size in copies]
        if entry is not None:
            _compare(path, entry, copies, report)
    by_hash: dict = {}  # SHA-256 -> the unlisted files that have it, for renames
    sizes = {listed[path]["size"] for path in missing}  # only these can be a missing file
    for name in source.names:
        if name not in listed and name not in SIGNATURE_FILES:
            try:
                sha = source.digests(name)[-1][0] if source.size(name) in sizes else ""
            except READ_ERRORS:
                sha = ""
            by_hash.setdefault(sha, []).append(name)
    renamed = set()
    for path in missing:
        twins = by_hash.get(listed[path]["sha256"])
        if twins:
            twin = twins.pop(0)
            renamed.add(twin)
            report.add("renamed", path, f"now named {twin}")
        else:
            report.add("missing", path, "listed in the manifest, not in the bundle")
    for name in source.names:
        if name not in listed and name not in SIGNATURE_FILES and name not in renamed:
            report.add("added", name, "not listed in the manifest" + (
                "" if safe_path(name) else "; its name would unpack outside the folder"))
    for name in source.duplicates:
        report.add("added", name, "the ZIP holds more than one file of this name")
    return found


def _compare(path: str, entry: dict, copies: list, report: Report) -> None:
    wrong = [(n, sha, size) for n, (sha, size) in enumerate(copies, 1)
             if sha != entry["sha256"] or size != entry["size"]]
    if not wrong:
        report.add("ok", path)
        return
    n, sha, size = wrong[0]
    which = f"copy {n} of {len(copies)}: " if len(copies) > 1 else ""
    report.add("altered", path, f"{which}SHA-256 {sha[:16]}…, {size} bytes; the manifest says "
                                f"{entry['sha256'][:16]}…, {entry['size']} bytes")


def check_items(manifest: dict, hashes: dict, report: Report) -> None:
    """Each original against its SHA-256 at intake, and each custody event against its hash."""
    items = manifest.get("items", [])
    if not isinstance(items, list):
        report.add("bad", MANIFEST, "its items are not a list")
        return
    for index, item in enumerate(items):
        problem = _item_problem(item)
        if problem:
            report.add("bad", f"{MANIFEST} items[{index}]", problem)
            continue
        label = f"item {item.get('exhibit')}"
        original, intake_sha = item["original"], item.get("sha256_at_intake")
        events = item["custody_events"]
        if any(sha != intake_sha for sha in hashes.get(original, [])):
            report.add("mismatch", label, f"{original} differs from the file stored at intake "
                                          f"(SHA-256 at intake {intake_sha})")
        bad = [e.get("seq") for e in events if not _event_ok(e)]
        intake = [e for e in events if e.get("action") == "intake"]
        details = intake[0].get("details") if intake else None
        if bad:
            report.add("mismatch", label, "custody event(s) "
                       + ", ".join(str(s) for s in bad) + " do not match their chain hash")
        elif not isinstance(details, dict) or details.get("sha256") != intake_sha:
            report.add("mismatch", label, "its intake custody event is missing or records "
                                          "another SHA-256")
        else:
            report.add("ok", label, f"SHA-256 at intake matches; {len(events)} "
                                    "custody event(s) match their chain hashes")


def _item_problem(item) -> str:
    if not isinstance(item, dict):
        return "not an object"
    if not isinstance(item.get("original"), str):
        return "no original (the path of its file) given"
    events = item.get("custody_events")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return "its custody_events are not a list of objects"
    return ""


def _event_ok(event: dict) -> bool:
    """The custody log's canonical form (logger.record.custody.canonical_bytes): the event without
    its own hash, as sorted-key compact UTF-8 JSON; its SHA-256 is the event's hash."""
    body = {k: v for k, v in event.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest() == event.get("hash")


def check_signature(sig_bytes, manifest: dict, manifest_bytes: bytes, report: Report,
                    key: str) -> None:
    if sig_bytes is None:
        report.add("missing", SIGNATURE, "the manifest is not signed: nothing proves who made "
                                         "the bundle")
        return
    try:
        sig = json.loads(sig_bytes.decode("utf-8"))
        public = base64.b64decode(sig["public_key"], validate=True)
        signature = base64.b64decode(sig["signature"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error,
            RecursionError) as e:
        report.add("bad", SIGNATURE, f"unreadable: {e}")
        return
    fingerprint = _fingerprint(public)
    report.fingerprint = fingerprint
    named = manifest.get("signing_key")
    if sig.get("algorithm") != "Ed25519" or len(public) != 32:
        report.add("bad", SIGNATURE, "not an Ed25519 signature")
        return
    if not isinstance(named, dict) or named.get("public_key") != sig["public_key"]:
        report.add("bad", SIGNATURE, "signed with another key than the one manifest.json names")
        return
    if key and _squash(key) != _squash(fingerprint):
        report.add("bad", SIGNATURE, f"signed by key {fingerprint}, not the key you expected")
        return
    # Bundles since issue 19 name the manifest's SHA-256 beside the signature (what the
    # time-stamp covers); without `cryptography` it is the one check of the signature left.
    named_sha = sig.get("signed_file_sha256", hashlib.sha256(manifest_bytes).hexdigest())
    wrong = "WRONG SIGNATURE: manifest.json was changed after it was signed, or manifest.sig " \
            "is not its signature"
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        if named_sha != hashlib.sha256(manifest_bytes).hexdigest():
            report.add("bad", SIGNATURE, f"{wrong} (it names another SHA-256)")
        else:
            report.add("unchecked", SIGNATURE, "install the Python package cryptography to "
                                                "check it")
        return
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, manifest_bytes)
    except InvalidSignature:
        report.add("bad", SIGNATURE, wrong)
        return
    if named_sha != hashlib.sha256(manifest_bytes).hexdigest():
        report.add("bad", SIGNATURE, "it names another SHA-256 for manifest.json than the "
                                     "signed file has")
        return
    if report.made_here is False:
        report.add("other key", SIGNATURE, f"signed by key {fingerprint}, not by this Liuhen's "
                                           f"key {report.local_key}: NOT made by this Liuhen")
        return
    report.add("ok", SIGNATURE, f"Ed25519 signature of manifest.json by key {fingerprint}" + (
        ", the key you expected" if key else ", this Liuhen's own key" if report.made_here
        else " (compare it with the fingerprint the sender gave you)"))


def _fingerprint(public: bytes) -> str:
    digest = hashlib.sha256(public).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def _squash(fingerprint: str) -> str:
    return "".join(fingerprint.split()).replace(":", "").lower()


# ----------------------------------------------------------------------------- time-stamp

OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
HASHES = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
          "2.16.840.1.101.3.4.2.3": "sha512"}


def check_timestamp(source, manifest: dict, manifest_bytes: bytes, sig_bytes, report: Report,
                    tsa_ca: str) -> None:
    """The RFC 3161 token in manifest.tsr: granted, over what the manifest says it covers
    (manifest.sig; manifest.json in bundles made before the manifest said), signed by the
    certificate it carries (and issued by `tsa_ca` when given)."""
    stamp = manifest.get("timestamp", {})
    if not isinstance(stamp, dict):
        report.add("bad", MANIFEST, "its timestamp field is not an object")
        return
    covers = stamp.get("covers", MANIFEST)
    if TIMESTAMP not in source.names:
        if stamp.get("authority"):
            report.add("missing", TIMESTAMP, "the manifest says it was time-stamped")
        return
    if covers not in (MANIFEST, SIGNATURE):
        report.add("bad", TIMESTAMP, f"the manifest says it covers {covers!r:.40}, which this "
                                     "checker does not know")
        return
    try:
        token = parse_timestamp_response(_read_unlisted(source, TIMESTAMP, report) or b"")
    except ValueError as e:
        report.add("bad", TIMESTAMP, f"not an RFC 3161 time-stamp response: {e}")
        return
    name = HASHES.get(token["hash_oid"])
    covered = sig_bytes if covers == SIGNATURE else manifest_bytes
    if token["status"] not in (0, 1):
        report.add("bad", TIMESTAMP, f"the authority refused it (status {token['status']})")
    elif covered is None or name is None \
            or hashlib.new(name, covered).digest() != token["imprint"]:
        report.add("bad", TIMESTAMP, f"it is not a time-stamp of this {covers}" + (
            ": the signature it dates is not the one in the bundle" if covers == SIGNATURE
            else ""))
    elif covers == SIGNATURE:
        _check_token_signature(token, report, tsa_ca, "it covers manifest.sig: the signature "
                               "by key " + (report.fingerprint or "?") + " and manifest.json's "
                               "SHA-256 existed at that time")
    else:
        _check_token_signature(token, report, tsa_ca, "it covers manifest.json only, not its "
                               "signature (a bundle from an older Liuhen): it proves the "
                               "manifest existed at that time, not who signed it or when")


def _check_token_signature(token: dict, report: Report, tsa_ca: str, covers: str) -> None:
    when = token["gen_time"]
    try:
        from cryptography import x509
    except ImportError:
        report.add("unchecked", TIMESTAMP, f"time {when}; {covers}; install cryptography to "
                                           "check the authority's signature")
        return
    if hashlib.new(HASHES.get(token["digest_oid"], "sha256"),
                   token["tst_info"]).digest() != token["message_digest"]:
        report.add("bad", TIMESTAMP, "its signed attributes do not cover its content")
        return
    signer = None
    for der in token["certificates"]:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        if _signature_ok(cert, token):
            signer = cert
            break
    if signer is None:
        report.add("bad", TIMESTAMP, "no certificate in it verifies its signature")
        return
    who = signer.subject.rfc4514_string()
    if not _time_stamping_only(signer):
        report.add("bad", TIMESTAMP, f"signed by {who}, whose certificate is not marked for "
                                     "time-stamping only (critical extended key usage)")
        return
    if tsa_ca:
        if not _issued_by(signer, Path(tsa_ca)):
            report.add("bad", TIMESTAMP, f"signed by {who}, which {tsa_ca} did not issue")
            return
        report.add("ok", TIMESTAMP, f"time {when}, signed by {who}, issued by {tsa_ca}; "
                                    f"{covers}")
    else:
        report.add("ok", TIMESTAMP, f"time {when}, signed by {who} (give --tsa-ca to check the "
                                    f"authority's certificate against its root); {covers}")


def _time_stamping_only(cert) -> bool:
    """RFC 3161 2.3: a TSA certificate has a critical extendedKeyUsage of timeStamping."""
    from cryptography import x509
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return False
    return eku.critical and x509.ExtendedKeyUsageOID.TIME_STAMPING in eku.value


def _signature_ok(cert, token: dict) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    digest = {"sha256": hashes.SHA256, "sha384": hashes.SHA384,
              "sha512": hashes.SHA512}.get(HASHES.get(token["digest_oid"], ""))
    key = cert.public_key()
    data, signature = token["signed_attrs"], token["signature"]
    try:
        if isinstance(key, rsa.RSAPublicKey) and digest:
            key.verify(signature, data, padding.PKCS1v15(), digest())
        elif isinstance(key, ec.EllipticCurvePublicKey) and digest:
            key.verify(signature, data, ec.ECDSA(digest()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _issued_by(cert, pem_path: Path) -> bool:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    try:
        roots = x509.load_pem_x509_certificates(pem_path.read_bytes())
    except (OSError, ValueError):
        return False
    for root in roots:
        if root == cert:
            return True
        try:
            cert.verify_directly_issued_by(root)
            return True
        except (InvalidSignature, ValueError, TypeError):
            continue
    return False


def _tlv(data: bytes, pos: int) -> tuple:
    """One DER element at `pos`: (tag, content start, content end)."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad length")
        length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, pos, pos + length


def _children(data: bytes, start: int = 0, end: int | None = None) -> list:
    """The elements between start and end: (tag, content start, content end, element start)."""
    end = len(data) if end is None else end
    out, pos = [], start
    while pos < end:
        tag, body, stop = _tlv(data, pos)
        out.append((tag, body, stop, pos))
        pos = stop
    return out


def _oid(content: bytes) -> str:
    parts, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])


def parse_timestamp_response(der: bytes) -> dict:
    """The parts of a TimeStampResp (RFC 3161) needed to check it. Raises ValueError."""
    try:
        return _parse_response(der)
    except (IndexError, KeyError) as e:
        raise ValueError(f"unexpected structure ({e})") from None


def _parse_response(der: bytes) -> dict:
    resp = _children(der, *_tlv(der, 0)[1:])
    status_info = _children(der, resp[0][1], resp[0][2])
    status = int.from_bytes(der[status_info[0][1]:status_info[0][2]], "big")
    if len(resp) < 2:
        return {"status": status or 2, "hash_oid": "", "imprint": b""}
    content_info = _children(der, resp[1][1], resp[1][2])
    explicit = _children(der, content_info[1][1], content_info[1][2])[0]
    signed = _children(der, explicit[1], explicit[2])
    encap = _children(der, signed[2][1], signed[2][2])
    if _oid(der[encap[0][1]:encap[0][2]]) != OID_TST_INFO:
        raise ValueError("it does not hold a TSTInfo")
    octets = _children(der, encap[1][1], encap[1][2])[0]
    tst_info = der[octets[1]:octets[2]]
    tst = _children(tst_info, *_tlv(tst_info, 0)[1:])
    imprint = _children(tst_info, tst[2][1], tst[2][2])
    algorithm = _children(tst_info, imprint[0][1], imprint[0][2])
    certs = [x for x in signed[3:] if x[0] == 0xA0]
    signer_infos = [x for x in signed[3:] if x[0] == 0x31][-1]
    signer_info = _children(der, signer_infos[1], signer_infos[2])[0]
    # version, sid, digestAlgorithm, [0] signedAttrs (required by RFC 3161), signatureAlgorithm,
    # signature
    parts = _children(der, signer_info[1], signer_info[2])
    attrs, signature = parts[3], parts[5]
    if attrs[0] != 0xA0:
        raise ValueError("its signer has no signed attributes")
    digest_alg = _children(der, parts[2][1], parts[2][2])[0]
    return {
        "status": status,
        "tst_info": tst_info,
        "hash_oid": _oid(tst_info[algorithm[0][1]:algorithm[0][2]]),
        "imprint": tst_info[imprint[1][1]:imprint[1][2]],
        "gen_time": _gen_time(tst_info[tst[4][1]:tst[4][2]]),
        "certificates": [der[c[3]:c[2]] for c in
                         (_children(der, certs[0][1], certs[0][2]) if certs else [])],
        "digest_oid": _oid(der[digest_alg[1]:digest_alg[2]]),
        # The signature covers the attributes with their universal SET tag, not [0].
        "signed_attrs": b"\x31" + der[attrs[3] + 1:attrs[2]],
        "message_digest": _message_digest(der, attrs),
        "signature": der[signature[1]:signature[2]],
    }


def _message_digest(der: bytes, attrs: tuple) -> bytes:
    for attr in _children(der, attrs[1], attrs[2]):
        oid_el, values = _children(der, attr[1], attr[2])[:2]
        if _oid(der[oid_el[1]:oid_el[2]]) == OID_MESSAGE_DIGEST:
            value = _children(der, values[1], values[2])[0]
            return der[value[1]:value[2]]
    raise ValueError("no messageDigest attribute")


def _gen_time(raw: bytes) -> str:
    text = raw.decode("ascii").rstrip("Z")
    moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a Liuhen evidence bundle. 校验留痕证据包。",
        epilog="INTACT proves that the files match a manifest signed by the key whose "
               "fingerprint is printed; it proves who made the bundle only if that fingerprint "
               "matches the one the sender gave you (--key checks it). Exit status: 0 intact; "
               "1 a problem (each one named); 2 hashes match but the signature could not be "
               "checked (pip install cryptography).")
    parser.add_argument("bundle", nargs="?", help="the bundle's ZIP file or unpacked folder "
                        "(default: the folder this script is in)")
    parser.add_argument("--key", default="", help="the signing key fingerprint the sender "
                        "gave you (签名公钥指纹)")
    parser.add_argument("--tsa-ca", default="", help="PEM file with the time-stamp "
                        "authority's root certificate (时间戳机构根证书)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    target = Path(args.bundle) if args.bundle else Path(os.path.abspath(__file__)).parent
    report = verify_bundle(target, key=args.key, tsa_ca=args.tsa_ca)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.text())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
