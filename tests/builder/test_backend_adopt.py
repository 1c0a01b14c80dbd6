"""The adopt backend on a small mis-tagged wheel: renamed, retagged, ELF-checked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from rvwheels.builder.backends.adopt import AdoptJob, adopt_wheel
from rvwheels.errors import BuildError
from rvwheels.recipe.spec import AdoptSpec, BuildSpec, Recipe, SourceSpec
from tests.adopt._fakes import EM_RISCV, EM_X86_64, elf_bytes


def _mis_tagged_wheel(tmp_path: Path, machine: int) -> Path:
    wheel = tmp_path / "pytorch_riscv64-2.3.0a1-cp311-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("torch/__init__.py", "")
        zf.writestr("torch/_C.cpython-311-riscv64-linux-gnu.so", elf_bytes(machine=machine))
        zf.writestr(
            "pytorch_riscv64-2.3.0a1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: pytorch-riscv64\nVersion: 2.3.0a1\n"
            "Requires-Dist: filelock\nRequires-Dist: mkl; platform_system == 'Windows'\n",
        )
        zf.writestr("pytorch_riscv64-2.3.0a1.dist-info/WHEEL", "Tag: cp311-none-any\n")
        zf.writestr("pytorch_riscv64-2.3.0a1.dist-info/RECORD", "")
    return wheel


def _job(tmp_path: Path, wheel: Path) -> AdoptJob:
    recipe = Recipe(
        name="torch",
        version="2.3.0a1",
        source=SourceSpec(url="https://example.org/" + wheel.name, sha256="0" * 64),
        build=BuildSpec(backend="adopt", pythons=("3.11",)),
        adopt=AdoptSpec(drop_requires=("mkl",)),
        path=tmp_path / "torch.toml",
        digest="d",
    )
    return AdoptJob(
        recipe=recipe,
        sources=(wheel,),
        work=tmp_path / "adopt",
        dist=tmp_path / "dist",
        python_tag="cp311",
        machine="riscv64",
        log=tmp_path / "adopt.log",
    )


def test_a_mis_tagged_wheel_becomes_torch_for_cp311(tmp_path):
    out = adopt_wheel(_job(tmp_path, _mis_tagged_wheel(tmp_path, EM_RISCV)))
    name, version, _, tags = parse_wheel_filename(out.name)
    assert (name, str(version)) == ("torch", "2.3.0a1")
    assert {str(t) for t in tags} == {"cp311-cp311-linux_riscv64"}
    with zipfile.ZipFile(out) as zf:
        metadata = zf.read("torch-2.3.0a1.dist-info/METADATA").decode()
        assert "Name: torch\n" in metadata and "Requires-Dist: filelock" in metadata
        assert "mkl" not in metadata
        assert "torch/_C.cpython-311-riscv64-linux-gnu.so" in zf.namelist()


def test_x86_64_files_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(BuildError, match="x86_64"):
        adopt_wheel(_job(tmp_path, _mis_tagged_wheel(tmp_path, EM_X86_64)))
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())
