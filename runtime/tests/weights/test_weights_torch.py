"""load_weights on files torch itself wrote: Lightning checkpoints, legacy pickles, TorchScript."""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from lama_reference import load_torch_lama
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.weights import WeightsError, load_weights
from rvwheels_runtime.weights.checksum import file_sha256

torch = pytest.importorskip("torch")
try:
    import omegaconf
except ImportError:
    omegaconf = None


SMALL = LamaConfig(ngf=8, n_downsampling=2, n_blocks=2)
# torch 2.13 deprecates torch.jit, but IOPaint's big-lama.pt is TorchScript all the same.
jit_deprecated = pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")


def _load(path: Path) -> dict[str, np.ndarray]:
    """load_weights vouching for the file as it is: legacy-format files need a sha256."""
    return load_weights(path, sha256=file_sha256(path))


def _generator(config: LamaConfig = SMALL, seed: int = 0):
    torch.manual_seed(seed)
    model = load_torch_lama().TorchLama(
        ngf=config.ngf, n_downsampling=config.n_downsampling, n_blocks=config.n_blocks
    )
    with torch.no_grad():  # random BatchNorm statistics, so every tensor is distinct
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                tensor.copy_(
                    torch.rand_like(tensor) + 0.5
                    if "running_var" in name
                    else torch.randn_like(tensor)
                )
            else:
                tensor.fill_(seed + 3)
    return model.eval()


def _expected(model) -> dict[str, np.ndarray]:
    return {key: value.numpy() for key, value in model.state_dict().items()}


