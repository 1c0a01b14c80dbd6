"""`rvwheels build -r requirements.txt`: resolve the set for each target Python with pip, build
what has no riscv64 wheel (from our recipes or drafts), until pip resolves it all; then lock it
and prove the lock installs and imports on riscv64."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from packaging.utils import canonicalize_name

from rvwheels.appset.installcheck import check_install
from rvwheels.appset.lock import lock_path, lock_text, write_lock
from rvwheels.appset.recipes import choose_recipe, work_recipes
from rvwheels.appset.resolve import Resolution, TargetPython, resolve
from rvwheels.environment.modes import prepare_test_side, target_pythons
from rvwheels.environment.target import load_target
from rvwheels.errors import BuildError, ConfigurationError
from rvwheels.fetch import manylinux_platforms
from rvwheels.options import BuildOptions
from rvwheels.progress import Progress, format_seconds, log_path

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


def _build_for(
    options: BuildOptions, requirements_file: Path, *, ours: Path, build_recipes: BuildRecipes
) -> SetOutcome:
    python = options.pythons[0]
    progress = Progress()
    log = log_path(options.logs_dir, f"_set-{requirements_file.stem}-{python}")
    progress.info(f"{requirements_file.name} for Python {python}; log: {log}")
    try:
        side = prepare_test_side(options, log=log)
        target = target_python(options, side.info)
        built: list[str] = []
        drafted: list[Path] = []
        resolution = _resolve_logged(requirements_file, target, options, progress, log)
        while resolution.missing is not None:
            name = canonicalize_name(resolution.missing.name)
            if name in built or len(built) >= MAX_ROUNDS:
                msg = (
                    f"{name} was built, but pip still finds no wheel for "
                    f"'{resolution.missing}' on riscv64 {target.abi}; see {log}"
                )
                raise BuildError(msg)
            chosen = choose_recipe(
                resolution.missing, recipes_dir=options.recipes_dir, ours=ours, options=options
            )
            how = f"drafted {chosen.drafted}" if chosen.drafted else "our recipe"
            progress.info(f"{resolution.missing}: no riscv64 wheel; building it ({how})")
            progress.close()
            if not build_recipes(options, [name]):
                return SetOutcome(
                    python=python, lock=None, built=(*built, name), drafted=(), imported=0
                )
            progress = Progress()
            built.append(name)
            drafted += [chosen.drafted] if chosen.drafted else []
            resolution = _resolve_logged(requirements_file, target, options, progress, log)
        lock = write_lock(
            lock_path(options.wheelhouse, requirements_file, target.abi),
            lock_text(resolution.pinned, requirements_file=requirements_file, abi=target.abi),
        )
        progress.state("install check", "running", f"{len(resolution.pinned)} distributions")
        started = time.monotonic()
        imported = check_install(
            lock,
            resolution.pinned,
            side=side,
            wheelhouse=options.wheelhouse,
            cache=options.cache,
            work=options.work_dir / "appset" / f"check-{target.abi}",
            log=log,
        )
        progress.finished(
            "install check",
            "ok",
            f"{imported} modules in {format_seconds(time.monotonic() - started)}",
        )
        progress.info(f"lock: {lock}")
    finally:
        progress.close()
    return SetOutcome(
        python=python, lock=lock, built=tuple(built), drafted=tuple(drafted), imported=imported
    )


def target_python(options: BuildOptions, info) -> TargetPython:
    """The target as pip must see it: its interpreter, and the manylinux tags our wheels'
    floor admits (not the build root's newer glibc: the RVBook's is older)."""
    target = load_target(toolchain_dir=options.toolchain_dir)
    platforms = manylinux_platforms(info.machine, target.manylinux_lock, target.manylinux_floor)
    return TargetPython(info=info, platforms=tuple(platforms))


def _resolve_logged(
    requirements_file: Path,
    target: TargetPython,
    options: BuildOptions,
    progress: Progress,
    log: Path,
) -> Resolution:
    progress.state("resolve", "running", f"pip, for riscv64 {target.abi}")
    started = time.monotonic()
    resolution = resolve(
        requirements_file,
        target=target,
        wheelhouse=options.wheelhouse,
        report=options.work_dir / "appset" / f"report-{target.abi}.json",
        log=log,
    )
    found = (
        f"missing {resolution.missing}"
        if resolution.missing
        else f"{len(resolution.pinned)} pinned"
    )
    progress.finished("resolve", "done", f"{found} ({format_seconds(time.monotonic() - started)})")
    return resolution
