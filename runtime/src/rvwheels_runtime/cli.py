"""``inpaint``: LaMa inpainting from the command line, on NumPy alone.

    inpaint IMAGE MASK -o OUT --model big-lama.npz [--backend numpy|torch|onnx]
            [--strategy original|resize|crop] [--resize-limit N] [--crop-margin N]
            [--crop-trigger N] [--threads N] [--max-pixels N] [--model-sha256 HEX] [--quiet]
    inpaint convert MODEL -o OUT.npz [--model-sha256 HEX]
    inpaint serve [--port N] [--model PATH] ...    (the photo eraser: rvwheels_runtime.serve)

Errors are one line on stderr and exit status 1 (2 for bad arguments); no tracebacks.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rvwheels_runtime.backends import BACKENDS, BackendError, ModelSource, get_backend
from rvwheels_runtime.backends.contract import InputError
from rvwheels_runtime.image import (
    DEFAULT_MAX_PIXELS,
    ImageError,
    check_output,
    read_image,
    read_mask,
    write_image,
)
from rvwheels_runtime.model.threads import blas_summary
from rvwheels_runtime.progress import Progress
from rvwheels_runtime.strategies import (
    CROP_MARGIN,
    CROP_TRIGGER,
    RESIZE_LIMIT,
    STRATEGIES,
    make_strategy,
)
from rvwheels_runtime.weights import WeightsError, checked_model, load_weights, save_npz
from rvwheels_runtime.weights.checksum import normalize_sha256

PROG = "inpaint"
# Buffers, not learnt parameters: left out of the parameter count.
BATCH_NORM_STATISTICS = ("running_mean", "running_var", "num_batches_tracked")
USER_ERRORS = (WeightsError, ImageError, BackendError, InputError)


class UsageError(Exception):
    """A combination of arguments that argparse cannot check by itself."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a whole number >= 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _non_negative(text: str) -> int:
    return 0 if text.strip() == "0" else _positive(text)


def _sha256(text: str) -> str:
    try:
        return normalize_sha256(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_sha256_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-sha256",
        type=_sha256,
        metavar="HEX",
        help="the model file's sha256: checked before it is read; needed for legacy-format "
        "(torch < 1.6) checkpoints unless MODEL.sha256 holds it",
    )


def inpaint_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fill the masked part of an image with LaMa. "
        f"Also: '{PROG} convert MODEL -o OUT.npz' converts a checkpoint to rvwheels' .npz.",
    )
    parser.add_argument(
        "image", type=Path, help="image to inpaint (PNG, BMP; JPEG etc. need Pillow)"
    )
    parser.add_argument("mask", type=Path, help="same size as IMAGE; non-black pixels are filled")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="where to write the result"
    )
    _add_model_options(parser)
    _add_strategy_options(parser)
    parser.add_argument(
        "--threads",
        type=_positive,
        metavar="N",
        help="worker threads (default: all CPUs this process may use)",
    )
    parser.add_argument(
        "--max-pixels",
        type=_positive,
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help=f"refuse larger images (default {DEFAULT_MAX_PIXELS})",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return parser


def _add_strategy_options(parser: argparse.ArgumentParser) -> None:
    """How images larger than the model's sweet spot are handled."""
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="crop",
        help="how large images are handled (default: crop, like IOPaint)",
    )
    parser.add_argument(
        "--resize-limit",
        type=_positive,
        default=RESIZE_LIMIT,
        metavar="N",
        help=f"resize: long side to shrink to (default {RESIZE_LIMIT})",
    )
    parser.add_argument(
        "--crop-margin",
        type=_non_negative,
        default=CROP_MARGIN,
        metavar="N",
        help=f"crop: context around each region (default {CROP_MARGIN})",
    )
    parser.add_argument(
        "--crop-trigger",
        type=_positive,
        default=CROP_TRIGGER,
        metavar="N",
        help=f"crop: only crop when the long side exceeds N (default {CROP_TRIGGER})",
    )


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--model", type=Path, help="LaMa best.ckpt, TorchScript big-lama.pt, .npz or .onnx"
    )
    source.add_argument(
        "--tiny", action="store_true", help="use the small bundled test model (not LaMa quality)"
    )
    add_sha256_option(parser)
    parser.add_argument("--backend", choices=BACKENDS, default="numpy")


