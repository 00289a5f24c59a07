"""Reads tests/promises/data/promise_corpus.toml and puts suggestions in the corpus's terms, for
tests/promises/test_promise_text.py and bench/promise_extraction.py alike."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from logger.promises.text import Suggestion

CORPUS = Path(__file__).resolve().parents[1] / "promises" / "data" / "promise_corpus.toml"
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Case:
    text: str
    at: datetime
    side: str | None
    expect: list[dict]


def load_cases(path: Path = CORPUS) -> list[Case]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return [Case(c["text"], datetime.fromisoformat(c.get("at", data["default_at"]))
                 .replace(tzinfo=ZONE), c.get("side"), c["expect"]) for c in data["case"]]


def expected_rows(case: Case) -> list[dict]:
    """The expectations with their defaults filled in (no due, no amount, CNY)."""
    rows = []
    for e in case.expect:
        row = {"who": e["who"], "kind": e["kind"], "due": e.get("due"),
               "amount": e.get("amount"),
               "currency": e.get("currency", "CNY") if "amount" in e else None}
        for optional in ("condition", "instalments"):
            if optional in e:
                row[optional] = e[optional]
        rows.append(row)
    return rows


def actual_rows(suggestions: list[Suggestion], expected: list[dict]) -> list[dict]:
    """Suggestions as corpus rows; condition and instalments only where the corpus states
    them for the suggestion in the same place, so that a case says what it checks."""
    rows = []
    for index, s in enumerate(suggestions):
        data = s.to_dict()
        row = {"who": data["who"], "kind": data["kind"], "due": _minutes(data["due"]),
               "amount": data["amount"], "currency": data["currency"] if data["amount"] else None}
        wanted = expected[index] if index < len(expected) else {}
        if "condition" in wanted:
            row["condition"] = data["condition"]
        if "instalments" in wanted:
            row["instalments"] = [[_minutes(p["due"]) or "", p["amount"]]
                                  for p in data["instalments"]]
        rows.append(row)
    return rows


def _minutes(iso: str | None) -> str | None:
    """"2024-12-13T23:59+08:00" -> "2024-12-13T23:59" (the corpus is in local time)."""
    return iso[:16] if iso else None
