#!/usr/bin/env python3
"""Check a Liuhen evidence bundle. 校验留痕（Liuhen）证据包。

    python verify.py                      check the unpacked bundle this file is in
    python verify.py BUNDLE.zip           check a bundle as received (or an unpacked folder)
    python verify.py BUNDLE.zip --key "ab12 cd34 ..."   also require this signing key
    python verify.py BUNDLE.zip --tsa-ca tsa-root.pem   also check the time-stamp's issuer

It re-hashes every file and compares it with manifest.json; names every file that was altered,
added, removed or renamed; checks that each original still has the SHA-256 recorded when it was
stored (intake) and that each listed custody event still matches its chain hash; checks the
Ed25519 signature of manifest.json (manifest.sig) and, when present, the RFC 3161 time-stamp
token over it (manifest.tsr). Exit status: 0 intact; 1 a problem was found; 2 no problem found,
but the signature or time-stamp could not be checked because the Python package
`cryptography` is missing (pip install cryptography).

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
import sys
import zipfile
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

# Status -> (English, Chinese) words printed in the first columns of a line.
WORDS = {
    "ok": ("OK", "完好"), "altered": ("ALTERED", "已被修改"), "missing": ("MISSING", "缺失"),
    "added": ("ADDED", "多出"), "renamed": ("RENAMED", "被改名"),
    "mismatch": ("MISMATCH", "不一致"), "bad": ("BAD", "无效"), "unchecked": ("UNCHECKED", "未校验"),
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
    fingerprint: str = ""

    def add(self, status: str, subject: str, message: str = "") -> None:
        self.lines.append(Line(status, subject, message))

    @property
    def problems(self) -> list:
        return [line for line in self.lines if line.problem]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 1
        return 2 if any(line.status == "unchecked" for line in self.lines) else 0

    def as_dict(self) -> dict:
        return {"source": self.source, "ok": self.exit_code == 0, "exit_code": self.exit_code,
                "fingerprint": self.fingerprint, "lines": [asdict(x) for x in self.lines]}

    def text(self) -> str:
        out = [f"Liuhen evidence bundle check / 留痕证据包校验: {self.source}"]
        for line in self.lines:
            english, chinese = WORDS[line.status]
            # Chinese characters take two columns in a terminal: pad to eight columns.
            out.append(f"{english:<9} {chinese}{' ' * (8 - 2 * len(chinese))}  {line.subject}"
                       + (f"  ({line.message})" if line.message else ""))
        if self.exit_code == 0:
            out.append("VERDICT / 结论: INTACT — every file, hash and the signature check out. "
                       "完好：所有文件、哈希值与签名均核对无误。")
        elif self.exit_code == 2:
            out.append("VERDICT / 结论: HASHES MATCH, SIGNATURE NOT CHECKED (pip install "
                       "cryptography). 哈希值一致，签名未校验（请安装 cryptography）。")
        else:
            out.append(f"VERDICT / 结论: NOT INTACT — {len(self.problems)} problem(s) above. "
                       f"有问题：共 {len(self.problems)} 处，见上。")
        return "\n".join(out)


# ----------------------------------------------------------------------------- reading bundles

class ZipSource:
    """A bundle as received: the ZIP file. Entries are read, never extracted."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        names = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        self.duplicates = sorted({n for n in names if names.count(n) > 1})
        self.names = sorted(set(names))

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def digest(self, name: str) -> tuple:
        sha, size = hashlib.sha256(), 0
        with self.zip.open(name) as stream:
            while block := stream.read(READ_SIZE):
                sha.update(block)
                size += len(block)
        return sha.hexdigest(), size

    def close(self) -> None:
        self.zip.close()


class FolderSource:
    """An unpacked bundle. Python's own __pycache__ folders are not part of it."""

    def __init__(self, root: Path):
        self.root = root
        self.duplicates: list = []
        self.names = sorted(
            p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.relative_to(root).parts)

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def digest(self, name: str) -> tuple:
        sha, size = hashlib.sha256(), 0
        with open(self.root / name, "rb") as stream:
            while block := stream.read(READ_SIZE):
                sha.update(block)
                size += len(block)
        return sha.hexdigest(), size

    def close(self) -> None:
        pass


