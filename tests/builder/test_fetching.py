"""Phase "fetching": what the build venv and the tests get, and from where (nothing is
downloaded here: the fetchers are replaced by recorders)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from rvwheels.builder import fetching
from rvwheels.recipe.spec import RequiresSpec, TestSpec
from tests.builder._jobs import fake_env, host_wheel, job, python_info, recipe


def _sdist(tmp_path: Path, requires: list[str]) -> Path:
    project = tmp_path / "sdist" / "demo-1.0"
    project.mkdir(parents=True)
    quoted = ", ".join(f'"{r}"' for r in requires)
    (project / "pyproject.toml").write_text(f"[build-system]\nrequires = [{quoted}]\n")
    archive = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(project, arcname="demo-1.0")
    return archive


@pytest.fixture
def fetched_wheels(monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Requirements each side was asked to fetch, keyed by the side's machine."""
    asked: dict[str, list[str]] = {}
    sdist = _sdist(tmp_path, ["meson-python>=0.15", "numpy>=2", "cython"])
    monkeypatch.setattr(fetching, "fetch_source", lambda recipe, cache: sdist)

    def record(requirements, dest, *, python_version, platforms, log, own_wheels):
        asked.setdefault(dest.name, []).extend(requirements)

    monkeypatch.setattr(fetching, "fetch_wheels", record)
    return asked


def _sides(tmp_path, build_machine: str):
    env = fake_env(tmp_path)
    env.build.info = python_info(machine=build_machine)
    env.build.wheels_dir = tmp_path / "wheels" / "build"
    env.build.pip_platforms = None
    env.test.wheels_dir = tmp_path / "wheels" / "test"
    env.test.pip_platforms = ("manylinux_2_41_riscv64",)
    return env


def test_a_cross_build_takes_its_build_tools_from_pypi_and_pins_what_we_build(
    tmp_path, fetched_wheels
):
    scipy = recipe(
        "scipy",
        requires=RequiresSpec(host=("numpy",), run=("numpy", "pooch")),
        test=TestSpec(requires=("pytest",)),
    )
    numpy = host_wheel(tmp_path, "numpy")
    result = fetching.fetch(
        job(
            tmp_path,
            scipy,
            env=_sides(tmp_path, "x86_64"),
            host=[numpy],
            own_projects=frozenset({"numpy", "scipy"}),
        )
    )
    assert result.build_requirements == (
        *fetching.BUILD_TOOLS,
        "meson-python>=0.15",
        "numpy>=2",
        "cython",
        "numpy==1.0",
    )
    assert result.build_links == ()
    assert fetched_wheels["build"] == list(result.build_requirements)
    # numpy is ours: the tests install it from the wheelhouse, not PyPI.
    assert fetched_wheels["test"] == ["pooch", "pytest"]


def test_on_a_riscv64_build_side_our_host_wheel_is_installed_and_its_needs_fetched(
    tmp_path, fetched_wheels, monkeypatch
):
    monkeypatch.setattr(
        fetching, "pypi_requirements", lambda wheel, own, target: ["sympy", "filelock"]
    )
    numpy = host_wheel(tmp_path, "numpy")
    result = fetching.fetch(
        job(
            tmp_path,
            recipe("scipy", requires=RequiresSpec(host=("numpy",))),
            env=_sides(tmp_path, "riscv64"),
            host=[numpy],
            own_projects=frozenset({"numpy"}),
        )
    )
    assert result.build_links == (numpy.wheel.parent,)
    assert "numpy>=2" not in fetched_wheels["build"]
    assert fetched_wheels["build"][-2:] == ["sympy", "filelock"]


def test_a_make_library_installs_only_the_build_tools(tmp_path, fetched_wheels):
    result = fetching.fetch(
        job(tmp_path, recipe("openblas", backend="make"), env=_sides(tmp_path, "x86_64"))
    )
    assert result.build_requirements == fetching.BUILD_TOOLS


def test_a_setuptools_build_gets_wheel_which_setuptools_before_70_asks_for(
    tmp_path, fetched_wheels
):
    def requirements(backend: str) -> tuple[str, ...]:
        built = recipe("demo", backend=backend)
        return fetching.fetch(
            job(tmp_path, built, env=_sides(tmp_path, "x86_64"))
        ).build_requirements

    assert "wheel" in requirements("setuptools")
    assert "wheel" not in requirements("meson-python")
