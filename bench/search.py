"""Search at 100,000 items (issue 17): p50/p95 of the first page (20 hits, newest first) for each
kind of query, through `storage.search.search`, through the JSON API (`/api/v1/search` with a
bearer token, the Flask app in-process) and, as the baseline in the same run, a bare SQLite FTS5
trigram table over the same texts whose rowids are the result order (MATCH for 3+ characters,
LIKE for shorter words, `ORDER BY rowid DESC LIMIT 20`), timed twice: the page's rowids alone,
and with the page's texts read as well (what a page that shows its hits must read at least).
Goals: p95 <= 20 ms for 3+ characters, <= 150 ms for 1-2 Chinese characters, within 3x of the
baseline; both ratios are printed.

    .venv/bin/python bench/search.py [--items 100000] [--repeat 30] [--postgres URL]

The data dir is a real SQLCipher one (or the PostgreSQL database at URL, which must be empty);
its rows are bulk-inserted into the evidence and extracted_text tables directly, for build
speed, so the database's triggers fill the search index as in use but no intake runs. Each item
has one transcript of ~660 characters (70 % Chinese, phrases drawn with Zipf-like weights), at
a time of its own (1 % undated), in one of 5 negotiations of one account. Planted words: a case
number in one item, a 4-character word in 22 % of the items, a 2-character word in 30 %, a rare
2-character word (and its 1st character) in 20 items, and words found nowhere; besides them,
three 3-character words of the corpus's own phrases, in about 3 %, 1 % and 0.3 % of the texts.
Every page is checked against the baseline's.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import sqlcipher3

from logger.accounts import add_user
from logger.config import VaultConfig, load_config
from logger.negotiations import add_negotiation
from logger.services import Services
from logger.tokens import create_token
from storage.models import (Direction, Evidence, EvidenceKind, ExtractedText, TextSource,
                            User)
from storage.search import search
from web import create_app

PASSPHRASE = "bench passphrase"
PAGE = 20
BATCH = 5000
TEXT_CHARS = 660
NEGOTIATIONS = 5
CASE_NUMBER = "(2024)沪0115民初70812号"
COMMON_LONG, COMMON_SHORT, RARE_SHORT = "逾期账单", "还款", "罚息"
QUERIES = {  # name: (query, share of the items that hold it)
    "3+ chars, one hit (case no.)": (CASE_NUMBER, None),
    "3+ chars, no hit": ("ZQX-404-无此案号", 0.0),
    "3+ chars, common (22 %)": (COMMON_LONG, 0.22),
    "2 chars, common (30 %)": (COMMON_SHORT, 0.30),
    "2 chars, rare (20 items)": (RARE_SHORT, None),
    "1 char, rare (20 items)": (RARE_SHORT[0], None),
    "2 chars, no hit": ("龘靐", 0.0),
}
PLANTED = set(CASE_NUMBER + COMMON_LONG + COMMON_SHORT + RARE_SHORT + "龘靐无此案号")


class Corpus:
    """The texts, made the same for a seed: phrases of common Chinese characters and English
    words (without the planted words' characters), drawn with Zipf-like weights."""

    def __init__(self, seed: int) -> None:
        self.chance = random.Random(seed)
        chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3500) if chr(c) not in PLANTED]
        words = ["payment", "overdue", "account", "please", "call", "back", "today", "bank",
                 "balance", "amount", "notice", "final", "legal", "settle", "plan", "agent"]
        self.phrases = ["".join(self.chance.choices(chars, k=self.chance.randint(4, 14)))
                        for _ in range(4000)]
        self.english = [" ".join(self.chance.choices(words, k=self.chance.randint(3, 8))) + " "
                        for _ in range(600)]
        self.weights = [1 / (rank + 1) for rank in range(len(self.phrases))]

    def text(self, planted: list[str]) -> str:
        parts, size = [], 0
        while size < TEXT_CHARS:
            if self.chance.random() < 0.3:
                piece = self.chance.choice(self.english)
            else:
                piece = self.chance.choices(self.phrases, self.weights)[0] + "，"
            parts.append(piece)
            size += len(piece)
        for word in planted:
            parts.insert(self.chance.randrange(len(parts) + 1), word)
        return "".join(parts)


