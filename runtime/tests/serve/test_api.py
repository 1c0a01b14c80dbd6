"""The eraser's HTTP API against a real server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import tempfile
import threading
import time

import numpy as np
from rvwheels_runtime.image import decode_png

from .conftest import (
    WAIT,
    FailingBackend,
    GatedBackend,
    disc_mask,
    multipart,
    png,
    post_form,
    request,
    smooth_image,
)

IMAGE = smooth_image(96, 128)
MASK = disc_mask(96, 128, 40, 60, 12)


def _decoded(body: bytes) -> np.ndarray:
    return decode_png(body, "reply")


def _error(reply) -> str:
    assert reply.headers["Content-Type"].startswith("application/json")
    error = reply.json()["error"]
    assert "Traceback" not in error and "\n" not in error
    return error


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_info_names_the_model_and_limits(start_server):
    server = start_server(max_upload_mb=3, queue=2)
    info = request(server, "GET", "/api/info").json()
    assert info["model"] == "test model"
    assert (info["max_upload_mb"], info["queue"]) == (3, 2)


def test_page_and_its_files_are_served_from_the_package(server):
    page = request(server, "GET", "/")
    assert page.status == 200 and b'src="/eraser.js"' in page.body
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = request(server, "GET", "/eraser.js")
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert request(server, "GET", "/nothing").status == 404
    assert request(server, "POST", "/", b"", {"Content-Length": "0"}).status == 405
    unsupported = request(server, "DELETE", "/api/info")
    assert unsupported.status == 501 and "DELETE" in _error(unsupported)


def test_inpaint_changes_only_masked_pixels(server):
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)})
    assert reply.status == 200 and reply.headers["Content-Type"] == "image/png"
    result = _decoded(reply.body)
    hole = MASK > 0
    assert np.array_equal(result[~hole], IMAGE[~hole])
    assert np.abs(result[hole].astype(int) - IMAGE[hole]).mean() < 3  # a smooth fill


def test_empty_mask_returns_the_image_unchanged(server):
    empty = np.zeros_like(MASK)
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(empty)})
    assert reply.status == 200
    assert np.array_equal(_decoded(reply.body), IMAGE)


def test_over_size_upload_is_413(start_server):
    server = start_server(max_upload_mb=0.01)
    noisy = np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    reply = post_form(server, "/api/inpaint", {"image": png(noisy), "mask": png(MASK)})
    assert reply.status == 413
    assert "--max-upload-mb" in _error(reply)


def test_over_size_upload_is_refused_before_the_body_with_expect_100(start_server):
    server = start_server(max_upload_mb=0.01)
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=WAIT) as connection:
        connection.sendall(
            b"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = _read_until_closed(connection).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert '"error"' in answer


def _read_until_closed(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_too_many_pixels_is_413(start_server):
    server = start_server(max_pixels=1000)
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)})
    assert reply.status == 413
    assert "128×96" in _error(reply)


def test_non_image_is_415(server):
    reply = post_form(server, "/api/inpaint", {"image": b"just some text", "mask": png(MASK)})
    assert reply.status == 415
    assert "image" in _error(reply)


def test_json_body_on_the_multipart_api_is_415(server):
    body = json.dumps({"image": "x"}).encode()
    reply = request(server, "POST", "/api/inpaint", body, {"Content-Type": "application/json"})
    assert reply.status == 415
    assert "multipart/form-data" in _error(reply)


def test_mask_of_another_size_is_400(server):
    small = np.zeros((10, 10), np.uint8)
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(small)})
    assert reply.status == 400
    assert "10×10" in _error(reply) and "128×96" in _error(reply)


def test_missing_field_and_broken_multipart_are_400(server):
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE)})
    assert reply.status == 400 and "mask" in _error(reply)
    body, _ = multipart({"image": png(IMAGE), "mask": png(MASK)})
    reply = request(
        server, "POST", "/api/inpaint", body, {"Content-Type": "multipart/form-data; boundary=zz"}
    )
    assert reply.status == 400 and "boundary" in _error(reply)


def test_upload_without_length_is_411(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=WAIT) as connection:
        connection.sendall(
            b"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n\r\n0\r\n\r\n"
        )
        assert connection.recv(4096).startswith(b"HTTP/1.1 411")


def test_foreign_host_header_is_refused(server):
    reply = request(server, "GET", "/api/info", headers={"Host": "evil.example:80"})
    assert reply.status == 403


def _data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode()


def test_predict_keeps_the_original_json_contract(server):
    payload = {"image": _data_url(png(IMAGE)), "mask": _data_url(png(MASK))}
    reply = request(server, "POST", "/predict", json.dumps(payload).encode())
    assert reply.status == 200
    result_url = reply.json()["result_image"]
    assert result_url.startswith("data:image/png;base64,")
    result = _decoded(base64.b64decode(result_url.split(",", 1)[1]))
    direct = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)})
    assert np.array_equal(result, _decoded(direct.body))


def test_predict_errors_are_clear(server):
    assert request(server, "POST", "/predict", b"{not json").status == 400
    missing = request(server, "POST", "/predict", json.dumps({"image": "x"}).encode())
    assert missing.status == 400 and '"mask"' in _error(missing)
    text = {"image": _data_url(b"hello", "text/plain"), "mask": _data_url(png(MASK))}
    reply = request(server, "POST", "/predict", json.dumps(text).encode())
    assert reply.status == 415


def test_job_reports_progress_then_its_result(start_server):
    backends: list[GatedBackend] = []
    server = start_server(make_backend=lambda p: backends.append(GatedBackend(p)) or backends[0])
    backend = backends[0]
    reply = post_form(server, "/api/jobs", {"image": png(IMAGE), "mask": png(MASK)})
    assert reply.status == 202
    job = reply.json()
    status_url, result_url = job["status_url"], job["result_url"]
    assert backend.started.wait(WAIT)
    assert request(server, "GET", result_url).status == 409
    backend.release(2)

    def halfway() -> bool:
        return request(server, "GET", status_url).json()["fraction"] == 0.5

    _wait_for(halfway, "fraction 0.5 after two of four steps")
    status = request(server, "GET", status_url).json()
    assert status["status"] == "running" and status["stage"] == "fill"
    assert status["elapsed"] >= 0
    backend.release(2)
    _wait_for(lambda: request(server, "GET", status_url).json()["status"] == "done", "done")
    assert request(server, "GET", status_url).json()["fraction"] == 1.0
    result = _decoded(request(server, "GET", result_url).body)
    assert (result[MASK > 0] == 0).all()
    assert np.array_equal(result[MASK == 0], IMAGE[MASK == 0])
    assert request(server, "GET", "/api/jobs/0123abcd").status == 404


def test_full_queue_answers_503_with_retry_after(start_server):
    backends: list[GatedBackend] = []
    server = start_server(
        make_backend=lambda p: backends.append(GatedBackend(p, steps=1)) or backends[0], queue=1
    )
    replies: list = []

    def send() -> None:
        replies.append(post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    # One runs (held by the gate), one waits, the other two are turned away at once.
    _wait_for(lambda: sum(r.status == 503 for r in replies) == 2, "two 503 replies")
    backends[0].release(2)
    for thread in threads:
        thread.join(WAIT)
    assert sorted(r.status for r in replies) == [200, 200, 503, 503]
    busy = [r for r in replies if r.status == 503]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in busy)
    assert "busy" in _error(busy[0])


def test_backend_failure_is_one_line_json(start_server):
    server = start_server(make_backend=FailingBackend)
    reply = post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)})
    assert reply.status == 500
    assert _error(reply) == "inpainting failed: the model exploded"
    job = post_form(server, "/api/jobs", {"image": png(IMAGE), "mask": png(MASK)}).json()
    _wait_for(lambda: request(server, "GET", job["status_url"]).json()["status"] == "failed", "")
    assert request(server, "GET", job["result_url"]).status == 500


def test_uploads_are_decoded_in_memory(server, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert post_form(server, "/api/inpaint", {"image": png(IMAGE), "mask": png(MASK)}).status == 200
    assert post_form(server, "/api/inpaint", {"image": b"junk", "mask": png(MASK)}).status == 415
    assert not any(tmp_path.iterdir())
