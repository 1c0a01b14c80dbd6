"""The eraser's HTTP server: standard library only, one inference at a time.

``create_server`` binds (127.0.0.1 by default), builds the backend with the engine's progress
callback and starts the worker; ``EraserServer.close`` stops everything and removes the
temporary directory that uploads pass through.
"""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from rvwheels_runtime import __version__
from rvwheels_runtime.backends.contract import Backend, ProgressCallback
from rvwheels_runtime.serve.handler import EraserHandler
from rvwheels_runtime.serve.jobs import Engine, Stages
from rvwheels_runtime.serve.uploads import png_bytes
from rvwheels_runtime.strategies import Original, Strategy

DEFAULT_PORT = 8080
DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_MAX_PIXELS = 4096 * 4096
DEFAULT_QUEUE = 4
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/eraser.js": ("eraser.js", "text/javascript; charset=utf-8"),
    "/eraser.css": ("eraser.css", "text/css; charset=utf-8"),
}
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
# The page loads nothing from elsewhere; pictures are blob: URLs of the user's own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

BackendFactory = Callable[[ProgressCallback], Backend]


@dataclass(frozen=True, kw_only=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    max_pixels: int = DEFAULT_MAX_PIXELS
    queue: int = DEFAULT_QUEUE
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.max_upload_mb <= 0 or self.max_pixels < 1 or self.queue < 0:
            msg = (
                f"need max_upload_mb > 0, max_pixels >= 1 and queue >= 0; got "
                f"{self.max_upload_mb}, {self.max_pixels}, {self.queue}"
            )
            raise ValueError(msg)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """What the page shows about the model in use."""

    name: str
    backend: str
    strategy: str


class EraserServer(ThreadingHTTPServer):
    daemon_threads = True
    content_security_policy = CONTENT_SECURITY_POLICY

    def __init__(self, settings: Settings, engine: Engine, model: ModelInfo, workdir: Path) -> None:
        self.settings = settings
        self.engine = engine
        self.model = model
        self.workdir = workdir
        self.static = load_static()
        self.allowed_hosts = _allowed_hosts(settings.host)
        self._thread: threading.Thread | None = None
        super().__init__((settings.host, settings.port), EraserHandler)
        if self.allowed_hosts is not None:
            self.allowed_hosts = self.allowed_hosts | {settings.host.lower()}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def info(self) -> dict[str, object]:
        return {
            "model": self.model.name,
            "backend": self.model.backend,
            "strategy": self.model.strategy,
            "max_upload_mb": self.settings.max_upload_mb,
            "max_pixels": self.settings.max_pixels,
            "queue": self.settings.queue,
            "version": __version__,
        }

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
        self.engine.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


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
    workdir = Path(tempfile.mkdtemp(prefix="rvwheels-eraser-"))
    server = None
    try:
        # Bind first: a taken port is reported before a big model is loaded.
        server = EraserServer(settings, engine, model, workdir)
        engine.start(make_backend(engine.report), stages)
    except BaseException:
        if server is not None:
            server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return server


def load_static() -> dict[str, tuple[str, bytes]]:
    folder = resources.files("rvwheels_runtime.serve") / "static"
    return {
        route: (content_type, (folder / name).read_bytes())
        for route, (name, content_type) in STATIC_FILES.items()
    }


def _allowed_hosts(host: str) -> frozenset[str] | None:
    """The Host names to accept: only loopback names when bound to loopback, else any."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost"
    return LOOPBACK_NAMES if loopback else None
