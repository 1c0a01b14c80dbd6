"""Build benchmark: the same numpy sdist built natively for x86_64, cross for riscv64, and
(with --emulated) fully emulated for riscv64 — in one run, on one machine — and the ratios.

    python benchmarks/build_numpy.py              # native + cross (~10 min on 2 cores)
    python benchmarks/build_numpy.py --emulated   # + emulated (~40 min more)

Targets: emulated/cross >= 8, cross/native <= 1.3. "build" is the compile step alone (pypa build
with the same Meson options); "total" is the whole `rvwheels build` including venv, repair and
(unless --no-test) tests. Peak RSS is that of the largest child process (a compiler, usually).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))

from rvwheels.build.environment import probe_python  # noqa: E402
from rvwheels.build.package import BUILD_TOOLS, _unpack  # noqa: E402
from rvwheels.environment.executor import RootExecutor  # noqa: E402
from rvwheels.environment.roots import ensure_root, load_root_spec  # noqa: E402
from rvwheels.fetch import fetch_source, fetch_wheels, manylinux_platforms, read_build_requires  # noqa: E402
from rvwheels.paths import cache_dir  # noqa: E402
from rvwheels.recipe.loader import find_recipe  # noqa: E402


def native_x86_64(recipe, work: Path, log: Path) -> float:
    """pypa build of the sdist in a native amd64 root: same Debian, GCC and Python."""
    cache = cache_dir()
    root = ensure_root(load_root_spec("native-x86_64"), cache, log=log)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sdist = fetch_source(recipe, cache)
    _unpack(sdist, work / "src")
    wheels = cache / "wheels"
    ex = RootExecutor(root=root, binds={work: "/rvw/work"}, ro_binds={wheels: "/rvw/cache"})
    info = probe_python(ex, "python3", log=log)
    requirements = [*BUILD_TOOLS, *read_build_requires(sdist)]
    fetch_wheels(
        requirements,
        wheels / info.wheel_cache_key,
        python_version=info.version,
        platforms=manylinux_platforms("x86_64", info.glibc, (2, 5)),
        log=log,
    )
    ex.run(["python3", "-m", "venv", "/rvw/work/venv"], log=log)
    ex.run(
        [
            "/rvw/work/venv/bin/pip",
            "install",
            "--no-index",
            "--find-links",
            f"/rvw/cache/{info.wheel_cache_key}",
            *requirements,
        ],
        log=log,
    )
    args = [f"-C{k}={v}" for k, vs in recipe.build.config_settings.items() for v in vs]
    started = time.monotonic()
    ex.run(
        [
            "/rvw/work/venv/bin/python",
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            "/rvw/work/dist",
            *args,
            "/rvw/work/src",
        ],
        env={"PATH": "/rvw/work/venv/bin:/usr/bin:/bin"},
        log=log,
    )
    return time.monotonic() - started


def rvwheels_build(mode: str, wheelhouse: Path, *, test: bool) -> tuple[float, float, str]:
    """(compile seconds from the build record, total wall seconds, wheel name)."""
    argv = [
        sys.executable,
        "-m",
        "rvwheels",
        "build",
        "numpy",
        "--mode",
        mode,
        "--wheelhouse",
        str(wheelhouse),
    ] + ([] if test else ["--no-test"])
    started = time.monotonic()
    subprocess.run(argv, check=True)
    total = time.monotonic() - started
    (record_path,) = (wheelhouse / "records").glob("numpy-*.json")
    record = json.loads(record_path.read_text())
    return record["seconds"]["building"], total, record["wheel"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulated", action="store_true", help="also build fully emulated (slow)")
    parser.add_argument("--test", action="store_true", help="run the recipe tests after build")
    opts = parser.parse_args()
    recipe = find_recipe("numpy", PROJECT / "recipes")
    tmp = Path(tempfile.mkdtemp(prefix="rvw-bench-"))
    rows: dict[str, tuple[float, float, str]] = {}
    native = native_x86_64(recipe, tmp / "native", tmp / "native.log")
    rows["native x86_64"] = (native, native, "numpy (x86_64, not repaired)")
    rows["cross riscv64"] = rvwheels_build("cross", tmp / "wh-cross", test=opts.test)
    if opts.emulated:
        rows["emulated riscv64"] = rvwheels_build("emulated", tmp / "wh-emulated", test=opts.test)
    print(
        f"\nnumpy {recipe.version} sdist, {len(rows)} builds on this machine "
        f"({__import__('os').cpu_count()} cores)"
    )
    print(f"{'build':<18} {'compile s':>10} {'total s':>9}  wheel")
    for name, (build, total, wheel) in rows.items():
        print(f"{name:<18} {build:>10.0f} {total:>9.0f}  {wheel}")
    cross = rows["cross riscv64"][0]
    print(f"ratio cross/native    = {cross / native:.2f}   (target <= 1.3)")
    if "emulated riscv64" in rows:
        print(f"ratio emulated/cross  = {rows['emulated riscv64'][0] / cross:.1f}   (target >= 8)")
    else:
        print("ratio emulated/cross  = not measured (run with --emulated; ~40 min)")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of any child process: {peak:.0f} MiB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
