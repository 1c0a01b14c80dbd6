"""Test after build: install the wheel into a fresh venv in a clean target environment, with
nothing else from the build, and run the recipe's imports and commands there, offline."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rvwheels.build.environment import Side
from rvwheels.errors import CommandFailed, WheelTestError
from rvwheels.recipe.spec import Recipe


def run_wheel_tests(
    recipe: Recipe, wheel: Path, *, side: Side, workdir: Path, wheelhouse: Path, log: Path
) -> float:
    """Return the seconds the tests took; raise WheelTestError when they fail."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "run").mkdir(parents=True)
    ex = side.executor
    venv = ex.inside(workdir / "venv")
    started = time.monotonic()
    deadline = started + recipe.test.timeout
    try:
        ex.run([side.python, "-m", "venv", venv], log=log, timeout=_left(deadline))
        requirements = [
            f"{recipe.name}=={recipe.version}",
            *recipe.requires.run,
            *recipe.test.requires,
        ]
        ex.run(
            [
                f"{venv}/bin/python",
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-cache-dir",
                "--find-links",
                ex.inside(wheel.parent),
                "--find-links",
                side.wheels_inside,
                "--find-links",
                ex.inside(wheelhouse),
                *requirements,
            ],
            log=log,
            timeout=_left(deadline),
        )
        cwd = ex.inside(workdir / "run")  # not the source tree: import the installed package
        for module in recipe.test.imports:
            ex.run(
                [f"{venv}/bin/python", "-c", f"import {module}"],
                cwd=cwd,
                log=log,
                timeout=_left(deadline),
            )
        for command in recipe.test.commands:
            argv = [f"{venv}/bin/python" if a == "python" else a for a in command]
            ex.run(argv, cwd=cwd, log=log, timeout=_left(deadline))
    except CommandFailed as exc:
        first = exc.message.splitlines()[0]
        msg = f"{recipe.name}: {wheel.name} failed its tests ({first}); see {log}"
        raise WheelTestError(msg) from exc
    return time.monotonic() - started


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())
