"""The restricted pickle machine: the same data as pickle.loads for what weights files hold,
private placeholder classes per load, and no way for a file to change the next load."""

from __future__ import annotations

import collections
import io
import pickle
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime.weights import WeightsError, load_weights
from rvwheels_runtime.weights import allowed as allowed_module
from rvwheels_runtime.weights.unpickler import unpickle

from weights.hostile import build, genuine_weights
from weights.hostile_calls import kwdefaults_state
from weights.torchfiles import (
    checkpoint,
    dict_of,
    name,
    pickle_of,
    state_dict,
    text,
    write_torch_zip,
)

DATA = {
    "text": "größe ✓",
    "bytes": b"\x00\xffraw",
    "numbers": [0, -1, 255, 256, 2**31, -(2**63), 2**100, 1.5, float("inf"), 3 + 4j],
    "flags": (True, False, None),
    "nested": {"a": [{"b": ({"c": ()},)}], 7: frozenset({1, "x", (2, 3)}), (1, "k"): {4, 5}},
    "ordered": collections.OrderedDict([("z", 1), ("y", [2, 3])]),
    "empty": [[], {}, (), set(), frozenset(), ""],
}


def _no_storage(_pid: tuple) -> None:
    raise AssertionError


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_data_reads_as_pickle_reads_it(protocol: int) -> None:
    shared = [1, 2]
    data = {**DATA, "shared": (shared, shared)}
    pickled = pickle.dumps(data, protocol=protocol)
    loaded = unpickle(io.BytesIO(pickled), "mem", _no_storage)
    assert loaded == pickle.loads(pickled)
    assert type(loaded["ordered"]) is collections.OrderedDict
    assert loaded["shared"][0] is loaded["shared"][1]  # the memo keeps sharing


def test_placeholder_classes_are_private_to_each_load() -> None:
    pickled = pickle_of(dict_of([(text("cls"), name("lightning.callbacks", "ModelCheckpoint"))]))
    first = unpickle(io.BytesIO(pickled), "mem", _no_storage)["cls"]
    second = unpickle(io.BytesIO(pickled), "mem", _no_storage)["cls"]
    assert first.global_name == second.global_name == "lightning.callbacks.ModelCheckpoint"
    assert first is not second
    # Nothing in the module keeps classes between loads (it grew without bound once).
    assert not any(
        isinstance(v, dict) and first in v.values() for v in vars(allowed_module).values()
    )


def test_a_poisoning_file_leaves_the_next_load_alone(tmp_path: Path) -> None:
    """BUILD set ``_rebuild_tensor.__kwdefaults__`` to float16: that file was refused, and every
    later checkpoint in the process loaded with wrong tensors."""
    weights = genuine_weights()
    stored = state_dict(weights)
    poison = build(name("torch._utils", "_rebuild_tensor_v2"), kwdefaults_state())
    root = dict_of([(text("state_dict"), stored.pickled), (text("hyper"), poison)])
    write_torch_zip(tmp_path / "poison.ckpt", pickle_of(root), stored.storages)
    with pytest.raises(WeightsError, match="BUILD on a function"):
        load_weights(tmp_path / "poison.ckpt")
    write_torch_zip(tmp_path / "good.ckpt", checkpoint(stored), stored.storages)
    loaded = load_weights(tmp_path / "good.ckpt")
    for key, value in weights.items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key], value)


@pytest.mark.parametrize(
    ("pickled", "match"),
    [
        (pickle_of(name("_codecs", "encode") + b"(X\x01\x00\x00\x00xX\x04\x00\x00\x00nopetR"),
         "text codec 'nope'"),
        (b"\x80\x02}()" + b"\x85" * 300 + b"K\x01u.", "more than 256 elements"),
    ],
)  # fmt: skip
def test_failures_are_one_weights_error(pickled: bytes, match: str) -> None:
    with pytest.raises(WeightsError, match=match):
        unpickle(io.BytesIO(pickled), "mem", _no_storage)
