"""The make backend's packing rules, on a folder laid out as `make install` leaves it."""

from __future__ import annotations

import os
from pathlib import Path

from rvwheels.builder.backends.make import make_relocatable, variant_version
from rvwheels.recipe.loader import load_recipe
from rvwheels.recipe.spec import VariantSpec

RECIPES = Path(__file__).parents[2] / "recipes"


def _installed_tree(prefix: Path) -> None:
    lib = prefix / "lib"
    (lib / "pkgconfig").mkdir(parents=True)
    (lib / "cmake" / "openblas").mkdir(parents=True)
    (lib / "cmake" / "openblas" / "OpenBLASConfig.cmake").write_text("set(X /abs/path)\n")
    (lib / "libopenblas_riscv64_genericp-r0.3.34.so").write_bytes(b"\x7fELF real library")
    os.symlink("libopenblas_riscv64_genericp-r0.3.34.so", lib / "libopenblas.so.0")
    os.symlink("libopenblas_riscv64_genericp-r0.3.34.so", lib / "libopenblas.so")
    (lib / "pkgconfig" / "openblas.pc").write_text(
        "libdir=/rvw/work/openblas/stage/openblas/lib\n"
        "prefix=/rvw/work/openblas/stage/openblas\n"
        "Libs: -L${libdir} -lopenblas\n"
    )


def test_libraries_are_stored_once_under_their_soname(tmp_path):
    prefix = tmp_path / "openblas"
    _installed_tree(prefix)
    make_relocatable(prefix)
    lib = prefix / "lib"
    assert not any(p.is_symlink() for p in lib.rglob("*"))
    assert sorted(p.name for p in lib.iterdir()) == [
        "libopenblas.so",
        "libopenblas.so.0",
        "pkgconfig",
    ]
    assert (lib / "libopenblas.so.0").read_bytes() == b"\x7fELF real library"
    assert (lib / "libopenblas.so").read_text() == "INPUT(libopenblas.so.0)\n"


def test_pc_files_find_their_prefix_from_where_they_are(tmp_path):
    prefix = tmp_path / "openblas"
    _installed_tree(prefix)
    make_relocatable(prefix, installed_as="/rvw/work/openblas/stage/openblas")
    text = (prefix / "lib" / "pkgconfig" / "openblas.pc").read_text()
    assert "prefix=${pcfiledir}/../..\n" in text
    assert "libdir=${pcfiledir}/../../lib\n" in text
    assert "/rvw/work" not in text
    assert not (prefix / "lib" / "cmake").exists()


def test_pc_files_without_a_prefix_line_lose_their_build_paths_too(tmp_path):
    # OpenBLAS 0.3.34's openblas.pc: libdir= and includedir= absolute, no prefix= at all. Left
    # as they were, a wheel's .pc sent later builds (numpy) to the openblas work folder, which
    # the next openblas build empties.
    prefix = tmp_path / "stage" / "openblas"
    (prefix / "lib" / "pkgconfig").mkdir(parents=True)
    pc = prefix / "lib" / "pkgconfig" / "openblas.pc"
    pc.write_text(
        "libdir=/rvw/work/openblas/stage/openblas/lib\n"
        "includedir=/rvw/work/openblas/stage/openblas/include\n"
        "other=/rvw/work/openblas/stage/openblas2/lib\n"
        "Libs: -L${libdir} -lopenblas\nCflags: -I${includedir}\n"
    )
    make_relocatable(prefix, installed_as="/rvw/work/openblas/stage/openblas")
    assert pc.read_text() == (
        "libdir=${pcfiledir}/../../lib\n"
        "includedir=${pcfiledir}/../../include\n"
        "other=/rvw/work/openblas/stage/openblas2/lib\n"
        "Libs: -L${libdir} -lopenblas\nCflags: -I${includedir}\n"
    )
    # A build without a root (native mode) installs at the host path itself.
    pc.write_text(f"libdir={prefix}/lib\n")
    make_relocatable(prefix)
    assert pc.read_text() == "libdir=${pcfiledir}/../../lib\n"


def test_only_a_non_default_variant_gets_a_local_version_label():
    recipe = load_recipe(RECIPES / "openblas.toml")
    default, generic, c910v = recipe.build.variants
    assert variant_version(recipe, default) == "0.3.34"
    assert variant_version(recipe, None) == "0.3.34"
    assert variant_version(recipe, c910v) == "0.3.34+c910v"
    assert variant_version(recipe, generic) == "0.3.34+riscv64.generic"
    odd = VariantSpec(name="RISCV64_ZVL256B")
    assert variant_version(recipe, odd) == "0.3.34+riscv64.zvl256b"


def test_the_openblas_recipe_says_what_it_provides():
    recipe = load_recipe(RECIPES / "openblas.toml")
    # One library for every machine by default; the TH1520-only build is tested under the
    # emulator that has its vector unit.
    assert recipe.build.variant(None).name == "DYNAMIC"
    assert (
        "DYNAMIC_LIST=C910V RISCV64_ZVL128B RISCV64_ZVL256B" in recipe.build.variant(None).make_args
    )
    (c910v_run,) = recipe.build.variant("C910V").test_under
    assert c910v_run.emulator == "qemu-rvv071"
    runs = [(run.emulator, run.env) for run in recipe.test.under]
    assert runs == [("", {}), ("qemu-rvv071", {"OPENBLAS_CORETYPE": "C910V"})]
    assert recipe.build.variant("nope") is None
    assert recipe.provides.pkgconfig == ("openblas/lib/pkgconfig",)
