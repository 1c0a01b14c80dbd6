"""Run by the riscv64 Python under the counting QEMU (benchmarks/c910v_instructions.py):
the runtime's NumPy big-lama with BLOCKS residual (FFC) blocks and random weights on a fixed
SIZE×SIZE input, one thread. Saves the output to OUT (.npy) and prints the kernel set OpenBLAS
chose as JSON. Counted with 1 and with 0 blocks (BLOCKS is 0 or 1), the difference is one FFC
block: its weights' preparation and its forward pass.

    python lama_block.py BLOCKS SIZE OUT
"""

from __future__ import annotations

import json
import sys

import numpy as np
from rvwheels_runtime.model import LamaConfig, LamaGenerator, random_weights
from rvwheels_runtime.model.threads import blas_report


def masked_input(size: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 1, (3, size, size)).astype(np.float32)
    mask = np.zeros((1, size, size), np.float32)
    mask[:, size // 4 : size // 2, size // 3 : 2 * size // 3] = 1
    return np.concatenate([image * (1 - mask), mask])


def main() -> None:
    blocks, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    # Both runs draw the weights of both models, so the random numbers (numpy, no BLAS:
    # about a tenth of a block's instructions) cancel out of the difference.
    weights = {n: random_weights(LamaConfig(n_blocks=n)) for n in (0, 1)}
    config = LamaConfig(n_blocks=blocks)
    model = LamaGenerator(weights[blocks], config, threads=1)
    np.save(out, model(masked_input(size)))
    print(json.dumps({"core": blas_report(1)["core"]}))


if __name__ == "__main__":
    main()
