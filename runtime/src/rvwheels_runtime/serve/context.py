"""What the server is configured with, and the small context a request handler works in.

A handler sees a ``Context`` (settings, the engine, the page's files, the site gate and the
``/api/info`` answer), never the server object: the server owns sockets and threads, the
handler owns one exchange.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rvwheels_runtime.image import DEFAULT_MAX_PIXELS
from rvwheels_runtime.serve.gate import Gate
from rvwheels_runtime.serve.jobs import Engine

DEFAULT_PORT = 8080
DEFAULT_MAX_UPLOAD_MB = 20.0
# One request may fill at most this many pixels: the classical fill's work follows the hole's
# area. A fully masked 1920×1080 photo took 19.5 s and 390 MB here (x86_64 at load average 6;
# about 10 s unloaded), a whole 4096×4096 one 376 s and 3 GB.
DEFAULT_MAX_MASKED_PIXELS = 1920 * 1080
DEFAULT_QUEUE = 4
# Open connections served at once; more are answered 503 and closed without a thread. The
# page needs two (an upload and the progress polls); a browser opens at most six per site.
DEFAULT_MAX_CONNECTIONS = 32
# Seconds for a whole request head to arrive (request line and headers, or the wait for the
# next request on a kept-alive connection), and the longest stall in a body or a reply.
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_masked_pixels: int = DEFAULT_MAX_MASKED_PIXELS
    queue: int = DEFAULT_QUEUE
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    quiet: bool = False

    def __post_init__(self) -> None:
        positive = {
            "max_upload_mb": self.max_upload_mb,
            "max_pixels": self.max_pixels,
            "max_masked_pixels": self.max_masked_pixels,
            "max_connections": self.max_connections,
            "header_timeout": self.header_timeout,
            "body_timeout": self.body_timeout,
        }
        bad = [f"{name} = {value}" for name, value in positive.items() if not value > 0]
        if self.queue < 0:
            bad.append(f"queue = {self.queue}")
        if bad:
            msg = f"need positive limits and queue >= 0; got {', '.join(bad)}"
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


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a request handler may use."""

    settings: Settings
    engine: Engine
    gate: Gate
    static: Mapping[str, tuple[str, bytes]]
    info: Mapping[str, object]
