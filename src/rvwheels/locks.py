"""The one way to take an inter-process lock: an exclusive flock on a file, held for the block.

Several rvwheels processes may share a cache (parallel CI steps, a user with two terminals):
the per-package work folder and each wheel-cache folder are guarded by these locks."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path, *, on_wait=None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed); call ``on_wait()`` once if
    another process holds it and we have to wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def make_once(folder: Path, ready: Callable[[], bool], make: Callable[[], None]) -> None:
    """Call ``make`` to fill ``folder`` unless ``ready()``: two processes asking at once make
    it once (the second waits for the first, then finds it ready)."""
    if ready():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(folder.with_name(f".{folder.name}.lock")):
        if not ready():
            make()
