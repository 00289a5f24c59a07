"""What a bundle check proves, and that it cannot be fooled or made to crash (issue 19, items 3
and 8): a bundle whose email was changed and whose manifest was rewritten and signed again with
another key; a time-stamp that covers another signature; 20,000 extra ZIP entries; malformed
manifest entries; a tampered copy of a file placed before the real one in the ZIP."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from logger.bundles.signing import fingerprint as fingerprint_of
from logger.bundles.signing import signing_key
from logger.bundles.timestamp import request_timestamp
from logger.bundles.verify import parse_timestamp_response, verify_bundle
from logger.cli.main import cli
from logger.config import BundlesConfig
from tests.support.bundles import members, rewrite, world  # noqa: F401  (world is a fixture)
from tests.support.tsa import local_tsa  # noqa: F401  (a fixture)

VERIFIER = Path(__file__).parents[2] / "logger" / "bundles" / "verify.py"
QUALIFIED = ("this proves who made the bundle only if that fingerprint matches the one the "
             "sender gave you")


@pytest.fixture
def bundle(world, tmp_path) -> Path:
    return world.export(tmp_path / "backup.zip", purpose="backup").path


def verify_py(target: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The standalone verifier, as a recipient runs it."""
    return subprocess.run([sys.executable, str(VERIFIER), str(target), *args],
                          capture_output=True, text=True, timeout=timeout)


def verify_bundle_cli(target: Path, *args: str, data_dir: Path | None = None):
    options = ["--data-dir", str(data_dir)] if data_dir else []
    return CliRunner().invoke(cli, [*options, "verify-bundle", str(target), *args],
                              catch_exceptions=False)


def named(output: str, status: str, subject: str, message: str = "") -> bool:
    return any(line.startswith(f"{status} ") and f"  {subject}" in line and message in line
               for line in output.splitlines())


class Forger:
    """Someone who changes an email in a bundle and makes everything else agree with it: the
    file's hash, its hash at intake and its intake custody event in manifest.json, the
    signing key it names; then signs the new manifest with a key of their own."""

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.fingerprint = fingerprint_of(self.public)

    def forge(self, source: Path, target: Path, timestamp=None) -> Path:
        files = members(source)
        manifest = json.loads(files["manifest.json"])
        item = next(i for i in manifest["items"] if i["original"].endswith(".eml"))
        email = files[item["original"]].replace(b"@", b"@forged.", 1)
        sha = hashlib.sha256(email).hexdigest()
        for entry in manifest["files"]:
            if entry["path"] == item["original"]:
                entry.update(sha256=sha, size=len(email))
        item.update(sha256_at_intake=sha, size=len(email))
        for event in item["custody_events"]:
            if event["action"] == "intake":
                event["details"]["sha256"] = sha
                body = {k: v for k, v in event.items() if k != "hash"}
                event["hash"] = hashlib.sha256(json.dumps(
                    body, sort_keys=True, separators=(",", ":"),
                    ensure_ascii=False).encode()).hexdigest()
        public_b64 = base64.b64encode(self.public).decode()
        manifest["signing_key"] = {"algorithm": "Ed25519", "public_key": public_b64,
                                   "fingerprint": self.fingerprint}
        data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
        signature = json.loads(files["manifest.sig"])
        signature.update(signature=base64.b64encode(self.key.sign(data)).decode(),
                         public_key=public_b64, fingerprint=self.fingerprint)
        if "signed_file_sha256" in signature:  # a careful forger keeps every field right
            signature["signed_file_sha256"] = hashlib.sha256(data).hexdigest()
        replaced = {item["original"]: email, "manifest.json": data,
                    "manifest.sig": json.dumps(signature, indent=2).encode()}
        if timestamp is not None:
            replaced["manifest.tsr"] = timestamp(data)
        return rewrite(source, target, lambda n, d: [(n, replaced.get(n, d))])


# ----------------------------------------------------------------------------- item 3: trust