def convert_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} convert",
        description="Convert LaMa weights (best.ckpt, big-lama.pt) to rvwheels' .npz; "
        "needs no torch.",
    )
    parser.add_argument("model", type=Path, help="LaMa best.ckpt, TorchScript big-lama.pt or .npz")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .npz to write")
    add_sha256_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["convert"]:
            return _convert(convert_parser().parse_args(args[1:]))
        if args[:1] == ["serve"]:
            from rvwheels_runtime.serve.cli import main as serve_main

            return serve_main(args[1:])
        return _inpaint(inpaint_parser().parse_args(args))
    except USER_ERRORS as err:
        return _fail(str(err))
    except UsageError as err:
        return _fail(str(err), status=2)
    except OSError as err:  # a file system failure outside the readers' own checks
        return _fail(f"{err.filename or 'I/O'}: {err.strerror or err}")
    except MemoryError:
        return _fail("out of memory: try --strategy crop or resize, or a smaller image")
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _fail(message: str, status: int = 1) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def _convert(args: argparse.Namespace) -> int:
    started = time.monotonic()
    weights = load_weights(args.model, sha256=args.model_sha256)
    save_npz(weights, args.output)
    parameters = sum(
        int(np.size(v)) for k, v in weights.items() if not k.endswith(BATCH_NORM_STATISTICS)
    )
    print(
        f"wrote {args.output}: {len(weights)} tensors, {parameters / 1e6:.1f} M parameters "
        f"in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


def _inpaint(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    model = _model_source(args)
    check_output(args.output)
    strategy = make_strategy(
        args.strategy,
        resize_limit=args.resize_limit,
        margin=args.crop_margin,
        trigger=args.crop_trigger,
    )
    image = read_image(args.image, max_pixels=args.max_pixels)
    mask = read_mask(args.mask, max_pixels=args.max_pixels)
    if mask.shape != image.shape[:2]:
        msg = (
            f"mask {args.mask} is {mask.shape[1]}×{mask.shape[0]} but image {args.image} is "
            f"{image.shape[1]}×{image.shape[0]}; they must be the same size"
        )
        raise InputError(msg)
    if not mask.any():
        progress.message("mask is empty: writing the image unchanged")
        write_image(args.output, image)
        return 0
    loaded = time.monotonic()
    model = checked_model(model, args.model_sha256, onnx=args.backend == "onnx")
    backend = get_backend(args.backend, model, args.threads, progress=progress)
    progress.message(f"loaded model ({args.backend} backend) in {time.monotonic() - loaded:.1f}s")
    if args.backend == "numpy":
        progress.message(blas_summary(args.threads))
    result = strategy.run(
        backend, image, mask, on_region=lambda i, n: progress.section(f"region {i}/{n}")
    )
    progress.close()
    write_image(args.output, result)
    progress.message(
        f"wrote {args.output} ({image.shape[1]}×{image.shape[0]}) in {progress.elapsed():.1f}s"
    )
    return 0


def _model_source(args: argparse.Namespace) -> ModelSource:
    if args.tiny and args.model_sha256 is not None:
        msg = "--model-sha256 checks a --model file; the bundled --tiny model needs none"
        raise UsageError(msg)
    if args.tiny:
        from rvwheels_runtime.tiny import tiny_weights

        return tiny_weights()
    if args.model is None:
        msg = (
            "a model is needed: pass --model with big-lama's best.ckpt, big-lama.pt or a "
            "converted .npz (or --tiny for the small test model)"
        )
        raise UsageError(msg)
    return args.model


if __name__ == "__main__":
    sys.exit(main())
