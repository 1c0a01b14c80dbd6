"""One inference at a time: a worker thread, a bounded queue and the jobs' progress.

A request first ``reserve``s a place in the queue (before its upload is read and decoded, so
that a refused request costs nothing), then ``submit``s its job into that place; the single
worker runs jobs in order through the strategy and the backend. The backend was built with
``Engine.report`` as its progress callback, so its ``(stage, done, total)`` calls update the
running job's fraction done. A full queue raises
``QueueFull`` with a retry estimate from recent jobs' durations.
"""

from __future__ import annotations

import math
import secrets
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from rvwheels_runtime.strategies import Inpainter, Strategy

# How much of a LaMa run each of the generator's stages takes (the 18 blocks: 84 %).
LAMA_STAGES = (("encoder", 0.06), ("blocks", 0.84), ("decoder", 0.10))
# Finished jobs kept for their results; older ones are forgotten.
KEEP_FINISHED = 8
# Retry-After when no job has finished yet to estimate from.
FIRST_GUESS_SECONDS = 10.0

Encode = Callable[[np.ndarray], bytes]
Stages = Sequence[tuple[str, float]]


class QueueFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the eraser is busy; try again in {retry_after} s")
        self.retry_after = retry_after


class Ticket:
    """A place in the queue, held while a request's upload is read and decoded; given back
    when the ``with`` block ends without a ``submit``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.used = False

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.used:
            self.used = True
            self._engine._give_back()


class Job:
    """One inpainting; the worker writes its state, request threads read ``status()``."""

    def __init__(self, image: np.ndarray, mask: np.ndarray, submitted: float) -> None:
        self.id = secrets.token_hex(8)
        self.image: np.ndarray | None = image
        self.mask: np.ndarray | None = mask
        self.width, self.height = image.shape[1], image.shape[0]
        self.submitted = submitted
        self.started: float | None = None
        self.finished: float | None = None
        self.state = "queued"
        self.stage = ""
        self.fraction = 0.0
        self.result: bytes | None = None
        self.error: str | None = None
        self.done = threading.Event()

    def status(self, now: float, position: int) -> dict[str, object]:
        end = self.finished if self.finished is not None else now
        running = 0.0 if self.started is None else end - self.started
        status: dict[str, object] = {
            "id": self.id,
            "status": self.state,
            "stage": self.stage,
            "fraction": round(self.fraction, 4),
            "elapsed": round(end - self.submitted, 2),
            "running": round(running, 2),
            "width": self.width,
            "height": self.height,
        }
        if self.state == "queued":
            status["position"] = position
        if self.error is not None:
            status["error"] = self.error
        return status

    def finish(self, now: float, *, result: bytes | None = None, error: str | None = None) -> None:
        self.image = self.mask = None  # the arrays are no longer needed; free them now
        self.result, self.error = result, error
        self.state = "failed" if error is not None else "done"
        if error is None:
            self.fraction = 1.0
        self.finished = now
        self.done.set()


class Fraction:
    """Turns the backend's (stage, done, total) and the strategy's regions into 0…1."""

    def __init__(self, stages: Stages) -> None:
        self._order = [name for name, _ in stages]
        self._weights = dict(stages)
        self._total = sum(self._weights.values()) or 1.0
        self.region, self.regions = 0, 1

    def of(self, stage: str, done: int, total: int) -> float:
        part = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        if stage in self._weights:
            before = sum(self._weights[s] for s in self._order[: self._order.index(stage)])
            within = (before + self._weights[stage] * part) / self._total
        else:
            within = part
        return (self.region + within) / self.regions


class Engine:
    """The worker thread and its queue; ``capacity`` jobs may wait while one runs."""

    def __init__(
        self,
        *,
        strategy: Strategy,
        encode: Encode,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 0:
            msg = f"the queue size must be >= 0, got {capacity}"
            raise ValueError(msg)
        self._strategy = strategy
        self._encode = encode
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._finished: deque[str] = deque()
        self._current: Job | None = None
        self._reserved = 0
        self._fraction = Fraction(())
        self._durations: deque[float] = deque(maxlen=5)
        self._closed = False
        self._worker: threading.Thread | None = None

    def start(self, backend: Inpainter, stages: Stages) -> None:
        self._backend = backend
        self._stages = stages
        self._worker = threading.Thread(target=self._work, name="eraser-worker", daemon=True)
        self._worker.start()

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)

    def report(self, stage: str, done: int, total: int) -> None:
        """The backend's progress callback: updates the running job."""
        job = self._current
        if job is not None:
            job.stage = stage
            job.fraction = max(job.fraction, self._fraction.of(stage, done, total))

    def reserve(self) -> Ticket:
        """A place in the queue, or QueueFull when ``capacity`` jobs already wait or hold one."""
        with self._lock:
            if self._closed:
                raise QueueFull(retry_after=60)
            pending = len(self._waiting) + (self._current is not None) + self._reserved
            if pending > self._capacity:
                raise QueueFull(retry_after=self._retry_after())
            self._reserved += 1
        return Ticket(self)

    def submit(self, image: np.ndarray, mask: np.ndarray, ticket: Ticket) -> Job:
        """Queue a job in the place ``ticket`` holds (an empty mask is done at once)."""
        if ticket.used:
            msg = "a ticket queues one job only"
            raise ValueError(msg)
        job = Job(image, mask, self._clock())
        if not mask.any():  # nothing to fill: done at once; the ticket goes back unused
            job.finish(self._clock(), result=self._encode(image))
            self._remember(job)
            return job
        with self._lock:
            if self._closed:
                raise QueueFull(retry_after=60)
            ticket.used = True
            self._reserved -= 1
            self._waiting.append(job)
            self._jobs[job.id] = job
            self._lock.notify_all()
        return job

    def _give_back(self) -> None:
        with self._lock:
            self._reserved -= 1

    def find(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def forget(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)

    def status(self, job: Job) -> dict[str, object]:
        with self._lock:
            position = next((i for i, j in enumerate(self._waiting, 1) if j is job), 0)
        return job.status(self._clock(), position)

    def _retry_after(self) -> int:
        typical = sum(self._durations) / len(self._durations) if self._durations else None
        pending = len(self._waiting) + (self._current is not None) + self._reserved
        return max(1, min(3600, math.ceil((typical or FIRST_GUESS_SECONDS) * pending)))

    def _remember(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._finished.append(job.id)
            while len(self._finished) > KEEP_FINISHED:
                self._jobs.pop(self._finished.popleft(), None)

    def _next(self) -> Job | None:
        with self._lock:
            while not self._waiting and not self._closed:
                self._lock.wait()
            if self._closed:
                return None
            job = self._current = self._waiting.popleft()
            self._fraction = Fraction(self._stages)
            job.state, job.started = "running", self._clock()
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._current = None
                    if job.started is not None and job.finished is not None:
                        self._durations.append(job.finished - job.started)
                self._remember(job)

    def _run(self, job: Job) -> None:
        assert job.image is not None and job.mask is not None
        try:
            result = self._strategy.run(
                self._backend, job.image, job.mask, on_region=self._on_region
            )
            job.finish(self._clock(), result=self._encode(result))
        except MemoryError:
            message = "out of memory: erase a smaller area or use a smaller photo"
            job.finish(self._clock(), error=message)
        except Exception as err:  # noqa: BLE001 - reported to the client as one line
            traceback.print_exc(file=sys.stderr)
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            job.finish(self._clock(), error=f"inpainting failed: {message}")

    def _on_region(self, number: int, count: int) -> None:
        self._fraction.region, self._fraction.regions = number - 1, count