def open_source(path: Path):
    if path.is_dir():
        return FolderSource(path)
    try:
        return ZipSource(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise SystemExit(f"verify: {path} is neither a ZIP bundle nor a folder ({e})")


# ----------------------------------------------------------------------------- the checks

def verify_bundle(path: Path, *, key: str = "", tsa_ca: str = "") -> Report:
    """Check everything; the returned Report names each problem. `key`: the fingerprint the
    sender gave you; `tsa_ca`: a PEM file with the time-stamp authority's certificate(s)."""
    report = Report(str(path))
    source = open_source(Path(path))
    try:
        manifest_bytes = _read_manifest(source, report)
        if manifest_bytes is None:
            return report
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        check_signature(source, manifest, manifest_bytes, report, key)
        hashes = check_files(source, manifest, report)
        check_items(manifest, hashes, report)
        check_timestamp(source, manifest, manifest_bytes, report, tsa_ca)
    finally:
        source.close()
    return report


def _read_manifest(source, report: Report):
    if MANIFEST not in source.names:
        report.add("missing", MANIFEST, "without it nothing can be checked")
        return None
    data = source.read(MANIFEST)
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        report.add("bad", MANIFEST, f"not readable JSON: {e}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME \
            or manifest.get("version") != FORMAT_VERSION or not isinstance(
                manifest.get("files"), list):
        report.add("bad", MANIFEST, f"not a {FORMAT_NAME} version {FORMAT_VERSION} manifest")
        return None
    return data


def check_files(source, manifest: dict, report: Report) -> dict:
    """Every listed file against its hash and size; unlisted files; renames. Returns the
    SHA-256 found for each listed path that is present."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    found: dict = {}
    missing = []
    for path, entry in listed.items():
        if path not in source.names:
            missing.append(path)
            continue
        try:
            sha, size = source.digest(path)
        except (zipfile.BadZipFile, OSError) as e:
            report.add("altered", path, f"cannot be read: {e}")
            continue
        found[path] = sha
        if sha != entry["sha256"] or size != entry["size"]:
            report.add("altered", path, f"SHA-256 {sha[:16]}…, {size} bytes; the manifest "
                                        f"says {entry['sha256'][:16]}…, {entry['size']} bytes")
        else:
            report.add("ok", path)
    added = [n for n in source.names if n not in listed and n not in SIGNATURE_FILES]
    added_hashes = {name: source.digest(name)[0] for name in added}
    for path in missing:
        twin = next((n for n, sha in added_hashes.items() if sha == listed[path]["sha256"]), None)
        if twin is not None:
            report.add("renamed", path, f"now named {twin}")
            del added_hashes[twin]
        else:
            report.add("missing", path, "listed in the manifest, not in the bundle")
    for name in added_hashes:
        report.add("added", name, "not listed in the manifest")
    for name in source.duplicates:
        report.add("added", name, "the ZIP holds more than one file of this name")
    return found


def check_items(manifest: dict, hashes: dict, report: Report) -> None:
    """Each original against its SHA-256 at intake, and each custody event against its hash."""
    for item in manifest.get("items", []):
        label = f"item {item.get('exhibit')}"
        original = item.get("original")
        if original in hashes and hashes[original] != item.get("sha256_at_intake"):
            report.add("mismatch", label, f"{original} differs from the file stored at intake "
                                          f"(SHA-256 at intake {item.get('sha256_at_intake')})")
        bad = [e.get("seq") for e in item.get("custody_events", []) if not _event_ok(e)]
        intake = [e for e in item.get("custody_events", []) if e.get("action") == "intake"]
        if bad:
            report.add("mismatch", label, "custody event(s) "
                       + ", ".join(str(s) for s in bad) + " do not match their chain hash")
        elif not intake or intake[0].get("details", {}).get("sha256") != \
                item.get("sha256_at_intake"):
            report.add("mismatch", label, "its intake custody event is missing or records "
                                          "another SHA-256")
        else:
            report.add("ok", label, f"SHA-256 at intake matches; {len(item['custody_events'])} "
                                    "custody event(s) match their chain hashes")


def _event_ok(event: dict) -> bool:
    """The custody log's canonical form (logger.record.custody.canonical_bytes): the event without
    its own hash, as sorted-key compact UTF-8 JSON; its SHA-256 is the event's hash."""
    body = {k: v for k, v in event.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest() == event.get("hash")


def check_signature(source, manifest: dict, manifest_bytes: bytes, report: Report,
                    key: str) -> None:
    if SIGNATURE not in source.names:
        report.add("missing", SIGNATURE, "the manifest is not signed")
        return
    try:
        sig = json.loads(source.read(SIGNATURE).decode("utf-8"))
        public = base64.b64decode(sig["public_key"], validate=True)
        signature = base64.b64decode(sig["signature"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error) as e:
        report.add("bad", SIGNATURE, f"unreadable: {e}")
        return
    fingerprint = _fingerprint(public)
    report.fingerprint = fingerprint
    if sig.get("algorithm") != "Ed25519" or len(public) != 32:
        report.add("bad", SIGNATURE, "not an Ed25519 signature")
        return
    if manifest.get("signing_key", {}).get("public_key") != sig["public_key"]:
        report.add("bad", SIGNATURE, "signed with another key than the one manifest.json names")
        return
    if key and _squash(key) != _squash(fingerprint):
        report.add("bad", SIGNATURE, f"signed by key {fingerprint}, not the key you expected")
        return
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        report.add("unchecked", SIGNATURE, "install the Python package cryptography to check it")
        return
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, manifest_bytes)
    except InvalidSignature:
        report.add("bad", SIGNATURE, "WRONG SIGNATURE: manifest.json was changed after it was "
                                     "signed, or manifest.sig is not its signature")
        return
    report.add("ok", SIGNATURE, f"Ed25519 signature of manifest.json by key {fingerprint}"
               + ("" if key else " (compare it with the fingerprint the sender gave you)"))


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


def check_timestamp(source, manifest: dict, manifest_bytes: bytes, report: Report,
                    tsa_ca: str) -> None:
    """The RFC 3161 token in manifest.tsr: granted, over this manifest, signed by the
    certificate it carries (and issued by `tsa_ca` when given)."""
    expected = bool(manifest.get("timestamp", {}).get("authority"))
    if TIMESTAMP not in source.names:
        if expected:
            report.add("missing", TIMESTAMP, "the manifest says it was time-stamped")
        return
    try:
        token = parse_timestamp_response(source.read(TIMESTAMP))
    except ValueError as e:
        report.add("bad", TIMESTAMP, f"not an RFC 3161 time-stamp response: {e}")
        return
    name = HASHES.get(token["hash_oid"])
    if token["status"] not in (0, 1):
        report.add("bad", TIMESTAMP, f"the authority refused it (status {token['status']})")
    elif name is None or hashlib.new(name, manifest_bytes).digest() != token["imprint"]:
        report.add("bad", TIMESTAMP, "it is not a time-stamp of this manifest.json")
    else:
        _check_token_signature(token, report, tsa_ca)


def _check_token_signature(token: dict, report: Report, tsa_ca: str) -> None:
    when = token["gen_time"]
    try:
        from cryptography import x509
    except ImportError:
        report.add("unchecked", TIMESTAMP, f"time {when}; install cryptography to check the "
                                           "authority's signature")
        return
    if hashlib.new(HASHES.get(token["digest_oid"], "sha256"),
                   token["tst_info"]).digest() != token["message_digest"]:
        report.add("bad", TIMESTAMP, "its signed attributes do not cover its content")
        return
    signer = None
    for der in token["certificates"]:
        cert = x509.load_der_x509_certificate(der)
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
        report.add("ok", TIMESTAMP, f"time {when}, signed by {who}, issued by {tsa_ca}")
    else:
        report.add("ok", TIMESTAMP, f"time {when}, signed by {who} (give --tsa-ca to check the "
                                    "authority's certificate against its root)")


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
    parser = argparse.ArgumentParser(description="Check a Liuhen evidence bundle. "
                                                 "校验留痕证据包。")
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
