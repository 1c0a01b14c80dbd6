"""The one way to show progress: one line per package state change, with elapsed time and the
log's path, and a heartbeat while a step runs long (a numpy build is minutes; under qemu, more)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

HEARTBEAT_SECONDS = 60.0


@dataclass
class _Active:
    state: str
    since: float


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float | None = HEARTBEAT_SECONDS,
    ) -> None:
        self._stream = stream or sys.stderr
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._active: dict[str, _Active] = {}
        self._stop = threading.Event()
        if heartbeat:
            threading.Thread(target=self._beat, args=(heartbeat,), daemon=True).start()

    def info(self, message: str) -> None:
        self._print(message)

    def state(self, name: str, state: str, detail: str = "") -> None:
        with self._lock:
            self._active[name] = _Active(state, self._clock())
        self._print(f"{name}: {state}" + (f" — {detail}" if detail else ""))

    def finished(self, name: str, state: str, detail: str = "") -> None:
        with self._lock:
            self._active.pop(name, None)
        self._print(f"{name}: {state}" + (f" — {detail}" if detail else ""))

    def close(self) -> None:
        self._stop.set()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                active = list(self._active.items())
            for name, act in active:
                self._print(
                    f"{name}: still {act.state} ({format_seconds(self._clock() - act.since)})"
                )

    def _print(self, message: str) -> None:
        stamp = format_seconds(self._clock() - self._start)
        with self._lock:
            print(f"[{stamp:>7}] {message}", file=self._stream, flush=True)


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


def log_path(logs_dir: Path, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return logs_dir / name / f"{stamp}.log"
