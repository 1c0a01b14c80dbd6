"""What the CLI commands do, as plain functions over resolved options."""

from __future__ import annotations

import dataclasses
import json
import time

import click

from rvwheels.errors import ConfigurationError
from rvwheels.options import BuildOptions
from rvwheels.progress import Progress, format_seconds, log_path
from rvwheels.recipe.loader import find_recipe, load_recipes
from rvwheels.run import log_tail

SUMMARY_TAIL = 15  # lines of a failed build's log shown after the summary


def run_build(options: BuildOptions, packages: list[str], *, all_recipes: bool) -> bool:
    from rvwheels.environment.modes import Environments, target_pythons
    from rvwheels.pipeline.plan import resolve_plan
    from rvwheels.pipeline.scheduler import run_plan

    # Every plan first: a bad name or a malformed recipe fails before any slow work.
    plans = [
        resolve_plan(options, packages, python=python, all_recipes=all_recipes)
        for python in target_pythons(options)
    ]
    progress = Progress()
    started = time.monotonic()
    outcomes = []
    try:
        env_log = log_path(options.logs_dir, "_environment")
        for plan in plans:
            progress.info(f"preparing the {options.mode} environment (log: {env_log})")
            environments = Environments(options, python=plan.python, log=env_log)
            env = environments.default()
            progress.info(
                f"{env.description}; building {', '.join(plan.order)} with {options.jobs} job(s)"
            )
            outcomes += run_plan(plan, environments, options, progress)
    finally:
        progress.close()
    print_summary(outcomes, options, time.monotonic() - started)
    return all(o.ok for o in outcomes)


def run_requirement_set(options: BuildOptions, requirements_file) -> bool:
    from rvwheels.appset.command import build_requirement_set

    def build_recipes(options: BuildOptions, names: list[str]) -> bool:
        return run_build(options, names, all_recipes=False)

    outcomes = build_requirement_set(options, requirements_file, build_recipes)
    for outcome in outcomes:
        if outcome.lock is None:
            click.echo(f"Python {outcome.python}: building {outcome.built[-1]} failed", err=True)
            continue
        built = ", ".join(outcome.built) or "nothing (PyPI and the wheelhouse had it all)"
        click.echo(f"Python {outcome.python}: built {built}; lock: {outcome.lock}", err=True)
        for draft in outcome.drafted:
            click.echo(
                f"drafted recipe that builds: {draft}; keep it: cp {draft} {options.recipes_dir}/",
                err=True,
            )
    return all(outcome.lock is not None for outcome in outcomes)


def print_summary(outcomes: list, options: BuildOptions, seconds: float) -> None:
    """One line per package, the failed builds' log tails, then each error's one line."""
    click.echo(f"\n{'package':<24} {'result':<8} {'time':>8}  wheel / error", err=True)
    for o in outcomes:
        result = "skipped" if o.skipped else ("fresh" if o.fresh else "ok") if o.ok else "FAILED"
        what = o.wheel.name if o.wheel else (o.error.message.splitlines()[0] if o.error else "")
        click.echo(f"{o.name:<24} {result:<8} {format_seconds(o.seconds):>8}  {what}", err=True)
    for o in outcomes:
        if o.error is not None and o.log is not None:
            click.echo(
                f"\n--- {o.name}: last lines of {o.log} ---\n{log_tail(o.log, SUMMARY_TAIL)}",
                err=True,
            )
    click.echo(f"total {format_seconds(seconds)}; wheelhouse: {options.wheelhouse}", err=True)
    for o in outcomes:
        if not o.ok and o.error is not None:
            click.echo(f"error: {o.error.message.splitlines()[0]}", err=True)


def print_recipe_list(options: BuildOptions) -> None:
    recipes = load_recipes(options.recipes_dir)
    for name, r in sorted(recipes.items()):
        extras = ["fortran"] if r.build.fortran else []
        extras += [f"builds against {', '.join(r.requires.host)}"] if r.requires.host else []
        click.echo(f"{name:<24} {r.version:<12} {r.build.backend:<14} {' '.join(extras)}")


def print_plan(
    options: BuildOptions, packages: list[str], *, all_recipes: bool, as_json: bool
) -> None:
    from rvwheels.pipeline.plan import NOTHING_ASKED
    from rvwheels.recipe.graph import build_levels, check_override_graphs

    recipes = load_recipes(options.recipes_dir)
    requested = sorted(recipes) if all_recipes else packages
    if not requested:
        raise ConfigurationError(NOTHING_ASKED)
    # The levels are those of the recipes without overrides; an override may add a
    # requirement, so every Python an override names gets its graph checked too.
    check_override_graphs(recipes, options.recipes_dir)
    levels = build_levels(requested, recipes)
    if as_json:
        click.echo(json.dumps({"version": 1, "levels": levels}))
        return
    for number, level in enumerate(levels):
        click.echo(f"level {number}: {' '.join(level)}")


def merge_wheelhouses(options: BuildOptions, sources: list) -> None:
    from rvwheels.wheelhouse import Wheelhouse

    target = Wheelhouse(options.wheelhouse)
    for source in sources:
        merged = target.merge(source)
        click.echo(f"merged {len(merged)} wheel(s) from {source}", err=True)
    click.echo(f"wheelhouse {options.wheelhouse}: {len(target.wheels())} wheel(s)", err=True)


def print_recipe(options: BuildOptions, name: str, python: str | None = None) -> None:
    recipe = find_recipe(name, options.recipes_dir, python)
    click.echo(json.dumps(dataclasses.asdict(recipe), indent=2, default=str))


def run_setup(options: BuildOptions, *, with_roots: bool) -> None:
    import os

    from rvwheels.environment.host import (
        install_apt_packages,
        load_host_spec,
        missing_apt_packages,
        register_binfmt,
    )
    from rvwheels.environment.roots import ensure_root, is_ready, load_root_spec

    progress = Progress()
    log = log_path(options.logs_dir, "_setup")
    progress.info(f"setup log: {log}")
    if os.uname().machine == "riscv64":
        progress.info(
            "this is a riscv64 machine: native mode needs no qemu or roots; "
            "'rvwheels doctor' checks its compilers and libraries"
        )
        return
    spec = load_host_spec(options.toolchain_dir)
    missing = missing_apt_packages(spec.apt, log=log)
    progress.info(
        f"host packages: {'installing ' + ' '.join(missing) if missing else 'all present'}"
    )
    install_apt_packages(missing, log=log)
    register_binfmt(spec, log=log)
    progress.info("binfmt riscv64: registered")
    if not with_roots:
        return
    for name in spec.roots:
        root = load_root_spec(name, options.toolchain_dir)
        if is_ready(root, options.cache):
            progress.info(f"root {name}: cached")
            continue
        progress.state(f"root {name}", "making", f"mmdebstrap {root.suite}; log: {log}")
        started = time.monotonic()
        ensure_root(root, options.cache, log=log)
        progress.finished(f"root {name}", "ready", format_seconds(time.monotonic() - started))
    progress.close()


def draft_new_recipe(options: BuildOptions, spec: str, *, force: bool) -> None:
    from rvwheels.drafting.command import draft_recipe

    drafted = draft_recipe(
        spec,
        recipes_dir=options.recipes_dir,
        toolchain_dir=options.toolchain_dir,
        cache=options.cache,
        force=force,
    )
    for note in drafted.notes:
        click.echo(f"{drafted.name}: {note}", err=True)
    if drafted.recipe is None:
        click.echo(f"{drafted.name} {drafted.version} needs no recipe", err=True)
        return
    click.echo(f"wrote {drafted.recipe}; next: rvwheels build {drafted.name}", err=True)
