"""Server time of a negotiation's pages at 10,000 items plus a 10,000-message mailbox, on a real
encrypted data dir (SQLCipher), with the load average. Requests go through the whole Flask app
in-process (routing, the sign-in gate, the queries, rendering), so the figures are what the
server spends per page.

- The timeline: p50 / p95 of the first, a middle (jump to a date) and the last page, the next
  page, a filtered page and the JSON job poll. Goal: p95 <= 150 ms for any page. The mailbox
  is one item whose messages are child items, as the mailbox split leaves them (each an email
  with its text and HTML part, dated by its Date header), crowding the days of the middle
  pages (`--mailbox-days`): the case where a page read every message around it.
- The conduct report on the first view after a change (a new transcript of one item): the
  timeline's first page (its header shows the report's counts; goal: p95 <= 150 ms like any
  page), the findings page, and `conduct_report` alone, beside the full rebuild
  (`rebuild=True`, every text read) measured in the same run. Goal: updated per changed
  text, not rebuilt.
- The bundle page: time and bytes of its first page, on the first view after a change and on
  views of the same record, beside the same page listing every item (the page before it was
  paged). Goal: never a 10 MB page, <= 1 s.

    .venv/bin/python bench/timeline.py [--items 10000] [--messages 10000] [--mailbox-days 10]
                                       [--calls 1000] [--requests 60] [--changes 10]
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
from logger.conduct.report import conduct_report
from logger.record.timeline import Cursor, Order, timeline_page
from logger.services import Services
from storage.models import (CallLogEntry, CallType, Channel, Direction, Evidence, EvidenceKind,
                            ExtractedText, Job, JobKind, JobStatus, Negotiation, TextSource,
                            TimeSource)
from web import bundles, create_app

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


def fill_mailbox(services: Services, negotiation_id: int, items: int, messages: int,
                 days: float) -> int:
    """One mailbox item in the middle of the timeline, and its `messages` messages as child
    items, as the mailbox split and each message's parse_email job leave them: an email dated
    by its Date header (spread over `days` days around the middle), from the collector (every
    other one of unknown direction), with its text and its HTML part. Returns its id."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    first = start + timedelta(minutes=97 * items // 2) - timedelta(days=days / 2)
    mailbox_id = items + 2
    evidence = [dict(
        id=mailbox_id, negotiation_id=negotiation_id, kind=EvidenceKind.email,
        channel=Channel.email, direction=Direction.unknown,
        occurred_at=start + timedelta(minutes=97 * items // 2 + 3),
        occurred_at_source=TimeSource.metadata, original_filename="催收邮件.mbox",
        media_type="application/mbox", size=messages * 3000, sha256=secrets.token_hex(32),
        blob_id=secrets.token_hex(16),
        extracted_metadata={"mailbox": {"messages": messages, "stored": messages}},
        created_at=start)]
    texts = []
    for n in range(1, messages + 1):
        child = mailbox_id + n
        evidence.append(dict(
            id=child, negotiation_id=negotiation_id, kind=EvidenceKind.email,
            channel=Channel.email, direction=Direction.from_them if n % 2 else Direction.unknown,
            occurred_at=first + timedelta(days=days) * n / messages,
            occurred_at_source=TimeSource.metadata, counterpart_name="催收部 <cs@example.com>",
            subject=f"逾期通知 {n}", original_filename=f"催收邮件 {n:05d}.eml",
            media_type="message/rfc822", size=3000, sha256=secrets.token_hex(32),
            blob_id=secrets.token_hex(16), parent_id=mailbox_id,
            extracted_metadata={"from": "cs@example.com", "parse_warnings": []},
            created_at=start))
        texts.append(dict(evidence_id=child, source=TextSource.email,
                          text=f"Subject: 逾期通知 {n}\n\n" + LINE * 4,
                          segments=[{"part": "html", "html": f"<p>{LINE * 4}</p>"}],
                          edited=False, created_at=start))
    with services.session() as session:
        session.execute(sa.insert(Evidence.__table__), evidence)
        session.execute(sa.insert(ExtractedText.__table__), texts)
        session.commit()
    return mailbox_id


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


def measure_changes(services: Services, client, negotiation_id: int, changes: int
                    ) -> tuple[list[float], list[float], list[float], list[float]]:
    """`changes` times: one item gets a new transcript (a job finished), then the timeline's
    first page is asked for (the first view after the change: its header shows the report's
    counts); again, then the findings page; again, then `conduct_report` alone, kept as the
    pages keep it (per text, and in memory per item). Then, as often, the same report rebuilt
    from scratch (the baseline), after the rest: its seconds of reading would otherwise leave
    the collector a heap of young objects to sweep in the next page's time, which no server
    sees between two pages. Returns the four lists of times."""
    timeline, page, kept, rebuilt = [], [], [], []
    zone = load_config(env={}).locale.zone
    for n in range(changes):
        for times, url, evidence_id in ((timeline, "", 5), (page, "/findings", 7)):
            add_transcript(services, evidence_id + 97 * n, f"{LINE} 第{n}次更正。")
            times += measure(client, f"/negotiations/{negotiation_id}{url}", 1)[0]
        add_transcript(services, 11 + 97 * n, f"{LINE} 又一次更正 {n}。")
        kept.append(timed_report(services, negotiation_id, zone, keep=True, in_memory=True))
    rebuilt += [timed_report(services, negotiation_id, zone, rebuild=True)
                for _ in range(changes)]
    return timeline, page, kept, rebuilt


def add_transcript(services: Services, evidence_id: int, text: str) -> None:
    with services.session() as session:
        session.add(ExtractedText(evidence_id=evidence_id, source=TextSource.transcript,
                                  text=text, segments=[]))
        session.commit()


def timed_report(services: Services, negotiation_id: int, zone, **how) -> float:
    """Milliseconds of one `conduct_report` (nothing it kept committed)."""
    with services.session() as session:
        negotiation = session.get(Negotiation, negotiation_id)
        started = time.perf_counter()
        conduct_report(session, negotiation, default_zone=zone, **how)
        spent = (time.perf_counter() - started) * 1000
        session.rollback()
    return spent


def measure_bundle(services: Services, client, negotiation_id: int, requests: int,
                   changes: int) -> tuple[list[float], list[float], int, list[float], int]:
    """The bundle page as it is (paged): on the first view after a change (a new transcript:
    what it keeps of the items and their groups is read again) and on views of the same
    record; and the same page listing every item (the page as it was before it was paged):
    times and the size of the last reply of each."""
    url = f"/negotiations/{negotiation_id}/bundle"
    changed = []
    for n in range(changes):
        add_transcript(services, 13 + 97 * n, f"{LINE} 第{n}次补充。")
        changed += measure(client, url, 1)[0]
    paged, body = measure(client, url, requests)
    whole_page = bundles.PAGE_ITEMS
    bundles.PAGE_ITEMS = 10**9
    try:
        whole, whole_body = measure(client, url, max(1, requests // 10))
    finally:
        bundles.PAGE_ITEMS = whole_page
    return changed, paged, len(body.encode()), whole, len(whole_body.encode())


def last_page_url(services: Services, base: str, negotiation_id: int) -> str:
    """The last page, newest first: the items after the 51st oldest."""
    with services.session() as session:
        oldest = timeline_page(session, negotiation_id, order=Order.oldest_first, limit=51)
    return f"{base}?after={oldest.items[-1].cursor.token()}"


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(f"{name:<40} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
          f"(n={len(times)}, max {times[-1]:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=10_000,
                        help="messages of one mailbox, child items of it")
    parser.add_argument("--mailbox-days", type=float, default=10,
                        help="days the mailbox's messages spread over, around the middle")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--changes", type=int, default=10,
                        help="changes, each followed by a first view of the report")
    parser.add_argument("--calls", type=int, default=1000,
                        help="imported calls spread over the same time (call-log lines)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        config = dataclasses.replace(load_config(env={}).with_data_dir(Path(tmp) / "data"),
                                     vault=VaultConfig(kdf_memory_mib=8, kdf_iterations=1))
        with Services.create(config, PASSPHRASE) as services:
            started = time.perf_counter()
            negotiation_id = fill(services, args.items, args.calls)
            if args.messages:
                fill_mailbox(services, negotiation_id, args.items, args.messages,
                             args.mailbox_days)
            print(f"created {args.items} items, a mailbox of {args.messages} messages and "
                  f"{args.calls} imported calls in {time.perf_counter() - started:.1f} s")
            app = create_app(services)
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            client.post("/login", data={"name": "bench", "password": "bench-password",
                                        "csrf_token": token})
            base = f"/negotiations/{negotiation_id}"
            started = time.perf_counter()
            measure(client, base, 1)  # the report's first reading: every text, kept
            cold = (time.perf_counter() - started) * 1000
            measure(client, base, 3)  # warm: templates compiled, caches filled
            first, body = measure(client, base, args.requests)
            assert body.count('data-testid="timeline-item"') == 50
            middle = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=97 * args.items // 2)
            deep, body = measure(client, f"{base}?date={middle.date().isoformat()}",
                                 args.requests)
            assert body.count('data-testid="timeline-item"') == 50
            later = re.search(r'href="([^"]+)" data-testid="page-later"', body).group(1)
            paged, _ = measure(client, later.replace("&amp;", "&"), args.requests)
            last, body_last = measure(client, last_page_url(services, base, negotiation_id),
                                      args.requests)
            assert body_last.count('data-testid="timeline-item"') == 50
            filtered, _ = measure(client, f"{base}?channel=wechat&direction=from_me",
                                  args.requests)
            ids = ",".join(re.findall(r'data-id="(\d+)"', body))
            polled, _ = measure(client, f"{base}/jobs?ids={ids}", args.requests)
            domain_first, domain_deep = measure_domain(services, negotiation_id, middle,
                                                       args.requests)
            changed_timeline, changed, kept, rebuilt = measure_changes(
                services, client, negotiation_id, args.changes)
            bundle_changed, bundle, bundle_bytes, whole, whole_bytes = measure_bundle(
                services, client, negotiation_id, args.requests // 3, args.changes)
            load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"timeline of {args.items} items, a mailbox of {args.messages} messages (child "
          f"items, over {args.mailbox_days:g} days around the middle) and {args.calls} imported "
          f"calls, 50 items per page, SQLCipher, in-process Flask; load average "
          f"{' '.join(load)}")
    report("first page", first)
    report("jump to the middle (date)", deep)
    report("next page from the middle", paged)
    report("last page", last)
    report("filtered (channel+direction)", filtered)
    report("job poll JSON (50 ids)", polled)
    print("logger.record.timeline.timeline_page alone (the query part of the page):")
    report("  first page", domain_first)
    report("  page in the middle", domain_deep)
    print(f"conduct report: first page view with nothing kept yet (every text read and kept): "
          f"{cold:.0f} ms")
    print("conduct report, first view after a change (one new transcript each):")
    report("  timeline, first page", changed_timeline)
    report("  findings page", changed)
    report("  conduct_report, kept (as the web)", kept)
    report("  conduct_report rebuilt (baseline)", rebuilt)
    print("bundle page:")
    report("  paged, first view after a change", bundle_changed)
    report(f"  paged, the same record again ({bundle_bytes / 1e6:.2f} MB)", bundle)
    report(f"  every item listed, baseline ({whole_bytes / 1e6:.2f} MB)", whole)


if __name__ == "__main__":
    main()
