"""Hostile input against a real eraser on 127.0.0.1: every request from ``hostile.py`` gets a
status line and a one-line JSON error, no traceback reaches the log, no program is started
(a fake ``gs`` on PATH records any run), and the server answers the next request."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime.backends.classical import ClassicalBackend
from rvwheels_runtime.image import encode_png
from rvwheels_runtime.serve import EraserServer, ModelInfo, Settings, create_server
from rvwheels_runtime.serve import handler as handler_module

from .conftest import WAIT, GatedBackend, multipart, post_form, request
from .hostile import EPS, Hostile, all_hostile, good_pair

CASES = all_hostile()
# Short enough for the few cases that must time out, long enough for a loaded machine.
TIMEOUT = 1.5


@pytest.fixture(scope="module")
def fake_ghostscript(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A ``gs`` first on PATH that only records that it ran; Pillow's EPS reader would run it."""
    folder = tmp_path_factory.mktemp("bin")
    marker = folder / "gs-ran"
    script = folder / "gs"
    script.write_text(f'#!/bin/sh\necho "$@" >> {marker}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
        try:
            from PIL import EpsImagePlugin
        except ImportError:
            pass
        else:  # forget an earlier "no Ghostscript here", so that a regression would run it
            patch.setattr(EpsImagePlugin, "gs_binary", None)
        yield marker


@pytest.fixture(scope="module")
def hostile_server(fake_ghostscript: Path) -> Iterator[EraserServer]:
    settings = Settings(port=0, quiet=True, header_timeout=TIMEOUT, body_timeout=TIMEOUT)
    server = create_server(
        settings,
        lambda progress: ClassicalBackend(progress=progress),
        model=ModelInfo(name="hostile test", backend="classical", strategy="-"),
        stages=ClassicalBackend.stages,
    )
    server.start_background()
    yield server
    server.close()


def _host(server: EraserServer) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


def exchange(server: EraserServer, raw: bytes) -> tuple[int, bytes]:
    """Send ``raw`` on a fresh connection and read one answer, which must have a status line."""
    method = raw.split(b" ", 1)[0].decode("latin-1")
    with socket.create_connection(server.server_address[:2], timeout=WAIT) as sock:
        with contextlib.suppress(OSError):  # the server answered early: the answer is there
            sock.sendall(raw)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return response.status, response.read()


def test_the_suite_sends_at_least_60_distinct_hostile_requests():
    names = [case.name for case in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_request_gets_a_clean_answer(
    hostile_server: EraserServer, fake_ghostscript: Path, case: Hostile, capfd
):
    raw = case.bind(_host(hostile_server), hostile_server.context.gate.token)
    status, body = exchange(hostile_server, raw)
    assert status in case.statuses, body[:300]
    if not raw.startswith(b"HEAD "):  # an answer to HEAD has no body
        error = json.loads(body)["error"]
        assert error and "\n" not in error and "Traceback" not in error
    assert request(hostile_server, "GET", "/api/info").status == 200  # still answering
    assert not fake_ghostscript.exists(), fake_ghostscript.read_text()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "Exception" not in out + err


def test_eps_is_refused_without_running_ghostscript(hostile_server, fake_ghostscript):
    reply = post_form(hostile_server, "/api/inpaint", {**good_pair(16, 16), "image": EPS})
    assert reply.status == 415 and "PNG, JPEG, BMP, WEBP" in reply.json()["error"]
    assert not fake_ghostscript.exists()


def test_the_server_still_erases_after_hostile_input(hostile_server):
    assert post_form(hostile_server, "/api/inpaint", good_pair()).status == 200


def _token_headers(server: EraserServer) -> dict[str, str]:
    return {"X-Eraser-Token": server.context.gate.token}


def test_same_origin_page_and_plain_clients_are_served(hostile_server):
    server, host = hostile_server, _host(hostile_server)
    body, content_type = multipart(good_pair())
    browsers = [
        {"Origin": f"http://{host}", **_token_headers(server)},
        {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin", **_token_headers(server)},
        {"Sec-Fetch-Site": "same-origin", **_token_headers(server)},
        {},  # curl, a script
        _token_headers(server),
    ]
    for extra in browsers:
        headers = {"Content-Type": content_type, **extra}
        assert request(server, "POST", "/api/inpaint", body, headers).status == 200, extra
    typed_in = request(server, "GET", "/api/info", headers={"Sec-Fetch-Site": "none"})
    assert typed_in.status == 200
    # A link from another site opens the page, and the page carries the token.
    page = request(server, "GET", "/", headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status == 200 and server.context.gate.token.encode() in page.body


def test_localhost_origin_matches_a_localhost_host(hostile_server):
    port = hostile_server.server_address[1]
    body, content_type = multipart(good_pair())
    headers = {
        "Host": f"localhost:{port}",
        "Origin": f"http://localhost:{port}",
        "Content-Type": content_type,
        **_token_headers(hostile_server),
    }
    assert request(hostile_server, "POST", "/api/inpaint", body, headers).status == 200


def test_keep_alive_and_pipelined_requests(hostile_server):
    one = b"GET /api/info HTTP/1.1\r\nHost: %s\r\n\r\n" % _host(hostile_server).encode()
    with socket.create_connection(hostile_server.server_address[:2], timeout=WAIT) as sock:
        sock.sendall(one + one)
        sock.shutdown(socket.SHUT_WR)  # both are answered, then the server sees the end
        answers = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answers.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert answers.count(b'"model": "hostile test"') == 2


def test_connections_over_the_cap_get_503_without_a_thread(start_server):
    server = start_server(max_connections=8, header_timeout=WAIT)
    before = threading.active_count()
    sockets = []
    try:
        for _ in range(300):  # half-open: a request line and no end of the head
            sock = socket.create_connection(server.server_address[:2], timeout=WAIT)
            sock.sendall(b"GET / HTTP/1.1\r\n")
            sockets.append(sock)
        assert threading.active_count() <= before + 8
        refused = sockets[-1].recv(4096)
        assert refused.startswith(b"HTTP/1.1 503 ") and b"too many open connections" in refused
    finally:
        for sock in sockets:
            sock.close()
    reply = None
    for _ in range(100):  # the server notices the closed connections as they come
        reply = request(server, "GET", "/api/info")
        if reply.status == 200:
            break
    assert reply is not None and reply.status == 200


def test_refused_uploads_are_neither_read_nor_decoded(start_server, monkeypatch):
    backends: list[GatedBackend] = []
    server = start_server(
        make_backend=lambda p: backends.append(GatedBackend(p, steps=1)) or backends[0], queue=0
    )
    decoded = []
    real = handler_module.decode_pair
    monkeypatch.setattr(handler_module, "decode_pair", lambda *a: decoded.append(1) or real(*a))
    running = post_form_async(server, good_pair())
    assert backends[0].started.wait(WAIT)
    big = np.zeros((4096, 4096), np.uint8)
    big[:8, :8] = 255
    fields = {"image": encode_png(np.zeros((4096, 4096, 3), np.uint8)), "mask": encode_png(big)}
    replies = [post_form(server, "/api/inpaint", fields) for _ in range(10)]
    assert [r.status for r in replies] == [503] * 10
    assert len(decoded) == 1  # only the running job's upload
    body, content_type = multipart(fields)
    head = (
        b"POST /api/inpaint HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
        b"Expect: 100-continue\r\n\r\n" % (_host(server).encode(), content_type.encode(), len(body))
    )
    with socket.create_connection(server.server_address[:2], timeout=WAIT) as sock:
        sock.sendall(head)
        assert sock.recv(4096).startswith(b"HTTP/1.1 503 ")  # no 100 Continue: not sent
    backends[0].release()
    running.join(WAIT)


def post_form_async(server: EraserServer, fields: dict[str, bytes]) -> threading.Thread:
    thread = threading.Thread(target=post_form, args=(server, "/api/inpaint", fields))
    thread.start()
    return thread


def test_masked_area_over_the_limit_is_413(start_server):
    server = start_server(max_masked_pixels=50)
    reply = post_form(server, "/api/inpaint", good_pair())  # a disc of radius 6: 113 pixels
    assert reply.status == 413
    assert "covers 113 pixels" in reply.json()["error"]
    assert "--max-masked-pixels" in reply.json()["error"]
    assert request(server, "GET", "/api/info").json()["max_masked_pixels"] == 50


def test_http_1_0_clients_are_answered_and_closed(hostile_server):
    with socket.create_connection(hostile_server.server_address[:2], timeout=WAIT) as sock:
        sock.sendall(b"GET /api/info HTTP/1.0\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))  # the server closes
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b'"model": "hostile test"' in answer
