"""The eraser's HTTP server: a thread per connection, a capped number of them, one inference
at a time.

``create_server`` binds (127.0.0.1 by default), builds the backend with the engine's progress
callback and starts the worker; ``EraserServer.close`` stops everything. Requests are answered
by ``handler.serve_connection`` from a ``Context``; the server only accepts connections.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import threading
from collections.abc import Callable
from importlib import resources

from rvwheels_runtime import __version__
from rvwheels_runtime.backends.contract import Backend, ProgressCallback
from rvwheels_runtime.serve.context import Context, ModelInfo, Settings
from rvwheels_runtime.serve.gate import LOOPBACK_NAMES, Gate
from rvwheels_runtime.serve.handler import serve_connection
from rvwheels_runtime.serve.jobs import Engine, Stages
from rvwheels_runtime.serve.uploads import png_bytes
from rvwheels_runtime.strategies import Original, Strategy

STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/eraser.js": ("eraser.js", "text/javascript; charset=utf-8"),
    "/eraser.css": ("eraser.css", "text/css; charset=utf-8"),
}
# Where index.html takes the per-server token that the page sends back with its uploads.
TOKEN_PLACEHOLDER = b"{{eraser-token}}"
# Answer to a connection over the cap, written without a thread and without reading.
_BUSY = b'{"error": "too many open connections; try again in 5 s"}'
BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
    b"Retry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)

BackendFactory = Callable[[ProgressCallback], Backend]


class EraserServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, settings: Settings, engine: Engine, model: ModelInfo) -> None:
        self.settings = settings
        self.model = model
        self._thread: threading.Thread | None = None
        self._connections = threading.BoundedSemaphore(settings.max_connections)
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self.address_family = family
        super().__init__((settings.host, settings.port), None)  # type: ignore[arg-type]
        gate = Gate(hosts=_allowed_hosts(settings.host), url=self.url)
        self.context = Context(
            settings=settings,
            engine=engine,
            gate=gate,
            static=load_static(gate.token),
            info=_info(settings, model),
        )

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def info(self) -> dict[str, object]:
        return dict(self.context.info)

    def process_request(self, request: socket.socket, client_address: object) -> None:
        """A thread for the connection if fewer than ``max_connections`` are open, else a
        503 written at once and the connection closed."""
        if not self._connections.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._connections.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        serve_connection(request, self.context)

    def start_background(self) -> None:
        """Serve from a daemon thread (tests, benchmarks); ``close`` stops it."""
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="eraser-http", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()
        self.context.engine.close()


def create_server(
    settings: Settings,
    make_backend: BackendFactory,
    *,
    model: ModelInfo,
    stages: Stages = (),
    strategy: Strategy | None = None,
) -> EraserServer:
    """Bind, load the backend (``make_backend(progress_callback)``) and start the worker."""
    engine = Engine(strategy=strategy or Original(), encode=png_bytes, capacity=settings.queue)
    # Bind first: a taken port is reported before a big model is loaded.
    server = EraserServer(settings, engine, model)
    try:
        engine.start(make_backend(engine.report), stages)
    except BaseException:
        server.server_close()
        raise
    return server


def load_static(token: str) -> dict[str, tuple[str, bytes]]:
    folder = resources.files("rvwheels_runtime.serve") / "static"
    files = {
        route: (content_type, (folder / name).read_bytes())
        for route, (name, content_type) in STATIC_FILES.items()
    }
    content_type, page = files["/"]
    files["/"] = (content_type, page.replace(TOKEN_PLACEHOLDER, token.encode("ascii")))
    return files


def _info(settings: Settings, model: ModelInfo) -> dict[str, object]:
    return {
        "model": model.name,
        "backend": model.backend,
        "strategy": model.strategy,
        "max_upload_mb": settings.max_upload_mb,
        "max_pixels": settings.max_pixels,
        "max_masked_pixels": settings.max_masked_pixels,
        "queue": settings.queue,
        "version": __version__,
    }


def _refuse_busy(request: socket.socket) -> None:
    """Write the 503 without waiting, and take what the client already sent: closing with
    unread data would send a reset, which can destroy the answer before it is read."""
    try:
        request.setblocking(False)
        request.send(BUSY_REPLY)
        request.shutdown(socket.SHUT_WR)
        for _ in range(16):
            if not request.recv(1 << 16):
                break
    except OSError:
        pass  # nothing more to read now (or the client left): still no thread


def _allowed_hosts(host: str) -> frozenset[str] | None:
    """The Host names to accept: only loopback names when bound to loopback, else any."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost"
    return LOOPBACK_NAMES | {host.lower()} if loopback else None
