"""LaMa's FFCResNetGenerator in NumPy: BLAS GEMMs, numpy/scipy FFTs, bounded memory.

Encoder (head + downsamplings) and decoder (upsamplings + output conv) stream over row strips;
the residual blocks run on the whole 1/8-scale map. See ``blocks``, ``layers`` and ``stream``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from rvwheels_runtime.model.blocks import PaddedMap, ResnetBlocks
from rvwheels_runtime.model.config import LamaConfig, config_from_weights
from rvwheels_runtime.model.fold import block_ffcs, decoder_layers, encoder_layers
from rvwheels_runtime.model.kernels import F32
from rvwheels_runtime.model.layout import check_weights
from rvwheels_runtime.model.stream import chain, stream_into
from rvwheels_runtime.model.threads import blas_threads, default_threads, fft_functions

Progress = Callable[[str, int, int], None]

# Full-resolution pixels per strip when ``strip_rows`` is not given: bounds the encoder's and
# decoder's bands (≈ 64 floats per pixel) to a few tens of MB at any width.
_STRIP_PIXELS = 1 << 18


class LamaGenerator:
    """Inference-only big-lama generator built from an official-layout state dict.

    ``weights`` are keyed like the checkpoint's ``state_dict`` without the ``generator.``
    prefix. ``threads`` sets BLAS (OpenBLAS via ctypes) and FFT workers during ``forward``
    (default: the CPUs this process may use). ``strip_rows`` is the height, in input rows, of
    the strips the encoder and decoder stream over. ``progress(stage, done, total)`` is called
    with stage ``"encoder"``, ``"blocks"`` or ``"decoder"``.
    """

    def __init__(
        self,
        weights: Mapping[str, np.ndarray],
        config: LamaConfig | None = None,
        *,
        threads: int | None = None,
        strip_rows: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.config = config_from_weights(weights) if config is None else config
        check_weights(weights, self.config)
        if threads is not None and threads < 1:
            msg = f"threads must be >= 1, got {threads}"
            raise ValueError(msg)
        if strip_rows is not None and strip_rows < 1:
            msg = f"strip_rows must be >= 1, got {strip_rows}"
            raise ValueError(msg)
        self.threads = default_threads() if threads is None else threads
        self.strip_rows = strip_rows
        self.progress = progress
        self._encoder = encoder_layers(weights, self.config)
        self._decoder = decoder_layers(weights, self.config)
        rfft2, irfft2, self.fft_backend = fft_functions(self.threads)
        self._blocks = ResnetBlocks(
            block_ffcs(weights, self.config),
            local=self.config.local_channels,
            rfft2=rfft2,
            irfft2=irfft2,
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(in_channels, H, W) float32 → (out_channels, H, W) in [0, 1]; H, W multiples of 8."""
        x = self._checked_input(x)
        height, width = x.shape[1:]
        strip = self._strip(width)
        scale = self.config.scale
        with blas_threads(self.threads):
            state = PaddedMap(self.config.width, height // scale, width // scale)
            encoder = chain(self._encoder, x)
            stream_into(encoder, state.interior, max(1, strip // scale), self._reporter("encoder"))
            del encoder
            features = self._blocks.run(state, self._reporter("blocks"))
            out = np.empty((self.config.out_channels, height, width), F32)
            stream_into(chain(self._decoder, features), out, strip, self._reporter("decoder"))
        return out

    __call__ = forward

    def _checked_input(self, x: np.ndarray) -> np.ndarray:
        config = self.config
        if x.ndim != 3 or x.shape[0] != config.in_channels:
            msg = f"input must be ({config.in_channels}, H, W), got shape {x.shape}"
            raise ValueError(msg)
        height, width = x.shape[1:]
        scale = config.scale
        if height % scale or width % scale or min(height, width) < 2 * scale:
            msg = (
                f"input height and width must be multiples of {scale} and at least {2 * scale}, "
                f"got {height}x{width}: pad the image (bottom/right) first"
            )
            raise ValueError(msg)
        return np.ascontiguousarray(x, dtype=F32)

    def _strip(self, width: int) -> int:
        if self.strip_rows is not None:
            return self.strip_rows
        scale = self.config.scale
        return max(scale, _STRIP_PIXELS // width // scale * scale)

    def _reporter(self, stage: str) -> Callable[[int, int], None]:
        progress = self.progress
        if progress is None:
            return lambda done, total: None
        return lambda done, total: progress(stage, done, total)
