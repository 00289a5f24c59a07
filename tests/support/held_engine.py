"""A transcription engine for tests that reports progress in steps and waits between them until
the test lets it go on, and a worker thread running the real transcribe handler with it: what a
page shows while a long recording is being transcribed, without Whisper and without sleeping."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from logger.jobs.worker import JobCancelled, Worker
from storage.models import JobKind
from transcription.engines.base import Segment, Transcript
from transcription.jobs.transcribe import transcribe_handler
from tests.support.jobs import Clock

WAIT_S = 60  # a bound on waiting for the other thread, never a measure of time


class HeldEngine:
    """`transcribe` reports each of `steps`, then waits until the test calls `go_on()`; after
    the last step it reports 1.0 and returns one segment. `reached()` waits for the next report
    and returns its fraction (the handler's progress call has returned by then)."""

    name = model_name = "held"

    def __init__(self, steps=(0.25, 0.5, 0.75), *, clock: Clock | None = None,
                 seconds_per_step: float = 0.0) -> None:
        self.steps, self.clock, self.seconds_per_step = tuple(steps), clock, seconds_per_step
        self.go = threading.Event()
        self._free = False
        self.cancelled = threading.Event()
        self._reports: queue.Queue[float] = queue.Queue()

    def transcribe(self, audio, *, language=None, prompt=None, progress=None) -> Transcript:
        try:
            for fraction in self.steps:
                self._work_a_while()
                progress(fraction)
                self._reports.put(fraction)
                assert self.go.wait(WAIT_S), "the test never let the engine go on"
                if not self._free:
                    self.go.clear()
            progress(1.0)
        except JobCancelled:
            self.cancelled.set()
            raise
        return Transcript(language or "zh", len(audio) / 16_000, self.name, self.model_name,
                          (Segment(start=0.0, end=1.0, text="您好", avg_logprob=-0.1,
                                  no_speech_prob=0.01),))

    def reached(self) -> float:
        return self._reports.get(timeout=WAIT_S)

    def go_on(self) -> None:
        self.go.set()

    def finish(self) -> None:
        """Let every step after this one pass without waiting."""
        self._free = True
        self.go.set()

    def _work_a_while(self) -> None:
        """The time the segments took, on the worker's clock (a long file: many seconds)."""
        if self.clock is not None:
            self.clock.advance(self.seconds_per_step)


@contextmanager
def transcribing(services, engine: HeldEngine, monkeypatch, *,
                 clock: Clock | None = None) -> Iterator[threading.Thread]:
    """A worker thread running the next queued job with the real transcribe handler and
    `engine`; joined on leaving (the test lets the engine finish, or cancels the job)."""
    monkeypatch.setattr("transcription.jobs.transcribe.make_engine",
                        lambda config, cache_dir: engine)
    worker = Worker(services, handlers={JobKind.transcribe: transcribe_handler}, lease_s=60,
                    poll_s=0.05, **({"clock": clock} if clock is not None else {}))
    thread = threading.Thread(target=worker.run_once, name="test-transcribe", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        engine.finish()
        thread.join(WAIT_S)
        assert not thread.is_alive(), "the transcribe job did not end"

