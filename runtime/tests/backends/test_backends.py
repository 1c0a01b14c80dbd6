"""get_backend and the numpy, torch and onnx backends on small random generators."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from lama_reference import load_torch_lama
from rvwheels_runtime.backends import BackendError, get_backend
from rvwheels_runtime.backends.contract import masked_input
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.layout import random_weights
from rvwheels_runtime.weights import WeightsError, save_npz

SMALL = LamaConfig(ngf=8, n_downsampling=3, n_blocks=2)
jit_deprecated = pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")


@pytest.fixture(scope="module")
def weights() -> dict[str, np.ndarray]:
    return random_weights(SMALL, seed=11)


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    mask = np.zeros((45, 70), np.uint8)
    mask[10:30, 15:40] = 255
    return image, mask


def _reference_inpaint(weights, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The contract written out by hand around the independent torch generator."""
    torch_lama = load_torch_lama()
    model = torch_lama.torch_lama_from_weights(
        weights, ngf=SMALL.ngf, n_downsampling=SMALL.n_downsampling, n_blocks=SMALL.n_blocks
    )
    height, width = mask.shape
    pad = ((0, -height % 8), (0, -width % 8))
    img = np.pad(image, (*pad, (0, 0)), mode="symmetric").transpose(2, 0, 1) / np.float32(255)
    msk = (np.pad(mask, pad, mode="symmetric") > 0).astype(np.float32)[None]
    pred = torch_lama.run_torch(model, masked_input(img.astype(np.float32), msk))
    out = msk * pred + (1 - msk) * img
    return np.clip(out * 255, 0, 255).astype(np.uint8)[:, :height, :width].transpose(1, 2, 0)


def test_numpy_backend_keeps_known_pixels_and_fills_the_hole(weights, scene) -> None:
    image, mask = scene
    out = get_backend("numpy", weights).inpaint(image, mask)
    hole = mask > 0
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert (out[hole] != image[hole]).mean() > 0.9


def test_numpy_backend_reads_weight_files(tmp_path: Path, weights, scene) -> None:
    image, mask = scene
    path = save_npz(weights, tmp_path / "small.npz")
    from_file = get_backend("numpy", path, threads=1).inpaint(image, mask)
    np.testing.assert_array_equal(from_file, get_backend("numpy", weights).inpaint(image, mask))


def test_numpy_backend_matches_the_torch_reference(weights, scene) -> None:
    pytest.importorskip("torch")
    image, mask = scene
    expected = _reference_inpaint(weights, image, mask)
    out = get_backend("numpy", weights).inpaint(image, mask)
    difference = np.abs(out.astype(int) - expected)
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01


def test_torch_backend_on_weights_matches_the_reference(weights, scene) -> None:
    pytest.importorskip("torch")
    image, mask = scene
    out = get_backend("torch", weights, threads=1).inpaint(image, mask)
    np.testing.assert_array_equal(out, _reference_inpaint(weights, image, mask))


@jit_deprecated
def test_torch_backend_runs_an_iopaint_style_torchscript(tmp_path: Path, weights, scene) -> None:
    torch = pytest.importorskip("torch")
    torch_lama = load_torch_lama()
    generator = torch_lama.torch_lama_from_weights(
        weights, ngf=SMALL.ngf, n_downsampling=SMALL.n_downsampling, n_blocks=SMALL.n_blocks
    )

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.generator = generator

        def forward(self, image, mask):
            x = torch.cat([image * (1 - mask), mask], dim=1)
            return mask * self.generator(x) + (1 - mask) * image

    example = (torch.rand(1, 3, 48, 72), torch.ones(1, 1, 48, 72))
    traced = torch.jit.trace(Wrapper().eval(), example)
    traced.save(str(tmp_path / "big-lama.pt"))
    torch.jit.freeze(traced).save(str(tmp_path / "frozen.pt"))  # no parameter names left
    image, mask = scene
    expected = _reference_inpaint(weights, image, mask)
    for name in ("big-lama.pt", "frozen.pt"):
        out = get_backend("torch", tmp_path / name).inpaint(image, mask)
        np.testing.assert_array_equal(out, expected, err_msg=name)


def _onnx_model(path: Path, *, combined: bool, fixed: int | None, scale: float) -> Path:
    """A stand-in network: fills with grey 0.5 (times ``scale``) whatever the input."""
    onnx = pytest.importorskip("onnx")
    helper, tp = onnx.helper, onnx.TensorProto
    side = fixed if fixed else "h"
    if combined:
        inputs = [
            helper.make_tensor_value_info("x", tp.FLOAT, [1, 4, side, side if fixed else "w"])
        ]
        nodes = [helper.make_node("Slice", ["x", "s0", "s1", "ax"], ["rgb"])]
        constants = [
            helper.make_tensor("s0", tp.INT64, [1], [0]),
            helper.make_tensor("s1", tp.INT64, [1], [3]),
            helper.make_tensor("ax", tp.INT64, [1], [1]),
        ]
        source = "rgb"
    else:
        shape = [1, 3, side, side if fixed else "w"]
        inputs = [
            helper.make_tensor_value_info("mask", tp.FLOAT, [1, 1, *shape[2:]]),
            helper.make_tensor_value_info("image", tp.FLOAT, shape),
        ]
        nodes, constants = [], []
        source = "image"
    nodes += [
        helper.make_node("Mul", [source, "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "grey"], ["out"]),
    ]
    constants += [
        helper.make_tensor("zero", tp.FLOAT, [], [0.0]),
        helper.make_tensor("grey", tp.FLOAT, [], [0.5 * scale]),
    ]
    output = helper.make_tensor_value_info("out", tp.FLOAT, None)
    graph = helper.make_graph(nodes, "grey", inputs, [output], initializer=constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(
    ("combined", "fixed", "scale"),
    [(False, None, 1.0), (True, None, 1.0), (False, 32, 1.0), (True, 64, 255.0)],
    ids=["image-mask", "combined", "fixed-size", "byte-output"],
)
def test_onnx_backend_layouts(
    tmp_path: Path, scene, combined: bool, fixed: int | None, scale: float
) -> None:
    pytest.importorskip("onnxruntime")
    path = _onnx_model(tmp_path / "lama.onnx", combined=combined, fixed=fixed, scale=scale)
    image, mask = scene
    out = get_backend("onnx", path, threads=1).inpaint(image, mask)
    hole = mask > 0
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert set(np.unique(out[hole])) <= {127, 128}


def test_onnx_backend_refuses_a_broken_file(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    (tmp_path / "broken.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(BackendError, match="onnxruntime cannot load"):
        get_backend("onnx", tmp_path / "broken.onnx")


def test_unknown_backend_suggests_a_name(weights) -> None:
    with pytest.raises(BackendError, match="did you mean 'numpy'"):
        get_backend("numpi", weights)


def test_backend_needs_a_model() -> None:
    with pytest.raises(BackendError, match="no model given"):
        get_backend("numpy", None)


def test_missing_packages_are_named(
    monkeypatch: pytest.MonkeyPatch, weights, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes "import torch" fail
    with pytest.raises(BackendError, match="pip install torch"):
        get_backend("torch", weights)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(BackendError, match="pip install onnxruntime"):
        get_backend("onnx", tmp_path / "any.onnx")


def test_bad_model_file_is_a_weights_error(tmp_path: Path) -> None:
    (tmp_path / "model.ckpt").write_bytes(b"garbage" * 100)
    with pytest.raises(WeightsError, match="model.ckpt"):
        get_backend("numpy", tmp_path / "model.ckpt")
