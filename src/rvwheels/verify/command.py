"""`rvwheels verify`: prove a wheelhouse on riscv64.

A fresh venv in a clean riscv64 environment (the target root under qemu on x86_64; this machine
on riscv64) gets the runtime and every wheel of the wheelhouse from its index alone; each wheel's
recipe tests run; then the bundled tiny LaMa runs on NumPy and is compared with a reference made
on x86_64 (or, with --model, the real big-lama runs on a real image). The report is printed and
written as versioned JSON next to the index.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from packaging.utils import parse_wheel_filename

from rvwheels import paths
from rvwheels.environment.sides import Side
from rvwheels.errors import CommandFailed, WheelhouseError
from rvwheels.fetch import fetch_wheels
from rvwheels.options import BuildOptions
from rvwheels.progress import Progress, log_path
from rvwheels.recipe.loader import load_recipes
from rvwheels.run import run
from rvwheels.verify.wheeltest import (
    TestVenv,
    make_test_venv,
    pip_install,
    pypi_requirements,
    run_recipe_checks,
)
from rvwheels.wheelhouse import Wheelhouse

REPORT_VERSION = 1
RUNTIME_PROJECT = "rvwheels-runtime"
VERIFY_TIMEOUT = 3 * 3600
# Runs inside the riscv64 venv; prints one JSON line. ru_maxrss is KiB on Linux.
TINY_LAMA = (
    "import json, resource; from rvwheels_runtime.tiny import run_tiny_check; "
    "r = run_tiny_check(threads={threads}); "
    "r['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
    "print(json.dumps(r))"
)
# The same tiny model through the runtime's torch backend, against its NumPy backend.
TINY_LAMA_TORCH = (
    "import json; from rvwheels_runtime.tiny import run_tiny_torch_check; "
    "print(json.dumps(run_tiny_torch_check(threads={threads})))"
)


@dataclass(kw_only=True)
class WheelResult:
    wheel: str
    ok: bool
    detail: str = ""


@dataclass(kw_only=True)
class Report:
    version: int = REPORT_VERSION
    environment: str = ""
    wheels: list[WheelResult] = field(default_factory=list)
    lama: dict[str, object] = field(default_factory=dict)
    lama_torch: dict[str, object] = field(default_factory=dict)  # when torch is in the wheelhouse

    @property
    def ok(self) -> bool:
        torch_ok = not self.lama_torch or bool(self.lama_torch.get("ok"))
        return all(w.ok for w in self.wheels) and bool(self.lama.get("ok")) and torch_ok


def verify(
    options: BuildOptions,
    *,
    model: Path | None,
    image: Path | None,
    mask: Path | None,
    threads: int,
    progress: Progress,
) -> Report:
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
    projects = sorted({parse_wheel_filename(w.name)[0] for w in wheels})
    deadline = time.monotonic() + VERIFY_TIMEOUT
    venv = _install_everything(side, wheels, recipes, options, log, progress)
    for wheel in wheels:
        report.wheels.append(_check_wheel(wheel, recipes, venv, log, deadline, progress))
    progress.state("lama", "running", "tiny LaMa on NumPy" if model is None else str(model))
    report.lama = _run_lama(venv, model, image, mask, threads, log)
    progress.finished("lama", "ok" if report.lama.get("ok") else "FAILED")
    if "torch" in projects and model is None:
        progress.state("lama-torch", "running", "tiny LaMa on the torch backend vs NumPy")
        report.lama_torch = _run_tiny_on_torch(venv, threads, log)
        progress.finished("lama-torch", "ok" if report.lama_torch.get("ok") else "FAILED")
    (options.wheelhouse / "verify-report.json").write_text(
        json.dumps(asdict(report) | {"ok": report.ok}, indent=1)
    )
    return report


def _publish_runtime(wheelhouse: Wheelhouse, log: Path) -> None:
    """Build the pure-Python runtime wheel here and publish it, so pip finds it in the index."""
    with tempfile.TemporaryDirectory() as tmp:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-w",
                tmp,
                str(paths.PROJECT_ROOT / "runtime"),
            ],
            log=log,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        wheelhouse.publish(
            wheel, {"name": RUNTIME_PROJECT, "mode": "pure-python", "test": {"ran": False}}
        )


def _install_everything(
    side: Side, wheels: list[Path], recipes, options, log, progress
) -> TestVenv:
    projects = sorted({parse_wheel_filename(w.name)[0] for w in wheels})
    extra = sorted(
        {
            r
            for p in projects
            if p in recipes
            for r in (*recipes[p].requires.run, *recipes[p].test.requires)
        }
        # What the wheels themselves require from PyPI (the adopted torch: sympy, networkx…).
        | {r for w in wheels for r in pypi_requirements(w, own=projects, target=side.info)}
    )
    progress.state("venv", "installing", f"{len(projects)} projects from the wheelhouse index")
    fetch_wheels(
        extra,
        side.wheels_dir,
        python_version=side.info.version,
        platforms=side.pip_platforms,
        log=log,
        own_wheels=options.wheelhouse,
    )
    venv = make_test_venv(side, options.cache / "work" / "_verify", log=log, timeout=3600)
    index = "file://" + side.executor.inside(options.wheelhouse) + "/simple"
    # Our wheels come from the index alone; test tools (pytest…) from the host-fetched cache.
    try:
        # Their PyPI requirements may come from the host-fetched cache, never our projects.
        pip_install(venv, projects, links=[side.wheels_dir], index=index, log=log, timeout=3600)
    except CommandFailed as exc:
        msg = (
            f"pip cannot install {', '.join(projects)} from {index} alone (the runtime needs "
            f"numpy: 'rvwheels build numpy' first); details in {log}"
        )
        raise WheelhouseError(msg) from exc
    pip_install(venv, extra, links=[side.wheels_dir], index=None, log=log, timeout=3600)
    progress.finished("venv", "ready")
    return venv


def _check_wheel(
    wheel: Path, recipes, venv: TestVenv, log: Path, deadline: float, progress: Progress
) -> WheelResult:
    project = parse_wheel_filename(wheel.name)[0]
    progress.state(project, "testing", f"log: {log}")
    detail = ""
    try:
        if project in recipes:
            skipped = run_recipe_checks(recipes[project], venv, log=log, deadline=deadline)
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


def _run_lama(venv: TestVenv, model, image, mask, threads: int, log: Path) -> dict[str, object]:
    ex = venv.side.executor
    try:
        if model is None:
            out = ex.run(
                [venv.python, "-c", TINY_LAMA.format(threads=threads)],
                cwd=venv.cwd,
                capture=True,
                log=log,
            )
            return {"model": "tiny (seeded weights)", **json.loads(out.strip().splitlines()[-1])}
        return _run_real_model(venv, model, image, mask, threads, log)
    except CommandFailed as exc:
        return {"ok": False, "error": exc.message.splitlines()[0]}


def _run_tiny_on_torch(venv: TestVenv, threads: int, log: Path) -> dict[str, object]:
    ex = venv.side.executor
    try:
        out = ex.run(
            [venv.python, "-c", TINY_LAMA_TORCH.format(threads=threads)],
            cwd=venv.cwd,
            capture=True,
            log=log,
        )
    except CommandFailed as exc:
        return {"ok": False, "error": exc.message.splitlines()[0]}
    return json.loads(out.strip().splitlines()[-1])


def _run_real_model(venv: TestVenv, model: Path, image, mask, threads: int, log: Path):
    ex = venv.side.executor
    # Inputs are copied next to the venv: the only host folder the environment can see.
    inputs = venv.host_cwd
    copies = [inputs / f"input-{i}{p.suffix}" for i, p in enumerate((model, image, mask))]
    for src, dst in zip((model, image, mask), copies, strict=True):
        shutil.copyfile(src, dst)
    inpaint = str(PurePosixPath(venv.python).parent / "inpaint")
    started = time.monotonic()
    ex.run(
        [
            inpaint,
            *(ex.inside(c) for c in copies[1:]),
            "-o",
            ex.inside(inputs / "out.png"),
            "--model",
            ex.inside(copies[0]),
            "--threads",
            str(threads),
        ],
        cwd=venv.cwd,
        log=log,
    )
    return {"model": str(model), "seconds": round(time.monotonic() - started, 1), "ok": True}


def print_report(report: Report, stream=sys.stdout) -> None:
    print(f"\nverify: {report.environment}", file=stream)
    for w in report.wheels:
        print(f"  {'OK    ' if w.ok else 'FAILED'} {w.wheel}  {w.detail}", file=stream)
    lama = report.lama
    if "max_abs_diff" in lama:
        print(
            f"  {'OK    ' if lama['ok'] else 'FAILED'} LaMa {lama['model']}: "
            f"{lama['seconds']:.2f} s inference, max abs diff {lama['max_abs_diff']:.2e} "
            f"(tolerance {lama['tolerance']:.0e}), peak RSS {lama['peak_rss_mib']:.0f} MiB",
            file=stream,
        )
    else:
        print(f"  {'OK    ' if lama.get('ok') else 'FAILED'} LaMa: {lama}", file=stream)
    torch = report.lama_torch
    if "max_abs_diff" in torch:
        print(
            f"  {'OK    ' if torch['ok'] else 'FAILED'} LaMa tiny on torch {torch['torch']}: "
            f"{torch['seconds']:.2f} s, max abs diff to NumPy {torch['max_abs_diff']:.2e}",
            file=stream,
        )
    elif torch:
        print(f"  FAILED LaMa tiny on torch: {torch}", file=stream)
    print(f"verify: {'passed' if report.ok else 'FAILED'}", file=stream)