def plan_items(items: int, seed: int) -> tuple[list[datetime | None], dict[int, list[str]]]:
    """Each item's time (by evidence id - 1) and the planted words of the items that hold any."""
    chance = random.Random(seed + 1)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    seconds = chance.sample(range(10 ** 8), items)
    times = [None if chance.random() < 0.01 else start + timedelta(seconds=s) for s in seconds]
    planted: dict[int, list[str]] = {}
    for word, share in ((COMMON_LONG, 0.22), (COMMON_SHORT, 0.30)):
        for index in chance.sample(range(items), round(items * share)):
            planted.setdefault(index, []).append(word)
    for index in chance.sample(range(items), min(20, items)):
        planted.setdefault(index, []).append(RARE_SHORT)
    planted.setdefault(chance.randrange(items), []).append(CASE_NUMBER)
    return times, planted


def result_order(times: list[datetime | None]) -> list[int]:
    """The evidence ids in result order: undated first (newest intake first), then newest."""
    undated = [i + 1 for i, t in enumerate(times) if t is None]
    dated = sorted((i + 1 for i, t in enumerate(times) if t is not None),
                   key=lambda i: (times[i - 1], i))
    return undated[::-1] + dated[::-1]


def fill(services: Services, baseline: sqlcipher3.Connection, items: int, seed: int) -> int:
    """Both databases with the same texts; returns the account's id."""
    times, planted = plan_items(items, seed)
    order = result_order(times)
    rank = {evidence_id: len(order) - n for n, evidence_id in enumerate(order)}
    corpus = Corpus(seed)
    created = datetime(2024, 6, 1, tzinfo=UTC)
    with services.session() as session:
        owner = add_user(session, "bench", "bench-password")
        cases = [add_negotiation(session, owner=owner, creditor=f"银行{n}").id
                 for n in range(NEGOTIATIONS)]
        owner_id = owner.id
        for first in range(0, items, BATCH):
            evidence, texts, plain = [], [], []
            for index in range(first, min(first + BATCH, items)):
                body = corpus.text(planted.get(index, []))
                evidence.append(dict(
                    id=index + 1, negotiation_id=cases[index % NEGOTIATIONS],
                    kind=EvidenceKind.call, direction=Direction.from_them,
                    occurred_at=times[index], counterpart_name="王经理",
                    counterpart_number=f"1380013{index % 10000:04d}",
                    original_filename=f"call-{index}.m4a", media_type="audio/mp4", size=1000,
                    sha256=f"{index:064x}", blob_id=f"{index:032x}",
                    extracted_metadata={}, created_at=created))
                texts.append(dict(evidence_id=index + 1, source=TextSource.transcript, text=body,
                                  segments=[], edited=False, created_at=created))
                plain.append((rank[index + 1], body))
            session.execute(sa.insert(Evidence.__table__), evidence)
            session.execute(sa.insert(ExtractedText.__table__), texts)
            session.commit()
            baseline.executemany("INSERT INTO page(rowid, body) VALUES (?, ?)", plain)
            baseline.commit()
            print(f"  {first + len(evidence)} items", flush=True)
    return owner_id


def open_baseline(folder: Path) -> sqlcipher3.Connection:
    connection = sqlcipher3.connect(str(folder / "baseline.db"))  # no key: plain SQLite
    connection.execute("CREATE VIRTUAL TABLE page USING fts5(body, tokenize='trigram')")
    return connection


def baseline_page(connection: sqlcipher3.Connection, query: str, *, texts: bool = False
                  ) -> list[int]:
    """The page's rowids; with `texts`, its texts are read too, as a page that shows them."""
    words = query.split()
    if all(len(w) >= 3 for w in words):
        condition = "page MATCH ?"
        values = [" ".join('"' + w.replace('"', '""') + '"' for w in words)]
    else:
        condition = " AND ".join("body LIKE ?" for _ in words)
        values = [f"%{w}%" for w in words]
    columns = "rowid, body" if texts else "rowid"
    return [row[0] for row in connection.execute(
        f"SELECT {columns} FROM page WHERE {condition} ORDER BY rowid DESC LIMIT {PAGE}",
        values)]


def timed(call: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, round(len(ordered) * 0.95) - 1)]


