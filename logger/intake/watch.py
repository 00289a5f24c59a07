"""Watched folders: a new file that has stopped changing is stored as evidence once, then moved
to `done/` in its folder (or to `refused/`, beside a `<name>.reason.txt` saying why). A phone's
recordings folder synced to the computer thus flows in by itself.

Polling, no inotify: each pass lists the top level of each folder. A file is taken when its size
and modification time are the same as at the previous pass and it was last modified at least
`settle_s` seconds ago, so a file a sync tool is still writing is left alone. Hidden files and
the partial files of downloads and sync tools (".part", ".tmp", "~$...") are skipped. A file
stored but not yet moved (a crash in between) is found again as a duplicate and moved then.
Runs as `liuhen watch DIR` (`logger.cli.watch`) or inside `liuhen serve` (`start_background`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from logger.errors import DuplicateEvidence, IntakeError
from logger.intake.ingest import IncomingFile, ingest
from logger.services import Services
from storage.models import Negotiation, User

log = logging.getLogger(__name__)

DONE, REFUSED = "done", "refused"
_PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", "~",
                     ".reason.txt")


@dataclass(frozen=True)
class WatchOutcome:
    """What happened to one file: stored (`evidence_id`), duplicate (of `evidence_id`) or
    refused (`reason`), and where the file went."""

    path: Path
    status: str
    moved_to: Path
    evidence_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict:
        return {"file": str(self.path), "status": self.status, "moved_to": str(self.moved_to),
                "evidence_id": self.evidence_id, "reason": self.reason}


class FolderWatcher:
    """Takes the settled files of `folders` into negotiation `negotiation_id`."""

    def __init__(self, services: Services, folders: list[Path], negotiation_id: int, *,
                 settle_s: float, clock: Callable[[], float] = time.time) -> None:
        """`clock`: the time (seconds since the epoch) a file's modification time is aged by."""
        self.services = services
        self.clock = clock
        self.folders = [Path(folder).expanduser() for folder in folders]
        self.negotiation_id = negotiation_id
        self.settle_s = settle_s
        self._seen: dict[Path, tuple[int, int]] = {}
        self._missing_reported: set[Path] = set()

    def scan(self, *, first_sight_ok: bool = False) -> list[WatchOutcome]:
        """One pass over the folders: take every settled file. `first_sight_ok` takes a file
        that is old enough at its first sight (for a single pass, `liuhen watch --once`)."""
        outcomes, present = [], set()
        for path in self._candidates():
            present.add(path)
            try:
                if self._settled(path, first_sight_ok):
                    outcomes.append(self.take(path))
            except FileNotFoundError:  # moved away or deleted by someone else meanwhile
                self._seen.pop(path, None)
        # Forget files that went away without us.
        self._seen = {path: state for path, state in self._seen.items() if path in present}
        return outcomes

    def run_forever(self, stop: threading.Event, *, poll_s: float) -> None:
        """Scan every `poll_s` seconds until `stop` is set. Errors are logged; the watch goes
        on (a file that could not be taken is tried again at the next pass)."""
        log.info("watching %s for negotiation #%d", ", ".join(map(str, self.folders)),
                 self.negotiation_id)
        while not stop.is_set():
            try:
                self.scan()
            except Exception:
                log.exception("the watched-folder pass failed; trying again in %s s", poll_s)
            stop.wait(poll_s)

    def take(self, path: Path) -> WatchOutcome:
        """Ingest one file now and move it to done/ or refused/."""
        self._seen.pop(path, None)
        with self.services.session() as session:
            negotiation = session.get(Negotiation, self.negotiation_id)
            if negotiation is None:
                raise IntakeError(f"negotiation #{self.negotiation_id} does not exist (config "
                                  "key `watch.negotiation` or --negotiation)")
            actor = session.get(User, negotiation.owner_id)
            try:
                with open(path, "rb") as stream:
                    item = ingest(session=session, blobs=self.services.blobs,
                                  source=IncomingFile(stream, path.name, source="watch"),
                                  negotiation=negotiation, actor=actor,
                                  max_bytes=self.services.config.intake.max_file_bytes,
                                  tz=self.services.config.locale.zone,
                                  max_messages=self.services.config.intake
                                  .max_messages_per_import)
            except DuplicateEvidence as e:
                log.info("%s is already evidence #%d; moved to %s/", path, e.existing_id, DONE)
                return WatchOutcome(path, "duplicate", _move(path, DONE), e.existing_id, str(e))
            except IntakeError as e:
                log.warning("%s was refused: %s", path, e)
                moved = _move(path, REFUSED)
                _write_reason(moved, str(e))
                return WatchOutcome(path, "refused", moved, reason=str(e))
        log.info("%s stored as evidence #%d", path, item.id)
        return WatchOutcome(path, "stored", _move(path, DONE), item.id)

    def _candidates(self) -> Iterator[Path]:
        for folder in self.folders:
            if not folder.is_dir():
                if folder not in self._missing_reported:
                    log.warning("the watched folder %s does not exist (yet); it is checked "
                                "again at each pass", folder)
                    self._missing_reported.add(folder)
                continue
            self._missing_reported.discard(folder)
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
            yield from (folder / name for name in names if not _is_partial(name))

    def _settled(self, path: Path, first_sight_ok: bool) -> bool:
        stat = path.stat()
        state = (stat.st_size, stat.st_mtime_ns)
        previous = self._seen.get(path)
        self._seen[path] = state
        if self.clock() - stat.st_mtime < self.settle_s or stat.st_size == 0:
            return False
        return first_sight_ok or previous == state


def _is_partial(name: str) -> bool:
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(_PARTIAL_SUFFIXES)


def _move(path: Path, subfolder: str) -> Path:
    """Move `path` into `subfolder` of its folder, never over an existing file."""
    target_dir = path.parent / subfolder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    number = 1
    while target.exists():
        target = target_dir / f"{path.stem} ({number}){path.suffix}"
        number += 1
    os.replace(path, target)
    return target


def _write_reason(moved: Path, reason: str) -> None:
    when = datetime.now(UTC).isoformat(timespec="seconds")
    moved.with_name(moved.name + ".reason.txt").write_text(
        f"{moved.name} was not stored as evidence ({when}):\n{reason}\n", encoding="utf-8")


def start_background(services: Services, stop: threading.Event) -> threading.Thread:
    """Start watching the `[watch]` folders for `liuhen serve` (entry point `liuhen.background`:
    watch). With no folders configured the thread ends at once."""
    settings = services.config.watch

    def run() -> None:
        if not settings.dirs:
            return
        watcher = FolderWatcher(services, [Path(d) for d in settings.dirs],
                                settings.negotiation, settle_s=settings.settle_seconds)
        watcher.run_forever(stop, poll_s=settings.poll_seconds)

    thread = threading.Thread(target=run, name="liuhen-watch", daemon=True)
    thread.start()
    return thread
