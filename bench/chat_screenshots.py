"""Chat screenshot figures: who said each message, which lines are the phone's bars, the time
each message takes, and whether overlapping screenshots merge, on WeChat-style screenshots
drawn from seeds (tests/support/chat_corpus.py), for the tuning seeds and the held-out seeds,
beside the code of a baseline commit run on the same OCR lines.

    .venv/bin/python bench/chat_screenshots.py [--baseline 882fc45] [--perfect] [--show]

Each screenshot is read once by the OCR engine and the lines are cached (`--cache`), so a second
run only lays them out. `--perfect` hands the layout the lines as drawn instead (no OCR).
Figures per set:
  sides      messages given the side they were drawn on / messages with a whole line on screen
             (unknown and wrong sides are counted apart; a wrong side is the worse error)
  bars       lines of the status, title and input bars (and avatars) taken as messages; the
             title kept as the conversation's title is not a message
  stamps     time stamps or notices taken as messages
  times      messages whose time is that of the stamp above them in the conversation (or
             None when that stamp does not show on the screen) / messages found; a time that
             is not theirs is counted apart (wrong)
  merges     pairs merged in both upload orders, each message once / pairs
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.chat_corpus import (HELD_OUT_SEEDS, SECOND_HELD_OUT_SEEDS,  # noqa: E402
                                       THIRD_HELD_OUT_SEEDS, TUNING_SEEDS, Case, make_case)
from tests.support.chat_images import Message, Stamp, drawn_lines, png_bytes  # noqa: E402

BASELINE_FILES = {"chat_layout": "transcription/ocr/chat_layout.py",
                  "chat_times": "transcription/ocr/chat_times.py",
                  "reader": "transcription/ocr/reader.py",
                  "chat_merge": "logger/extract/chat_merge.py"}


def baseline_code(rev: str, folder: Path):
    """(chat_segments, merge_conversations, TextLine) of the code at `rev`, imported from a
    copy whose imports of its own modules point at the copy."""
    package = folder / "baseline_chat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, path in BASELINE_FILES.items():
        source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        for other, other_path in BASELINE_FILES.items():
            module = other_path[:-3].replace("/", ".")
            source = source.replace(f"from {module} import", f"from baseline_chat.{other} import")
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    layout = importlib.import_module("baseline_chat.chat_layout")
    merge = importlib.import_module("baseline_chat.chat_merge")
    reader = importlib.import_module("baseline_chat.reader")
    return layout.chat_segments, merge.merge_conversations, reader.TextLine


def current_code():
    from logger.extract.chat_merge import merge_conversations
    from transcription.ocr.chat_layout import chat_segments
    from transcription.ocr.reader import TextLine
    return chat_segments, merge_conversations, TextLine


def read_lines(image, cache: Path, engine_box: list) -> list[tuple[list[int], str, float]]:
    data = png_bytes(image)
    path = cache / f"{hashlib.sha256(data).hexdigest()[:20]}.json"
    if path.exists():
        return json.loads(path.read_text())
    if not engine_box:
        from transcription.ocr.reader import OcrEngine
        engine_box.append(OcrEngine())
    lines = [(list(line.box), line.text, line.score) for line in engine_box[0].read(image)]
    path.write_text(json.dumps(lines, ensure_ascii=False))
    return lines


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.notes: list[str] = []

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "")


def where(case: Case, shot, segment: dict):
    """What a segment lies on: ("bar", part), ("item", index) or ("nothing", None)."""
    x0, y0, x1, y1 = segment["box"]
    cy = (y0 + y1) / 2
    screen = shot.screen
    if cy < screen.chat_top or cy > screen.chat_bottom:
        return "bar", None
    y = screen.on_canvas(cy)
    for index, placed in enumerate(case.placed):
        bottom = placed.bubble[3] if placed.bubble else placed.bottom
        left, right = (placed.bubble[0], placed.bubble[2]) if placed.bubble else (0, 1 << 30)
        if placed.top - 4 <= y <= bottom + 4 and left - 8 <= (x0 + x1) / 2 <= right + 8:
            return "item", index
    return "nothing", None


def expected(case: Case, shot) -> dict[int, tuple[datetime | None, bool]]:
    """The messages with a whole line on the screen, with the time of the last stamp above
    them in the conversation and whether some of that stamp shows on the screen (if not,
    no time is as right as that time)."""
    screen = shot.screen
    whole = {(box, text) for box, text in drawn_lines(screen, case.placed)}
    current, seen, found = None, False, {}
    for index, placed in enumerate(case.placed):
        shown = [(x0, int(screen.on_screen(y0)), x1, int(screen.on_screen(y1)))
                 for (x0, y0, x1, y1), _ in placed.lines]
        visible = any((box, text) in whole for box, (_, text) in zip(shown, placed.lines))
        if isinstance(placed.item, Stamp):
            middle = screen.on_screen((placed.top + placed.bottom) / 2)
            current, seen = case.times[index], screen.chat_top < middle < screen.chat_bottom
        elif isinstance(placed.item, Message) and visible:
            found[index] = (current, seen)
    return found


def score_shot(case: Case, shot, segments: list[dict], tally: Tally, label: str) -> None:
    wanted = expected(case, shot)
    by_item: dict[int, list[dict]] = {}
    for segment in segments:
        place, index = where(case, shot, segment)
        kind = segment.get("kind")
        if place == "bar":
            if kind == "title" and _plain(segment["text"]) == _plain(shot.title):
                tally.add("titles")
            elif kind in (None, "message"):
                tally.add("bars")
                tally.notes.append(f"{label}: bar line as a message {segment['text']!r}")
        elif place == "nothing":
            if kind in (None, "message"):
                tally.add("bars")
                tally.notes.append(f"{label}: stray line as a message {segment['text']!r}")
        elif isinstance(case.items[index], Message):
            by_item.setdefault(index, []).append(segment)
        elif kind in (None, "message") or segment.get("side"):
            tally.add("stamps")
            tally.notes.append(f"{label}: {type(case.items[index]).__name__} as a message "
                               f"{segment['text']!r} ({segment.get('side')})")
    for index, (time_expected, stamp_shown) in wanted.items():
        item = case.items[index]
        found = by_item.get(index, [])
        tally.add("messages")
        sides = {s.get("side") for s in found}
        if not found:
            tally.add("missing")
            tally.notes.append(f"{label}: missing {item.text!r}")
        elif sides == {item.side}:
            tally.add("right")
        elif sides <= {item.side, None}:   # all or part of it without a side: not wrong
            tally.add("unknown")
            tally.notes.append(f"{label}: side unknown {item.text!r} ({sides})")
        else:
            tally.add("wrong")
            tally.notes.append(f"{label}: side {sides} for {item.side} {item.text!r}")
        if len(found) > 1:
            tally.add("split")
        if found:
            tally.add("timed")
            said = found[0].get("time")
            said = datetime.fromisoformat(said.replace("Z", "+00:00")) if said else None
            if said == time_expected or (said is None and not stamp_shown):
                tally.add("time_right")
            else:
                tally.add("time_wrong", said is not None)
                tally.notes.append(f"{label}: time {said} for {time_expected} {item.text!r}")


def score_merge(case: Case, segments: list[list[dict]], merge, tally: Tally, label: str) -> None:
    ok = True
    for order in ((0, 1), (1, 0)):
        merged = merge([(i, segments[i]) for i in order])
        seen: dict[int, int] = {}
        joined = False
        for message in merged:
            source, box = message["sources"][0], message["boxes"][0]
            place, index = where(case, case.shots[source], {"box": box})
            if place == "item" and isinstance(case.items[index], Message):
                seen[index] = seen.get(index, 0) + 1
                joined |= len(message["sources"]) > 1
        twice = [case.items[i].text for i, n in seen.items() if n > 1]
        if twice or not joined:
            ok = False
            tally.notes.append(f"{label}: order {order} not merged (twice: {twice})")
    tally.add("pairs")
    tally.add("merged", ok)


def run_set(seeds, code, cache: Path, perfect: bool, engine_box: list) -> Tally:
    chat_segments, merge, text_line = code
    tally = Tally()
    for seed in seeds:
        case = make_case(seed)
        per_shot = []
        for number, shot in enumerate(case.shots):
            if perfect:
                raw = [(list(box), text, 1.0) for box, text in drawn_lines(shot.screen,
                                                                           case.placed)]
            else:
                raw = read_lines(shot.screen.image, cache, engine_box)
            lines = [text_line(box=tuple(box), text=text, score=score) for box, text, score in raw]
            segments = chat_segments(lines, shot.screen.image.convert("RGB"),
                                     reference=shot.taken)
            per_shot.append(segments)
            score_shot(case, shot, segments, tally, f"seed {seed} shot {number}")
        score_merge(case, per_shot, merge, tally, f"seed {seed}")
    return tally


def report(name: str, tally: Tally) -> str:
    messages = max(1, tally["messages"])
    return (f"{name:28} sides {tally['right'] / messages:.3f} ({tally['right']}/"
            f"{tally['messages']}; unknown {tally['unknown']}, wrong {tally['wrong']}, "
            f"missing {tally['missing']}, split {tally['split']})  bars as messages "
            f"{tally['bars']}  stamps/notices as messages {tally['stamps']}  titles kept "
            f"{tally['titles']}  times {tally['time_right'] / max(1, tally['timed']):.3f} "
            f"({tally['time_right']}/{tally['timed']}; wrong {tally['time_wrong']})  "
            f"merges {tally['merged']}/"
            f"{tally['pairs']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="882fc45", help="git revision to compare with")
    parser.add_argument("--cache", type=Path,
                        default=Path.home() / ".cache" / "liuhen-bench" / "chat")
    parser.add_argument("--perfect", action="store_true", help="lines as drawn, no OCR")
    parser.add_argument("--show", action="store_true", help="print each error")
    parser.add_argument("--sets", default="tuning,held-out,held-out-2,held-out-3")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sets = {"tuning": TUNING_SEEDS, "held-out": HELD_OUT_SEEDS,
            "held-out-2": SECOND_HELD_OUT_SEEDS, "held-out-3": THIRD_HELD_OUT_SEEDS}
    engine_box: list = []
    with tempfile.TemporaryDirectory() as folder:
        codes = {f"baseline {args.baseline}": baseline_code(args.baseline, Path(folder)),
                 "current": current_code()}
        for set_name in args.sets.split(","):
            seeds = sets[set_name]
            print(f"{set_name}: seeds {seeds.start}-{seeds.stop - 1}, "
                  f"{2 * len(seeds)} screenshots{' (lines as drawn)' if args.perfect else ''}")
            for code_name, code in codes.items():
                start = time.perf_counter()
                tally = run_set(seeds, code, args.cache, args.perfect, engine_box)
                print("  " + report(code_name, tally)
                      + f"  [{time.perf_counter() - start:.1f} s]")
                if args.show and code_name == "current":
                    print("\n".join("    " + note for note in tally.notes))


if __name__ == "__main__":
    main()
