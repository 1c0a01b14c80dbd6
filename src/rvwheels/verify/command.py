"""`rvwheels verify`: prove a wheelhouse on riscv64.

A fresh venv in a clean riscv64 environment (the target root under qemu on x86_64; this machine
on riscv64) gets the runtime and every wheel of the wheelhouse from its index alone; each wheel's
recipe tests run; then the runtime proves itself with its own self-check
(``python -m rvwheels_runtime.selfcheck``: LaMa on these wheels), to which --model, --image and
--mask are handed on. The report is printed and written as versioned JSON next to the index.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from rvwheels import paths
from rvwheels.builder.requirements import pypi_requirements
from rvwheels.environment.sides import Side
from rvwheels.errors import CommandFailed, WheelhouseError
from rvwheels.fetch import fetch_wheels
from rvwheels.options import BuildOptions
from rvwheels.progress import Progress, log_path
from rvwheels.recipe.loader import load_recipes
from rvwheels.recipe.spec import Recipe
from rvwheels.run import run
from rvwheels.verify.report import Report, WheelResult
from rvwheels.verify.runs import DEFAULT_RUN, TestRun, prepare_runs, run_specs
from rvwheels.verify.wheeltest import TestVenv, make_test_venv, pip_install, run_recipe_checks
from rvwheels.wheelhouse import Wheelhouse

RUNTIME_PROJECT = "rvwheels-runtime"
VERIFY_TIMEOUT = 3 * 3600
INSTALL_TIMEOUT = 3600
# The runtime's own check, run inside the riscv64 venv (see rvwheels_runtime/selfcheck.py).
SELF_CHECK = "rvwheels_runtime.selfcheck"
# The runtime's benchmark (`verify --bench`): sgemm per kernel set, big-lama timings.
BENCH = "rvwheels_runtime.bench"


def verify(
    options: BuildOptions,
    *,
    model: Path | None,
    image: Path | None,
    mask: Path | None,
    threads: int,
    progress: Progress,
    bench: list[str] | None = None,
) -> Report:
    """``bench``: run the runtime's benchmark with these arguments instead of the tests."""
    from rvwheels.environment.modes import prepare_test_side

    log = log_path(options.logs_dir, "_verify")
    wheelhouse = Wheelhouse(options.wheelhouse)
    if not wheelhouse.wheels():
        msg = f"{options.wheelhouse} has no wheels; build some first: rvwheels build numpy"
        raise WheelhouseError(msg)
    progress.info(f"verify log: {log}")
    _publish_runtime(wheelhouse, log)
    side = prepare_test_side(options, log=log)
    report = Report(environment=f"Python {side.info.full} on {side.info.machine}")
    recipes = load_recipes(options.recipes_dir, side.info.version)
    wheels = wheelhouse.wheels_for_python(side.info.version)
    deadline = time.monotonic() + VERIFY_TIMEOUT
    venv = _install_everything(side, wheels, recipes, options, log, progress)
    if bench is not None:
        progress.state("bench", "running", "sgemm per kernel set, big-lama timings")
        emulated = side.info.machine != platform.machine()
        report.bench = _run_module(
            venv, BENCH, [*bench, *(["--emulated"] if emulated else [])], threads, log
        )
        progress.finished("bench", "ok" if report.bench.get("version") else "FAILED")
        _write_report(options, report)
        return report
    for wheel in wheels:
        runs = _runs_of(wheel, recipes, wheelhouse, venv.side, options, log)
        report.wheels.append(_check_wheel(wheel, recipes, venv, runs, log, deadline, progress))
    files = {"model": model, "image": image, "mask": mask}
    progress.state("runtime", "self-check", "LaMa on these wheels")
    checks = _run_self_check(venv, {k: v for k, v in files.items() if v}, threads, log)
    report.lama, report.lama_torch = checks.get("lama", checks), checks.get("lama_torch", {})
    report.blas = checks.get("blas", {})
    progress.finished("runtime", "ok" if report.ok else "FAILED")
    _write_report(options, report)
    return report


def _write_report(options: BuildOptions, report: Report) -> None:
    (options.wheelhouse / "verify-report.json").write_text(
        json.dumps(asdict(report) | {"ok": report.ok}, indent=1)
    )


def _publish_runtime(wheelhouse: Wheelhouse, log: Path) -> None:
    """Build the pure-Python runtime wheel here and publish it, so pip finds it in the index."""
    with tempfile.TemporaryDirectory() as tmp:
        runtime = str(paths.PROJECT_ROOT / "runtime")
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp, runtime], log=log)
        (wheel,) = Path(tmp).glob("*.whl")
        wheelhouse.publish(
            wheel, {"name": RUNTIME_PROJECT, "mode": "pure-python", "test": {"ran": False}}
        )


