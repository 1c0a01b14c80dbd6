"""The build-resolve loop with pip, the builds and the install check replaced by fakes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement

from rvwheels.appset import command
from rvwheels.appset.recipes import Chosen
from rvwheels.appset.resolve import Pinned, Resolution
from rvwheels.environment.sides import PythonInfo
from rvwheels.errors import BuildError, ConfigurationError
from rvwheels.options import resolve_options

PINNED = (Pinned(name="six", version="1.17.0", url="https://x/six.whl", sha256="2" * 64),)


@pytest.fixture
def options(tmp_path):
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    return resolve_options(
        mode="cross",
        wheelhouse=tmp_path / "wheelhouse",
        jobs=1,
        recipes_dir=recipes,
        pythons="3.13",
        env={"RVWHEELS_CACHE": str(tmp_path / "cache")},
        machine="x86_64",
    )


@pytest.fixture
def requirements(tmp_path) -> Path:
    path = tmp_path / "app.txt"
    path.write_text("psutil\nsix\n")
    return path


def fake_world(monkeypatch, answers: list[Resolution]) -> list[str]:
    """pip answers ``answers`` in turn; returns the list the fakes append what they did to."""
    calls: list[str] = []
    info = PythonInfo(version="3.13", full="3.13.5", glibc=(2, 41), machine="riscv64")
    monkeypatch.setattr(
        command, "prepare_test_side", lambda options, log: SimpleNamespace(info=info)
    )
    monkeypatch.setattr(
        command, "resolve", lambda *a, **k: calls.append("resolve") or answers.pop(0)
    )

    def choose(requirement, **_):
        calls.append(f"choose {requirement.name}")
        return Chosen(name=requirement.name, drafted=None)

    monkeypatch.setattr(command, "choose_recipe", choose)

    def check(lock, pinned, **_):
        calls.append(f"check {lock.name}")
        return 1

    monkeypatch.setattr(command, "check_install", check)
    return calls


def builds(calls: list[str], ok: bool = True):
    def build(options, names):
        calls.append(f"build {' '.join(names)}")
        return ok

    return build


def test_missing_wheels_are_built_until_pip_resolves_then_the_set_is_locked(
    monkeypatch, options, requirements
):
    answers = [
        Resolution(pinned=(), missing=Requirement("psutil")),
        Resolution(pinned=(), missing=Requirement("pyyaml>=6")),
        Resolution(pinned=PINNED, missing=None),
    ]
    calls = fake_world(monkeypatch, answers)
    (outcome,) = command.build_requirement_set(options, requirements, builds(calls))
    assert calls == [
        "resolve",
        "choose psutil",
        "build psutil",
        "resolve",
        "choose pyyaml",
        "build pyyaml",
        "resolve",
        "check app-cp313.txt",
    ]
    assert outcome.built == ("psutil", "pyyaml") and outcome.lock.name == "app-cp313.txt"
    assert "six==1.17.0 --hash=sha256:" in outcome.lock.read_text()


def test_a_wheel_still_missing_after_its_build_stops_the_loop(monkeypatch, options, requirements):
    answers = [Resolution(pinned=(), missing=Requirement("psutil"))] * 2
    calls = fake_world(monkeypatch, answers)
    with pytest.raises(BuildError, match="psutil was built, but pip still finds no wheel"):
        command.build_requirement_set(options, requirements, builds(calls))


def test_a_failed_build_ends_without_a_lock(monkeypatch, options, requirements):
    calls = fake_world(monkeypatch, [Resolution(pinned=(), missing=Requirement("psutil"))])
    (outcome,) = command.build_requirement_set(options, requirements, builds(calls, ok=False))
    assert outcome.lock is None and outcome.built == ("psutil",)
    assert not (options.wheelhouse / "locks").exists()


def test_a_missing_requirements_file_is_one_clear_error(options, tmp_path):
    with pytest.raises(ConfigurationError, match="no such requirements file"):
        command.build_requirement_set(options, tmp_path / "nope.txt", builds([]))


def test_the_lock_admits_manylinux_2_38_unless_a_wheel_of_ours_needs_more(options, tmp_path):
    info = PythonInfo(version="3.13", full="3.13.5", glibc=(2, 41), machine="riscv64")
    assert command.target_python(options, info).platforms[0] == "manylinux_2_38_riscv64"
    options.wheelhouse.mkdir()
    for name in (
        "torch-2.6.0-cp313-cp313-manylinux_2_39_riscv64.whl",
        "numpy-2.4.6-cp311-cp311-manylinux_2_40_riscv64.whl",  # another Python's: not counted
        "openblas-0.3.34-py3-none-linux_riscv64.whl",
    ):
        (options.wheelhouse / name).write_bytes(b"")
    platforms = command.target_python(options, info).platforms
    assert platforms[0] == "manylinux_2_39_riscv64" and platforms[-2:] == (
        "manylinux_2_31_riscv64",
        "linux_riscv64",
    )


def test_the_glibc_of_a_wheel_is_read_from_its_platform_tag():
    assert command.manylinux_glibc(Path("a-1-cp313-cp313-manylinux_2_39_riscv64.whl")) == (2, 39)
    assert command.manylinux_glibc(Path("a-1-py3-none-any.whl")) is None
