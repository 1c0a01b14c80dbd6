"""Run a plan: its entries in dependency order, up to ``jobs`` at a time, each wheel published
into the wheelhouse as soon as it has passed its tests."""

from __future__ import annotations

import graphlib
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.job import BuildJob, HostWheel
from rvwheels.environment.modes import Environments
from rvwheels.errors import EnvError, RvwheelsError
from rvwheels.locks import exclusive
from rvwheels.options import BuildOptions
from rvwheels.pipeline.freshness import build_key, up_to_date_wheel
from rvwheels.pipeline.package import build_package
from rvwheels.pipeline.plan import Plan, PlanEntry
from rvwheels.progress import Progress, format_seconds, log_path
from rvwheels.run import terminate_all
from rvwheels.wheelhouse import Wheelhouse


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


@dataclass(frozen=True, kw_only=True)
class Run:
    """What every package of one run shares."""

    plan: Plan
    environments: Environments
    options: BuildOptions
    progress: Progress
    wheelhouse: Wheelhouse


def run_plan(
    plan: Plan, environments: Environments, options: BuildOptions, progress: Progress
) -> list[Outcome]:
    run = Run(
        plan=plan,
        environments=environments,
        options=options,
        progress=progress,
        wheelhouse=Wheelhouse(options.wheelhouse),
    )
    sorter = graphlib.TopologicalSorter({e.name: e.needs for e in plan.entries})
    sorter.prepare()
    outcomes: dict[str, Outcome] = {}
    for entry in plan.entries:
        progress.state(entry.name, "queued")
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        running: dict[Future[Outcome], str] = {}
        while sorter.is_active():
            for name in sorter.get_ready():
                failed = [d for d in plan.entry(name).needs if not outcomes[d].ok]
                if failed:
                    outcomes[name] = _skip(name, failed, progress)
                    sorter.done(name)
                    continue
                future = pool.submit(_build_one, plan.entry(name), outcomes.copy(), run)
                running[future] = name
            if not running:
                continue
            for future in _wait_for_some(pool, running):
                name = running.pop(future)
                outcomes[name] = future.result()
                sorter.done(name)
    return [outcomes[entry.name] for entry in plan.entries]


def _wait_for_some(pool: ThreadPoolExecutor, running: dict[Future[Outcome], str]):
    try:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        terminate_all()
        raise
    return finished


def _build_one(entry: PlanEntry, done: dict[str, Outcome], run: Run) -> Outcome:
    progress = run.progress
    if entry.skip:
        # Not a failure: `build --all --python 3.11` simply has no cp311 torchvision to make.
        progress.finished(entry.name, "skipped", entry.skip)
        return Outcome(name=entry.name, ok=True, seconds=0.0, skipped=True)
    # A recipe's own build root (build.roots, requires.system) is made on first use: minutes.
    progress.state(entry.name, "environment", f"{entry.mode}; log: {run.environments.log}")
    try:
        root = entry.recipe.build.roots.get(entry.mode)
        env = run.environments.get(entry.mode, root, entry.system)
        host = _host_wheels(entry, done, run.plan, env.test.info.version)
    except RvwheelsError as exc:
        progress.finished(entry.name, "failed", exc.message.splitlines()[0])
        return Outcome(name=entry.name, ok=False, seconds=0.0, error=exc)
    if env.mode != run.options.mode:
        progress.info(f"{entry.name}: builds {env.mode}, as its recipe's build.modes say")
    job = BuildJob(
        recipe=entry.recipe,
        env=env,
        variant=entry.recipe.build.variant(entry.variant),
        host=host,
        own_projects=run.plan.own_projects,
        cache=run.options.cache,
        log=log_path(run.options.logs_dir, entry.name),
        jobs=max(1, (os.cpu_count() or 1) // run.options.jobs),  # compile jobs per package
        toolchain_dir=run.options.toolchain_dir,
    )
    key = build_key(job)

    def fresh() -> Outcome | None:
        current = None if run.options.force else up_to_date_wheel(entry.recipe, key, run.wheelhouse)
        if current is None:
            return None
        progress.finished(entry.name, "up to date", current.name)
        return Outcome(name=entry.name, ok=True, seconds=0.0, wheel=current, fresh=True)

    # A wheel already up to date here needs no work folder: another rvwheels building this
    # package for its own wheelhouse (OpenBLAS: 40 minutes) holds no one up (the wheelhouse
    # is read as it is published, by os.replace).
    if (outcome := fresh()) is not None:
        return outcome
    waiting = lambda: progress.state(entry.name, "waiting", "another rvwheels is building it")  # noqa: E731
    # Checked again under the lock: the process we waited for may have just built this wheel.
    with exclusive(run.options.work_dir / f"{entry.name}.lock", on_wait=waiting):
        return fresh() or _build_and_publish(job, run, key)


def _host_wheels(
    entry: PlanEntry, done: dict[str, Outcome], plan: Plan, version: str
) -> tuple[HostWheel, ...]:
    """The wheels of the recipes ``entry`` builds against, as this run built or found them."""
    hosts = []
    for name in entry.host:
        wheel = done[name].wheel
        if wheel is None:
            msg = (
                f"{entry.name} requires the recipe {name}, but there is no "
                f"cp{version.replace('.', '')} wheel of it; build it first: rvwheels build {name}"
            )
            raise EnvError(msg)
        hosts.append(HostWheel(recipe=plan.entry(name).recipe, wheel=wheel))
    return tuple(hosts)


def _build_and_publish(job: BuildJob, run: Run, key: str) -> Outcome:
    job.log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        built = build_package(job, progress=run.progress, run_tests_after=run.options.run_tests)
        run.progress.state(job.name, "publishing")
        published = run.wheelhouse.publish(built.wheel, {**built.record, "build_key": key})
    except RvwheelsError as exc:
        seconds = time.monotonic() - started
        run.progress.finished(job.name, "failed", f"{format_seconds(seconds)}; log: {job.log}")
        return Outcome(name=job.name, ok=False, seconds=seconds, error=exc, log=job.log)
    seconds = time.monotonic() - started
    run.progress.finished(job.name, "done", f"{published.name} in {format_seconds(seconds)}")
    return Outcome(name=job.name, ok=True, seconds=seconds, wheel=published, log=job.log)


def _skip(name: str, failed: list[str], progress: Progress) -> Outcome:
    progress.finished(name, "skipped", f"its dependency {', '.join(failed)} failed")
    return Outcome(name=name, ok=False, seconds=0.0, skipped=True)
