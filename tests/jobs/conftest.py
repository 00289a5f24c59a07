"""Fixtures of the job tests: items through intake, each with its queued job."""

from __future__ import annotations

import io
import itertools

import pytest

from logger.intake.ingest import IncomingFile, ingest


@pytest.fixture
def add_items(services, session, negotiation, owner):
    """add_items(n): ids of n text files through intake, each with its queued extract_text job."""
    numbers = itertools.count()
    return lambda count=1: [
        ingest(session=session, blobs=services.blobs,
               source=IncomingFile(io.BytesIO(f"电话记录 {i}\n".encode()), f"n{i}.txt"),
               negotiation=negotiation, actor=owner, max_bytes=1 << 20,
               tz=services.config.locale.zone).id for i in itertools.islice(numbers, count)]
