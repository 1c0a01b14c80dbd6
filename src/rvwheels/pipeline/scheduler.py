"""Build a set of recipes in dependency order, up to ``jobs`` at a time, publishing each wheel
into the wheelhouse as soon as it has passed its tests."""

from __future__ import annotations

import graphlib
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.package import BuiltWheel, PackageBuilder
from rvwheels.environment.modes import Environments
from rvwheels.environment.sides import BuildEnvironment
from rvwheels.errors import RvwheelsError
from rvwheels.locks import exclusive
from rvwheels.options import BuildOptions
from rvwheels.pipeline.freshness import build_key, up_to_date_wheel
from rvwheels.progress import Progress, format_seconds, log_path
from rvwheels.recipe.graph import dependency_closure
from rvwheels.recipe.spec import Recipe
from rvwheels.run import terminate_all
from rvwheels.wheelhouse import Wheelhouse

LOG_TAIL = 15


@dataclass(frozen=True, kw_only=True)
class Outcome:
    name: str
    ok: bool
    seconds: float
    wheel: Path | None = None
    error: RvwheelsError | None = None
    log: Path | None = None
    skipped: bool = False
    fresh: bool = False  # already up to date: nothing was built


def build_all(
    requested: list[str],
    recipes: dict[str, Recipe],
    environments: Environments,
    options: BuildOptions,
    progress: Progress,
) -> list[Outcome]:
    deps = dependency_closure(requested, recipes)
    sorter = graphlib.TopologicalSorter(deps)
    sorter.prepare()
    wheelhouse = Wheelhouse(options.wheelhouse)
    outcomes: dict[str, Outcome] = {}
    for name in deps:
        progress.state(name, "queued")
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        running: dict[Future[Outcome], str] = {}
        while sorter.is_active():
            for name in sorter.get_ready():
                failed = [d for d in deps[name] if not outcomes[d].ok]
                if failed:
                    outcomes[name] = _skip(name, failed, progress)
                    sorter.done(name)
                    continue
                host = recipes[name].requires.host
                dep_wheels = [w for d in host if (w := outcomes[d].wheel) is not None]
                required = {d: recipes[d] for d in host}
                run = tuple(recipes[d] for d in deps[name] if d not in host)
                job = Job(recipes[name], required, dep_wheels, run)
                future = pool.submit(_build_one, job, environments, options, progress, wheelhouse)
                running[future] = name
            if not running:
                continue
            try:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                terminate_all()
                raise
            for future in finished:
                name = running.pop(future)
                outcomes[name] = future.result()
                sorter.done(name)
    return [outcomes[name] for name in deps]


@dataclass(frozen=True)
class Job:
    recipe: Recipe
    required: dict[str, Recipe]  # the recipes it builds against (requires.host)
    dependency_wheels: list[Path]  # their wheels, as this run built or found them
    run_recipes: tuple[Recipe, ...] = ()  # the recipes its run requirements name


def _build_one(
    job: Job,
    environments: Environments,
    options: BuildOptions,
    progress: Progress,
    wheelhouse: Wheelhouse,
) -> Outcome:
    recipe = job.recipe
    unsupported = _unsupported_python(recipe, environments.default())
    if unsupported:
        # Not a failure: `build --all --python 3.11` simply has no cp311 torchvision to make.
        progress.finished(recipe.name, "skipped", unsupported)
        return Outcome(name=recipe.name, ok=True, seconds=0.0, skipped=True)
    try:
        env = environments.for_recipe(recipe)
    except RvwheelsError as exc:
        progress.finished(recipe.name, "failed", exc.message.splitlines()[0])
        return Outcome(name=recipe.name, ok=False, seconds=0.0, error=exc)
    if env.mode != options.mode:
        progress.info(f"{recipe.name}: builds {env.mode}, as its recipe's build.modes say")
    variant = options.variants.get(recipe.name)
    key = build_key(recipe, env, job.dependency_wheels, variant=variant)
    waiting = lambda: progress.state(recipe.name, "waiting", "another rvwheels is building it")  # noqa: E731
    # Checked under the lock: the process we waited for may have just built this very wheel.
    with exclusive(options.work_dir / f"{recipe.name}.lock", on_wait=waiting):
        current = None if options.force else up_to_date_wheel(recipe, key, wheelhouse)
        if current is not None:
            progress.finished(recipe.name, "up to date", current.name)
            return Outcome(name=recipe.name, ok=True, seconds=0.0, wheel=current, fresh=True)
        return _build_and_publish(job, env, options, progress, wheelhouse, key)


def _unsupported_python(recipe: Recipe, env: BuildEnvironment) -> str:
    version = env.test.info.version
    if recipe.build.pythons and version not in recipe.build.pythons:
        return f"not for Python {version} (its recipe supports {', '.join(recipe.build.pythons)})"
    return ""


def _build_and_publish(
    job: Job,
    env: BuildEnvironment,
    options: BuildOptions,
    progress: Progress,
    wheelhouse: Wheelhouse,
    key: str,
) -> Outcome:
    recipe = job.recipe
    log = log_path(options.logs_dir, recipe.name)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    builder = PackageBuilder(
        recipe,
        env,
        cache=options.cache,
        progress=progress,
        log=log,
        run_tests=options.run_tests,
        variant=options.variants.get(recipe.name),
        jobs=max(1, (os.cpu_count() or 1) // options.jobs),  # compile jobs per package
        required=job.required,
        run_recipes=job.run_recipes,
    )
    try:
        built: BuiltWheel = builder.build()
        progress.state(recipe.name, "publishing")
        published = wheelhouse.publish(built.wheel, {**built.record, "build_key": key})
    except RvwheelsError as exc:
        seconds = time.monotonic() - started
        progress.finished(recipe.name, "failed", f"{format_seconds(seconds)}; log: {log}")
        return Outcome(name=recipe.name, ok=False, seconds=seconds, error=exc, log=log)
    seconds = time.monotonic() - started
    progress.finished(recipe.name, "done", f"{published.name} in {format_seconds(seconds)}")
    return Outcome(name=recipe.name, ok=True, seconds=seconds, wheel=published, log=log)


def _skip(name: str, failed: list[str], progress: Progress) -> Outcome:
    progress.finished(name, "skipped", f"its dependency {', '.join(failed)} failed")
    return Outcome(name=name, ok=False, seconds=0.0, skipped=True)


def log_tail(log: Path, lines: int = LOG_TAIL) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