def test_a_bundle_signed_again_with_another_key_is_not_called_plainly_intact(world, bundle,
                                                                           tmp_path):
    forger = Forger()
    forged = forger.forge(bundle, tmp_path / "forged.zip")
    data_dir = world.services.config.storage.data_dir
    real = signing_key(world.services.vault, data_dir).fingerprint

    # The recipient's verify.py cannot know the sender's key: it says what it proves.
    run = verify_py(forged)
    assert run.returncode == 0, run.stdout + run.stderr
    verdict = run.stdout[run.stdout.index("VERDICT"):]
    assert forger.fingerprint in verdict and QUALIFIED in verdict
    assert "every file, hash and the signature check out" not in run.stdout

    # The Liuhen that holds the real key says plainly that it did not make this bundle.
    result = verify_bundle_cli(forged, data_dir=data_dir)
    assert result.exit_code == 3, result.output
    assert "NOT MADE BY THIS LIUHEN" in result.output
    assert forger.fingerprint in result.output and real in result.output
    assert named(result.output, "OTHER KEY", "manifest.sig", real)
    help_text = " ".join(CliRunner().invoke(cli, ["verify-bundle", "--help"]).output.split())
    assert "Exit status 3: intact, but signed by another key than this Liuhen's" in help_text

    # …while its own bundle is its own.
    result = verify_bundle_cli(bundle, data_dir=data_dir)
    assert result.exit_code == 0 and "made by this Liuhen" in result.output, result.output

    # The sender's fingerprint, given with --key: a mismatch is a failure in both verifiers.
    result = verify_bundle_cli(forged, "--key", real, data_dir=data_dir)
    assert result.exit_code == 1 and "not the key you expected" in result.output
    run = verify_py(forged, "--key", real)
    assert run.returncode == 1 and "not the key you expected" in run.stdout
    assert verify_py(forged, "--key", forger.fingerprint).returncode == 0


def test_the_readme_and_the_evidence_list_show_the_fingerprint(world, bundle):
    real = signing_key(world.services.vault, world.services.config.storage.data_dir).fingerprint
    files = members(bundle)
    readme = files["README.txt"].decode()
    assert readme.count(real) == 2  # in Chinese and in English
    assert readme.index(real) < readme.index("manifest.json")  # at the top
    assert "签名公钥指纹" in readme and "Signing key fingerprint" in readme
    html = files["证据目录.html"].decode()
    assert real in html and "签名公钥指纹" in html


def use_authority(world, url: str) -> None:
    world.services.config = dataclasses.replace(
        world.services.config,
        bundles=BundlesConfig(tsa_url=url, tsa_ca_file="", tsa_timeout_seconds=10))


def test_the_time_stamp_covers_the_signature(world, local_tsa, tmp_path):
    use_authority(world, local_tsa.url)
    stamped = world.export(tmp_path / "stamped.zip", purpose="backup").path
    files = members(stamped)
    token = parse_timestamp_response(files["manifest.tsr"])
    assert token["imprint"] == hashlib.sha256(files["manifest.sig"]).digest()
    assert json.loads(files["manifest.json"])["timestamp"]["covers"] == "manifest.sig"
    signature = json.loads(files["manifest.sig"])
    assert signature["signed_file_sha256"] == hashlib.sha256(files["manifest.json"]).hexdigest()
    report = verify_bundle(stamped)
    line = next(x for x in report.lines if x.subject == "manifest.tsr")
    assert report.exit_code == 0 and line.status == "ok" and "manifest.sig" in line.message

    # The forger keeps the real time-stamp: it covers another signature.
    forger = Forger()
    kept = forger.forge(stamped, tmp_path / "kept.zip")
    run = verify_py(kept)
    assert run.returncode == 1 and named(run.stdout, "BAD", "manifest.tsr",
                                         "not a time-stamp of this manifest.sig"), run.stdout
    result = verify_bundle_cli(kept, data_dir=world.services.config.storage.data_dir)
    assert result.exit_code == 1 and "NOT INTACT, AND NOT MADE BY THIS LIUHEN" in result.output
    # Or has the authority stamp the new manifest.json, as Liuhen used to: not the signature.
    restamped = forger.forge(stamped, tmp_path / "restamped.zip", timestamp=lambda data:
                             request_timestamp(data, url=local_tsa.url, timeout=10))
    run = verify_py(restamped)
    assert run.returncode == 1 and named(run.stdout, "BAD", "manifest.tsr",
                                         "not a time-stamp of this manifest.sig"), run.stdout


