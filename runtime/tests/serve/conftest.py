"""Eraser servers on 127.0.0.1 (ephemeral ports) with real or deliberately slow backends."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from rvwheels_runtime.backends.classical import ClassicalBackend
from rvwheels_runtime.image import encode_png
from rvwheels_runtime.serve import EraserServer, ModelInfo, Settings, create_server

WAIT = 10.0  # seconds any test waits for a server-side event before failing


class GatedBackend:
    """Fills the hole with black in ``steps`` steps, each waiting for the test's go-ahead
    (``release``); reports progress as stage "fill" after every step."""

    name = "gated"

    def __init__(self, progress: Callable[[str, int, int], None], steps: int = 4) -> None:
        self._progress = progress
        self.steps = steps
        self._go = threading.Semaphore(0)
        self.started = threading.Event()

    def release(self, steps: int | None = None) -> None:
        for _ in range(self.steps if steps is None else steps):
            self._go.release()

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.started.set()
        self._progress("fill", 0, self.steps)
        for step in range(1, self.steps + 1):
            if not self._go.acquire(timeout=WAIT):
                raise TimeoutError("the test never released the gated backend")
            self._progress("fill", step, self.steps)
        out = image.copy()
        out[mask > 0] = 0
        return out


class FailingBackend:
    name = "failing"

    def __init__(self, progress: Callable[[str, int, int], None]) -> None:
        del progress

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise RuntimeError("the model exploded\nsecond line that must not reach the client")


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def request(
    server: EraserServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=WAIT * 3)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks = []
    for name, data in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.png"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        chunks.append(data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def post_form(server: EraserServer, path: str, fields: dict[str, bytes]) -> Reply:
    body, content_type = multipart(fields)
    return request(server, "POST", path, body, {"Content-Type": content_type})


def smooth_image(height: int = 96, width: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    red = 0.5 + 0.3 * np.sin(3 * x + 1) * np.cos(2 * y)
    green = 0.5 + 0.3 * np.cos(4 * x * y + 0.5)
    blue = 0.3 + 0.4 * x * y
    return np.rint(np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)


def disc_mask(height: int, width: int, cy: int, cx: int, radius: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.where((y - cy) ** 2 + (x - cx) ** 2 <= radius**2, 255, 0).astype(np.uint8)


def png(array: np.ndarray) -> bytes:
    return encode_png(array)


ServerFactory = Callable[..., EraserServer]


@pytest.fixture
def start_server() -> Iterator[ServerFactory]:
    """``start_server(make_backend=..., **settings)``: a running server, closed after the test."""
    servers: list[EraserServer] = []

    def start(make_backend=None, stages=(("fill", 1.0),), **settings) -> EraserServer:
        server = create_server(
            Settings(port=0, quiet=True, **settings),
            make_backend or (lambda progress: ClassicalBackend(progress=progress)),
            model=ModelInfo(name="test model", backend="test", strategy="-"),
            stages=stages,
        )
        server.start_background()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def server(start_server: ServerFactory) -> EraserServer:
    return start_server()
