"""Build benchmark: the same numpy sdist built natively for x86_64, cross for riscv64, and
(with --emulated) fully emulated for riscv64 — in one run, on one machine — and the ratios.

    python benchmarks/build_numpy.py              # native + cross (~10 min on 2 cores)
    python benchmarks/build_numpy.py --emulated   # + emulated (~40 min more)

Targets: emulated/cross >= 8, cross/native <= 1.3. "build" is the compile step alone (pypa build
with the same Meson options); "total" is the whole `rvwheels build` including venv, repair and
(with --test) tests. Peak RSS is that of the largest child process (a compiler, usually).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from _common import PROJECT, build_records, native_x86_64, peak_rss_mib, run_rvwheels

from rvwheels.paths import cache_dir
from rvwheels.recipe.loader import find_recipe


def rvwheels_build(mode: str, wheelhouse: Path, *, test: bool) -> tuple[float, float, str]:
    """(compile seconds from the build record, total wall seconds, wheel name)."""
    argv = ["build", "numpy", "--mode", mode, "--wheelhouse", str(wheelhouse)]
    total = run_rvwheels(*argv, *([] if test else ["--no-test"]))
    record = build_records(wheelhouse)["numpy"]
    return record["seconds"]["building"], total, record["wheel"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulated", action="store_true", help="also build fully emulated (slow)")
    parser.add_argument("--test", action="store_true", help="run the recipe tests after build")
    opts = parser.parse_args()
    recipe = find_recipe("numpy", PROJECT / "recipes")
    tmp = Path(tempfile.mkdtemp(prefix="rvw-bench-"))
    rows: dict[str, tuple[float, float, str]] = {}
    native = native_x86_64(recipe, tmp / "native", tmp / "native.log", cache=cache_dir())
    rows["native x86_64"] = (native, native, "numpy (x86_64, not repaired)")
    rows["cross riscv64"] = rvwheels_build("cross", tmp / "wh-cross", test=opts.test)
    if opts.emulated:
        rows["emulated riscv64"] = rvwheels_build("emulated", tmp / "wh-emulated", test=opts.test)
    print(
        f"\nnumpy {recipe.version} sdist, {len(rows)} builds on this machine "
        f"({os.cpu_count()} cores)"
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
    print(f"peak RSS of any child process: {peak_rss_mib():.0f} MiB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
