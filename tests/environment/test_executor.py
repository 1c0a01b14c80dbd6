from __future__ import annotations

import os
from pathlib import Path

import pytest

from rvwheels.environment.executor import HostExecutor, RootExecutor, resolve_in_root


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    lib = root / "usr/lib/riscv64-linux-gnu/openblas-pthread"
    lib.mkdir(parents=True)
    (lib / "libopenblas.so.0").write_text("elf")
    alt = root / "etc/alternatives"
    alt.mkdir(parents=True)
    # Debian's layout: an absolute link through /etc/alternatives.
    os.symlink(
        "/usr/lib/riscv64-linux-gnu/openblas-pthread/libopenblas.so.0",
        alt / "libopenblas.so.0-riscv64-linux-gnu",
    )
    os.symlink(
        "/etc/alternatives/libopenblas.so.0-riscv64-linux-gnu",
        root / "usr/lib/riscv64-linux-gnu/libopenblas.so.0",
    )
    (root / "usr/bin").mkdir(parents=True)
    return root


def test_absolute_links_resolve_inside_the_root_not_on_the_host(tmp_path):
    root = make_root(tmp_path)
    resolved = resolve_in_root(root, "/usr/lib/riscv64-linux-gnu/libopenblas.so.0")
    assert resolved == root / "usr/lib/riscv64-linux-gnu/openblas-pthread/libopenblas.so.0"
    assert resolved.read_text() == "elf"


def test_relative_links_and_dotdot_stay_inside_the_root(tmp_path):
    root = make_root(tmp_path)
    os.symlink("../../../../../etc", root / "usr/lib/riscv64-linux-gnu/escape")
    assert resolve_in_root(root, "/usr/lib/riscv64-linux-gnu/escape/alternatives") == (
        root / "etc/alternatives"
    )


def test_which_looks_in_the_roots_path(tmp_path):
    root = make_root(tmp_path)
    tool = root / "usr/bin/riscv64-linux-gnu-gcc"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    ex = RootExecutor(root=root, binds={})
    assert ex.which("riscv64-linux-gnu-gcc") == "/usr/bin/riscv64-linux-gnu-gcc"
    assert ex.which("riscv64-linux-gnu-gfortran") is None


def test_inside_maps_bound_folders_and_refuses_others(tmp_path):
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    ex = RootExecutor(root=tmp_path / "root", binds={work: "/rvw/work"})
    assert ex.inside(work / "pkg") == "/rvw/work/pkg"
    assert ex.inside(work) == "/rvw/work"
    with pytest.raises(ValueError, match="not visible"):
        ex.inside(tmp_path / "elsewhere")


def test_bwrap_command_clears_the_environment_and_binds_read_only(tmp_path):
    ex = RootExecutor(
        root=tmp_path,
        binds={tmp_path / "w": "/rvw/work"},
        ro_binds={tmp_path / "c": "/rvw/cache"},
        base_env={"A": "1"},
    )
    prefix = ex._bwrap_prefix({**ex.base_env, "B": "2"}, "/rvw/work")
    assert prefix[:4] == ["bwrap", "--ro-bind", str(tmp_path), "/"]
    assert "--clearenv" in prefix
    joined = " ".join(prefix)
    assert f"--bind {tmp_path / 'w'} /rvw/work" in joined
    assert f"--ro-bind {tmp_path / 'c'} /rvw/cache" in joined
    assert "--setenv A 1" in joined and "--setenv B 2" in joined
    assert prefix[-1] == "--"


def test_host_executor_runs_here(tmp_path):
    out = HostExecutor().run(["sh", "-c", "echo $RVW_X"], env={"RVW_X": "hi"}, capture=True)
    assert out.strip() == "hi"
