"""Which requirements come from PyPI and which are pinned to the versions our recipes build."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rvwheels.builder.requirements import pins_for_our_builds, pypi_requirements
from rvwheels.environment.sides import PythonInfo


def test_build_requirements_we_build_are_pinned_to_our_version():
    sdist = ["meson-python>=0.15", "NumPy>=2.0.0,<2.7", "Cython>=3"]
    ours = {"numpy": "2.4.6", "openblas": "0.3.34"}
    assert pins_for_our_builds(sdist, ours) == ["numpy==2.4.6"]
    assert pins_for_our_builds(sdist, {}) == []


def _riscv64(version: str) -> PythonInfo:
    return PythonInfo(version=version, full=f"{version}.2", glibc=(2, 41), machine="riscv64")


def test_requirements_from_pypi_are_decided_for_the_target_python(tmp_path: Path):
    wheel = tmp_path / "torch-2.6.0-cp313-cp313-linux_riscv64.whl"
    requires = [
        "filelock",
        "numpy; extra == 'numpy'",
        'setuptools; python_version >= "3.12"',
        'typing-extensions; python_version < "3.12"',
        'nvidia-nccl-cu12==2.21.5; platform_machine == "x86_64"',
        "pillow>=10",
    ]
    metadata = "Metadata-Version: 2.1\nName: torch\nVersion: 2.6.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("torch-2.6.0.dist-info/METADATA", metadata)
    assert pypi_requirements(wheel, own={"pillow"}, target=_riscv64("3.13")) == [
        "filelock",
        "setuptools",
    ]
    assert pypi_requirements(wheel, own=(), target=_riscv64("3.11")) == [
        "filelock",
        "typing-extensions",
        "pillow>=10",
    ]
