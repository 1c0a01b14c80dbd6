"""What the build benchmarks share: the project's sources on sys.path, running the CLI, reading
build records, the native x86_64 baseline build and peak memory."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))

from rvwheels.builder.fetching import BUILD_TOOLS  # noqa: E402
from rvwheels.builder.sourcetree import _unpack  # noqa: E402
from rvwheels.environment.executor import RootExecutor  # noqa: E402
from rvwheels.environment.roots import ensure_root, load_root_spec  # noqa: E402
from rvwheels.environment.sides import probe_python  # noqa: E402
from rvwheels.errors import CommandFailed, EnvError  # noqa: E402
from rvwheels.fetch import fetch_source, fetch_wheels, manylinux_platforms, read_build_requires  # noqa: E402
from rvwheels.recipe.spec import Recipe  # noqa: E402
from rvwheels.wheelhouse import Wheelhouse  # noqa: E402

NATIVE_ROOT = "native-x86_64"
NATIVE_ROOT_LIST = PROJECT / "toolchain" / "roots" / f"{NATIVE_ROOT}.toml"


def run_rvwheels(*args: str, env: dict[str, str] | None = None) -> float:
    """Run the CLI (its progress goes to our terminal); return the wall seconds."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rvwheels", *args], check=True, env={**os.environ, **(env or {})}
    )
    return time.monotonic() - started


def build_records(wheelhouse: Path) -> dict[str, dict]:
    """The build record of every wheel in the wheelhouse, by recipe name (with the Python,
    "numpy cp311", when the wheelhouse holds several Pythons' wheels of a recipe)."""
    house = Wheelhouse(wheelhouse)
    records = [r for wheel in house.wheels() if (r := house.record(wheel.name)) is not None]
    names = [r["name"] for r in records]
    return {
        r["name"] if names.count(r["name"]) == 1 else f"{r['name']} py{r['python']}": r
        for r in records
    }


def native_x86_64(recipe: Recipe, work: Path, log: Path, *, cache: Path) -> float:
    """pypa build of the recipe's sdist in the native amd64 root (same Debian, GCC and Python
    as the cross root, so a ratio compares build modes, not toolchains); the compile seconds."""
    ex = _native_executor(cache, work, log)
    missing = native_root_lacks(recipe, ex, log)
    if missing:
        msg = (
            f"the {NATIVE_ROOT} root cannot build {recipe.name}: it lacks {', '.join(missing)}; "
            f"add them to {NATIVE_ROOT_LIST}"
        )
        raise EnvError(msg)
    sdist = fetch_source(recipe, cache)
    _unpack(sdist, work / "src")
    info = probe_python(ex, "python3", log=log)
    requirements = [*BUILD_TOOLS, *read_build_requires(sdist)]
    fetch_wheels(
        requirements,
        cache / "wheels" / info.wheel_cache_key,
        python_version=info.version,
        platforms=manylinux_platforms("x86_64", info.glibc, (2, 5)),
        log=log,
    )
    ex.run(["python3", "-m", "venv", "/rvw/work/venv"], log=log)
    links = ["--no-index", "--find-links", f"/rvw/cache/{info.wheel_cache_key}"]
    ex.run(["/rvw/work/venv/bin/pip", "install", *links, *requirements], log=log)
    settings = [f"-C{k}={v}" for k, vs in recipe.build.config_settings.items() for v in vs]
    build = ["/rvw/work/venv/bin/python", "-m", "build", "--wheel", "--no-isolation"]
    started = time.monotonic()
    ex.run(
        [*build, "--outdir", "/rvw/work/dist", *settings, "/rvw/work/src"],
        env={"PATH": "/rvw/work/venv/bin:/usr/bin:/bin"},
        log=log,
    )
    return time.monotonic() - started


def native_root_lacks(recipe: Recipe, ex: RootExecutor, log: Path) -> list[str]:
    """The Debian packages (or tools) the recipe needs that the native root does not have."""
    missing = [] if not recipe.build.fortran or ex.which("gfortran") else ["gfortran"]
    for library in recipe.requires.libraries:
        try:
            ex.run(["pkg-config", "--exists", library.pkgconfig], log=log)
        except CommandFailed:
            missing.append(library.debian or library.name)
    return missing


def _native_executor(cache: Path, work: Path, log: Path) -> RootExecutor:
    root = ensure_root(load_root_spec(NATIVE_ROOT), cache, log=log)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (cache / "wheels").mkdir(parents=True, exist_ok=True)
    return RootExecutor(
        root=root, binds={work: "/rvw/work"}, ro_binds={cache / "wheels": "/rvw/cache"}
    )


def peak_rss_mib() -> float:
    """Peak RSS of the largest process this one has waited for, directly or not (a compiler,
    usually); ru_maxrss is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
