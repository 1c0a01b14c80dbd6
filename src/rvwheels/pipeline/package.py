"""One package through its phases, in order: checking, fetching, preparing, building,
repairing, testing. Each phase takes frozen inputs and returns a frozen result; this module only
sequences them, times them and shows progress. Nothing here writes to the wheelhouse: the
scheduler publishes a wheel only after it passed its tests, so a failed or interrupted build
never leaves anything there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from rvwheels.builder.check import check_environment
from rvwheels.builder.compile import compile_wheel
from rvwheels.builder.fetching import fetch
from rvwheels.builder.job import BuildJob
from rvwheels.builder.prepare import prepare
from rvwheels.pipeline.record import build_record
from rvwheels.progress import Progress
from rvwheels.repair import repair
from rvwheels.verify.wheeltest import Tested, run_tests

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Built:
    wheel: Path  # repaired and tested, not yet published
    record: dict[str, object]


@dataclass
class PhaseClock:
    """Runs phases with a progress line each, and keeps how long each took."""

    job: BuildJob
    progress: Progress
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, state: str, phase: Callable[..., T], *args: object) -> T:
        self.progress.state(self.job.name, state, f"log: {self.job.log}")
        started = time.monotonic()
        try:
            return phase(*args)
        finally:
            self.seconds[state] = round(time.monotonic() - started, 1)


def build_package(job: BuildJob, *, progress: Progress, run_tests_after: bool = True) -> Built:
    clock = PhaseClock(job, progress)
    checked = clock.run("checking", check_environment, job)
    fetched = clock.run("fetching", fetch, job)
    prepared = clock.run("preparing", prepare, job, fetched)
    compiled = clock.run("building", compile_wheel, job, fetched, prepared)
    repaired = clock.run("repairing", repair, job, compiled)
    tested = Tested(ran=False, seconds=0.0)
    if run_tests_after:
        tested = clock.run("testing", run_tests, job, repaired)
    record = build_record(
        job,
        checked=checked,
        fetched=fetched,
        compiled=compiled,
        repaired=repaired,
        tested=tested,
        seconds=clock.seconds,
    )
    return Built(wheel=repaired.wheel, record=record)
