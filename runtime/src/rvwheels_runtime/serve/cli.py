"""``inpaint serve``: the photo eraser page on http://127.0.0.1:8080/.

    inpaint serve [--host H] [--port N] [--model PATH [--backend numpy|torch|onnx]
                  [--strategy original|resize|crop] [--threads N]]
                  [--max-upload-mb MB] [--max-pixels N] [--max-masked-pixels N]
                  [--max-connections N] [--queue N] [--quiet]

Without ``--model`` the classical harmonic fill runs (no download); with it, big-lama.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rvwheels_runtime.backends import BACKENDS, BackendError, ProgressCallback, get_backend
from rvwheels_runtime.backends.classical import ClassicalBackend
from rvwheels_runtime.cli import add_sha256_option
from rvwheels_runtime.serve.context import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MASKED_PIXELS,
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_PORT,
    DEFAULT_QUEUE,
    ModelInfo,
    Settings,
)
from rvwheels_runtime.serve.jobs import LAMA_STAGES
from rvwheels_runtime.serve.server import EraserServer, create_server
from rvwheels_runtime.strategies import STRATEGIES, make_strategy
from rvwheels_runtime.weights import WeightsError, checked_model

PROG = "inpaint serve"


def _number(kind: type, minimum: float) -> object:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (kind is float and value == 0):
            msg = f"expected a number {'>' if kind is float else '>='} {minimum}, got {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Serve the photo eraser page (offline, one inference at a time)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_number(int, 0), default=DEFAULT_PORT, help="0: any free")
    parser.add_argument(
        "--model", type=Path, help="big-lama best.ckpt, big-lama.pt or .npz (default: classical)"
    )
    add_sha256_option(parser)
    parser.add_argument("--backend", choices=BACKENDS, default="numpy", help="with --model")
    parser.add_argument(
        "--strategy", choices=STRATEGIES, default="crop", help="with --model (default crop)"
    )
    parser.add_argument("--threads", type=_number(int, 1), metavar="N", help="with --model")
    limits = (
        ("--max-upload-mb", float, 0, DEFAULT_MAX_UPLOAD_MB, "MB", "largest request body"),
        ("--max-pixels", int, 1, DEFAULT_MAX_PIXELS, "N", "largest image"),
        ("--max-masked-pixels", int, 1, DEFAULT_MAX_MASKED_PIXELS, "N", "most pixels to fill"),
        ("--max-connections", int, 1, DEFAULT_MAX_CONNECTIONS, "N", "open connections; more: 503"),
        ("--queue", int, 0, DEFAULT_QUEUE, "N", "requests waiting while one runs; more: 503"),
    )
    for flag, kind, minimum, default, metavar, what in limits:
        parser.add_argument(
            flag,
            type=_number(kind, minimum),
            default=default,
            metavar=metavar,
            help=f"{what} (default {default:g})"
            if kind is float
            else f"{what} (default {default})",
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="no request log")
    return parser


def build_server(args: argparse.Namespace) -> EraserServer:
    settings = Settings(
        host=args.host,
        port=args.port,
        max_upload_mb=args.max_upload_mb,
        max_pixels=args.max_pixels,
        max_masked_pixels=args.max_masked_pixels,
        max_connections=args.max_connections,
        queue=args.queue,
        quiet=args.quiet,
    )
    if args.model is None:
        model = ModelInfo(name=ClassicalBackend.description, backend="classical", strategy="-")
        return create_server(
            settings,
            lambda progress: ClassicalBackend(progress=progress),
            model=model,
            stages=ClassicalBackend.stages,
        )

    # Checked (and a legacy checkpoint read) once, before the server starts.
    source = checked_model(args.model, args.model_sha256, onnx=args.backend == "onnx")

    def make_backend(progress: ProgressCallback):
        return get_backend(args.backend, source, args.threads, progress=progress)

    model = ModelInfo(
        name=f"big-lama ({args.model.name})", backend=args.backend, strategy=args.strategy
    )
    return create_server(
        settings,
        make_backend,
        model=model,
        stages=LAMA_STAGES if args.backend == "numpy" else (),
        strategy=make_strategy(args.strategy),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = serve_parser().parse_args(argv)
    started = time.monotonic()
    try:
        server = build_server(args)
    except (WeightsError, BackendError) as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(
            f"cannot listen on {args.host}:{args.port}: {err.strerror or err}; "
            "pick another --port (0 picks a free one)"
        )
    # ``kill`` stops the server as Ctrl+C does, so its temporary directory is removed. The
    # handler is in place before the "ready" line, and that line is inside the try: whoever
    # reads it may send SIGTERM at once.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _announce(server, args, started)
        server.serve_forever()
    except KeyboardInterrupt:
        print(f"{PROG}: stopped", file=sys.stderr)
    finally:
        server.close()
    return 0


def _announce(server, args: argparse.Namespace, started: float) -> None:
    print(
        f"{PROG}: {server.model.name} ready in {time.monotonic() - started:.1f}s; "
        f"open {server.url}  (Ctrl+C stops)",
        file=sys.stderr,
        flush=True,
    )
    if server.context.gate.hosts is None:
        print(
            f"{PROG}: warning: listening on {args.host}: anyone who can reach it can use the "
            "eraser (there is no login)",
            file=sys.stderr,
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
