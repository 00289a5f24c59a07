"""Helpers shared by the blob store tests; its fixtures (`key`, `store`) are registered as a
plugin in conftest."""

from __future__ import annotations

import io
import os
import random

import pytest

from storage.blobs.format import CHUNK_CT_SIZE, CHUNK_SIZE, HEADER_SIZE, TAG_SIZE
from storage.blobs.store import BlobStore, StoredBlob

KIB = 1024
MIB = 1024 * 1024


@pytest.fixture
def key():
    return os.urandom(32)


@pytest.fixture
def store(tmp_path, key):
    return BlobStore(tmp_path / "blobs", key)


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def put(store: BlobStore, data: bytes) -> StoredBlob:
    return store.write(io.BytesIO(data))


def chunk_offset(index: int) -> int:
    return HEADER_SIZE + index * CHUNK_CT_SIZE


def expected_file_size(size: int) -> int:
    chunks = max(1, -(-size // CHUNK_SIZE))
    return HEADER_SIZE + size + chunks * TAG_SIZE


def nothing_left(store: BlobStore) -> bool:
    return list(store.ids()) == [] and store.temp_files() == [] and (
        not store.tmp_dir.exists() or os.listdir(store.tmp_dir) == [])
