"""A real RFC 3161 time-stamp authority on loopback, for the bundle tests: `openssl ts -reply`
behind a small HTTP server, with a CA and a time-stamping certificate made for the test."""

from __future__ import annotations

import datetime as dt
import http.server
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Only the signer's certificate goes into a token: openssl writes a chain (`certs`) unsorted, and
# rfc3161-client rightly refuses a DER SET that is not in order.
TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class LocalTsa:
    url: str
    ca_file: Path  # the root that issued the TSA certificate
    requests: list  # one entry per request answered


def make_certificate(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool):
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def write_authority(directory: Path, name: str = "Liuhen Test") -> Path:
    """CA and TSA keys and certificates under `directory`; returns the openssl config."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root CA")])
    ca_cert = make_certificate(f"{name} Root CA", ca_key, ca_name, ca_key, ca=True)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = make_certificate(f"{name} TSA", tsa_key, ca_name, ca_key, ca=False)
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.pem").write_bytes(tsa_cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (directory / "serial").write_text("01\n")
    config = directory / "tsa.cnf"
    config.write_text(TSA_CONFIG.format(dir=directory))
    return config


def stamp(config: Path, query: bytes, work: Path) -> bytes:
    """The authority's answer to one DER request, from `openssl ts -reply`."""
    (work / "query.tsq").write_bytes(query)
    subprocess.run(["openssl", "ts", "-reply", "-config", str(config), "-queryfile",
                    str(work / "query.tsq"), "-out", str(work / "reply.tsr")],
                   check=True, capture_output=True, timeout=60)
    return (work / "reply.tsr").read_bytes()


@pytest.fixture
def local_tsa(tmp_path):
    directory = tmp_path / "tsa"
    config = write_authority(directory)
    answered: list = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                reply = stamp(config, query, directory)
                answered.append(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTsa(f"http://127.0.0.1:{server.server_address[1]}/tsr",
                       directory / "ca.pem", answered)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