def _assert_same(loaded: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert sorted(loaded) == sorted(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype, key
        np.testing.assert_array_equal(loaded[key], value, err_msg=key)


def _lightning_checkpoint(model) -> dict:
    hyper = {"generator": {"kind": "ffc_resnet", "ngf": 8}, "lr": 1e-3}
    if omegaconf is not None:  # what Lightning keeps when a module saves its OmegaConf config
        hyper = omegaconf.OmegaConf.create(hyper)
    state = {f"generator.{k}": v for k, v in model.state_dict().items()}
    state["discriminator.model0.0.weight"] = torch.randn(4, 3, 4, 4)
    state["loss_resnet_pl.impl.conv1.weight"] = torch.randn(2, 3, 1, 1)
    return {
        "epoch": 39,
        "global_step": 1234,
        "pytorch-lightning_version": "1.2.9",
        "state_dict": state,
        "callbacks": {torch.nn.Conv2d: {"best_model_score": torch.tensor(0.25), "dirpath": "x"}},
        "optimizer_states": [{"state": {0: {"exp_avg": torch.randn(5)}}, "param_groups": []}],
        "lr_schedulers": [],
        "hyper_parameters": hyper,
    }


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_lightning_checkpoint_loads_exactly(tmp_path: Path, zipped: bool) -> None:
    model = _generator()
    path = tmp_path / "best.ckpt"
    torch.save(_lightning_checkpoint(model), path, _use_new_zipfile_serialization=zipped)
    _assert_same(_load(path), _expected(model))


def test_big_lama_sized_checkpoint(tmp_path: Path) -> None:
    model = _generator(LamaConfig())
    torch.save(
        {"state_dict": {f"generator.{k}": v for k, v in model.state_dict().items()}},
        tmp_path / "best.ckpt",
    )
    loaded = _load(tmp_path / "best.ckpt")
    _assert_same(loaded, _expected(model))
    parameters = sum(v.size for k, v in loaded.items() if not k.endswith("num_batches_tracked"))
    assert parameters == sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")
    )


def test_plain_state_dict_and_parameters(tmp_path: Path) -> None:
    model = _generator(seed=1)
    torch.save(model.state_dict(), tmp_path / "sd.pth")
    _assert_same(_load(tmp_path / "sd.pth"), _expected(model))
    # nn.Parameter objects (torch._utils._rebuild_parameter) instead of plain tensors.
    tensors = dict(model.named_parameters()) | dict(model.named_buffers())
    torch.save(tensors, tmp_path / "params.pth")
    _assert_same(_load(tmp_path / "params.pth"), _expected(model))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_other_float_types_come_back_as_float32(tmp_path: Path, dtype: str) -> None:
    model = _generator(seed=2)
    converted = {
        k: v.to(getattr(torch, dtype)) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }
    torch.save(
        {"state_dict": {f"generator.{k}": v for k, v in converted.items()}}, tmp_path / "m.ckpt"
    )
    loaded = _load(tmp_path / "m.ckpt")
    expected = {
        k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in converted.items()
    }
    _assert_same(loaded, expected)


def test_strided_views_of_shared_storage(tmp_path: Path) -> None:
    # torch.save keeps views as (storage, offset, strides): several tensors share one storage.
    base = torch.arange(200, dtype=torch.float32).reshape(10, 20)
    state = _generator(seed=3).state_dict()
    state["model.1.bn_l.weight"] = base[2, 3:19:2]  # offset 43, stride 2
    state["model.1.bn_l.bias"] = base[:8, 5]  # a column: stride 20
    state["model.1.bn_l.running_var"] = base.t()[7, 1:9] + 0  # a fresh contiguous tensor
    state["model.1.ffc.convl2l.weight"] = torch.randn(7, 7, 4, 8).permute(3, 2, 0, 1)
    assert not state["model.1.ffc.convl2l.weight"].is_contiguous()
    torch.save({"state_dict": {f"generator.{k}": v for k, v in state.items()}}, tmp_path / "v.ckpt")
    _assert_same(_load(tmp_path / "v.ckpt"), {k: v.numpy() for k, v in state.items()})


class _Wrapper(torch.nn.Module):
    """IOPaint's big-lama.pt: (image, mask) in, the composited image out."""

    def __init__(self, generator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, image, mask):
        x = torch.cat([image * (1 - mask), mask], dim=1)
        return mask * self.generator(x) + (1 - mask) * image


@pytest.fixture(scope="module")
def traced():
    """The generator, and IOPaint's wrapper around it traced (tracing takes seconds: once)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`torch.jit.*", DeprecationWarning)
        model = _generator(seed=4)
        example = (torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
        return model, torch.jit.trace(_Wrapper(model).eval(), example)


@jit_deprecated
def test_traced_torchscript_like_iopaint(tmp_path: Path, traced) -> None:
    model, module = traced
    module.save(str(tmp_path / "big-lama.pt"))
    _assert_same(_load(tmp_path / "big-lama.pt"), _expected(model))


@jit_deprecated
def test_frozen_torchscript_points_to_the_torch_backend(tmp_path: Path, traced) -> None:
    torch.jit.freeze(traced[1]).save(str(tmp_path / "frozen.pt"))
    with pytest.raises(WeightsError, match="frozen TorchScript .* --backend torch"):
        _load(tmp_path / "frozen.pt")


class _Holder(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _scriptable_tree(state: dict) -> torch.nn.Module:
    """Modules laid out like the state dict's keys, with a forward torch.jit.script accepts."""
    root = _Holder()
    for key, value in state.items():
        *path, leaf = key.split(".")
        node = root
        for part in path:
            if part not in node._modules:
                node.add_module(part, _Holder())
            node = node._modules[part]
        node.register_buffer(leaf, value.clone())
    return root


@jit_deprecated
def test_scripted_torchscript(tmp_path: Path) -> None:
    model = _generator(seed=5)
    wrapper = _Holder()
    wrapper.add_module("generator", _scriptable_tree(model.state_dict()))
    torch.jit.script(wrapper).save(str(tmp_path / "scripted.pt"))
    _assert_same(_load(tmp_path / "scripted.pt"), _expected(model))


@jit_deprecated
def test_non_lama_checkpoint_is_refused(tmp_path: Path) -> None:
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    torch.save({"state_dict": other.state_dict()}, tmp_path / "resnet.ckpt")
    with pytest.raises(WeightsError, match="no LaMa generator inside"):
        _load(tmp_path / "resnet.ckpt")
    torch.jit.trace(other.eval(), torch.rand(1, 3, 8, 8)).save(str(tmp_path / "other.pt"))
    with pytest.raises(WeightsError, match="no LaMa generator inside"):
        _load(tmp_path / "other.pt")


def test_lama_with_missing_block_tensor_is_refused(tmp_path: Path) -> None:
    state = _generator(seed=6).state_dict()
    del state["model.4.conv1.ffc.convg2l.weight"]
    torch.save(
        {"state_dict": {f"generator.{k}": v for k, v in state.items()}}, tmp_path / "cut.ckpt"
    )
    with pytest.raises(WeightsError, match=r"model\.4\.conv1\.ffc\.convg2l\.weight"):
        _load(tmp_path / "cut.ckpt")


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.98])
def test_truncated_checkpoint_is_one_clear_error(
    tmp_path: Path, zipped: bool, fraction: float
) -> None:
    path = tmp_path / "best.ckpt"
    torch.save(_lightning_checkpoint(_generator()), path, _use_new_zipfile_serialization=zipped)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(WeightsError, match="best.ckpt"):
        _load(path)


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_checkpoint_with_code_is_refused_without_running_it(tmp_path: Path, zipped: bool) -> None:
    marker = tmp_path / "pwned"
    checkpoint = _lightning_checkpoint(_generator())
    checkpoint["hyper_parameters"] = {"innocent": _Evil(marker)}
    torch.save(checkpoint, tmp_path / "evil.ckpt", _use_new_zipfile_serialization=zipped)
    with pytest.raises(WeightsError, match=r"refusing to load: .*(posix|os)\.system"):
        _load(tmp_path / "evil.ckpt")
    assert not marker.exists()


def _flip_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    damaged = bytearray(data)
    for position in rng.integers(0, len(data), rng.integers(1, 5)):
        damaged[position] = rng.integers(0, 256)
    return bytes(damaged)


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_damaged_pickles_never_escape_as_other_errors(tmp_path: Path, zipped: bool) -> None:
    """Random byte flips in the pickle (re-zipped with valid CRCs): a load either succeeds
    or raises WeightsError; never another exception, never a huge allocation."""
    path = tmp_path / "best.ckpt"
    torch.save(_lightning_checkpoint(_generator()), path, _use_new_zipfile_serialization=zipped)
    original = path.read_bytes()
    if zipped:
        with zipfile.ZipFile(path) as archive:
            records = {name: archive.read(name) for name in archive.namelist()}
        pickle_name = next(name for name in records if name.endswith("/data.pkl"))
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(150):
        if zipped:
            with zipfile.ZipFile(path, "w") as archive:
                for name, data in records.items():
                    archive.writestr(name, _flip_bytes(data, rng) if name == pickle_name else data)
        else:
            path.write_bytes(_flip_bytes(original, rng))
        try:
            _load(path)
            outcomes.add("loaded")
        except WeightsError:
            outcomes.add("refused")
    assert "refused" in outcomes
