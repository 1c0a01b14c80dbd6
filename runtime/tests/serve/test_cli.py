"""``inpaint serve``: arguments, model loading and start-up errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rvwheels_runtime
from rvwheels_runtime.cli import main as inpaint_main
from rvwheels_runtime.serve.cli import build_server, serve_parser
from rvwheels_runtime.tiny import tiny_weights
from rvwheels_runtime.weights import save_npz

from .conftest import WAIT, disc_mask, png, post_form, request, smooth_image


def test_default_is_the_classical_model_on_loopback():
    server = build_server(serve_parser().parse_args(["--port", "0", "--quiet"]))
    try:
        assert server.server_address[0] == "127.0.0.1"
        assert server.info()["backend"] == "classical"
    finally:
        server.close()


def test_model_option_loads_lama(tmp_path):
    model = save_npz(tiny_weights(), tmp_path / "tiny.npz")
    args = serve_parser().parse_args(["--port", "0", "--quiet", "--model", str(model)])
    server = build_server(args)
    server.start_background()
    try:
        info = request(server, "GET", "/api/info").json()
        assert info["model"] == "big-lama (tiny.npz)" and info["backend"] == "numpy"
        image, mask = smooth_image(40, 56), disc_mask(40, 56, 20, 28, 8)
        job = post_form(server, "/api/jobs", {"image": png(image), "mask": png(mask)}).json()
        deadline = time.monotonic() + WAIT
        while (status := request(server, "GET", job["status_url"]).json())["status"] != "done":
            assert status["status"] in ("queued", "running") and time.monotonic() < deadline
            time.sleep(0.02)
        # The generator's progress callback reached the job: its last stage is the decoder.
        assert (status["stage"], status["fraction"]) == ("decoder", 1.0)
        assert request(server, "GET", job["result_url"]).status == 200
    finally:
        server.close()


def test_missing_model_is_one_line_error(tmp_path, capsys):
    assert inpaint_main(["serve", "--port", "0", "--model", str(tmp_path / "none.npz")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("inpaint serve: error: ") and error.count("\n") == 1


def test_busy_port_is_one_line_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert inpaint_main(["serve", "--port", str(port)]) == 1
    assert "pick another --port" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--queue", "-1"], ["--max-upload-mb", "0"], ["--port", "x"]])
def test_bad_numbers_are_usage_errors(bad, capsys):
    with pytest.raises(SystemExit) as stop:
        serve_parser().parse_args(bad)
    assert stop.value.code == 2


def test_sigterm_stops_the_server_and_leaves_nothing_behind(tmp_path):
    # The child runs this checkout's runtime, not whichever one is installed.
    source = Path(rvwheels_runtime.__file__).resolve().parents[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(source)}
    command = [sys.executable, "-m", "rvwheels_runtime.serve", "--port", "0", "--quiet"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "open http://127.0.0.1:" in server.stderr.readline()
        server.send_signal(signal.SIGTERM)
        assert server.wait(WAIT) == 0
    finally:
        server.kill()
        server.wait()
        server.stderr.close()
    assert not list(tmp_path.iterdir())
