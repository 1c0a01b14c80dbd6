"""The TH1520's vector unit: a C extension compiled for RVV 0.7.1 (GCC 14's XTheadVector) by
the cross toolchain, tested under the second emulator (QEMU 5.2 from Debian's archive, run
explicitly with its vector CPU); under the default qemu 7.2 the same code stops with SIGILL,
so the test really ran vector instructions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.roots import load_root_spec, root_path
from rvwheels.errors import CommandFailed
from rvwheels.paths import cache_dir
from rvwheels.wheelhouse import Wheelhouse

from .conftest import FIXTURE_RECIPES, install_from_index, rvwheels

pytestmark = pytest.mark.integration
DOT = (
    "import array, rvw_xtheadvector as v; "
    "print(v.dot(array.array('f', [1, 2]), array.array('f', [3, 4])))"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    wh = tmp_path_factory.mktemp("xtheadvector") / "wheelhouse"
    result = rvwheels(
        "build", "rvw-xtheadvector", "--recipes", str(FIXTURE_RECIPES), "--wheelhouse", str(wh)
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = Wheelhouse(wh).wheels()
    return wh, wheel


def test_the_cross_built_wheel_passed_its_tests_under_the_rvv071_emulator(built):
    wh, wheel = built
    record = Wheelhouse(wh).record(wheel.name)
    assert record["test"]["ran"] is True and record["mode"] == "cross"
    log = Path(record["log"]).read_text()
    assert "# test run: qemu-rvv071" in log
    assert "/rvw/emulators/qemu-rvv071 -cpu rv64,x-v=true,vext_spec=v0.7.1,vlen=128" in log
    assert "xtheadvector ok: dot 981.0 vector length 4" in log


def test_the_default_qemu_cannot_run_it(built, tmp_path):
    wh, _ = built
    executor = RootExecutor(
        root=root_path(load_root_spec("target"), cache_dir()),
        binds={tmp_path: "/rvw/work"},
        ro_binds={wh: "/rvw/wheelhouse"},
    )
    with pytest.raises(CommandFailed) as caught:
        install_from_index(executor, "/usr/bin/python3", ["rvw-xtheadvector"], DOT)
    # 128 + SIGILL (4): the vector instruction is illegal for qemu 7.2's CPU.
    assert caught.value.returncode in (132, -4), json.dumps(caught.value.message)