def phrase_queries(seed: int) -> dict[str, tuple[str, None]]:
    """3-character words of the corpus's own phrases, of middling rarity: the phrase of Zipf
    rank r is in about 60 / (9 (r + 1)) of the texts (about 3 % at rank 200, 0.3 % at 2,000)."""
    phrases = Corpus(seed).phrases
    return {f"3 chars, phrase of rank {rank}": (phrases[rank][:3], None)
            for rank in (200, 700, 2000)}


def measure(services: Services, baseline: sqlcipher3.Connection, token: str, order: list[int],
            repeat: int, queries: dict) -> Iterator[tuple[str, list[float], list[float], list[float]]]:
    rank = {evidence_id: len(order) - n for n, evidence_id in enumerate(order)}
    client = create_app(services).test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {token}"}
    with services.session() as session:
        for name, (query, _share) in queries.items():
            base_times, base_page = timed(lambda: baseline_page(baseline, query), repeat)
            text_times, text_page = timed(
                lambda: baseline_page(baseline, query, texts=True), repeat)
            assert text_page == base_page, name
            ours, hits = timed(lambda: search(session, query, limit=PAGE), repeat)
            api, reply = timed(lambda: client.get("/api/v1/search", query_string={
                "q": query, "limit": PAGE}, headers=headers), repeat)
            found = [rank[h.evidence_id] for h in hits]
            assert found == base_page, f"{name}: {found[:5]} != baseline {base_page[:5]}"
            assert reply.status_code == 200 and [
                rank[r["evidence_id"]] for r in reply.get_json()["results"]] == base_page, name
            yield name, ours, api, base_times, text_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--postgres", metavar="URL", default="",
                        help="an empty PostgreSQL database to build in instead of SQLCipher")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="build in DIR and keep it; a later run with the same DIR (and "
                             "--items, --seed) measures it again without building")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rows = run(args, folder)
    print(f"\nfirst page ({PAGE} hits) at {args.items} items, {args.repeat} queries each, "
          f"ms (p50 / p95); load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(f"{'query':<30} {'storage.search':>16} {'HTTP API':>16} {'bare FTS5':>16} "
          f"{'+ page texts':>16} {'p95 ratio':>10} {'to + texts':>10}")
    for name, ours, api, base, texts in rows:
        (o50, o95), (a50, a95) = p50_p95(ours), p50_p95(api)
        (b50, b95), (t50, t95) = p50_p95(base), p50_p95(texts)
        print(f"{name:<30} {o50:7.1f} / {o95:6.1f} {a50:7.1f} / {a95:6.1f} "
              f"{b50:7.1f} / {b95:6.1f} {t50:7.1f} / {t95:6.1f} {o95 / b95:9.1f}x "
              f"{o95 / t95:9.1f}x")


def run(args: argparse.Namespace, folder: Path) -> list:
    config = dataclasses.replace(load_config(env={}).with_data_dir(folder / "data"),
                                 vault=VaultConfig(kdf_memory_mib=8, kdf_iterations=1))
    if args.postgres:
        config = dataclasses.replace(config, storage=dataclasses.replace(
            config.storage, database_url=args.postgres))
    folder.mkdir(parents=True, exist_ok=True)
    built = folder / f"built-{args.items}-{args.seed}.json"
    if built.exists():
        baseline = sqlcipher3.connect(str(folder / "baseline.db"))
        services = Services.open(config, PASSPHRASE)
        owner_id = json.loads(built.read_text())["owner_id"]
    else:
        baseline = open_baseline(folder)
        services = Services.create(config, PASSPHRASE)
        started = time.perf_counter()
        owner_id = fill(services, baseline, args.items, args.seed)
        print(f"built {args.items} items in {time.perf_counter() - started:.0f} s "
              f"({services.engine.dialect.name} and the baseline)")
        built.write_text(json.dumps({"owner_id": owner_id}))
    with services, contextlib.closing(baseline):
        with services.session() as session:
            token = create_token(session, session.get(User, owner_id), "bench")[1]
        order = result_order(plan_items(args.items, args.seed)[0])
        return list(measure(services, baseline, token, order, args.repeat,
                            {**QUERIES, **phrase_queries(args.seed)}))


if __name__ == "__main__":
    main()
