"""Native mode, as on the RVBook: rvwheels itself runs on riscv64 (inside the riscv64 root under
qemu-user) with an openEuler-like layout — .pc files under lib64, an OpenBLAS without a .pc."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rvwheels.builder.fetching import BUILD_TOOLS
from rvwheels.environment.executor import RootExecutor, resolve_in_root
from rvwheels.environment.roots import load_root_spec, root_path
from rvwheels.environment.sides import probe_python
from rvwheels.errors import CommandFailed
from rvwheels.fetch import fetch_wheels, manylinux_platforms
from rvwheels.paths import cache_dir

from .conftest import PROJECT

pytestmark = pytest.mark.integration
TRIPLET_LIB = "/usr/lib/riscv64-linux-gnu"


@pytest.fixture(scope="module")
def riscv64_box(tmp_path_factory):
    """The riscv64 dev root with a venv that can run rvwheels offline, and a wheel cache."""
    work = tmp_path_factory.mktemp("native")
    root = root_path(load_root_spec("target-dev"), cache_dir())
    ex = RootExecutor(root=root, binds={work: "/rvw/work"}, ro_binds={PROJECT: "/rvw/project"})
    info = probe_python(ex, "python3", log=work / "setup.log")
    wheels = work / "cache" / "wheels" / info.wheel_cache_key
    fetch_wheels(
        ["click", "packaging", *BUILD_TOOLS, "meson-python>=0.15", "pytest"],
        wheels,
        python_version=info.version,
        platforms=manylinux_platforms(info.machine, info.glibc, (2, 17)),
        log=work / "setup.log",
    )
    ex.run(["python3", "-m", "venv", "/rvw/work/venv"], log=work / "setup.log")
    ex.run(
        [
            "/rvw/work/venv/bin/pip",
            "install",
            "--no-index",
            "--find-links",
            f"/rvw/work/cache/wheels/{info.wheel_cache_key}",
            "click",
            "packaging",
        ],
        log=work / "setup.log",
    )
    return ex, work, root


def openeuler_prefix(work: Path, root: Path) -> str:
    usr = work / "oe" / "usr"
    (usr / "lib64" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    (usr / "lib" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    (usr / "include" / "openblas").mkdir(parents=True, exist_ok=True)
    shutil.copy(
        resolve_in_root(root, f"{TRIPLET_LIB}/libopenblas.so.0"), usr / "lib64" / "libopenblas.so.0"
    )
    shutil.copy(
        resolve_in_root(root, "/usr/include/riscv64-linux-gnu/cblas.h"),
        usr / "include" / "openblas" / "cblas.h",
    )
    (usr / "lib64" / "pkgconfig" / "zlib.pc").write_text("Name: zlib\nVersion: 1\nLibs: -lz\n")
    return "/rvw/work/oe/usr"


def native_build(ex, work: Path, extra_env: dict[str, str]) -> str:
    env = {"PYTHONPATH": "/rvw/project/src", "RVWHEELS_CACHE": "/rvw/work/cache", **extra_env}
    return ex.run(
        [
            "/rvw/work/venv/bin/python",
            "-m",
            "rvwheels",
            "build",
            "rvw-fortran-blas",
            "--mode",
            "native",
            "--recipes",
            "/rvw/project/tests/fixtures/recipes",
            "--wheelhouse",
            "/rvw/work/wh",
        ],
        env=env,
        log=work / "native.log",
        timeout=1800,
    )


def test_native_build_writes_the_missing_openblas_pc_and_passes(riscv64_box):
    ex, work, root = riscv64_box
    prefix = openeuler_prefix(work, root)
    native_build(ex, work, {"RVWHEELS_PREFIXES": prefix})
    (wheel,) = (work / "wh").glob("rvw_fortran_blas-1.0.0-cp313-cp313-manylinux_2_*_riscv64.whl")
    record = json.loads((work / "wh" / "records" / f"{wheel.name}.json").read_text())
    assert record["mode"] == "native" and record["test"]["passed"] is True
    assert record["generated_pc_files"] == ["openblas.pc"]
    pc = (work / "cache" / "work" / "rvw-fortran-blas" / "pkgconfig" / "openblas.pc").read_text()
    assert f"libdir={prefix}/lib64" in pc and "-l:libopenblas.so.0" in pc


def test_native_build_without_gfortran_says_how_to_install_it(riscv64_box):
    ex, work, _ = riscv64_box
    farm = work / "bin-without-gfortran"
    farm.mkdir(exist_ok=True)
    for entry in (ex.host_path("/usr/bin")).iterdir():
        if "gfortran" not in entry.name and not (farm / entry.name).is_symlink():
            os.symlink(f"/usr/bin/{entry.name}", farm / entry.name)
    log = work / "native.log"
    with pytest.raises(CommandFailed):
        native_build(ex, work, {"PATH": "/rvw/work/venv/bin:/rvw/work/bin-without-gfortran"})
    last = log.read_text().strip().splitlines()[-1]
    assert last == (
        "error: rvw-fortran-blas needs a Fortran compiler, but 'gfortran' is not in the native "
        "build environment; fix: apt-get install -y gfortran"
    )
