"""Test after build: install the wheel into a fresh venv in a clean target environment, with
nothing else from the build, and run the recipe's imports and commands there, offline."""

from __future__ import annotations

import email.parser
import re
import shutil
import time
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rvwheels.environment.sides import PythonInfo, Side
from rvwheels.errors import CommandFailed, WheelTestError
from rvwheels.fetch import fetch_wheels
from rvwheels.recipe.spec import Recipe

# In a test command, the unpacked source tree (for test files an sdist has and its wheel lacks).
SOURCE = "{source}"
# The first pip whose vendored packaging lists manylinux tags for riscv64.
PIP_FLOOR = "pip>=24.1"


@dataclass(frozen=True, kw_only=True)
class TestVenv:
    """A fresh venv in a target environment, and the folder tests run from."""

    __test__ = False  # not a pytest class

    side: Side
    python: str  # the venv's interpreter, as the side sees it
    cwd: str  # an empty folder: tests import the installed package, not a source tree
    host_cwd: Path  # the same folder as this machine sees it


def make_venv(
    side: Side,
    venv_dir: Path,
    *,
    log: Path,
    timeout: float | None = None,
    system_site: bool = False,
) -> str:
    """A fresh venv (its path as the side sees it) whose pip can install manylinux riscv64
    wheels (see PIP_FLOOR): an older pip is upgraded from a wheel fetched on the host into the
    side's wheel cache."""
    shutil.rmtree(venv_dir, ignore_errors=True)
    ex = side.executor
    venv = ex.inside(venv_dir)
    system_site_args = ["--system-site-packages"] if system_site else []
    ex.run([side.python, "-m", "venv", *system_site_args, venv], log=log, timeout=timeout)
    version = ex.run([f"{venv}/bin/python", "-m", "pip", "--version"], capture=True, log=log)
    if not _pip_knows_riscv64_manylinux(version):
        # Fetched only when needed: Debian's own pip is new enough, and a native build box
        # may have no network at all.
        fetch_wheels(
            [PIP_FLOOR],
            side.wheels_dir,
            python_version=side.info.version,
            platforms=side.pip_platforms,
            log=log,
        )
        ex.run(
            [f"{venv}/bin/python", "-m", "pip", "install", "--no-index", "--find-links"]
            + [side.wheels_inside, "--upgrade", PIP_FLOOR],
            log=log,
            timeout=timeout,
        )
    return venv


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


def pypi_requirements(wheel: Path, *, own: Collection[str], target: PythonInfo) -> list[str]:
    """A wheel's Requires-Dist without extras, minus the projects in ``own`` (built by our
    recipes, so they come from the wheelhouse): what must be fetched from PyPI for it.

    Markers are decided here for the ``target`` Python and machine: the host's ``pip download
    --python-version`` evaluates them for the host's own Python instead (torch's
    ``setuptools; python_version >= "3.12"`` would be dropped by a 3.11 host)."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(zf.read(name).decode())
    environment = {
        "python_version": target.version,
        "python_full_version": target.full,
        "platform_machine": target.machine,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    wanted = []
    for requirement in map(Requirement, metadata.get_all("Requires-Dist") or []):
        if canonicalize_name(requirement.name) in own:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            wanted.append(str(requirement))
    return wanted


def _pip_knows_riscv64_manylinux(pip_version_line: str) -> bool:
    """'pip 22.3.1 from …' -> False: pip before 24.1 vendors packaging 21.3, whose manylinux
    list has no riscv64, so it sees only linux_riscv64 wheels (CPython 3.11's bundled pip and
    openEuler 24.03's pip 23.3 are such)."""
    match = re.match(r"pip (\d+)\.(\d+)", pip_version_line.strip())
    return match is not None and (int(match.group(1)), int(match.group(2))) >= (24, 1)


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
    recipe: Recipe, venv: TestVenv, *, log: Path, deadline: float, source: str | None = None
) -> int:
    """The recipe's imports and commands; "python" in a command is the venv's, "{source}" the
    unpacked source tree as the venv sees it. Without a source (verify installs wheels only)
    commands that need it are left out: they ran when the wheel was built. Returns how many."""
    ex = venv.side.executor
    for module in recipe.test.imports:
        ex.run(
            [venv.python, "-c", f"import {module}"], cwd=venv.cwd, log=log, timeout=_left(deadline)
        )
    skipped = 0
    for command in recipe.test.commands:
        if source is None and any(SOURCE in a for a in command):
            skipped += 1
            continue
        argv = [venv.python if a == "python" else a.replace(SOURCE, source or "") for a in command]
        ex.run(argv, cwd=venv.cwd, log=log, timeout=_left(deadline))
    return skipped


def run_wheel_tests(
    recipe: Recipe,
    wheel: Path,
    *,
    side: Side,
    workdir: Path,
    wheelhouse: Path,
    log: Path,
    source: Path | None = None,
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
        run_recipe_checks(recipe, venv, log=log, deadline=deadline, source=inside)
    except CommandFailed as exc:
        first = exc.message.splitlines()[0]
        msg = f"{recipe.name}: {wheel.name} failed its tests ({first}); see {log}"
        raise WheelTestError(msg) from exc
    return time.monotonic() - started


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())
