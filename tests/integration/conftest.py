"""Helpers for integration tests: run the real CLI, in the real roots, on fixture packages.

Roots live in the normal rvwheels cache (made once by `rvwheels setup`), so every test reuses
them; wheelhouses and work folders are per test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.roots import load_root_spec, root_path
from rvwheels.paths import cache_dir
from rvwheels.wheelhouse import Wheelhouse

PROJECT = Path(__file__).resolve().parents[2]
FIXTURE_RECIPES = PROJECT / "tests" / "fixtures" / "recipes"
EM_RISCV = 243


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


def rvwheels(*args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "rvwheels", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def elf_machines(wheel: Path) -> set[int]:
    """e_machine of every shared object in a wheel (read from the ELF header, not executed)."""
    machines = set()
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if ".so" in name:
                header = zf.read(name)[:20]
                if header[:4] == b"\x7fELF":
                    machines.add(int.from_bytes(header[18:20], "little"))
    return machines


@pytest.fixture(scope="session")
def seeded_wheelhouse(tmp_path_factory) -> Path:
    """A wheelhouse holding one real cross-built fixture wheel, built once per session."""
    wh = tmp_path_factory.mktemp("seeded") / "wheelhouse"
    result = rvwheels(
        "build", "rvw-meson-c", "--recipes", str(FIXTURE_RECIPES), "--wheelhouse", str(wh)
    )
    assert result.returncode == 0, result.stderr
    return wh


@pytest.fixture
def wheelhouse_copy(seeded_wheelhouse, tmp_path) -> tuple[Path, dict[str, str]]:
    wh = tmp_path / "wheelhouse"
    shutil.copytree(seeded_wheelhouse, wh)
    return wh, Wheelhouse(wh).snapshot()


def build_fixtures(factory, label: str, recipes, *args: str, timeout: float = 3600) -> Path:
    """A fresh wheelhouse with the fixture ``recipes`` built into it (``args``: more options)."""
    wh = factory.mktemp(label) / "wheelhouse"
    result = rvwheels(
        "build",
        *recipes,
        *args,
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wh),
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return wh


def clean_target_root(wheelhouse: Path, work: Path) -> RootExecutor:
    """The cached clean riscv64 root, with ``wheelhouse`` at /rvw/wheelhouse (read-only) and
    ``work`` at /rvw/work."""
    return RootExecutor(
        root=root_path(load_root_spec("target"), cache_dir()),
        binds={work: "/rvw/work"},
        ro_binds={wheelhouse: "/rvw/wheelhouse"},
    )


def install_from_index(executor, python: str, projects, code: str, *, pip_from=None) -> str:
    """In ``executor`` (a root with the wheelhouse at /rvw/wheelhouse and a writable
    /rvw/work): a venv of ``python`` installs ``projects`` from the index alone, then runs
    ``code``; returns what it printed. ``pip_from``: a folder (inside) with a newer pip wheel
    to upgrade to first (pip < 24.1 knows no manylinux tags for riscv64)."""
    executor.run([python, "-m", "venv", "/rvw/work/venv"])
    if pip_from is not None:
        executor.run(
            ["/rvw/work/venv/bin/pip", "install", "--no-index", "--find-links", pip_from]
            + ["--upgrade", "pip>=24.1"]
        )
    executor.run(
        [
            "/rvw/work/venv/bin/pip",
            "install",
            "--no-cache-dir",
            "--index-url",
            "file:///rvw/wheelhouse/simple",
            *projects,
        ]
    )
    return executor.run(["/rvw/work/venv/bin/python", "-c", code], cwd="/rvw/work", capture=True)
