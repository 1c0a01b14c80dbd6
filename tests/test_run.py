from __future__ import annotations

import time

import pytest

from rvwheels.errors import CommandFailed, EnvError
from rvwheels.run import run


def test_output_and_the_command_go_to_the_log(tmp_path):
    log = tmp_path / "logs" / "x.log"
    run(["sh", "-c", "echo out; echo err >&2"], env={"RVW_Y": "1"}, log=log)
    text = log.read_text()
    assert "+ export RVW_Y=1" in text and "+ sh -c" in text and "out" in text and "err" in text


def test_failure_raises_with_the_log_tail(tmp_path):
    log = tmp_path / "x.log"
    with pytest.raises(CommandFailed) as info:
        run(["sh", "-c", "echo something broke; exit 3"], log=log)
    assert info.value.returncode == 3 and info.value.log_path == str(log)
    assert "something broke" in info.value.message


def test_timeout_kills_the_whole_process_group(tmp_path):
    started = time.monotonic()
    with pytest.raises(CommandFailed, match="timed out"):
        run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5, log=tmp_path / "x.log")
    assert time.monotonic() - started < 10


def test_a_missing_program_is_an_environment_error():
    with pytest.raises(EnvError, match="rvwheels setup"):
        run(["rvw-no-such-program"])


def test_terminate_all_kills_commands_running_in_other_threads(tmp_path):
    import threading

    from rvwheels.run import terminate_all

    errors = []

    def build():
        try:
            run(["sh", "-c", "sleep 60"], log=tmp_path / "x.log")
        except CommandFailed as exc:
            errors.append(exc)

    thread = threading.Thread(target=build)
    started = time.monotonic()
    thread.start()
    time.sleep(0.5)
    terminate_all()
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 10
    assert errors and errors[0].returncode == -9
