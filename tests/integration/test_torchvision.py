"""torchvision for the RVBook, end to end (heavy: OpenBLAS, numpy, pillow, Debian's 355 MB torch
adopted as torch cp313, and torchvision built emulated against it): `rvwheels build torchvision`
builds what it needs in order, each wheel's recipe tests pass in a clean riscv64 root where pip
installs it from the wheelhouse index alone, and verify then runs the tiny LaMa on that torch."""

from __future__ import annotations

import json
import zipfile

import pytest
from packaging.metadata import Metadata

from .conftest import rvwheels

pytestmark = [pytest.mark.integration, pytest.mark.heavy]


@pytest.fixture(scope="module")
def torchvision_wheelhouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("torchvision") / "wheelhouse"
    result = rvwheels("build", "torchvision", "--wheelhouse", str(wh), timeout=7200)
    assert result.returncode == 0, result.stderr
    assert "torchvision: builds emulated, as its recipe's build.modes say" in result.stderr
    return wh


def _only(wh, project):
    (wheel,) = wh.glob(f"{project}-*-cp313-cp313-manylinux_2_*_riscv64.whl")
    record = json.loads((wh / "records" / f"{wheel.name}.json").read_text())
    assert record["test"]["passed"] is True, record
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        return wheel, names, Metadata.from_email(zf.read(metadata), validate=False)


def test_debians_torch_is_adopted_with_its_libraries_under_their_sonames(torchvision_wheelhouse):
    wheel, names, metadata = _only(torchvision_wheelhouse, "torch")
    assert wheel.name.startswith("torch-2.6.0-")
    # Under the names torch opens them by, as in PyPI's torch wheels (Debian's are .so.2.6).
    assert {"torch/lib/libtorch_cpu.so", "torch/lib/libc10.so"} <= set(names)
    assert not any(n.startswith("torch/lib/") and ".so.2.6" in n for n in names)
    assert any(n.startswith("torch/include/ATen/") for n in names)
    assert any(n.startswith("torch.libs/libprotobuf") for n in names)
    assert 'sympy==1.13.1; python_version >= "3.9"' in [str(r) for r in metadata.requires_dist]


def test_torchvision_leaves_libtorch_to_the_torch_wheel(torchvision_wheelhouse):
    _, names, metadata = _only(torchvision_wheelhouse, "torchvision")
    bundled = [n for n in names if n.startswith("torchvision.libs/")]
    assert any("libpng" in n for n in bundled) and any("libjpeg" in n for n in bundled)
    assert not any("libtorch" in n or "libc10" in n for n in bundled), bundled
    assert "torch==2.6.0" in [str(r) for r in metadata.requires_dist]


def test_verify_installs_the_set_from_the_index_and_runs_lama_on_torch(torchvision_wheelhouse):
    result = rvwheels("verify", "--wheelhouse", str(torchvision_wheelhouse), timeout=3600)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((torchvision_wheelhouse / "verify-report.json").read_text())
    assert report["lama_torch"]["ok"] is True and report["lama_torch"]["torch"].startswith("2.6.0")
