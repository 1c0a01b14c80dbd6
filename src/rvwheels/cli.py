"""The command line. Commands are thin: they resolve options and call library code. This is
the only place that turns an RvwheelsError into a message and an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rvwheels import __version__
from rvwheels.errors import ConfigurationError, RvwheelsError
from rvwheels.options import BuildOptions, resolve_options
from rvwheels.recipe.spec import MODES

recipes_option = click.option(
    "--recipes",
    "recipes_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of recipe files (default: the project's recipes/).",
)
mode_option = click.option(
    "--mode",
    type=click.Choice(MODES),
    help="cross (default on x86_64), emulated (all under qemu-user), native (on riscv64).",
)
wheelhouse_option = click.option(
    "--wheelhouse",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder with the PEP 503 index (default: the project's wheelhouse/).",
)


@click.group()
@click.version_option(__version__, prog_name="rvwheels")
def cli() -> None:
    """Build, repair, test and publish riscv64 wheels of the scientific Python stack."""


@cli.command()
@click.argument("packages", nargs=-1)
@click.option("--all", "build_all_recipes", is_flag=True, help="Build every recipe.")
@click.option(
    "-r",
    "--requirement",
    "requirements_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An app's requirements file: build what PyPI lacks for riscv64, then lock the set.",
)
@mode_option
@wheelhouse_option
@click.option("--jobs", "-j", default=1, show_default=True, help="Packages built at once.")
@click.option("--no-test", is_flag=True, help="Skip the tests after build (not recommended).")
@click.option("--force", is_flag=True, help="Rebuild even if the wheelhouse is up to date.")
@click.option(
    "--python",
    "pythons",
    metavar="VERSIONS",
    help="Target Pythons, e.g. 3.11,3.13: one wheel per version (default: the roots' 3.13).",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="RECIPE=VARIANT",
    help="Pick a recipe's build variant, e.g. openblas=C910V (see 'rvwheels show RECIPE').",
)
@recipes_option
def build(
    packages,
    build_all_recipes,
    requirements_file,
    mode,
    wheelhouse,
    jobs,
    no_test,
    force,
    pythons,
    variants,
    recipes_dir,
) -> None:
    """Build PACKAGES (and the recipes they need) into the wheelhouse; or, with -r, every
    distribution of a requirements file that has no riscv64 wheel, and a lock of the set."""
    from rvwheels.commands import run_build, run_requirement_set

    options = resolve_options(
        mode=mode,
        wheelhouse=wheelhouse,
        jobs=jobs,
        recipes_dir=recipes_dir,
        run_tests=not no_test,
        force=force,
        pythons=pythons,
        variants=variants,
    )
    if requirements_file is not None and (packages or build_all_recipes):
        msg = "-r builds a requirements file: name no packages and no --all with it"
        raise ConfigurationError(msg)
    if requirements_file is not None:
        ok = run_requirement_set(options, requirements_file)
    else:
        ok = run_build(options, list(packages), all_recipes=build_all_recipes)
    if not ok:
        sys.exit(1)


@cli.command()
@click.argument("spec", metavar="NAME[==VERSION]")
@recipes_option
@click.option("--force", is_flag=True, help="Replace the recipe if it exists.")
def new(spec, recipes_dir, force) -> None:
    """Draft recipes/NAME.toml from PyPI's JSON API and the sdist (or say none is needed)."""
    from rvwheels.commands import draft_new_recipe

    draft_new_recipe(_options(recipes_dir=recipes_dir), spec, force=force)


@cli.command("list")
@recipes_option
def list_recipes(recipes_dir) -> None:
    """List the recipes."""
    from rvwheels.commands import print_recipe_list

    print_recipe_list(_options(recipes_dir=recipes_dir))


@cli.command()
@click.argument("package")
@recipes_option
@click.option("--python", metavar="VERSION", help="Apply its overrides for this Python (3.13).")
def show(package, recipes_dir, python) -> None:
    """Show a recipe as rvwheels understood it."""
    from rvwheels.commands import print_recipe

    print_recipe(_options(recipes_dir=recipes_dir), package, python)


