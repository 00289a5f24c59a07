"""Trusted time-stamps (RFC 3161) on bundle manifests, from a real time-stamp authority the test
runs on loopback (`openssl ts -reply`, tests/support/tsa.py), checked by rfc3161-client and by
the bundle's own verifier. The stamp covers manifest.sig (tests/security/test_bundle_trust.py
checks what that proves)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography import x509
from rfc3161_client import (HashAlgorithm, TimestampRequestBuilder, VerifierBuilder,
                            decode_timestamp_response)
from sqlmodel import select

from logger.bundles.timestamp import TimestampError
from logger.bundles.verify import verify_bundle
from logger.config import BundlesConfig
from storage.models import CustodyAction, CustodyEvent
from tests.support.bundles import members, rewrite, world  # noqa: F401  (world is a fixture)
from tests.support.tsa import local_tsa, stamp, write_authority  # noqa: F401  (a fixture)


def use_authority(world, url: str, ca_file: str = "") -> None:
    config = world.services.config
    world.services.config = dataclasses.replace(
        config, bundles=BundlesConfig(tsa_url=url, tsa_ca_file=ca_file, tsa_timeout_seconds=10))


@pytest.fixture
def stamped(world, local_tsa, tmp_path):
    use_authority(world, local_tsa.url, str(local_tsa.ca_file))
    return world.export(tmp_path / "stamped.zip", purpose="backup").path


def lines(report) -> dict[str, tuple[str, str]]:
    return {line.subject: (line.status, line.message) for line in report.lines}


def test_the_manifest_is_time_stamped_by_the_configured_authority(stamped, local_tsa):
    files = members(stamped)
    manifest = json.loads(files["manifest.json"])
    assert manifest["timestamp"]["authority"] == local_tsa.url
    assert len(local_tsa.requests) == 1
    response = decode_timestamp_response(files["manifest.tsr"])
    root = x509.load_pem_x509_certificate(local_tsa.ca_file.read_bytes())
    verifier = VerifierBuilder().add_root_certificate(root).build()
    # The stamp covers the signature (which names manifest.json's SHA-256), not the manifest.
    assert manifest["timestamp"]["covers"] == "manifest.sig"
    assert verifier.verify_message(response, files["manifest.sig"])


def test_the_verifier_checks_the_token_and_its_issuer(stamped, local_tsa):
    report = verify_bundle(stamped, tsa_ca=str(local_tsa.ca_file))
    status, message = lines(report)["manifest.tsr"]
    assert report.exit_code == 0 and status == "ok"
    assert "signed by CN=Liuhen Test TSA" in message and "issued by" in message
    assert verify_bundle(stamped).exit_code == 0  # without a root: checked, issuer named


def test_a_token_from_another_authority_is_refused_with_this_root(stamped, tmp_path):
    other = write_authority(tmp_path / "other", name="Someone Else")
    report = verify_bundle(stamped, tsa_ca=str(other.parent / "ca.pem"))
    status, message = lines(report)["manifest.tsr"]
    assert report.exit_code == 1 and status == "bad" and "did not issue" in message


def test_a_token_for_other_data_or_a_missing_token_is_named(stamped, tmp_path):
    config = write_authority(tmp_path / "tsa2")
    request = (TimestampRequestBuilder().data(b"some other manifest")
               .hash_algorithm(HashAlgorithm.SHA256).build())
    foreign = stamp(config, request.as_bytes(), tmp_path / "tsa2")
    swapped = rewrite(stamped, tmp_path / "swapped.zip",
                      lambda n, d: [(n, foreign if n == "manifest.tsr" else d)])
    report = verify_bundle(swapped)
    assert report.exit_code == 1
    assert lines(report)["manifest.tsr"] == (
        "bad", "it is not a time-stamp of this manifest.sig: the signature it dates is not the "
               "one in the bundle")
    removed = rewrite(stamped, tmp_path / "removed.zip",
                      lambda n, d: [] if n == "manifest.tsr" else [(n, d)])
    report = verify_bundle(removed)
    assert report.exit_code == 1 and lines(report)["manifest.tsr"][0] == "missing"


def test_a_token_whose_signature_was_tampered_with_is_refused(stamped, tmp_path):
    token = bytearray(members(stamped)["manifest.tsr"])
    token[-10] ^= 0x01  # inside the RSA signature, the last element of the token
    tampered = rewrite(stamped, tmp_path / "t.zip",
                       lambda n, d: [(n, bytes(token) if n == "manifest.tsr" else d)])
    report = verify_bundle(tampered)
    assert report.exit_code == 1
    assert lines(report)["manifest.tsr"] == ("bad", "no certificate in it verifies its "
                                                    "signature")


def test_an_authority_that_does_not_answer_stops_the_export(world, tmp_path):
    use_authority(world, "http://127.0.0.1:9/tsr")  # the discard port: nothing listens
    with pytest.raises(TimestampError, match="did not answer"):
        world.export(tmp_path / "x.zip", purpose="backup")
    assert not list(tmp_path.glob("*.zip*"))
    assert world.session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).first() is None


def test_a_bundle_can_be_exported_without_a_time_stamp_when_asked(world, tmp_path):
    use_authority(world, "http://127.0.0.1:9/tsr")
    path = world.export(tmp_path / "plain.zip", purpose="backup", timestamp=False).path
    assert "manifest.tsr" not in members(path)
    assert json.loads(members(path)["manifest.json"])["timestamp"]["authority"] is None
    assert verify_bundle(path).exit_code == 0
