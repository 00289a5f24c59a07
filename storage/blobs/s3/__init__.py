"""Blobs in S3-compatible object storage (`storage.blob_store = "s3"`: AWS S3, SeaweedFS, MinIO,
Ceph), through boto3. Like every backend it only ever sees ciphertext.

Layout: one object per blob, `<prefix>blobs/<id[:2]>/<id>`, nothing else. An object becomes
visible only complete (S3 semantics), so a write cut short leaves either nothing, an unfinished
multipart upload (a `leftover`, which `liuhen verify --repair` aborts) or a complete object whose
row was never committed (an orphan, found by `verify` like a local one).

Writing (`upload`) keeps memory bounded whatever the blob's size and never touches a local
file; reading (`source`) asks for ranges a window at a time, so the seekable reader's 64 KiB
chunk reads do not cost a request each. This module keeps the layout, the listing and what an
error means for a person.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (BotoCoreError, ClientError, ConnectionError as BotoConnectionError,
                                 HTTPClientError, NoCredentialsError)

from storage.blobs.backend import BlobStoreUnavailable, Leftover
from storage.blobs.format import BlobMissing, check_blob_id, is_blob_id
from storage.blobs.s3.source import WINDOW, ObjectSource
from storage.blobs.s3.upload import PART_SIZE, Upload

__all__ = ["PART_SIZE", "WINDOW", "S3Backend"]

_MISSING = {"NoSuchKey", "NotFound", "404"}


class S3Backend:
    """Blobs as objects in `bucket` under `prefix` ("" or a path ending in "/", which is added
    when missing). `endpoint` empty means AWS; any other is addressed path-style (SeaweedFS,
    MinIO). Without `access_key` boto3 finds credentials its own way (AWS_* variables,
    ~/.aws, an instance role)."""

    name = "s3"

    def __init__(self, *, bucket: str, prefix: str = "", endpoint: str = "", region: str = "",
                 access_key: str = "", secret_key: str = "", connect_timeout: float = 5,
                 read_timeout: float = 60, attempts: int = 5):
        if not bucket:
            raise ValueError("the S3 blob store needs a bucket")
        prefix = prefix.lstrip("/")
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.endpoint = endpoint
        self.region = region or "us-east-1"
        self.access_key = access_key  # the secret stays inside the clients, never in a message

        def client(attempts: int):
            config = BotoConfig(
                region_name=self.region, signature_version="s3v4",
                connect_timeout=connect_timeout, read_timeout=read_timeout,
                retries={"max_attempts": attempts, "mode": "standard"},
                s3={"addressing_style": "path" if endpoint else "auto"})
            keys = ({"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
                    if access_key else {})
            return boto3.session.Session().client("s3", endpoint_url=endpoint or None,
                                                  config=config, **keys)

        self.client = client(attempts)
        # `check` answers at once (start-up, /readyz): one attempt, no backoff between retries.
        self._check_client = client(1)

    def __repr__(self) -> str:
        return (f"S3Backend(endpoint={self.endpoint or 'AWS'!r}, bucket={self.bucket!r}, "
                f"prefix={self.prefix!r})")

    def describe(self) -> str:
        where = f" under {self.prefix}" if self.prefix else ""
        return f"the S3 bucket {self.bucket}{where} at {self.endpoint or 'AWS'}"

    @property
    def _blobs_prefix(self) -> str:
        return f"{self.prefix}blobs/"

    def key_for(self, blob_id: str) -> str:
        check_blob_id(blob_id)
        return f"{self._blobs_prefix}{blob_id[:2]}/{blob_id}"

    # ----------------------------------------------------------------------------- blobs

    def exists(self, blob_id: str) -> bool:
        try:
            with self.errors(blob_id):
                self.client.head_object(Bucket=self.bucket, Key=self.key_for(blob_id))
        except BlobMissing:
            return False
        return True

    @contextlib.contextmanager
    def writer(self, blob_id: str) -> Iterator[Upload]:
        upload = Upload(self.client, self.bucket, self.key_for(blob_id), self.errors)
        try:
            yield upload
            with self.errors():
                upload.finish()
        except BaseException:
            upload.abort()
            raise

    def source(self, blob_id: str) -> ObjectSource:
        return ObjectSource(self.client, self.bucket, self.key_for(blob_id),
                            lambda: self.errors(blob_id))

    def delete(self, blob_id: str) -> None:
        with self.errors():
            self.client.delete_object(Bucket=self.bucket, Key=self.key_for(blob_id))

    def ids(self) -> Iterator[str]:
        """Every blob id under the prefix, sorted; objects that are not blobs are left out."""
        found = []
        start = len(self._blobs_prefix)
        with self.errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._blobs_prefix)
            for page in pages:
                for entry in page.get("Contents", ()):
                    shard, _, blob_id = entry["Key"][start:].partition("/")
                    if is_blob_id(blob_id) and shard == blob_id[:2]:
                        found.append(blob_id)
        return iter(sorted(found))

    def leftovers(self) -> list[Leftover]:
        """The multipart uploads under the prefix that were never completed nor aborted. One in
        progress in another process shows here too: remove only under the exclusive lock."""
        found = []
        with self.errors():
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._blobs_prefix)
            for page in pages:
                for upload in page.get("Uploads", ()):
                    key, upload_id = upload["Key"], upload["UploadId"]
                    found.append(Leftover(
                        f"s3://{self.bucket}/{key}: unfinished multipart upload {upload_id} of "
                        f"an interrupted write (started {upload['Initiated']:%Y-%m-%d %H:%M})",
                        lambda key=key, upload_id=upload_id: self._abort(key, upload_id)))
        return found

    def _abort(self, key: str, upload_id: str) -> None:
        with self.errors():
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key,
                                                   UploadId=upload_id)
            except ClientError as e:
                if _code(e) != "NoSuchUpload":  # gone already: what removing wanted
                    raise

    # ----------------------------------------------------------------------------- errors

    def check(self) -> None:
        """Raise BlobStoreUnavailable, saying what to check, unless the bucket answers."""
        where = self.describe()
        try:
            self._check_client.head_bucket(Bucket=self.bucket)
        except NoCredentialsError:
            raise BlobStoreUnavailable(
                f"no S3 credentials for {where}: set `storage.s3_access_key` and the secret key "
                "(`storage.s3_secret_key_file` or LIUHEN_S3_SECRET_KEY)") from None
        except (BotoConnectionError, HTTPClientError) as e:
            raise BlobStoreUnavailable(
                f"cannot reach {where} ({e}); check `storage.s3_endpoint` and that the server "
                "is running and reachable from this machine") from None
        except ClientError as e:
            raise BlobStoreUnavailable(self._refusal(e)) from None

    def _refusal(self, error: ClientError) -> str:
        where = self.describe()
        status = _status(error)
        if status == 404 or _code(error) == "NoSuchBucket":
            return (f"the bucket {self.bucket} does not exist at {self.endpoint or 'AWS'}: "
                    "create it, or check `storage.s3_bucket`")
        if status == 301 or _code(error) in ("PermanentRedirect", "AuthorizationHeaderMalformed"):
            return (f"{where} is in another region than {self.region}; check "
                    "`storage.s3_region`")
        if status in (401, 403):
            code = self._refusal_code() or _code(error)
            if code == "InvalidAccessKeyId":
                return (f"{where} does not know the access key {self.access_key!r}; check "
                        "`storage.s3_access_key`")
            if code == "SignatureDoesNotMatch":
                return (f"{where} refused the secret key of access key {self.access_key!r}; "
                        "check the secret in `storage.s3_secret_key_file` or "
                        "LIUHEN_S3_SECRET_KEY")
            return (f"the access key {self.access_key!r} may not use {where} ({code}); give it "
                    "read, write, list and delete rights on the bucket")
        return f"{where} answered {status} {_code(error)}: {_message(error)}"

    def _refusal_code(self) -> str:
        """A HEAD refusal has no body; a GET says why (a wrong key, a wrong secret, no right)."""
        try:
            self._check_client.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        except ClientError as e:
            return _code(e)
        except BotoCoreError:
            pass
        return ""

    @contextlib.contextmanager
    def errors(self, blob_id: str = "") -> Iterator[None]:
        """Inside: a missing object (of `blob_id`) as BlobMissing; anything else the store did
        not do as BlobStoreUnavailable, saying where and what to check."""
        try:
            yield
        except ClientError as e:
            missing = _code(e) in _MISSING or (_status(e) == 404 and _code(e) != "NoSuchBucket")
            if blob_id and missing:
                raise BlobMissing(blob_id) from None
            raise BlobStoreUnavailable(self._refusal(e)) from e
        except NoCredentialsError:
            raise BlobStoreUnavailable(f"no S3 credentials for {self.describe()}: set "
                                       "`storage.s3_access_key` and the secret key") from None
        except (BotoConnectionError, HTTPClientError) as e:
            raise BlobStoreUnavailable(f"cannot reach {self.describe()} ({e}); check "
                                       "`storage.s3_endpoint` and the network") from e


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