def test_an_older_bundle_says_what_its_time_stamp_covers(world, local_tsa, tmp_path):
    """Before issue 19 the stamp covered manifest.json alone (and the manifest did not say)."""
    use_authority(world, local_tsa.url)
    stamped = world.export(tmp_path / "stamped.zip", purpose="backup").path
    key = signing_key(world.services.vault, world.services.config.storage.data_dir)
    manifest = json.loads(members(stamped)["manifest.json"])
    del manifest["timestamp"]["covers"]
    data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    signature = json.loads(members(stamped)["manifest.sig"])
    del signature["signed_file_sha256"]
    signature["signature"] = base64.b64encode(key.sign(data)).decode()
    old = {"manifest.json": data, "manifest.sig": json.dumps(signature).encode(),
           "manifest.tsr": request_timestamp(data, url=local_tsa.url, timeout=10)}
    older = rewrite(stamped, tmp_path / "older.zip", lambda n, d: [(n, old.get(n, d))])
    run = verify_py(older)
    assert run.returncode == 0, run.stdout
    assert named(run.stdout, "OK", "manifest.tsr", "covers manifest.json only, not its "
                                                   "signature"), run.stdout


# ----------------------------------------------------------------------------- item 8: robustness

def _padded(source: Path, target: Path, extra: int) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        for n in range(extra):
            new.writestr(f"junk/{n:06d}", b"")
    return target


