"""The byte-level NumPy↔torch copies work like torch's own bridge, without it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rvwheels_runtime.backends.torch_bridge import to_numpy, to_torch  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float64])
def test_round_trip_keeps_values_and_shape(dtype):
    array = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    tensor = to_torch(torch, array)
    assert tuple(tensor.shape) == (2, 3, 4)
    np.testing.assert_array_equal(tensor.numpy(), array.astype(tensor.numpy().dtype))
    np.testing.assert_array_equal(to_numpy(tensor), array.astype(np.float32))


def test_copies_do_not_share_memory():
    array = np.ones((4, 4), np.float32)
    tensor = to_torch(torch, array)
    tensor += 1
    assert array.max() == 1.0
    out = to_numpy(tensor.t())  # a non-contiguous view is copied in logical order
    np.testing.assert_array_equal(out, np.full((4, 4), 2.0, np.float32))
