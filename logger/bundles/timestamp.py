"""Trusted time-stamps (RFC 3161) for bundle manifests, from the authority in `bundles.tsa_url`.

A bundle stamps manifest.sig (`logger.bundles.build`): the Ed25519 signature of manifest.json,
the public key and manifest.json's SHA-256. The token proves that this signature, by this key,
of this manifest (and so every hash in it) existed at the authority's time; a stamp of
manifest.json alone, as bundles had before the manifest said `timestamp.covers`, proves only
that the manifest existed, not who signed it. The request carries the SHA-256 of the data, a
random nonce and asks for the authority's certificate; the answer is checked before it is kept: granted, for this request's nonce and
hash, and, when `bundles.tsa_ca_file` names the authority's root certificate, signed by a
time-stamping certificate that chains to it (`rfc3161-client`'s verifier). The bundle's
verify.py checks the stored token again on its own (logger.bundles.verify).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from rfc3161_client import (HashAlgorithm, PKIStatus, TimestampRequestBuilder,
                            VerificationError, VerifierBuilder, decode_timestamp_response)

from logger.bundles.items import BundleError

MAX_RESPONSE_BYTES = 1 << 20  # a token with its certificate chain is a few KB


class TimestampError(BundleError):
    """The time-stamp authority could not be reached or gave an answer that does not check."""


def request_timestamp(data: bytes, *, url: str, timeout: float, ca_file: str = "") -> bytes:
    """The DER TimeStampResp for `data`, checked. Raises TimestampError saying what failed."""
    request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
               .nonce(nonce=True).cert_request(cert_request=True).build())
    raw = _post(url, request.as_bytes(), timeout)
    try:
        response = decode_timestamp_response(raw)
    except ValueError as e:
        raise TimestampError(f"the time-stamp authority at {url} answered something that is "
                             f"not a time-stamp response ({e})") from None
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        reason = "; ".join(response.status_string) or f"status {response.status}"
        raise TimestampError(f"the time-stamp authority at {url} refused the request: {reason}")
    if response.tst_info.nonce != request.nonce \
            or response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"the time-stamp from {url} is not for this request (nonce or "
                             "hash differ); try again, or check `bundles.tsa_url`")
    if ca_file:
        _verify_chain(request, response, data, ca_file, url)
    return raw


def _post(url: str, body: bytes, timeout: float) -> bytes:
    http = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            return answer.read(MAX_RESPONSE_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise TimestampError(f"the time-stamp authority at {url} did not answer ({e}); export "
                             "again later, or leave `bundles.tsa_url` empty (or pass "
                             "--no-timestamp) to export without a time-stamp") from None


def _verify_chain(request, response, data: bytes, ca_file: str, url: str) -> None:
    try:
        roots = x509.load_pem_x509_certificates(Path(ca_file).expanduser().read_bytes())
    except (OSError, ValueError) as e:
        raise TimestampError(f"cannot read the time-stamp authority's root certificate "
                             f"{ca_file} (config key `bundles.tsa_ca_file`): {e}") from None
    builder = VerifierBuilder.from_request(request)
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(response, data)
    except VerificationError as e:
        raise TimestampError(f"the time-stamp from {url} does not check against {ca_file}: "
                             f"{e}") from None
