"""Test after build: install the wheel into a fresh venv in a clean target environment, with
nothing else from the build, and run the recipe's imports and commands there, offline."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.fetching import fetch_for
from rvwheels.builder.job import BuildJob
from rvwheels.builder.requirements import pypi_requirements
from rvwheels.environment.sides import Side
from rvwheels.environment.venvs import make_venv
from rvwheels.errors import CommandFailed, WheelTestError
from rvwheels.recipe import placeholders
from rvwheels.recipe.spec import Recipe
from rvwheels.repair import Repaired
from rvwheels.verify.runs import DEFAULT_RUN, TestRun, prepare_runs, run_specs

# In a test command, the unpacked source tree (for test files an sdist has and its wheel lacks).
SOURCE = "{" + placeholders.SOURCE + "}"


@dataclass(frozen=True, kw_only=True)
class Tested:
    __test__ = False  # not a pytest class

    ran: bool  # False: --no-test, or the wheel's code cannot run in the test environment
    seconds: float


def run_tests(job: BuildJob, repaired: Repaired) -> Tested:
    """Phase "testing": the wheel, installed alone into a fresh venv in the clean target
    environment, passes its recipe's imports and commands, offline."""
    # What the wheel itself requires from PyPI (torch: sympy, networkx…) is installed with
    # it, offline: fetch it now that the wheel says what it is.
    own = job.own_projects
    fetch_for(
        job, job.env.test, pypi_requirements(repaired.wheel, own=own, target=job.env.test.info)
    )
    source = job.work / "src"
    runs = prepare_runs(
        run_specs(job.recipe, job.variant),
        side=job.env.test,
        toolchain_dir=job.toolchain_dir,
        cache=job.cache,
        log=job.log,
    )
    seconds = run_wheel_tests(
        job.recipe,
        repaired.wheel,
        side=job.env.test,
        workdir=job.work / "test",
        wheelhouse=job.env.wheelhouse,
        log=job.log,
        source=source if source.is_dir() else None,
        runs=runs,
    )
    return Tested(ran=True, seconds=seconds)


@dataclass(frozen=True, kw_only=True)
class TestVenv:
    """A fresh venv in a target environment, and the folder tests run from."""

    __test__ = False  # not a pytest class

    side: Side
    python: str  # the venv's interpreter, as the side sees it
    cwd: str  # an empty folder: tests import the installed package, not a source tree
    host_cwd: Path  # the same folder as this machine sees it


def make_test_venv(side: Side, workdir: Path, *, log: Path, timeout: float) -> TestVenv:
    """A fresh venv for tests (see make_venv), and an empty folder to run them from."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "run").mkdir(parents=True)
    ex = side.executor
    venv = make_venv(side, workdir / "venv", log=log, timeout=timeout)
    return TestVenv(
        side=side,
        python=f"{venv}/bin/python",
        cwd=ex.inside(workdir / "run"),
        host_cwd=workdir / "run",
    )


def pip_install(
    venv: TestVenv,
    requirements: Sequence[str],
    *,
    links: Sequence[Path],
    index: str | None,
    log: Path,
    timeout: float,
) -> None:
    """Install offline: from ``index`` (a file:// PEP 503 index) and/or ``links`` folders."""
    ex = venv.side.executor
    source = ["--index-url", index] if index else ["--no-index"]
    for link in links:
        source += ["--find-links", ex.inside(link)]
    ex.run(
        # --no-compile: byte-compiling every file (torch has 10,000) is minutes under qemu;
        # Python compiles what the tests import.
        [venv.python, "-m", "pip", "install", "--no-cache-dir", "--no-compile", *source]
        + list(requirements),
        log=log,
        timeout=timeout,
    )


def run_recipe_checks(
    recipe: Recipe,
    venv: TestVenv,
    *,
    log: Path,
    deadline: float,
    source: str | None = None,
    runs: Sequence[TestRun] = (DEFAULT_RUN,),
) -> int:
    """The recipe's imports and commands, once per run; "python" in a command is the venv's,
    "{source}" the unpacked source tree as the venv sees it. Without a source (verify installs
    wheels only) commands that need it are left out: they ran when the wheel was built.
    Returns how many were left out."""
    commands = [_argv(command, venv, source) for command in recipe.test.commands]
    imports = [[venv.python, "-c", f"import {module}"] for module in recipe.test.imports]
    for run in runs:
        _note(log, f"# test run: {run.label}")
        ex = venv.side.executor.bound(run.binds)
        for argv in [*imports, *(c for c in commands if c is not None)]:
            ex.run(
                [*run.prefix, *argv], env=run.env, cwd=venv.cwd, log=log, timeout=_left(deadline)
            )
    return commands.count(None)


def _argv(command: Sequence[str], venv: TestVenv, source: str | None) -> list[str] | None:
    """A test command as the venv runs it, or None when it needs a source tree there is none of."""
    if source is None and any(SOURCE in arg for arg in command):
        return None
    return [venv.python if a == "python" else a.replace(SOURCE, source or "") for a in command]


def _note(log: Path | None, line: str) -> None:
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as f:
            f.write(line + "\n")


def run_wheel_tests(
    recipe: Recipe,
    wheel: Path,
    *,
    side: Side,
    workdir: Path,
    wheelhouse: Path,
    log: Path,
    source: Path | None = None,
    runs: Sequence[TestRun] = (DEFAULT_RUN,),
) -> float:
    """Return the seconds the tests took; raise WheelTestError when they fail."""
    started = time.monotonic()
    deadline = started + recipe.test.timeout
    try:
        venv = make_test_venv(side, workdir, log=log, timeout=_left(deadline))
        pip_install(
            venv,
            [f"{recipe.name}=={recipe.version}", *recipe.requires.run, *recipe.test.requires],
            links=[wheel.parent, side.wheels_dir, wheelhouse],
            index=None,
            log=log,
            timeout=_left(deadline),
        )
        inside = None if source is None else side.executor.inside(source)
        run_recipe_checks(recipe, venv, log=log, deadline=deadline, source=inside, runs=runs)
    except CommandFailed as exc:
        first = exc.message.splitlines()[0]
        msg = f"{recipe.name}: {wheel.name} failed its tests ({first}); see {log}"
        raise WheelTestError(msg) from exc
    return time.monotonic() - started


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())
