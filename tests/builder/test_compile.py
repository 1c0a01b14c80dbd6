"""Phase "building": the build venv, the backend's environment and its command lines (the
commands are recorded by a fake executor, not run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.builder import compile as compile_phase
from rvwheels.builder.backends import get_backend
from rvwheels.builder.backends.pep517 import MESON_PYTHON, SETUPTOOLS
from rvwheels.builder.compile import backend_env, compile_wheel
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.prepare import Prepared
from rvwheels.errors import BuildError
from rvwheels.recipe.spec import BACKENDS
from tests.builder._jobs import build_spec, fake_env, job, recipe


def test_every_backend_a_recipe_can_name_exists():
    for name in BACKENDS:
        backend = get_backend(name)
        assert backend.name == name
        assert backend.unpacks_source or not backend.from_sdist


def test_ccache_goes_in_front_of_setuptools_compilers_and_placeholders_are_filled(tmp_path):
    env = fake_env(tmp_path, programs=("ccache",))
    demo = recipe(build=build_spec(backend="setuptools", env={"SITE": "{target_site}/x"}))
    values = backend_env(job(tmp_path, demo, env=env), SETUPTOOLS, "/venv/bin")
    assert values["CC"] == "ccache riscv64-linux-gnu-gcc"
    assert values["CXX"] == "ccache riscv64-linux-gnu-g++"
    assert values["CCACHE_DIR"] == str(tmp_path / "work" / ".ccache" / "cross")
    assert values["SITE"] == f"{tmp_path}/work/demo/target-site/x"
    assert values["PATH"].startswith("/venv/bin:")
    assert values["PKG_CONFIG_LIBDIR"].startswith(f"{tmp_path}/work/demo/pkgconfig:")
    meson = backend_env(job(tmp_path, env=env), MESON_PYTHON, "/venv/bin")
    assert "CC" not in meson  # Meson gets ccache through the cross file


def test_a_native_build_adds_to_pkg_config_path_instead(tmp_path):
    values = backend_env(job(tmp_path, env=fake_env(tmp_path, mode="native")), MESON_PYTHON, "/v")
    assert "PKG_CONFIG_PATH" in values and "PKG_CONFIG_LIBDIR" not in values


class _Venv:
    """make_venv's stand-in: the venv folder only."""

    def __call__(self, side, venv_dir: Path, *, log, system_site=False, timeout=None):
        self.system_site = system_site
        return str(venv_dir)


def test_meson_runs_pypa_build_with_its_build_dir_cross_file_and_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_phase, "make_venv", _Venv())
    settings = {"setup-args": ("-Dblas=openblas", "-Dinc={build_site}/x")}
    demo = recipe(build=build_spec(config_settings=settings))
    env = fake_env(tmp_path, programs=("riscv64-linux-gnu-gcc",))
    env.build.wheels_inside = "/wheels"
    the_job = job(tmp_path, demo, env=env)
    dist = the_job.work / "dist"
    dist.mkdir(parents=True)
    (dist / "demo-1.0-cp313-cp313-linux_riscv64.whl").write_text("")
    fetched = Fetched(
        source=tmp_path, extra_sources=(), build_requirements=("build",), build_links=()
    )
    tree = the_job.work / "src"
    compiled = compile_wheel(
        the_job, fetched, Prepared(tree=tree, target_site=tmp_path, cross_file=None)
    )
    install, version, build = env.build.executor.argvs
    assert install[-3:] == ["--find-links", "/wheels", "build"]
    assert version == ["riscv64-linux-gnu-gcc", "--version"]
    venv = the_job.work / "venv"
    assert build == [
        f"{venv}/bin/python",
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        str(dist),
        f"-Cbuild-dir={the_job.work / 'bld'}",
        f"-Csetup-args=--cross-file={the_job.work / 'cross.ini'}",
        "-Csetup-args=-Dblas=openblas",
        f"-Csetup-args=-Dinc={venv}/lib/python3.13/site-packages/x",
        str(tree),
    ]
    assert compiled.wheel.name == "demo-1.0-cp313-cp313-linux_riscv64.whl"
    assert compiled.venv_bin == f"{venv}/bin"


def test_a_build_that_makes_no_wheel_is_a_build_error(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_phase, "make_venv", _Venv())
    env = fake_env(tmp_path)
    env.build.wheels_inside = "/wheels"
    fetched = Fetched(source=tmp_path, extra_sources=(), build_requirements=(), build_links=())
    prepared = Prepared(tree=tmp_path / "src", target_site=tmp_path, cross_file=None)
    with pytest.raises(BuildError, match="the build produced 0 wheels"):
        compile_wheel(job(tmp_path, env=env), fetched, prepared)