TIMER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from verify import verify_bundle
best = None
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    verify_bundle(sys.argv[2])
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(best)
"""


def test_time_grows_linearly_with_the_entries_of_the_zip(bundle, tmp_path):
    def seconds(entries: int, runs: int, timeout: float) -> float:
        padded = _padded(bundle, tmp_path / f"padded-{entries}.zip", entries)
        run = subprocess.run([sys.executable, "-c", TIMER, str(VERIFIER.parent), str(padded),
                              str(runs)], capture_output=True, text=True, timeout=timeout)
        assert run.returncode == 0, run.stderr
        return float(run.stdout)

    small = seconds(2_000, 5, 120)
    # Linear: about 10 times as long; the old quadratic check took about 100 times (77 s).
    large = seconds(20_000, 3, 30 + 60 * small)
    assert large < 40 * small, (small, large)
    run = verify_py(tmp_path / "padded-20000.zip")
    assert run.returncode == 1 and named(run.stdout, "ADDED", "junk/019999")


def _manifest_changed(bundle: Path, target: Path, change) -> Path:
    def edit(name, data):
        if name != "manifest.json":
            return [(name, data)]
        manifest = json.loads(data)
        change(manifest)
        return [(name, json.dumps(manifest, ensure_ascii=False).encode())]
    return rewrite(bundle, target, edit)


def _first(manifest: dict, role: str = "text") -> dict:
    return next(e for e in manifest["files"] if e.get("role") == role)


MALFORMED = {
    "no sha256": (lambda m: _first(m).pop("sha256"), "BAD", "texts/", "no valid SHA-256"),
    "sha256 a number": (lambda m: _first(m).update(sha256=7), "BAD", "texts/",
                        "no valid SHA-256"),
    "size a string": (lambda m: _first(m).update(size="12"), "BAD", "texts/",
                      "no valid size"),
    "no path": (lambda m: _first(m).pop("path"), "BAD", "manifest.json files[", "no path"),
    "path a list": (lambda m: _first(m).update(path=["a"]), "BAD", "manifest.json files[",
                    "no path"),
    "entry a string": (lambda m: m["files"].append("evidence/x.wav"), "BAD",
                       "manifest.json files[", "not an object"),
    "files an object": (lambda m: m.update(files={"a": 1}), "BAD", "manifest.json", ""),
    "listed twice": (lambda m: m["files"].append(dict(_first(m))), "BAD", "texts/",
                     "listed more than once"),
    "traversal": (lambda m: _first(m).update(path="../../etc/passwd"), "BAD",
                  "manifest.json files[", "unsafe path '../../etc/passwd'"),
    "absolute": (lambda m: _first(m).update(path="/etc/passwd"), "BAD",
                 "manifest.json files[", "unsafe path"),
    "item a number": (lambda m: m["items"].append(3), "BAD", "manifest.json items[",
                      "not an object"),
    "events an object": (lambda m: m["items"][0].update(custody_events={}), "BAD",
                         "manifest.json items[0]", "custody_events"),
    "details a list": (lambda m: m["items"][0]["custody_events"][0].update(details=[]),
                       "MISMATCH", "item 1-1", ""),
    "original a list": (lambda m: m["items"][0].update(original=[1]), "BAD",
                        "manifest.json items[0]", "original"),
    "signing key a list": (lambda m: m.update(signing_key=[]), "BAD", "manifest.sig", ""),
    "timestamp a string": (lambda m: m.update(timestamp="yes"), "BAD", "manifest.json",
                           "timestamp"),
}


def test_malformed_manifests_give_named_problems_and_no_traceback(bundle, tmp_path):
    for case, (change, status, subject, message) in MALFORMED.items():
        target = _manifest_changed(bundle, tmp_path / f"{case}.zip", change)
        run = verify_py(target)
        assert "Traceback" not in run.stderr, f"{case}: {run.stderr}"
        assert run.returncode == 1, f"{case}: {run.stdout}"
        assert "NOT INTACT" in run.stdout, f"{case}: {run.stdout}"
        assert named(run.stdout, status, subject, message), f"{case}: {run.stdout}"


def test_an_unpacked_bundle_never_reads_outside_its_folder(bundle, tmp_path):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    secret = tmp_path / "outside.txt"
    secret.write_bytes(b"not part of the bundle")

    def point_outside(manifest):
        manifest["files"].append({"path": "../outside.txt", "size": 22,
                                  "sha256": hashlib.sha256(secret.read_bytes()).hexdigest()})
    path = folder / "manifest.json"
    manifest = json.loads(path.read_bytes())
    point_outside(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    run = verify_py(folder)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert named(run.stdout, "BAD", "manifest.json files[", "unsafe path '../outside.txt'")
    assert not named(run.stdout, "OK", "../outside.txt")

    # A listed file replaced by a link to a copy of it outside the folder is not read either.
    listed = next(e["path"] for e in manifest["files"] if e["path"].endswith(".email.txt"))
    (tmp_path / "copy.txt").write_bytes((folder / listed).read_bytes())
    (folder / listed).unlink()
    (folder / listed).symlink_to(tmp_path / "copy.txt")
    run = verify_py(folder)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert named(run.stdout, "ALTERED", listed, "a link to a file outside the bundle")


def test_an_empty_or_unreadable_manifest_is_named(bundle, tmp_path):
    empty = rewrite(bundle, tmp_path / "empty.zip",
                    lambda n, d: [(n, b"" if n == "manifest.json" else d)])
    run = verify_py(empty)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert named(run.stdout, "BAD", "manifest.json", "not readable JSON")
    deep = rewrite(bundle, tmp_path / "deep.zip",
                   lambda n, d: [(n, b"[" * 100_000 if n == "manifest.json" else d)])
    run = verify_py(deep)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert named(run.stdout, "BAD", "manifest.json")


def test_a_tampered_copy_before_the_real_file_is_altered(bundle, tmp_path):
    listed = next(e["path"] for e in json.loads(members(bundle)["manifest.json"])["files"]
                  if e["path"].endswith(".email.txt"))

    def shadow(name, data):
        return [(name, b"forged text"), (name, data)] if name == listed else [(name, data)]

    with pytest.warns(UserWarning, match="Duplicate name"):
        tampered = rewrite(bundle, tmp_path / "shadowed.zip", shadow)
    run = verify_py(tampered)
    assert run.returncode == 1, run.stdout
    assert named(run.stdout, "ALTERED", listed, "copy 1 of 2"), run.stdout
    assert named(run.stdout, "ADDED", listed, "more than one file of this name")
    assert not named(run.stdout, "OK", listed)
