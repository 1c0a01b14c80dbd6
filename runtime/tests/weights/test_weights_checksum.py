"""Checksums: the legacy format needs a sha256 (argument or sidecar); damaged files never load
as different weights (legacy: the sha256; zip and .npz: their CRC-32s)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime.weights import WeightsError, check_sha256, load_weights, save_npz

from weights.hostile import genuine_weights
from weights.torchfiles import checkpoint, state_dict, write_legacy, write_torch_zip


@pytest.fixture
def weights() -> dict[str, np.ndarray]:
    return genuine_weights()


def _legacy(path: Path, weights: dict[str, np.ndarray]) -> Path:
    stored = state_dict(weights, legacy=True)
    return write_legacy(path, checkpoint(stored), stored.storages)


def _zip(path: Path, weights: dict[str, np.ndarray]) -> Path:
    stored = state_dict(weights)
    return write_torch_zip(path, checkpoint(stored), stored.storages)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_same(loaded: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> None:
    assert loaded.keys() == weights.keys()
    for key, value in weights.items():
        np.testing.assert_array_equal(loaded[key], value, err_msg=key)


def test_legacy_file_needs_a_sha256(tmp_path: Path, weights) -> None:
    path = _legacy(tmp_path / "best.ckpt", weights)
    with pytest.raises(WeightsError, match=r"legacy PyTorch format .* inpaint convert .*best.ckpt"):
        load_weights(path)
    _assert_same(load_weights(path, sha256=_sha256(path).upper()), weights)
    (tmp_path / "best.ckpt.sha256").write_text(f"{_sha256(path)}  best.ckpt\n")
    _assert_same(load_weights(path), weights)


def test_a_wrong_sha256_is_refused_for_every_format(tmp_path: Path, weights) -> None:
    for path in (
        _legacy(tmp_path / "legacy.ckpt", weights),
        _zip(tmp_path / "zip.ckpt", weights),
        save_npz(weights, tmp_path / "w.npz"),
    ):
        with pytest.raises(WeightsError, match="sha256 is .* but --model-sha256 says 0+"):
            load_weights(path, sha256="0" * 64)
        with pytest.raises(WeightsError, match="sha256 is"):
            check_sha256(path, "f" * 64)
        check_sha256(path, _sha256(path))


def test_sidecars_are_checked_and_must_hold_a_digest(tmp_path: Path, weights) -> None:
    path = save_npz(weights, tmp_path / "w.npz")
    sidecar = tmp_path / "w.npz.sha256"
    sidecar.write_text("1" * 64)
    with pytest.raises(WeightsError, match=r"but w\.npz\.sha256 says 1+"):
        load_weights(path)
    sidecar.write_text("not a digest")
    with pytest.raises(WeightsError, match="does not hold a sha256"):
        load_weights(path)
    with pytest.raises(WeightsError, match="is not a sha256"):
        load_weights(path, sha256="abc")


def _flips(data: bytes, count: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    copies = []
    for position, bit in zip(
        rng.integers(0, len(data), count), rng.integers(0, 8, count), strict=True
    ):
        damaged = bytearray(data)
        damaged[position] ^= 1 << bit
        copies.append(bytes(damaged))
    return copies


def test_bit_flipped_legacy_copies_never_load(tmp_path: Path, weights) -> None:
    """Of 420 bit-flipped copies of a legacy checkpoint, 207 used to load with silently
    different weights; its sidecar sha256 now refuses every one."""
    path = _legacy(tmp_path / "best.ckpt", weights)
    (tmp_path / "best.ckpt.sha256").write_text(_sha256(path))
    for damaged in _flips(path.read_bytes(), 420, seed=1):
        path.write_bytes(damaged)
        with pytest.raises(WeightsError, match="sha256 is"):
            load_weights(path)


@pytest.mark.parametrize("kind", ["zip", "npz"])
def test_bit_flipped_archives_load_the_same_weights_or_none(
    tmp_path: Path, weights, kind: str
) -> None:
    """Zip members carry CRC-32s: a flipped bit is refused, or lands where it changes
    nothing (a timestamp, padding); never different weights, never another exception."""
    path = tmp_path / "w.ckpt"
    if kind == "zip":
        _zip(path, weights)
    else:
        save_npz(weights, path)
    outcomes = set()
    for damaged in _flips(path.read_bytes(), 200, seed=2):
        path.write_bytes(damaged)
        try:
            _assert_same(load_weights(path), weights)
            outcomes.add("same")
        except WeightsError:
            outcomes.add("refused")
    assert "refused" in outcomes
