"""Checking bundles: `liuhen verify-bundle` and the verify.py inside the bundle (run as its own
program) on an intact bundle and on bundles altered in every way the issue names: an altered,
added, removed or renamed file, an edited manifest, a wrong signature."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from logger.cli.main import cli
from tests.support.bundles import members, rewrite, world  # noqa: F401  (world is a fixture)

NIGHT = "evidence/2-1_2024-12-03_通话录音_13800138000.wav"
NIGHT_TEXT = "texts/2-1_2024-12-03_通话录音_13800138000.transcript.txt"


@pytest.fixture
def bundle(world, tmp_path) -> Path:
    return world.export(tmp_path / "court.zip").path


def liuhen_verify(path: Path, *args: str):
    """`liuhen verify-bundle` (it needs no data dir: a recipient may have none)."""
    return CliRunner().invoke(cli, ["verify-bundle", str(path), *args], env={},
                              catch_exceptions=False)


def bundled_verify(bundle: Path, target: Path | None = None, *args: str,
                   isolated: bool = False) -> subprocess.CompletedProcess:
    """The bundle's own verify.py, run by Python as a separate program. `isolated`: without
    site-packages, i.e. with the standard library only."""
    script = bundle.parent / f"{bundle.stem}-verify.py"
    script.write_bytes(members(bundle)["verify.py"])
    command = [sys.executable, *(["-S"] if isolated else []), str(script),
               *([str(target)] if target else []), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def both(bundle: Path, target: Path) -> list[tuple[int, str]]:
    """(exit status, output) of both verifiers on `target`."""
    first = liuhen_verify(target)
    second = bundled_verify(bundle, target)
    return [(first.exit_code, first.output), (second.returncode, second.stdout)]


def named(output: str, status: str, subject: str, message: str = "") -> bool:
    """Whether a line of the report gives `status` (its English word) for `subject`."""
    return any(line.startswith(f"{status} ") and f"  {subject}" in line and message in line
               for line in output.splitlines())


def test_an_intact_bundle_checks_out_with_both_verifiers(bundle):
    fingerprint = json.loads(members(bundle)["manifest.sig"])["fingerprint"]
    for code, output in both(bundle, bundle):
        assert code == 0, output
        assert "VERDICT / 结论: INTACT" in output
        assert f"SIGNING KEY / 签名公钥指纹: {fingerprint}" in output
        assert named(output, "OK", NIGHT) and named(output, "OK", "manifest.sig")
        assert named(output, "OK", "item 2-1", "SHA-256 at intake matches")
        checks = output[:output.index("SIGNING KEY")].splitlines()
        assert not any(line.split()[0] not in ("OK", "Liuhen") for line in checks)


def test_an_altered_file_is_named(bundle, tmp_path):
    def flip(name, data):
        return [(name, data[:-1] + bytes([data[-1] ^ 1]) if name == NIGHT else data)]

    tampered = rewrite(bundle, tmp_path / "altered.zip", flip)
    for code, output in both(bundle, tampered):
        assert code == 1, output
        assert named(output, "ALTERED", NIGHT)
        assert named(output, "MISMATCH", "item 2-1")  # no longer what was stored at intake
        assert "NOT INTACT" in output


def test_an_added_file_is_named(bundle, tmp_path):
    def add(name, data):
        extra = [("evidence/9-9_extra.txt", b"planted")] if name == NIGHT else []
        return [(name, data), *extra]

    for code, output in both(bundle, rewrite(bundle, tmp_path / "added.zip", add)):
        assert code == 1 and named(output, "ADDED", "evidence/9-9_extra.txt"), output


def test_a_removed_file_is_named(bundle, tmp_path):
    def drop(name, data):
        return [] if name == NIGHT_TEXT else [(name, data)]

    for code, output in both(bundle, rewrite(bundle, tmp_path / "removed.zip", drop)):
        assert code == 1 and named(output, "MISSING", NIGHT_TEXT), output


def test_a_renamed_file_is_named_with_its_new_name(bundle, tmp_path):
    def rename(name, data):
        return [("evidence/renamed.wav" if name == NIGHT else name, data)]

    for code, output in both(bundle, rewrite(bundle, tmp_path / "renamed.zip", rename)):
        assert code == 1, output
        assert named(output, "RENAMED", NIGHT, "(now named evidence/renamed.wav)")


def test_an_edited_manifest_breaks_the_signature(bundle, tmp_path):
    """Someone swaps a file AND fixes its hash in the manifest: the files all match the
    manifest now, but the manifest is no longer what was signed."""
    planted = b"RIFF not the recording"

    def swap(name, data):
        if name == NIGHT:
            return [(name, planted)]
        if name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] == NIGHT:
                    entry["sha256"] = hashlib.sha256(planted).hexdigest()
                    entry["size"] = len(planted)
            return [(name, json.dumps(manifest, ensure_ascii=False, indent=2).encode())]
        return [(name, data)]

    for code, output in both(bundle, rewrite(bundle, tmp_path / "edited.zip", swap)):
        assert code == 1, output
        assert named(output, "BAD", "manifest.sig",
                     "WRONG SIGNATURE: manifest.json was changed after it was signed")
        assert named(output, "OK", NIGHT)  # the file matches the edited manifest …
        assert named(output, "MISMATCH", "item 2-1")  # … but not the hash taken at intake


def test_a_wrong_signature_is_named(bundle, tmp_path):
    def corrupt(name, data):
        if name != "manifest.sig":
            return [(name, data)]
        signature = json.loads(data)
        raw = bytearray(base64.b64decode(signature["signature"]))
        raw[0] ^= 0xFF
        signature["signature"] = base64.b64encode(bytes(raw)).decode()
        return [(name, json.dumps(signature).encode())]

    for code, output in both(bundle, rewrite(bundle, tmp_path / "badsig.zip", corrupt)):
        assert code == 1 and named(output, "BAD", "manifest.sig", "WRONG SIGNATURE"), output


def test_a_manifest_resigned_with_another_key_is_named(bundle, tmp_path):
    """A forger signs with their own key: the signature is valid, but not by the key the
    manifest names, nor by the key the recipient was told to expect."""
    forger = Ed25519PrivateKey.generate()
    public = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    manifest = members(bundle)["manifest.json"]

    def resign(name, data):
        if name != "manifest.sig":
            return [(name, data)]
        signature = json.loads(data)
        signature["public_key"] = base64.b64encode(public).decode()
        signature["signature"] = base64.b64encode(forger.sign(manifest)).decode()
        return [(name, json.dumps(signature).encode())]

    forged = rewrite(bundle, tmp_path / "forged.zip", resign)
    for code, output in both(bundle, forged):
        assert code == 1, output
        assert named(output, "BAD", "manifest.sig",
                     "signed with another key than the one manifest.json names")


def test_the_expected_key_fingerprint_is_checked(bundle):
    fingerprint = json.loads(members(bundle)["manifest.sig"])["fingerprint"]
    assert liuhen_verify(bundle, "--key", fingerprint).exit_code == 0
    wrong = "0000 " + fingerprint[5:]
    result = liuhen_verify(bundle, "--key", wrong)
    assert result.exit_code == 1 and "not the key you expected" in result.output
    run = bundled_verify(bundle, bundle, "--key", wrong)
    assert run.returncode == 1 and "not the key you expected" in run.stdout


def test_verify_py_checks_the_unpacked_folder_it_sits_in(bundle, tmp_path):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    run = subprocess.run([sys.executable, "verify.py"], cwd=folder, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and "INTACT" in run.stdout, run.stdout + run.stderr
    (folder / NIGHT_TEXT).write_text("我改过的转写", encoding="utf-8")
    run = subprocess.run([sys.executable, "verify.py", "--json"], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    assert run.returncode == 1 and not report["ok"]
    assert {"status": "altered", "subject": NIGHT_TEXT} in [
        {k: line[k] for k in ("status", "subject")} for line in report["lines"]]


def test_verify_py_needs_only_the_standard_library_for_the_hashes(bundle, tmp_path):
    """Without `cryptography` every hash is still checked; the signature is reported as not
    checked (exit 2), and a tampered file still fails (exit 1)."""
    run = bundled_verify(bundle, bundle, isolated=True)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "UNCHECKED" in run.stdout and "pip install cryptography" in run.stdout
    assert named(run.stdout, "OK", NIGHT) and named(run.stdout, "UNCHECKED", "manifest.sig")

    def drop(name, data):
        return [] if name == NIGHT_TEXT else [(name, data)]

    tampered = rewrite(bundle, tmp_path / "removed.zip", drop)
    run = bundled_verify(bundle, tampered, isolated=True)
    assert run.returncode == 1 and named(run.stdout, "MISSING", NIGHT_TEXT)


def test_a_missing_or_broken_manifest_is_named(bundle, tmp_path):
    gone = rewrite(bundle, tmp_path / "nomanifest.zip",
                   lambda n, d: [] if n == "manifest.json" else [(n, d)])
    result = liuhen_verify(gone)
    assert result.exit_code == 1 and named(result.output, "MISSING", "manifest.json")
    broken = rewrite(bundle, tmp_path / "broken.zip",
                     lambda n, d: [(n, b"{not json" if n == "manifest.json" else d)])
    result = liuhen_verify(broken)
    assert result.exit_code == 1 and named(result.output, "BAD", "manifest.json")


def test_verify_bundle_prints_json_for_scripts(bundle):
    result = liuhen_verify(bundle, "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["ok"] and report["exit_code"] == 0
    assert report["fingerprint"] == json.loads(members(bundle)["manifest.sig"])["fingerprint"]
