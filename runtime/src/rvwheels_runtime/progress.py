"""Progress on stderr: one rewritten line on a terminal, plain lines in logs.

``Progress`` is the ``progress(stage, done, total)`` callback the generator calls; a
``section`` (e.g. "region 2/5" under the crop strategy) prefixes the stages that follow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

# In plain-line mode, at most one intermediate line per stage this often (first and last
# always print), so logs stay short.
PLAIN_INTERVAL = 5.0


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self._stream = sys.stderr if stream is None else stream
        self._tty = self._stream.isatty() if tty is None else tty
        self._clock = clock
        self._enabled = enabled
        self._start = clock()
        self._section = ""
        self._open_line = False
        self._last_plain: dict[str, float] = {}

    def section(self, name: str) -> None:
        self._section = name

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self._enabled:
            return
        label = f"{self._section}: {stage}" if self._section else stage
        now = self._clock()
        text = f"{label} {done}/{total}  [{now - self._start:.1f}s]"
        if self._tty:
            self._stream.write(f"\r\x1b[K{text}")
            self._open_line = done < total
            if not self._open_line:
                self._stream.write("\n")
        elif self._should_print(label, done, total, now):
            self._stream.write(f"{text}\n")
        self._stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (ends a half-written progress line first)."""
        if not self._enabled:
            return
        if self._open_line:
            self._stream.write("\n")
            self._open_line = False
        self._stream.write(f"{text}\n")
        self._stream.flush()

    def close(self) -> None:
        if self._open_line:
            self._stream.write("\n")
            self._stream.flush()
            self._open_line = False

    def elapsed(self) -> float:
        return self._clock() - self._start

    def _should_print(self, label: str, done: int, total: int, now: float) -> bool:
        last = self._last_plain.get(label)
        if done == 0 or done >= total or last is None or now - last >= PLAIN_INTERVAL:
            self._last_plain[label] = now
            return True
        return False
