"""Build benchmark for the whole stack: a cold build, a no-op build and scipy cross/native.

`rvwheels build --all` from a cold cache, the same command again (nothing left to do), and
scipy built natively for x86_64 from the same sdist.

    python benchmarks/build_stack.py                 # every recipe: about an hour on 2 cores
    python benchmarks/build_stack.py --only pillow   # one small recipe, to check the script
    python benchmarks/build_stack.py -r requirements/datascience.txt \
        --emulated-ratio contourpy orjson            # an app's set; C++ and Rust cross/emulated

Cold means a fresh cache (sources, PyPI wheels, work folders) and a fresh wheelhouse. The roots
are linked from the normal cache, as they are made once by `rvwheels setup`, not by a build;
--fresh-roots times making them too. Per-package seconds are read from the build records in the
wheelhouse (every phase, tests included). The cross/native ratio compares the compile step
alone (pypa build with the recipe's settings), as benchmarks/build_numpy.py does; with --only
it is measured for the first package named. Targets: cold <= 60 min, no-op <= 10 s,
scipy cross/native <= 1.3. Peak RSS is that of the largest process started (a compiler, usually).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from _common import PROJECT, build_records, native_x86_64, peak_rss_mib, run_rvwheels

from rvwheels.errors import EnvError
from rvwheels.paths import cache_dir
from rvwheels.recipe.loader import find_recipe
from rvwheels.wheelhouse import Wheelhouse

COLD_TARGET_MIN = 60
NOOP_TARGET_S = 10
RATIO_TARGET = 1.3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="RECIPE", help="build these, not --all")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="rvwheels build --jobs")
    parser.add_argument("--no-test", action="store_true", help="skip the recipe tests")
    parser.add_argument("--fresh-roots", action="store_true", help="make the roots too (slow)")
    parser.add_argument("--ratio-for", metavar="RECIPE", help="native comparison (default scipy)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--python", metavar="VERSIONS", help="rvwheels build --python, e.g. 3.11")
    parser.add_argument("-r", metavar="REQUIREMENTS", help="rvwheels build -r this file instead")
    parser.add_argument(
        "--emulated-ratio",
        nargs="*",
        default=[],
        metavar="RECIPE",
        help="also build these fully emulated (no tests) and print cross/emulated build seconds",
    )
    return parser.parse_args()


def fresh_cache(tmp: Path, *, with_roots: bool) -> Path:
    cache = tmp / "cache"
    cache.mkdir(parents=True)
    if not with_roots:
        # Roots and toolchain-built CPythons are the environment, not what is measured.
        for folder in ("roots", "pythons"):
            (cache_dir() / folder).mkdir(parents=True, exist_ok=True)
            (cache / folder).symlink_to(cache_dir() / folder, target_is_directory=True)
    return cache


def print_packages(records: dict[str, dict]) -> None:
    print(f"{'package':<14} {'version':<10} {'build s':>8} {'test s':>8} {'total s':>8}")
    for name, record in sorted(records.items()):
        seconds = record["seconds"]
        print(
            f"{name:<14} {record['package_version']:<10} {seconds.get('building', 0):>8.0f} "
            f"{seconds.get('testing', 0):>8.0f} {sum(seconds.values()):>8.0f}"
        )


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def native_ratio(name: str, records: dict[str, dict], tmp: Path, cache: Path) -> str:
    """One line: cross and native compile seconds and their ratio, or why it is not measured."""
    recipe = find_recipe(name, PROJECT / "recipes")
    if recipe.name not in records:
        return f"{recipe.name} cross/native: not measured: it was not built in this run"
    cross = records[recipe.name]["seconds"]["building"]
    try:
        native = native_x86_64(recipe, tmp / "native", tmp / "native.log", cache=cache)
    except EnvError as exc:
        return f"{recipe.name} cross/native: not measured: {exc}"
    ratio = cross / native
    return (
        f"{recipe.name} compile: cross {cross:.0f} s, native x86_64 {native:.0f} s, "
        f"ratio {ratio:.2f}   (target <= {RATIO_TARGET}: {verdict(ratio <= RATIO_TARGET)})"
    )


def emulated_ratio(name: str, records: dict[str, dict], tmp: Path, env: dict) -> str:
    """One line: the recipe's build seconds cross (this run) and fully emulated (built again
    under qemu-user, as cibuildwheel would on x86_64, without tests), and their ratio."""
    if name not in records:
        return f"{name} cross/emulated: not measured: it was not built in this run"
    wheelhouse = tmp / "emulated"
    argv = ["build", name, "--mode", "emulated", "--no-test", "--force"]
    argv += [
        "--wheelhouse",
        str(wheelhouse),
        "--recipes",
        str(Path(records[name]["recipe"]).parent),
    ]
    try:
        run_rvwheels(*argv, env=env)
    except subprocess.CalledProcessError:
        return f"{name} cross/emulated: not measured: the emulated build failed"
    cross = records[name]["seconds"]["building"]
    emulated = build_records(wheelhouse)[name]["seconds"]["building"]
    return (
        f"{name} build: cross {cross:.0f} s, emulated {emulated:.0f} s, "
        f"cross/emulated {cross / emulated:.2f} (emulated is {emulated / cross:.1f}x slower)"
    )


def report(command: str, records: dict, cold: float, noop: float, unchanged: bool) -> None:
    print(f"\nrvwheels {command}: {os.cpu_count()} cores; per-package seconds from build records")
    print_packages(records)
    print(
        f"cold build:   {cold:7.0f} s = {cold / 60:.1f} min   "
        f"(target <= {COLD_TARGET_MIN} min: {verdict(cold <= COLD_TARGET_MIN * 60)})"
    )
    print(
        f"no-op build:  {noop:7.1f} s   (target <= {NOOP_TARGET_S} s: "
        f"{verdict(noop <= NOOP_TARGET_S)}; wheelhouse {'unchanged' if unchanged else 'CHANGED'})"
    )


def main() -> None:
    opts = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rvw-stack-bench-"))
    cache = fresh_cache(tmp, with_roots=opts.fresh_roots)
    wheelhouse = tmp / "wheelhouse"
    wanted = ["-r", str(Path(opts.r).absolute())] if opts.r else (opts.only or ["--all"])
    command = ["build", *wanted, "--jobs", str(opts.jobs)]
    command += ["--no-test"] if opts.no_test else []
    command += ["--python", opts.python] if opts.python else []
    argv = [*command, "--wheelhouse", str(wheelhouse)]
    env = {"RVWHEELS_CACHE": str(cache)}
    print(f"cold cache: {cache}" + ("" if opts.fresh_roots else " (roots linked)"), flush=True)
    cold = run_rvwheels(*argv, env=env)
    records = build_records(wheelhouse)
    before = Wheelhouse(wheelhouse).snapshot()
    noop = run_rvwheels(*argv, env=env)
    unchanged = Wheelhouse(wheelhouse).snapshot() == before
    ratio_for = opts.ratio_for or (opts.only[0] if opts.only else "scipy")
    ratio_line = native_ratio(ratio_for, records, tmp, cache)
    emulated_lines = [emulated_ratio(name, records, tmp, env) for name in opts.emulated_ratio]
    report(" ".join(command), records, cold, noop, unchanged)
    print(ratio_line)
    print(*emulated_lines, sep="\n")
    print(f"peak RSS of any child process: {peak_rss_mib():.0f} MiB")
    if opts.keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
