from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.environment.distro import detect_distro
from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.pkgconfig import discover_layout, ensure_pc_files
from rvwheels.errors import EnvError
from rvwheels.recipe.spec import LibrarySpec

OPENBLAS = LibrarySpec(
    name="OpenBLAS",
    pkgconfig="openblas",
    lib="openblas",
    headers=("cblas.h",),
    debian="libopenblas-dev",
    rpm="openblas-devel",
)


def openeuler_root(tmp_path: Path, *, with_pc: bool, with_lib: bool = True) -> Path:
    """openEuler's layout: .pc files split between lib and lib64, OpenBLAS without a .pc."""
    root = tmp_path / "oe"
    (root / "usr/lib/pkgconfig").mkdir(parents=True)
    (root / "usr/lib/pkgconfig/zlib.pc").write_text("Name: zlib\n")
    (root / "usr/lib64/pkgconfig").mkdir(parents=True)
    (root / "usr/lib64/pkgconfig/python3.pc").write_text("Name: python3\n")
    if with_lib:
        (root / "usr/lib64/libopenblas.so.0").write_text("elf")
    (root / "usr/include/openblas").mkdir(parents=True)
    (root / "usr/include/openblas/cblas.h").write_text("/* */")
    if with_pc:
        (root / "usr/lib64/pkgconfig/openblas.pc").write_text("Name: openblas\n")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID="openEuler"\nPRETTY_NAME="openEuler 24.03 (LTS)"\n')
    return root


def test_layout_covers_lib_and_lib64(tmp_path):
    ex = RootExecutor(root=openeuler_root(tmp_path, with_pc=False), binds={})
    layout = discover_layout(ex, ["/usr"], "riscv64-linux-gnu")
    assert layout.pkgconfig_dirs == ("/usr/lib64/pkgconfig", "/usr/lib/pkgconfig")
    assert layout.lib_dirs == ("/usr/lib64", "/usr/lib")


def test_a_missing_pc_file_is_generated_in_the_builds_own_folder(tmp_path):
    root = openeuler_root(tmp_path, with_pc=False)
    ex = RootExecutor(root=root, binds={})
    layout = discover_layout(ex, ["/usr"], "riscv64-linux-gnu")
    out = tmp_path / "build-pkgconfig"
    written = ensure_pc_files(
        [OPENBLAS],
        executor=ex,
        layout=layout,
        out_dir=out,
        distro=detect_distro(root / "etc/os-release"),
    )
    assert written == [out / "openblas.pc"]
    text = written[0].read_text()
    # Only libopenblas.so.0 exists (no -devel symlink), so it links that file directly.
    assert "libdir=/usr/lib64" in text and "-l:libopenblas.so.0" in text
    assert "includedir=/usr/include/openblas" in text
    assert not (root / "usr/lib64/pkgconfig/openblas.pc").exists()


def test_an_existing_pc_file_is_used(tmp_path):
    ex = RootExecutor(root=openeuler_root(tmp_path, with_pc=True), binds={})
    layout = discover_layout(ex, ["/usr"], "riscv64-linux-gnu")
    assert (
        ensure_pc_files(
            [OPENBLAS],
            executor=ex,
            layout=layout,
            out_dir=tmp_path / "o",
            distro=detect_distro(tmp_path / "none"),
        )
        == []
    )


def test_a_missing_library_names_the_dnf_package(tmp_path):
    root = openeuler_root(tmp_path, with_pc=False, with_lib=False)
    ex = RootExecutor(root=root, binds={})
    layout = discover_layout(ex, ["/usr"], "riscv64-linux-gnu")
    with pytest.raises(EnvError) as info:
        ensure_pc_files(
            [OPENBLAS],
            executor=ex,
            layout=layout,
            out_dir=tmp_path / "o",
            distro=detect_distro(root / "etc/os-release"),
        )
    assert "dnf install -y openblas-devel" in info.value.message
    assert "\n" not in info.value.message