@cli.command()
@mode_option
def doctor(mode) -> None:
    """Check every piece of the build environment; print the fix for what is missing."""
    from rvwheels.doctor import run_checks

    checks = run_checks(_options(mode=mode))
    for check in checks:
        click.echo(check.line())
    if not all(c.ok for c in checks):
        sys.exit(5)


@cli.command()
@wheelhouse_option
@mode_option
@click.option(
    "--model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A real big-lama (best.ckpt, big-lama.pt or .npz) instead of the tiny one.",
)
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mask", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--threads", default=2, show_default=True, help="Threads for LaMa inference.")
@click.option(
    "--bench",
    is_flag=True,
    help="Instead of the tests: sgemm GFLOP/s per OpenBLAS kernel set and big-lama seconds "
    "(marked as emulated when they run under qemu).",
)
@click.option(
    "--bench-sizes",
    metavar="WxH,...",
    help="Images for --bench's LaMa timing (default 512x512,908x605).",
)
@click.option(
    "--python",
    "python",
    metavar="VERSION",
    help="Verify the wheels of this target Python, e.g. 3.11 (default: the roots' 3.13).",
)
@recipes_option
def verify(
    wheelhouse, mode, model, image, mask, threads, bench, bench_sizes, python, recipes_dir
) -> None:
    """Install the wheelhouse into a fresh riscv64 venv, run each wheel's recipe tests and a
    LaMa inference on them, and report."""
    from rvwheels.errors import ConfigurationError
    from rvwheels.progress import Progress
    from rvwheels.verify import print_report
    from rvwheels.verify import verify as run_verify

    if model is not None and (image is None or mask is None):
        msg = "--model needs --image and --mask (a real photo and its mask)"
        raise ConfigurationError(msg)
    progress = Progress()
    try:
        report = run_verify(
            _options(wheelhouse=wheelhouse, mode=mode, recipes_dir=recipes_dir, pythons=python),
            model=model,
            image=image,
            mask=mask,
            threads=threads,
            progress=progress,
            bench=_bench_args(bench, bench_sizes),
        )
    finally:
        progress.close()
    print_report(report)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.option("--no-roots", is_flag=True, help="Only host packages and binfmt, no Debian roots.")
def setup(no_roots) -> None:
    """Install what this host lacks (qemu-user, mmdebstrap, bubblewrap), register the riscv64
    binfmt handler and make the Debian roots. Safe to run again."""
    from rvwheels.commands import run_setup

    run_setup(_options(), with_roots=not no_roots)


@cli.command()
@click.argument("packages", nargs=-1)
@click.option("--all", "all_recipes", is_flag=True, help="Plan every recipe.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for a CI matrix).")
@recipes_option
def plan(packages, all_recipes, as_json, recipes_dir) -> None:
    """Print the build levels: each level needs only recipes of earlier levels."""
    from rvwheels.commands import print_plan

    print_plan(
        _options(recipes_dir=recipes_dir), list(packages), all_recipes=all_recipes, as_json=as_json
    )


@cli.command()
@click.argument(
    "sources",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@wheelhouse_option
def merge(sources, wheelhouse) -> None:
    """Merge other wheelhouses (e.g. CI jobs' artifacts) into one, with one index."""
    from rvwheels.commands import merge_wheelhouses

    merge_wheelhouses(_options(wheelhouse=wheelhouse), list(sources))


def _bench_args(bench: bool, sizes: str | None) -> list[str] | None:
    """--bench's arguments for the runtime's benchmark, or None without --bench."""
    if not bench:
        if sizes:
            msg = "--bench-sizes goes with --bench"
            raise click.UsageError(msg)
        return None
    return ["--sizes", *sizes.split(",")] if sizes else []


def _options(**kwargs) -> BuildOptions:
    defaults = {"mode": None, "wheelhouse": None, "jobs": 1, "recipes_dir": None}
    return resolve_options(**{**defaults, **kwargs})


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted; the wheelhouse was left as it was", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RvwheelsError as exc:
        click.echo(f"error: {exc.message.splitlines()[0]}", err=True)
        sys.exit(exc.exit_code)
