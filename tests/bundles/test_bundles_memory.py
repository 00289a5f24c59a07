"""Exporting streams: a large original passes through the bundle in a few MiB of memory (the
figures for 1 GB, and the time against `zip -0`, come from bench/export_bundle.py). The CJK font
that the PDFs use is loaded once per process (about 40 MiB parsed, whatever the bundle's size);
it is loaded before measuring."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleGroup, BundlePurpose
from logger.bundles.pdf import cjk_font
from logger.intake.ingest import IncomingFile, ingest

SIZE = 48 * 1024 * 1024
LIMIT = 16 * 1024 * 1024


def test_a_large_original_is_exported_in_bounded_memory(services, session, owner, negotiation,
                                                         tmp_path):
    line = os.urandom(2048).hex().encode() + b"\n"
    data = line * (SIZE // len(line))
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), "statement.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=10**9,
                  tz=services.config.locale.zone)
    del data
    request = BundleRequest(negotiation=negotiation, purpose=BundlePurpose.court, language="zh",
                            groups=[BundleGroup("证明还款记录", [item.id])], party="张三")
    cjk_font()
    tracemalloc.start()
    try:
        build_bundle(session=session, services=services, request=request,
                     out=tmp_path / "big.zip", actor=owner)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < LIMIT, f"exporting used {peak / 2**20:.1f} MiB of Python memory"
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        info = archive.getinfo("evidence/1-1_日期不详_文件.txt")
        assert info.file_size == item.size and info.compress_type == zipfile.ZIP_STORED
