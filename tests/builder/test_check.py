"""Phase "checking": mode, compilers and the target's libraries, before any download."""

from __future__ import annotations

import pytest

from rvwheels.builder.check import check_environment, needed_compilers
from rvwheels.errors import EnvError
from rvwheels.recipe.spec import LibrarySpec, RequiresSpec
from tests.builder._jobs import build_spec, fake_env, job, recipe


def test_a_mode_the_recipe_does_not_allow_is_refused(tmp_path):
    only_emulated = recipe(build=build_spec(modes=("emulated",)))
    with pytest.raises(EnvError, match="allows modes emulated, not cross"):
        check_environment(job(tmp_path, only_emulated))


def test_a_missing_compiler_names_the_fix(tmp_path):
    fortran = recipe(build=build_spec(fortran=True))
    env = fake_env(tmp_path, programs=("riscv64-linux-gnu-gcc",))
    with pytest.raises(EnvError) as caught:
        check_environment(job(tmp_path, fortran, env=env))
    assert caught.value.message == (
        "demo needs a Fortran compiler, but 'riscv64-linux-gnu-gfortran' is not in the cross "
        "build environment; fix: install gfortran"
    )


def test_an_adopted_build_needs_no_compiler_and_a_recipe_may_bring_its_own(tmp_path):
    assert needed_compilers(job(tmp_path, recipe(backend="adopt"))) == []
    clang = recipe(build=build_spec(env={"CC": "clang-19"}))
    assert needed_compilers(job(tmp_path, clang)) == [("c", "clang-19")]


def test_a_library_without_a_pc_file_gets_one_in_the_work_folder(tmp_path):
    lib_dir = tmp_path / "usr" / "lib64"
    lib_dir.mkdir(parents=True)
    (lib_dir / "libopenblas.so.0").write_text("")
    openblas = LibrarySpec(name="OpenBLAS", pkgconfig="openblas", lib="openblas")
    needs = recipe(requires=RequiresSpec(libraries=(openblas,)))
    env = fake_env(
        tmp_path,
        programs=("riscv64-linux-gnu-gcc",),
        layout=_layout(lib_dirs=(str(lib_dir),)),
        distro=None,
    )
    checked = check_environment(job(tmp_path, needs, env=env))
    (pc,) = checked.generated_pc
    assert pc == tmp_path / "work" / "demo" / "pkgconfig" / "openblas.pc"
    assert f"libdir={lib_dir}" in pc.read_text() and "-l:libopenblas.so.0" in pc.read_text()


def _layout(**changes):
    from rvwheels.environment.pkgconfig import Layout

    return Layout(**{"pkgconfig_dirs": (), "lib_dirs": (), "include_dirs": (), **changes})