def _extra_requirements(side: Side, wheels: list[Path], recipes: Mapping[str, Recipe]) -> list[str]:
    """What the wheels need from PyPI: their recipes' run and test requirements that name no
    project of ours, and what the wheels themselves require (the adopted torch: sympy…)."""
    projects = {parse_wheel_filename(w.name)[0] for w in wheels}
    ours = projects | set(recipes)
    from_recipes = {
        r
        for p in projects
        if p in recipes
        for r in (*recipes[p].requires.run, *recipes[p].test.requires)
        if canonicalize_name(Requirement(r).name) not in ours
    }
    from_wheels = {r for w in wheels for r in pypi_requirements(w, own=ours, target=side.info)}
    return sorted(from_recipes | from_wheels)


def _install_everything(
    side: Side,
    wheels: list[Path],
    recipes: Mapping[str, Recipe],
    options: BuildOptions,
    log: Path,
    progress: Progress,
) -> TestVenv:
    projects = sorted({parse_wheel_filename(w.name)[0] for w in wheels})
    extra = _extra_requirements(side, wheels, recipes)
    progress.state("venv", "installing", f"{len(projects)} projects from the wheelhouse index")
    fetch_wheels(
        extra,
        side.wheels_dir,
        python_version=side.info.version,
        platforms=side.pip_platforms,
        log=log,
        own_wheels=options.wheelhouse,
    )
    venv = make_test_venv(side, options.work_dir / "_verify", log=log, timeout=INSTALL_TIMEOUT)
    index = "file://" + side.executor.inside(options.wheelhouse) + "/simple"
    # Our wheels come from the index alone; their PyPI requirements and the test tools come
    # from the host-fetched cache, never our projects.
    try:
        pip_install(
            venv, projects, links=[side.wheels_dir], index=index, log=log, timeout=INSTALL_TIMEOUT
        )
    except CommandFailed as exc:
        msg = (
            f"pip cannot install {', '.join(projects)} from {index} alone (the runtime needs "
            f"numpy: 'rvwheels build numpy' first); details in {log}"
        )
        raise WheelhouseError(msg) from exc
    pip_install(venv, extra, links=[side.wheels_dir], index=None, log=log, timeout=INSTALL_TIMEOUT)
    progress.finished("venv", "ready")
    return venv


def _runs_of(
    wheel: Path,
    recipes: Mapping[str, Recipe],
    wheelhouse: Wheelhouse,
    side: Side,
    options: BuildOptions,
    log: Path,
) -> list[TestRun]:
    """The test runs of the wheel's recipe, for the variant its build record names."""
    recipe = recipes.get(parse_wheel_filename(wheel.name)[0])
    if recipe is None:
        return [DEFAULT_RUN]
    variant = recipe.build.variant((wheelhouse.record(wheel.name) or {}).get("variant"))
    specs = run_specs(recipe, variant)
    return prepare_runs(
        specs, side=side, toolchain_dir=options.toolchain_dir, cache=options.cache, log=log
    )


def _check_wheel(
    wheel: Path,
    recipes: Mapping[str, Recipe],
    venv: TestVenv,
    runs: list[TestRun],
    log: Path,
    deadline: float,
    progress: Progress,
) -> WheelResult:
    project = parse_wheel_filename(wheel.name)[0]
    progress.state(project, "testing", f"log: {log}")
    detail = ""
    try:
        if project in recipes:
            skipped = run_recipe_checks(
                recipes[project], venv, log=log, deadline=deadline, runs=runs
            )
            if skipped:
                detail = f"({skipped} source-tree test command(s) run at build time only)"
        else:
            module = project.replace("-", "_")
            venv.side.executor.run([venv.python, "-c", f"import {module}"], cwd=venv.cwd, log=log)
    except CommandFailed as exc:
        progress.finished(project, "FAILED")
        return WheelResult(wheel=wheel.name, ok=False, detail=exc.message.splitlines()[0])
    progress.finished(project, "ok")
    return WheelResult(wheel=wheel.name, ok=True, detail=detail)


def _run_self_check(
    venv: TestVenv, files: Mapping[str, Path], threads: int, log: Path
) -> dict[str, object]:
    """The runtime's self-check in the venv; ``files`` (model, image, mask) are copied next to
    it, the only host folder the environment sees, and handed on as --model, --image, --mask."""
    args = []
    for option, source in files.items():
        copy = venv.host_cwd / f"input-{option}{source.suffix}"
        shutil.copyfile(source, copy)
        args += [f"--{option}", venv.side.executor.inside(copy)]
    return _run_module(venv, SELF_CHECK, args, threads, log)


def _run_module(
    venv: TestVenv, module: str, args: list[str], threads: int, log: Path
) -> dict[str, object]:
    """``python -m module --threads N --json FILE ARGS`` in the venv; the JSON it wrote, or
    what went wrong."""
    ex = venv.side.executor
    report = venv.host_cwd / f"{module}.json"
    report.unlink(missing_ok=True)
    argv = [venv.python, "-m", module, "--threads", str(threads)]
    argv += ["--json", ex.inside(report), *args]
    error = ""
    try:
        ex.run(argv, cwd=venv.cwd, log=log)
    except CommandFailed as exc:
        error = exc.message.splitlines()[0]
    try:
        return json.loads(report.read_text())
    except (OSError, ValueError):
        return {"ok": False, "error": error or f"{module} wrote no report; see {log}"}
