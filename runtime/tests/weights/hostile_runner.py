"""Load each weights file named on stdin in a forked child; print one JSON line per file.

    python hostile_runner.py REFERENCE TIMEOUT < paths

The hostile-input test starts this script, so a crash (a segfault) in the reader kills one
child instead of pytest. Each child loads its file in the file's folder with an audit hook
watching for code execution, then loads the genuine REFERENCE again (a file must not change
how the next one loads). The parent reports how the child ended and its peak RSS (wait4).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from rvwheels_runtime.weights import WeightsError, load_weights

# Audit events that mean the file made the reader run, import or write something. ("compile"
# is not one: numpy parses .npy headers with ast.literal_eval; running code raises "exec".)
WATCHED = {
    "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "exec",
    "import", "pickle.find_class", "ctypes.dlopen", "socket.connect", "os.remove",
    "shutil.rmtree", "webbrowser.open", "code.__new__", "marshal.loads", "builtins.input",
}  # fmt: skip
_WRITE_MODES = set("wax+")


def main() -> int:
    reference, timeout = Path(sys.argv[1]), int(sys.argv[2])
    expected = load_weights(reference)
    for line in sys.stdin:
        path = Path(line.rstrip("\n"))
        print(json.dumps({"path": str(path), **_fork(path, reference, expected, timeout)}))
        sys.stdout.flush()
    return 0


def _fork(path: Path, reference: Path, expected: dict, timeout: int) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        try:
            os.chdir(path.parent)
            signal.alarm(timeout)  # SIGALRM ends a child that hangs
            report = _load(path, reference, expected)
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    seconds = usage.ru_utime + usage.ru_stime
    return {
        **(json.loads(report) if report else {}),
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "maxrss_kb": usage.ru_maxrss,
        "seconds": round(seconds, 3),
    }


def _load(path: Path, reference: Path, expected: dict) -> dict[str, Any]:
    events: list[str] = []

    def watch(event: str, args: tuple) -> None:
        writes = event == "open" and isinstance(args[1], str) and _WRITE_MODES & set(args[1])
        if event in WATCHED or writes:
            events.append(f"{event} {str(args)[:200]}")

    sys.addaudithook(watch)
    try:
        load_weights(path)
        outcome, message = "loaded", ""
    except WeightsError as err:
        outcome, message = "refused", str(err)
    except BaseException:  # noqa: BLE001 - the test reports whatever escaped
        outcome, message = "raised", traceback.format_exc()[-3000:]
    after = load_weights(reference)
    same = after.keys() == expected.keys() and all(
        after[key].dtype == value.dtype and np.array_equal(after[key], value)
        for key, value in expected.items()
    )
    return {"outcome": outcome, "message": message, "events": events, "genuine_after": same}


if __name__ == "__main__":
    sys.exit(main())
