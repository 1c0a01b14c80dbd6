"""Python 3.11 for the RVBook, end to end (heavy: CPython, OpenBLAS, numpy and the 94 MB torch):
PyPI's mis-tagged pytorch-riscv64 adopted as torch cp311, numpy built for cp311, and
`rvwheels verify --python 3.11` running the tiny LaMa on the adopted torch against NumPy."""

from __future__ import annotations

import json
import zipfile

import pytest

from .conftest import rvwheels

pytestmark = [pytest.mark.integration, pytest.mark.heavy]


@pytest.fixture(scope="module")
def cp311_wheelhouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("cp311") / "wheelhouse"
    result = rvwheels(
        "build", "numpy", "torch", "--python", "3.11", "--wheelhouse", str(wh), timeout=5400
    )
    assert result.returncode == 0, result.stderr
    return wh


def test_torch_is_adopted_for_cp311(cp311_wheelhouse):
    (wheel,) = cp311_wheelhouse.glob("torch-*.whl")
    assert wheel.name.startswith("torch-2.3.0a1-cp311-cp311-manylinux_2_")
    record = json.loads((cp311_wheelhouse / "records" / f"{wheel.name}.json").read_text())
    assert record["test"]["passed"] is True
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "torch-2.3.0a1.dist-info/METADATA" in names
    assert not any(n.startswith("torch/test/") for n in names)
    assert any(n.startswith("torch.libs/libopenblas") for n in names)


def test_verify_runs_tiny_lama_on_the_adopted_torch(cp311_wheelhouse):
    result = rvwheels(
        "verify", "--python", "3.11", "--wheelhouse", str(cp311_wheelhouse), timeout=3600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((cp311_wheelhouse / "verify-report.json").read_text())
    assert report["environment"].startswith("Python 3.11.")
    assert report["lama"]["ok"] is True
    torch = report["lama_torch"]
    assert torch["ok"] is True and torch["torch"].startswith("2.3.0")
    assert torch["max_abs_diff"] <= torch["tolerance"]
