"""The recipe test step's command rules, with a recording executor instead of a root."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

from rvwheels.environment.sides import PythonInfo
from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec, TestSpec
from rvwheels.verify.wheeltest import (
    TestVenv,
    _pip_knows_riscv64_manylinux,
    pypi_requirements,
    run_recipe_checks,
)


class Recorder:
    def __init__(self) -> None:
        self.argvs: list[list[str]] = []

    def run(self, argv, **_kwargs) -> str:
        self.argvs.append(list(argv))
        return ""


def _venv(ex: Recorder) -> TestVenv:
    return TestVenv(
        side=SimpleNamespace(executor=ex), python="/v/bin/python", cwd="/r", host_cwd=Path("/r")
    )


def _recipe() -> Recipe:
    return Recipe(
        name="demo",
        version="1",
        source=SourceSpec(url="https://example.org/demo-1.tar.gz", sha256="0" * 64),
        build=BuildSpec(backend="setuptools"),
        test=TestSpec(
            imports=("demo",),
            commands=(("python", "-c", "print(1)"), ("python", "-m", "pytest", "{source}/tests")),
        ),
        path=Path("/recipes/demo.toml"),
        digest="d",
    )


def test_source_commands_get_the_tree_at_build_time():
    ex = Recorder()
    skipped = run_recipe_checks(_recipe(), _venv(ex), log=None, deadline=1e12, source="/w/src")
    assert skipped == 0
    assert ex.argvs[-1] == ["/v/bin/python", "-m", "pytest", "/w/src/tests"]


def test_without_a_source_those_commands_are_left_out_and_counted():
    ex = Recorder()
    skipped = run_recipe_checks(_recipe(), _venv(ex), log=None, deadline=1e12)
    assert skipped == 1
    assert ex.argvs == [["/v/bin/python", "-c", "import demo"], ["/v/bin/python", "-c", "print(1)"]]


def test_pip_before_24_1_cannot_see_riscv64_manylinux_tags():
    assert not _pip_knows_riscv64_manylinux("pip 22.3.1 from /v/lib/python3.11/site-packages/pip")
    assert not _pip_knows_riscv64_manylinux("pip 23.3.1 from …")
    assert _pip_knows_riscv64_manylinux("pip 24.1 from …")
    assert _pip_knows_riscv64_manylinux("pip 25.1.1 from …")


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
