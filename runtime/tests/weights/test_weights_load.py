"""load_weights / save_npz without torch: the .npz format, layout checks, hostile pickles."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.layout import random_weights
from rvwheels_runtime.weights import FORMAT_KEY, WeightsError, load_weights, save_npz
from rvwheels_runtime.weights.checksum import file_sha256
from rvwheels_runtime.weights.refs import StorageRef, TensorRef
from rvwheels_runtime.weights.torchfile import TorchFile

SMALL = LamaConfig(ngf=8, n_downsampling=2, n_blocks=2)


@pytest.fixture
def weights() -> dict[str, np.ndarray]:
    return random_weights(SMALL, seed=7)


def test_npz_round_trip_is_exact(tmp_path: Path, weights: dict[str, np.ndarray]) -> None:
    path = save_npz(weights, tmp_path / "lama.npz")
    loaded = load_weights(path)
    assert loaded.keys() == weights.keys()
    for key, value in weights.items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key], value, err_msg=key)


def test_npz_without_format_entry_is_refused(tmp_path: Path, weights) -> None:
    np.savez(tmp_path / "plain.npz", **weights)
    with pytest.raises(WeightsError, match="inpaint convert"):
        load_weights(tmp_path / "plain.npz")


def test_npz_from_a_future_format_is_refused(tmp_path: Path, weights) -> None:
    np.savez(tmp_path / "future.npz", **weights, **{FORMAT_KEY: np.array(99)})
    with pytest.raises(WeightsError, match="format version 99"):
        load_weights(tmp_path / "future.npz")


def test_truncated_npz_is_one_clear_error(tmp_path: Path, weights) -> None:
    data = save_npz(weights, tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="cut.npz"):
        load_weights(tmp_path / "cut.npz")


def test_missing_tensor_is_named(tmp_path: Path, weights) -> None:
    del weights["model.5.conv2.ffc.convg2g.fu.bn.running_var"]
    save_npz(weights, tmp_path / "partial.npz")
    with pytest.raises(WeightsError, match=r"model\.5\.conv2\.ffc\.convg2g\.fu\.bn\.running_var"):
        load_weights(tmp_path / "partial.npz")


def test_wrong_shape_is_named(tmp_path: Path, weights) -> None:
    weights["model.4.conv1.ffc.convl2l.weight"] = np.zeros((3, 3, 3, 3), np.float32)
    save_npz(weights, tmp_path / "bad.npz")
    with pytest.raises(WeightsError, match=r"model\.4\.conv1\.ffc\.convl2l\.weight"):
        load_weights(tmp_path / "bad.npz")


def test_extra_tensor_is_refused(tmp_path: Path, weights) -> None:
    weights["model.4.conv1.ffc.convg2g.lfu.conv_layer.weight"] = np.zeros((2, 2, 1, 1), np.float32)
    save_npz(weights, tmp_path / "lfu.npz")
    with pytest.raises(WeightsError, match="lfu"):
        load_weights(tmp_path / "lfu.npz")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.ckpt", b"", "unknown format"),
        ("text.ckpt", b"hello, I am not a checkpoint\n" * 30, "unknown format"),
        ("cut.ckpt", b"PK\x03\x04\x14\x00\x00\x00", "damaged or truncated zip"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, name: str, content: bytes, match: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(WeightsError, match=match):
        load_weights(tmp_path / name)


def test_random_zip_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("holiday/readme.txt", "nothing here")
    with pytest.raises(WeightsError, match="neither a PyTorch file nor an .npz"):
        load_weights(tmp_path / "photos.zip")


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no such model file"):
        load_weights(tmp_path / "absent.ckpt")


def _torch_zip(path: Path, pickled: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/version", "3\n")
    return path


@pytest.mark.parametrize(
    "pickled",
    [
        b"cos\nsystem\n(S'touch {marker}'\ntR.",
        b"cposix\nsystem\n(S'touch {marker}'\ntR.",
        b'cbuiltins\neval\n(S\'open("{marker}", "w")\'\ntR.',
        b"cbuiltins\ngetattr\n(cbuiltins\nstr\nS'join'\ntR.",
        b"csubprocess\nPopen\n((S'touch'\nS'{marker}'\nltR.",
        b"ccopyreg\n_reconstructor\n(cos\nsystem\ncbuiltins\nobject\nNtR.",
    ],
)
def test_hostile_pickle_is_refused_without_running(tmp_path: Path, pickled: bytes) -> None:
    marker = tmp_path / "pwned"
    path = _torch_zip(tmp_path / "evil.ckpt", pickled.replace(b"{marker}", str(marker).encode()))
    with pytest.raises(WeightsError, match="refusing to load"):
        load_weights(path)
    assert not marker.exists()
    # The same pickle as a legacy (non-zip) checkpoint.
    legacy = tmp_path / "evil_legacy.ckpt"
    legacy.write_bytes(b"\x80\x02" + pickled.replace(b"{marker}", b"x"))
    with pytest.raises(WeightsError, match="refusing to load|not a PyTorch checkpoint"):
        load_weights(legacy, sha256=file_sha256(legacy))


def test_data_only_globals_become_inert_placeholders(tmp_path: Path) -> None:
    # A "torch" global called with a shell command must not run it; it just holds data.
    marker = tmp_path / "pwned"
    pickled = f"ctorch\nsomething\n(S'touch {marker}'\ntR.".encode()
    path = _torch_zip(tmp_path / "odd.ckpt", pickled)
    with pytest.raises(WeightsError, match="no LaMa generator inside"):
        load_weights(path)
    assert not marker.exists()


def _in_memory(data: bytes, byteorder: str = "<") -> tuple[TorchFile, list[str]]:
    reads: list[str] = []

    def read_storage(key: str) -> bytes:
        reads.append(key)
        return data

    torch_file = TorchFile(
        root=None,
        is_torchscript=False,
        storage_bytes=lambda key: len(data),
        read_storage=read_storage,
        byteorder=byteorder,
        source="mem",
    )
    return torch_file, reads


def test_materialize_honours_offset_and_strides() -> None:
    data = np.arange(24, dtype="<f4")
    storage = StorageRef(key="0", dtype="float32", numel=24)
    torch_file, reads = _in_memory(data.tobytes())
    transposed = TensorRef(storage=storage, offset=2, shape=(3, 4), stride=(1, 3))
    row = TensorRef(storage=storage, offset=20, shape=(4,), stride=(1,))
    tensors = torch_file.tensors({"t": transposed, "r": row})
    assert reads == ["0"]  # one read for both views
    np.testing.assert_array_equal(tensors["t"], data[2:14].reshape(4, 3).T)
    np.testing.assert_array_equal(tensors["r"], data[20:])
    assert tensors["t"].flags.c_contiguous and tensors["t"].base is None
    outside = TensorRef(storage=storage, offset=20, shape=(2, 4), stride=(4, 1))
    with pytest.raises(WeightsError, match="outside its storage"):
        torch_file.tensors({"o": outside})


def test_overlapping_views_are_bounded() -> None:
    # 100 tensors that each view the same whole storage: 100 times its bytes.
    storage = StorageRef(key="0", dtype="float32", numel=1 << 20)
    torch_file, reads = _in_memory(bytes(4 << 20))
    whole = TensorRef(storage=storage, offset=0, shape=(1 << 20,), stride=(1,))
    assert len(torch_file.tensors({"a": whole, "b": whole})) == 2  # a tied weight is fine
    with pytest.raises(WeightsError, match="add up to"):
        torch_file.tensors({f"t{i}": whole for i in range(100)})
    assert reads == ["0"]  # refused before reading


def test_materialize_reads_big_endian_and_bfloat16() -> None:
    values = np.array([1.5, -2.25, 3.0], np.float32)
    big, _ = _in_memory(values.astype(">f4").tobytes(), ">")
    ref = TensorRef(
        storage=StorageRef(key="0", dtype="float32", numel=3), offset=0, shape=(3,), stride=(1,)
    )
    np.testing.assert_array_equal(big.tensors({"t": ref})["t"], values)
    top_halves = (values.view(np.uint32) >> 16).astype("<u2").tobytes()  # exact in bfloat16
    bf16, _ = _in_memory(top_halves)
    ref = TensorRef(
        storage=StorageRef(key="0", dtype="bfloat16", numel=3), offset=0, shape=(3,), stride=(1,)
    )
    np.testing.assert_array_equal(bf16.tensors({"t": ref})["t"], values)


def test_placeholders_survive_pickle_protocols(tmp_path: Path) -> None:
    # Lightning keys its callback states by class; such a class must work as a dict key.
    pickled = b"\x80\x02}ctorch.optim\nAdam\n}X\x01\x00\x00\x00aK\x01ss."
    path = _torch_zip(tmp_path / "callbacks.ckpt", pickled)
    with pytest.raises(WeightsError, match=r"no LaMa generator inside \(0 tensors"):
        load_weights(path)


def test_self_referencing_pickle_is_refused(tmp_path: Path) -> None:
    # {"a": <this very dict>} via the memo: walking it must not recurse forever.
    path = _torch_zip(tmp_path / "loop.ckpt", b"\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s.")
    with pytest.raises(WeightsError, match="nested too deeply or in a cycle"):
        load_weights(path)
