"""The scheduler over a plan, with the package build replaced by a fake that writes a wheel:
what is rebuilt when a dependency changes, what is skipped, what fails and why."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from rvwheels.options import resolve_options
from rvwheels.pipeline import scheduler
from rvwheels.pipeline.package import Built
from rvwheels.pipeline.plan import Plan, PlanEntry
from rvwheels.progress import Progress
from tests.builder._jobs import fake_env, recipe, requiring


class FakeEnvironments:
    def __init__(self, env) -> None:
        self.env = env
        self.log = "environment.log"

    def get(self, mode, build_root, system=None):
        return self.env


def _wheel_for(job, out: Path) -> Path:
    """A valid pure wheel whose bytes depend on the recipe digest and the host wheels."""
    name = job.recipe.name.replace("-", "_")
    wheel = out / f"{name}-{job.recipe.version}-py3-none-any.whl"
    info = f"{name}-{job.recipe.version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        hosts = ",".join(h.wheel.name for h in job.host)
        zf.writestr(f"{name}/built.txt", f"{job.recipe.digest} against {hosts}")
    return wheel


@pytest.fixture
def built(monkeypatch, tmp_path) -> list[str]:
    """Which packages the fake build_package built, in order."""
    names: list[str] = []

    def fake_build_package(job, *, progress, run_tests_after):
        names.append(job.name)
        out = tmp_path / "dist" / job.name
        out.mkdir(parents=True, exist_ok=True)
        return Built(wheel=_wheel_for(job, out), record={"name": job.name})

    monkeypatch.setattr(scheduler, "build_package", fake_build_package)
    return names


def _plan(*recipes) -> Plan:
    entries = tuple(
        PlanEntry(
            recipe=r,
            python="3.13",
            mode="cross",
            variant=None,
            host=r.requires.host,
            run=tuple(d for d in r.requires.run if d not in r.requires.host),
        )
        for r in recipes
    )
    return Plan(python="3.13", entries=entries, own_projects=frozenset(r.name for r in recipes))


def _run(tmp_path, plan, *, force=False):
    options = resolve_options(
        mode="cross",
        wheelhouse=tmp_path / "wheelhouse",
        jobs=1,
        recipes_dir=tmp_path,
        force=force,
        env={"RVWHEELS_CACHE": str(tmp_path / "cache")},
    )
    environments = FakeEnvironments(fake_env(tmp_path, wheelhouse=options.wheelhouse))
    progress = Progress(heartbeat=None)
    return {o.name: o for o in scheduler.run_plan(plan, environments, options, progress)}


def _stack(base_digest: str = "b1"):
    base = recipe("base", digest=base_digest)
    lib = recipe("lib", requires=requiring("base"))  # builds against base
    app = recipe("app", requires=requiring(run=("base",)))  # only runs with base
    return base, lib, app


def test_a_new_host_dependency_rebuilds_its_dependents_a_new_run_dependency_does_not(
    tmp_path, built
):
    first = _run(tmp_path, _plan(*_stack()))
    assert built == ["base", "lib", "app"] and all(o.ok for o in first.values())
    built.clear()
    second = _run(tmp_path, _plan(*_stack(base_digest="b2")))
    assert built == ["base", "lib"]
    assert second["app"].fresh and second["app"].wheel == first["app"].wheel
    built.clear()
    third = _run(tmp_path, _plan(*_stack(base_digest="b2")))
    assert built == [] and all(o.fresh for o in third.values())


def test_a_fresh_wheel_is_found_without_waiting_for_the_work_folder(tmp_path, built, monkeypatch):
    # Another rvwheels building the same package for another wheelhouse holds its work lock.
    first = _run(tmp_path, _plan(*_stack()))
    built.clear()

    def busy(path, *, on_wait=None):
        raise AssertionError(f"waited for {path.name}")

    monkeypatch.setattr(scheduler, "exclusive", busy)
    again = _run(tmp_path, _plan(*_stack()))
    assert built == [] and all(o.fresh for o in again.values())
    assert again["base"].wheel == first["base"].wheel
    with pytest.raises(AssertionError, match="waited for base.lock"):  # a build takes it
        _run(tmp_path, _plan(*_stack(base_digest="b2")))


def test_force_rebuilds_everything(tmp_path, built):
    _run(tmp_path, _plan(*_stack()))
    built.clear()
    _run(tmp_path, _plan(*_stack()), force=True)
    assert built == ["base", "lib", "app"]


def test_a_recipe_pinned_to_other_pythons_is_skipped_and_its_host_dependents_fail(tmp_path, built):
    base, lib, app = _stack()
    plan = _plan(base, lib, app)
    skipped = dataclasses.replace(plan.entries[0], skip="not for Python 3.13")
    plan = dataclasses.replace(plan, entries=(skipped, *plan.entries[1:]))
    outcomes = _run(tmp_path, plan)
    assert outcomes["base"].skipped and outcomes["base"].ok
    assert not outcomes["lib"].ok
    assert "requires the recipe base, but there is no cp313 wheel of it" in (
        outcomes["lib"].error.message
    )
    assert outcomes["app"].ok and built == ["app"]


def test_a_failed_dependency_skips_what_needs_it(tmp_path, built, monkeypatch):
    from rvwheels.errors import BuildError

    def failing(job, *, progress, run_tests_after):
        raise BuildError(f"{job.name}: the build failed")

    monkeypatch.setattr(scheduler, "build_package", failing)
    outcomes = _run(tmp_path, _plan(*_stack()))
    assert not outcomes["base"].ok and outcomes["base"].error.message == "base: the build failed"
    assert outcomes["lib"].skipped and not outcomes["lib"].ok
    assert outcomes["app"].skipped and not outcomes["app"].ok
    assert not (tmp_path / "wheelhouse").exists() or not list(
        (tmp_path / "wheelhouse").glob("*.whl")
    )
