"""Server time of the timeline page for a negotiation with 10,000 items, on a real encrypted data
dir (SQLCipher): p50 and p95 of the first page and of a page deep in the middle, plus the JSON
job poll. Goal: p95 < 150 ms. Requests go through the whole Flask app in-process (routing, the
sign-in gate, the query, rendering), so the figures are what the server spends per page.

    .venv/bin/python bench/timeline.py [--items 10000] [--calls 1000] [--requests 60]
"""

import argparse
import dataclasses
import re
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from logger.accounts import add_user
from logger.config import VaultConfig, load_config
from logger.negotiations import add_negotiation
from logger.record.timeline import Cursor, timeline_page
from logger.services import Services
from storage.models import (CallLogEntry, CallType, Channel, Direction, Evidence, EvidenceKind,
                            ExtractedText, Job, JobKind, JobStatus, TextSource)
from web import create_app

PASSPHRASE = "bench passphrase"
CHANNELS = [Channel.call, Channel.wechat, Channel.sms, Channel.email, Channel.app_chat]
LINE = "您好，这里是信用飞催收部，关于您的逾期账单，请在本月十五号之前还款，否则我们将采取进一步措施。"


def fill(services: Services, items: int, calls: int = 0) -> int:
    """`items` evidence rows with a transcript each (and a running or failed job on every 50th),
    and `calls` imported calls from one exported call log (lines of their own on the timeline),
    inserted in bulk through the models' tables. Returns the negotiation id."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with services.session() as session:
        owner = add_user(session, "bench", "bench-password")
        negotiation = add_negotiation(session, owner=owner, creditor="信用飞")
        evidence, texts, jobs = [], [], []
        for i in range(1, items + 1):
            evidence.append(dict(
                id=i, negotiation_id=negotiation.id, kind=EvidenceKind.call,
                channel=CHANNELS[i % len(CHANNELS)],
                direction=Direction.from_them if i % 3 else Direction.from_me,
                occurred_at=start + timedelta(minutes=97 * i), counterpart_name="王经理",
                counterpart_number="13800138000", original_filename=f"call-{i}.m4a",
                media_type="audio/mp4", size=1000, sha256=secrets.token_hex(32),
                blob_id=secrets.token_hex(16), extracted_metadata={"duration_s": 61.0},
                created_at=start))
            texts.append(dict(evidence_id=i, source=TextSource.transcript, text=LINE * 8,
                              segments=[{"start": 0, "end": 5, "text": LINE}], edited=False,
                              created_at=start))
            if i % 50 == 0:
                jobs.append(dict(kind=JobKind.transcribe, evidence_id=i,
                                 status=JobStatus.running if i % 100 else JobStatus.failed,
                                 progress=0.4, error=None if i % 100 else "silent", options={},
                                 attempts=1, max_attempts=3, created_at=start, updated_at=start))
        log_id = items + 1
        if calls:
            evidence.append(dict(
                id=log_id, negotiation_id=negotiation.id, kind=EvidenceKind.document,
                channel=Channel.call, direction=Direction.unknown, occurred_at=None,
                counterpart_name=None, counterpart_number=None, original_filename="calls.csv",
                media_type="text/csv", size=1000,
                sha256=secrets.token_hex(32), blob_id=secrets.token_hex(16),
                extracted_metadata={"source": "calllog"}, created_at=start))
        log = [dict(negotiation_id=negotiation.id, evidence_id=log_id, number="95188",
                    name="客服", started_at=start + timedelta(minutes=97 * items * n / calls + 7),
                    duration_s=0 if n % 3 else 60,
                    call_type=CallType.missed if n % 3 else CallType.incoming, line=n + 2)
               for n in range(calls)]
        for table, rows in ((Evidence, evidence), (ExtractedText, texts), (Job, jobs),
                            (CallLogEntry, log)):
            if rows:
                session.execute(sa.insert(table.__table__), rows)
        session.commit()
        return negotiation.id


def measure(client, url: str, requests: int) -> tuple[list[float], str]:
    times, body = [], ""
    for _ in range(requests):
        started = time.perf_counter()
        reply = client.get(url)
        body = reply.get_data(as_text=True)
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.status_code
    return times, body


def measure_domain(services: Services, negotiation_id: int, middle: datetime,
                   requests: int) -> tuple[list[float], list[float]]:
    first, deep = [], []
    cursor = Cursor(middle, 0)
    with services.session() as session:
        for _ in range(requests):
            for times, after in ((first, None), (deep, cursor)):
                started = time.perf_counter()
                page = timeline_page(session, negotiation_id, after=after)
                times.append((time.perf_counter() - started) * 1000)
                assert len(page.items) == 50
    return first, deep


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(f"{name:<28} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
          f"(n={len(times)}, max {times[-1]:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--calls", type=int, default=1000,
                        help="imported calls spread over the same time (call-log lines)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        config = dataclasses.replace(load_config(env={}).with_data_dir(Path(tmp) / "data"),
                                     vault=VaultConfig(kdf_memory_mib=8, kdf_iterations=1))
        with Services.create(config, PASSPHRASE) as services:
            started = time.perf_counter()
            negotiation_id = fill(services, args.items, args.calls)
            print(f"created {args.items} items and {args.calls} imported calls in "
                  f"{time.perf_counter() - started:.1f} s")
            app = create_app(services)
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            client.post("/login", data={"name": "bench", "password": "bench-password",
                                        "csrf_token": token})
            base = f"/negotiations/{negotiation_id}"
            measure(client, base, 3)  # warm: templates compiled, caches filled
            first, body = measure(client, base, args.requests)
            assert body.count('data-testid="timeline-item"') == 50
            middle = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=97 * args.items // 2)
            deep, body = measure(client, f"{base}?date={middle.date().isoformat()}",
                                 args.requests)
            assert body.count('data-testid="timeline-item"') == 50
            later = re.search(r'href="([^"]+)" data-testid="page-later"', body).group(1)
            paged, _ = measure(client, later.replace("&amp;", "&"), args.requests)
            filtered, _ = measure(client, f"{base}?channel=wechat&direction=from_me",
                                  args.requests)
            ids = ",".join(re.findall(r'data-id="(\d+)"', body))
            polled, _ = measure(client, f"{base}/jobs?ids={ids}", args.requests)
            domain_first, domain_deep = measure_domain(services, negotiation_id, middle,
                                                       args.requests)
    print(f"timeline of {args.items} items and {args.calls} imported calls, 50 items per page, "
          "SQLCipher, in-process Flask")
    report("first page", first)
    report("jump to the middle (date)", deep)
    report("next page from the middle", paged)
    report("filtered (channel+direction)", filtered)
    report("job poll JSON (50 ids)", polled)
    print("logger.record.timeline.timeline_page alone (the query part of the page):")
    report("  first page", domain_first)
    report("  page in the middle", domain_deep)


if __name__ == "__main__":
    main()
