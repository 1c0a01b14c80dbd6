"""LaMa generator weights without torch.

``load_weights(path)`` reads the official Lightning checkpoint (``big-lama/models/best.ckpt``,
zip or legacy torch format), a TorchScript export (IOPaint's ``big-lama.pt``) or rvwheels' own
``.npz`` and returns the generator's state dict keyed like the official checkpoint minus
``generator.``. Pickles are read by a restricted unpickler that calls nothing from the file.
``save_npz`` writes the compact format. Every failure is a one-line :class:`WeightsError`.
Whatever a file holds, the reader stays within :mod:`.limits`; a legacy-format checkpoint
(no checksums) is read only with its sha256 (:mod:`.checksum`).
"""

from __future__ import annotations

from rvwheels_runtime.weights.checksum import check_sha256
from rvwheels_runtime.weights.errors import WeightsError
from rvwheels_runtime.weights.layout import check_layout
from rvwheels_runtime.weights.load import checked_model, load_weights
from rvwheels_runtime.weights.npz import FORMAT_KEY, FORMAT_VERSION, save_npz

__all__ = [
    "FORMAT_KEY",
    "FORMAT_VERSION",
    "WeightsError",
    "check_layout",
    "check_sha256",
    "checked_model",
    "load_weights",
    "save_npz",
]
