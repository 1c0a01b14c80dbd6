"""The one way to start a process.

``run`` echoes the command (and the environment variables it adds) into the log, streams the
process's output into that log, enforces a timeout on the whole process group, and raises
``CommandFailed`` with the tail of the log when the process fails.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from rvwheels.errors import CommandFailed, EnvError

TAIL_LINES = 25
# Process groups started by run() and still alive. Builds run in worker threads, where Ctrl-C
# never arrives; the main thread calls terminate_all() so no build outlives an interrupt.
_live: set[int] = set()
_live_lock = threading.Lock()


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    log: Path | None = None,
    timeout: float | None = None,
    capture: bool = False,
) -> str:
    """Run ``argv``; return its stdout when ``capture`` else "".

    ``env`` is added to (not substituted for) the current environment. Without ``log`` and
    without ``capture`` the output goes to our own stdout/stderr.
    """
    args = [os.fspath(a) for a in argv]
    program = _resolve(args[0], env)
    full_env = {**os.environ, **(env or {})}
    _echo(args, env, log)
    sink = _open_sink(log)
    try:
        proc = subprocess.Popen(
            [program, *args[1:]],
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else sink,
            stderr=sink if log else (subprocess.PIPE if capture else None),
            text=True,
            start_new_session=True,
        )
        with _live_lock:
            _live.add(proc.pid)
        try:
            out, err = _wait(proc, timeout, args, log)
        finally:
            with _live_lock:
                _live.discard(proc.pid)
    finally:
        if sink is not None:
            sink.close()
    if proc.returncode != 0:
        detail = log_tail(log) if log else (err or out or "").strip()[-2000:]
        raise CommandFailed(
            f"{shlex.join(args[:3])}{' …' if len(args) > 3 else ''} exited with {proc.returncode}"
            + (f"\n{detail}" if detail else ""),
            returncode=proc.returncode,
            log_path=str(log) if log else None,
        )
    return out or ""


def terminate_all() -> None:
    """Kill every process group that run() started and that is still running."""
    with _live_lock:
        groups = list(_live)
    for pid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _resolve(program: str, env: Mapping[str, str] | None) -> str:
    path = (env or {}).get("PATH", os.environ.get("PATH"))
    found = shutil.which(program, path=path)
    if found is None:
        msg = f"'{program}' was not found on PATH; run 'rvwheels setup' or install it"
        raise EnvError(msg)
    return found


def _echo(args: list[str], env: Mapping[str, str] | None, log: Path | None) -> None:
    if log is None:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as f:
        added = {k: v for k, v in (env or {}).items() if os.environ.get(k) != v}
        for key, value in sorted(added.items()):
            f.write(f"+ export {key}={shlex.quote(value)}\n")
        f.write(f"+ {shlex.join(args)}\n")


def _open_sink(log: Path | None):
    return log.open("a") if log is not None else None


def _wait(proc: subprocess.Popen, timeout: float | None, args: list[str], log: Path | None):
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        msg = f"{shlex.join(args[:3])} … timed out after {timeout:.0f} s"
        raise CommandFailed(msg, returncode=-1, log_path=str(log) if log else None) from None
    except BaseException:
        # Ctrl-C or an error in our own thread: never leave an orphaned build running.
        _kill_group(proc)
        raise


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def log_tail(log: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a log, or "" when it cannot be read."""
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])
