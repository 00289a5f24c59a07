"""The evidence list (证据目录) as data, CSV and HTML; `logger.bundles.pdf` draws the same rows.

Columns (zh / en): 序号 (1-1, 1-2 … by group), 证据名称, 证据来源, 证明目的, 形成时间, 页码/文件,
原件/复印件, SHA-256. An exported call log's calls follow its row, one row each (1-3.1, 1-3.2 …,
`logger.bundles.calls`), the file as their source. Above the table, the HTML and PDF lists show
the bundle's signing key fingerprint (the CSV, read by machines, is the table alone). A court
list ends with the party's name, a signature line and the date. Times are local in the bundle's
zone: "2024-12-03 22:30" for people (HTML, PDF), ISO 8601 with the offset in the CSV, which
machines read.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from logger.bundles.items import Exhibit
from logger.i18n import NC_, InEachLanguage, translate
from logger.record.moments import machine_time

COLUMN_NAMES = (NC_("evidence list", "No."), NC_("evidence list", "Evidence"),
                NC_("evidence list", "Source"), NC_("evidence list", "What it proves"),
                NC_("evidence list", "Date formed"), NC_("evidence list", "Pages / file"),
                NC_("evidence list", "Original / copy"), NC_("evidence list", "SHA-256"))
# language -> the column headings, as the CSV, HTML and PDF lists print them.
COLUMNS = InEachLanguage(lambda language: tuple(translate(language, name)
                                                for name in COLUMN_NAMES))
PURPOSE_COLUMN = 3
FORMED_COLUMN = COLUMN_NAMES[4]


@dataclass(frozen=True)
class ListInfo:
    """What the list says above and below its table."""

    language: str
    title: str
    case_lines: tuple[str, ...]
    party: str
    date: str  # the export date, local
    court: bool
    # The zone of the bundle: the CSV, read by machines, writes each time in ISO 8601 with this
    # zone's offset (2024-12-03T22:30:00+08:00; a date alone when only that is known).
    zone: ZoneInfo | None = None
    # The bundle's signing key, shown above the table (HTML, PDF) for the reader to compare.
    fingerprint: str = ""

    def key_lines(self) -> list[str]:
        if not self.fingerprint:
            return []
        return [translate(self.language, "Signing key fingerprint (Ed25519): %(fingerprint)s",
                          fingerprint=self.fingerprint),
                translate(self.language, "The electronic bundle is signed with this key; it "
                          "proves who made the bundle only if this fingerprint matches the one "
                          "the sender gave you.")]

    def signature_lines(self) -> list[str]:
        if not self.court:
            return []
        return [translate(self.language, "Submitted by: %(party)s", party=self.party),
                translate(self.language, "Signature: ____________________"),
                translate(self.language, "Date: %(date)s", date=self.date)]


def list_title(language: str) -> str:
    return translate(language, "List of Evidence")


def pages_or_file(exhibit: Exhibit, language: str) -> str:
    """页码/文件: the pages in the print version (court), and the file in the bundle."""
    if exhibit.pages is None:
        return exhibit.original_path
    first, last = exhibit.pages
    span = str(first) if first == last else f"{first}–{last}"
    return translate(language, "p. %(pages)s; %(path)s", pages=span,
                     path=exhibit.original_path)


def rows(exhibits: list[Exhibit], language: str) -> list[tuple[str, ...]]:
    return [row for e in exhibits for row in exhibit_rows(e, language)]


def exhibit_rows(e: Exhibit, language: str) -> list[tuple[str, ...]]:
    """The exhibit's row, then one row per call when it is an exported call log."""
    place = pages_or_file(e, language)
    return [(e.number, e.name, e.source, e.purpose, e.formed_at, place, e.original_or_copy,
             e.evidence.sha256),
            *((c.number, c.description, c.source, e.purpose, c.when, place, "", "")
              for c in e.calls)]


def evidence_list_csv(exhibits: list[Exhibit], info: ListInfo) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS[info.language])
    for exhibit in exhibits:
        for row in exhibit_rows(exhibit, info.language):
            writer.writerow(_machine_times(row, exhibit, info.zone))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _machine_times(row: tuple[str, ...], exhibit: Exhibit, zone: ZoneInfo | None
                   ) -> tuple[str, ...]:
    """The row with its "date formed" in ISO 8601 with the zone's offset (kept as written when
    the time is not known: 日期不详)."""
    if zone is None:
        return row
    calls = {c.number: c for c in exhibit.calls}
    if row[0] in calls:
        when = machine_time(calls[row[0]].at, zone)
    elif exhibit.calls and exhibit.calls[0].at and exhibit.calls[-1].at:
        first, last = exhibit.calls[0].at, exhibit.calls[-1].at
        when = machine_time(first, zone) if first == last else \
            f"{machine_time(first, zone)}/{machine_time(last, zone)}"
    else:
        item = exhibit.evidence
        when = machine_time(item.occurred_at, zone, item.occurred_at_precision)
    column = COLUMN_NAMES.index(FORMED_COLUMN)
    return (*row[:column], when or row[column], *row[column + 1:])


_STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif;
       margin: 2rem; color: #111; }
h1 { font-size: 1.5rem; text-align: center; }
p.case { margin: .2rem 0; }
p.key { margin: .2rem 0; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: .85rem; }
th, td { border: 1px solid #444; padding: .35rem .5rem; vertical-align: top; text-align: left; }
th { background: #eee; }
td.hash { font-family: monospace; font-size: .7rem; word-break: break-all; }
.signature { margin-top: 2.5rem; line-height: 2.2; }
"""


def evidence_list_html(exhibits: list[Exhibit], info: ListInfo) -> str:
    """A standalone page (no scripts, nothing fetched); one group's purpose spans its rows."""
    esc = html.escape
    lines = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if info.language == "zh" else "en"}">',
             '<head><meta charset="utf-8">', f"<title>{esc(info.title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{esc(info.title)}</h1>"]
    lines += [f'<p class="case">{esc(line)}</p>' for line in info.case_lines]
    lines += [f'<p class="key">{esc(line)}</p>' for line in info.key_lines()]
    lines.append("<table><thead><tr>"
                 + "".join(f"<th>{esc(c)}</th>" for c in COLUMNS[info.language])
                 + "</tr></thead><tbody>")
    spans = group_spans(exhibits)
    for exhibit, row in ((e, r) for e in exhibits for r in exhibit_rows(e, info.language)):
        cells = []
        for index, value in enumerate(row):
            if index == PURPOSE_COLUMN:
                if row[0] not in spans:
                    continue
                cells.append(f'<td rowspan="{spans[exhibit.number]}">{esc(value)}</td>')
            elif index == len(row) - 1:
                cells.append(f'<td class="hash">{esc(value)}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    if info.court:
        lines.append('<div class="signature">'
                     + "<br>".join(esc(x) for x in info.signature_lines()) + "</div>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def group_spans(exhibits: list[Exhibit]) -> dict[str, int]:
    """The first exhibit number of each group -> how many rows the group has (an exported call
    log's calls are rows too)."""
    spans: dict[str, int] = {}
    first_of: dict[int, str] = {}
    for exhibit in exhibits:
        first = first_of.setdefault(exhibit.group, exhibit.number)
        spans[first] = spans.get(first, 0) + 1 + len(exhibit.calls)
    return spans
