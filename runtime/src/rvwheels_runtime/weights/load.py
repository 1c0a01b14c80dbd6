"""``load_weights``: any supported LaMa file in, the generator's official state dict out."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rvwheels_runtime.weights.checksum import (
    LEGACY_HEAD,
    check_sha256,
    is_legacy_torch_file,
    verify,
)
from rvwheels_runtime.weights.errors import WeightsError, clip
from rvwheels_runtime.weights.layout import check_layout
from rvwheels_runtime.weights.legacy import read_torch_legacy
from rvwheels_runtime.weights.npz import read_npz
from rvwheels_runtime.weights.refs import TensorRef, shape_stub
from rvwheels_runtime.weights.torchfile import TorchFile, has_torch_pickle, read_torch_zip
from rvwheels_runtime.weights.walk import tensor_paths
from rvwheels_runtime.weights.zips import open_archive

SUPPORTED = "a LaMa best.ckpt, a TorchScript big-lama.pt or an rvwheels .npz"
SIGNATURE_KEY = "model.1.ffc.convl2l.weight"  # the generator's first convolution
_GENERATOR_KEY = re.compile(r"(?P<prefix>(?:.+\.)?)model\.\d+\..+")
_TAR_MAGIC = b"ustar"


def load_weights(
    path: str | os.PathLike[str], *, sha256: str | None = None
) -> dict[str, np.ndarray]:
    """Read the generator weights from ``path``, keyed like the official checkpoint minus
    ``generator.``; float tensors come back as float32. Raises WeightsError.

    ``sha256`` (or a ``<path>.sha256`` sidecar) must match the file when given; a legacy-format
    torch checkpoint, which has no checksums of its own, is read only when one is given.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        msg = f"{source}: no such model file; pass {SUPPORTED}"
        raise WeightsError(msg)
    try:
        weights = _read_any(path, source, sha256)
    except OSError as err:
        msg = f"{source}: cannot read the model file ({err.strerror or err})"
        raise WeightsError(msg) from None
    check_layout(weights, source)
    return weights


def _read_any(path: Path, source: str, sha256: str | None) -> dict[str, np.ndarray]:
    with path.open("rb") as file:
        head = file.read(512)
        legacy = head.startswith(LEGACY_HEAD)
        verify(path, source, sha256, legacy=legacy)
        if head.startswith(b"PK"):
            return _read_zip(path, source)
        if legacy:
            file.seek(0)
            return _generator_from(read_torch_legacy(file, source))
    if head[257:262] == _TAR_MAGIC:
        msg = f"{source}: tar checkpoint from torch < 0.4 is not supported; re-save it with torch"
        raise WeightsError(msg)
    msg = f"{source}: not a model file (unknown format); pass {SUPPORTED}"
    raise WeightsError(msg)


def _read_zip(path: Path, source: str) -> dict[str, np.ndarray]:
    with open_archive(path, source) as archive:
        names = archive.namelist()
        if has_torch_pickle(names):
            return _generator_from(read_torch_zip(archive, source))
        if any(name.endswith("model.json") for name in names):
            msg = f"{source}: TorchScript from torch < 1.4 is not supported; re-save it with torch"
            raise WeightsError(msg)
    if names and all(name.endswith(".npy") for name in names):
        return read_npz(path, source)
    msg = f"{source}: zip archive that is neither a PyTorch file nor an .npz; pass {SUPPORTED}"
    raise WeightsError(msg)


def _generator_from(torch_file: TorchFile) -> dict[str, np.ndarray]:
    root = torch_file.root
    if isinstance(root, Mapping) and isinstance(root.get("state_dict"), Mapping):
        root = root["state_dict"]  # a Lightning checkpoint; skip optimizer and callbacks
    selected = _select_generator(tensor_paths(root, torch_file.source), torch_file)
    # The layout is judged on shapes alone, before a byte of tensor data is read.
    check_layout({key: shape_stub(ref) for key, ref in selected.items()}, torch_file.source)
    return {key: _as_float32(array) for key, array in torch_file.tensors(selected).items()}


def _select_generator(refs: dict[str, TensorRef], torch_file: TorchFile) -> dict[str, TensorRef]:
    """Keep one generator's tensors (``generator.model.N...`` or a wrapper's), prefix stripped."""
    groups: dict[str, dict[str, TensorRef]] = {}
    for key, ref in refs.items():
        match = _GENERATOR_KEY.fullmatch(key)
        if match:
            prefix = match["prefix"]
            groups.setdefault(prefix, {})[key[len(prefix) :]] = ref
    source = torch_file.source
    candidates = sorted(p for p, group in groups.items() if SIGNATURE_KEY in group)
    if not candidates:
        example = clip(next(iter(refs), "none"))
        hint = (
            "a frozen TorchScript keeps no parameter names: run it with --backend torch"
            if torch_file.is_torchscript
            else f"pass {SUPPORTED}"
        )
        msg = (
            f"{source}: no LaMa generator inside ({len(refs)} tensors, e.g. {example!r}; "
            f"expected keys like 'generator.{SIGNATURE_KEY}'); {hint}"
        )
        raise WeightsError(msg)
    for preferred in ("generator.", ""):
        if preferred in candidates:
            return groups[preferred]
    if len(candidates) > 1:
        msg = f"{source}: several generators inside ({clip(', '.join(candidates))}); cannot choose"
        raise WeightsError(msg)
    return groups[candidates[0]]


def _as_float32(array: np.ndarray) -> np.ndarray:
    if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float32:
        return array.astype(np.float32)
    return array


def checked_model(
    model: str | os.PathLike[str] | Mapping[str, np.ndarray], sha256: str | None, *, onnx: bool
) -> str | os.PathLike[str] | Mapping[str, np.ndarray]:
    """With a sha256 (--model-sha256), the model file is checked before any backend reads it.
    A legacy checkpoint is read here, with the digest, and handed over as weights (no backend
    would get past the checksum rule otherwise); other files keep their path. ONNX files are
    not weights this reader knows: only their digest is checked."""
    if sha256 is None or isinstance(model, Mapping):
        return model
    path = Path(model)
    if not onnx and is_legacy_torch_file(path):
        return load_weights(path, sha256=sha256)
    check_sha256(path, sha256)
    return model
