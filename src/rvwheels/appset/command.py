"""`rvwheels build -r requirements.txt`: resolve the set for each target Python with pip, build
what has no riscv64 wheel (from our recipes or drafts), until pip resolves it all; then lock it
and prove the lock installs and imports on riscv64."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from rvwheels.appset.installcheck import check_install
from rvwheels.appset.lock import lock_path, lock_text, write_lock
from rvwheels.appset.recipes import choose_recipe, work_recipes
from rvwheels.appset.resolve import Resolution, TargetPython, resolve
from rvwheels.environment.modes import prepare_test_side, target_pythons
from rvwheels.environment.sides import PythonInfo
from rvwheels.environment.target import load_target
from rvwheels.errors import BuildError, ConfigurationError
from rvwheels.fetch import manylinux_platforms
from rvwheels.options import BuildOptions
from rvwheels.progress import Progress, format_seconds, log_path
from rvwheels.wheelhouse import Wheelhouse

# Builds the named recipes into the wheelhouse (commands.run_build); False when one failed.
BuildRecipes = Callable[[BuildOptions, list[str]], bool]
MAX_ROUNDS = 200  # resolves per Python: more would mean a loop, not a long set


@dataclasses.dataclass(frozen=True, kw_only=True)
class SetOutcome:
    python: str
    lock: Path | None  # None: a build failed
    built: tuple[str, ...]  # the recipes built for it, in order
    drafted: tuple[Path, ...]  # drafts that built: worth committing to recipes/
    imported: int  # modules the install check imported


def build_requirement_set(
    options: BuildOptions, requirements_file: Path, build_recipes: BuildRecipes
) -> list[SetOutcome]:
    if not requirements_file.is_file():
        msg = f"{requirements_file}: no such requirements file"
        raise ConfigurationError(msg)
    requirements_file = requirements_file.absolute()
    ours = options.recipes_dir
    options = dataclasses.replace(options, recipes_dir=work_recipes(options))
    outcomes = []
    for python in target_pythons(options):
        one = dataclasses.replace(options, pythons=(python,))
        outcome = _build_for(one, requirements_file, ours=ours, build_recipes=build_recipes)
        outcomes.append(outcome)
        if outcome.lock is None:
            break
    return outcomes


@dataclasses.dataclass(kw_only=True)
class _SetRun:
    """One requirements file for one target Python, and what was built for it so far."""

    options: BuildOptions  # with the work recipe folder and this one Python
    requirements_file: Path
    ours: Path  # the project's own recipe folder
    target: TargetPython
    log: Path
    built: list[str] = dataclasses.field(default_factory=list)
    drafted: list[Path] = dataclasses.field(default_factory=list)


def _build_for(
    options: BuildOptions, requirements_file: Path, *, ours: Path, build_recipes: BuildRecipes
) -> SetOutcome:
    python = options.pythons[0]
    log = log_path(options.logs_dir, f"_set-{requirements_file.stem}-{python}")
    progress = Progress()
    try:
        progress.info(f"{requirements_file.name} for Python {python}; log: {log}")
        side = prepare_test_side(options, log=log)
    finally:
        progress.close()
    run = _SetRun(
        options=options,
        requirements_file=requirements_file,
        ours=ours,
        target=target_python(options, side.info),
        log=log,
    )
    resolution = _build_until_resolved(run, build_recipes)
    if resolution is None:
        return SetOutcome(python=python, lock=None, built=tuple(run.built), drafted=(), imported=0)
    lock = write_lock(
        lock_path(options.wheelhouse, requirements_file, run.target.abi),
        lock_text(resolution.pinned, requirements_file=requirements_file, abi=run.target.abi),
    )
    imported = _check_lock(run, lock, resolution, side)
    return SetOutcome(
        python=python,
        lock=lock,
        built=tuple(run.built),
        drafted=tuple(run.drafted),
        imported=imported,
    )


def _build_until_resolved(run: _SetRun, build_recipes: BuildRecipes) -> Resolution | None:
    """Resolve; build what pip says has no wheel; again, until pip resolves everything.
    None when a build failed."""
    resolution = _resolve_logged(run)
    while resolution.missing is not None:
        name = canonicalize_name(resolution.missing.name)
        if name in run.built or len(run.built) >= MAX_ROUNDS:
            msg = (
                f"{name} was built, but pip still finds no wheel for "
                f"'{resolution.missing}' on riscv64 {run.target.abi}; see {run.log}"
            )
            raise BuildError(msg)
        chosen = choose_recipe(
            resolution.missing,
            recipes_dir=run.options.recipes_dir,
            ours=run.ours,
            options=run.options,
        )
        how = f"drafted {chosen.drafted}" if chosen.drafted else "our recipe"
        _say(f"{resolution.missing}: no riscv64 wheel; building it ({how})")
        run.built.append(name)
        if not build_recipes(run.options, [name]):
            return None
        run.drafted += [chosen.drafted] if chosen.drafted else []
        resolution = _resolve_logged(run)
    return resolution


def _say(message: str) -> None:
    progress = Progress()
    progress.info(message)
    progress.close()


def _check_lock(run: _SetRun, lock: Path, resolution: Resolution, side) -> int:
    progress = Progress()
    try:
        progress.state("install check", "running", f"{len(resolution.pinned)} distributions")
        started = time.monotonic()
        imported = check_install(
            lock,
            resolution.pinned,
            side=side,
            wheelhouse=run.options.wheelhouse,
            cache=run.options.cache,
            work=run.options.work_dir / "appset" / f"check-{run.target.abi}",
            log=run.log,
        )
        seconds = format_seconds(time.monotonic() - started)
        progress.finished("install check", "ok", f"{imported} modules in {seconds}")
        progress.info(f"lock: {lock}")
    finally:
        progress.close()
    return imported


def target_python(options: BuildOptions, info: PythonInfo) -> TargetPython:
    """The target as pip must see it: its interpreter, and the manylinux tags from our floor up
    to the oldest target's glibc (manylinux-lock: not the build root's newer one), or up to the
    newest tag of one of our wheels for it in the wheelhouse, when one needs more (torch for
    3.13 is Debian's, manylinux_2_39): a set that holds such a wheel needs that glibc anyway."""
    target = load_target(toolchain_dir=options.toolchain_dir)
    ours = Wheelhouse(options.wheelhouse).wheels_for_python(info.version)
    newest = max([target.manylinux_lock, *filter(None, map(manylinux_glibc, ours))])
    platforms = manylinux_platforms(info.machine, newest, target.manylinux_floor)
    return TargetPython(info=info, platforms=tuple(platforms))


def manylinux_glibc(wheel: Path) -> tuple[int, int] | None:
    """(2, 39) for a ``…-manylinux_2_39_riscv64.whl``; None for other platform tags."""
    glibcs = [
        (int(match[1]), int(match[2]))
        for tag in parse_wheel_filename(wheel.name)[3]
        if (match := re.fullmatch(r"manylinux_(\d+)_(\d+)_\w+", tag.platform))
    ]
    return max(glibcs, default=None)


def _resolve_logged(run: _SetRun) -> Resolution:
    run.target = target_python(run.options, run.target.info)  # our wheels may have changed
    progress = Progress()
    try:
        progress.state("resolve", "running", f"pip, for riscv64 {run.target.abi}")
        started = time.monotonic()
        resolution = resolve(
            run.requirements_file,
            target=run.target,
            wheelhouse=run.options.wheelhouse,
            report=run.options.work_dir / "appset" / f"report-{run.target.abi}.json",
            log=run.log,
        )
        found = (
            f"missing {resolution.missing}"
            if resolution.missing
            else f"{len(resolution.pinned)} pinned"
        )
        seconds = format_seconds(time.monotonic() - started)
        progress.finished("resolve", "done", f"{found} ({seconds})")
    finally:
        progress.close()
    return resolution
