"""The proof that a lock works: install it, hashes required, into a fresh venv in the clean
riscv64 environment, offline, and import every distribution's top-level modules there."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

from rvwheels.appset.resolve import Pinned
from rvwheels.environment.sides import Side
from rvwheels.errors import CommandFailed, FetchError, WheelTestError
from rvwheels.fetch import fetch_file
from rvwheels.hashing import sha256_file
from rvwheels.recipe.spec import SourceSpec
from rvwheels.verify.wheeltest import make_test_venv, pip_install

TIMEOUT = 3600.0  # seconds for the install and the imports under qemu (torch's take minutes)
# Top-level names that are not an installed distribution's API.
NOT_MODULES = {"test", "tests", "testing", "docs", "examples", "benchmarks"}
IMPORT_ALL = """
import importlib, json, sys
failed = {}
for dist, modules in json.loads(sys.argv[1]).items():
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException as error:
            failed.setdefault(dist, []).append(f"{module}: {error!r}")
print(json.dumps(failed))
"""


def check_install(
    lock: Path,
    pinned: Sequence[Pinned],
    *,
    side: Side,
    wheelhouse: Path,
    cache: Path,
    work: Path,
    log: Path,
) -> int:
    """Install ``lock`` as pip would on the target and import everything; returns how many
    modules imported. Raises WheelTestError naming the distributions that failed."""
    wheels = [local_wheel(p, side=side, wheelhouse=wheelhouse, cache=cache) for p in pinned]
    venv = make_test_venv(side, work, log=log, timeout=TIMEOUT)
    requirements = ["--no-deps", "--require-hashes", "-r", side.executor.inside(lock)]
    modules = {p.name: top_level_modules(wheel) for p, wheel in zip(pinned, wheels, strict=True)}
    try:
        pip_install(
            venv,
            requirements,
            links=[side.wheels_dir, wheelhouse],
            index=None,
            log=log,
            timeout=TIMEOUT,
        )
        out = side.executor.run(
            [venv.python, "-c", IMPORT_ALL, json.dumps(modules)],
            cwd=venv.cwd,
            log=log,
            timeout=TIMEOUT,
            capture=True,
        )
    except CommandFailed as exc:
        msg = f"{lock.name}: the locked set does not install on riscv64; see {log}"
        raise WheelTestError(msg) from exc
    failed = json.loads(out.strip().splitlines()[-1])
    if failed:
        names = ", ".join(f"{dist} ({'; '.join(errors)})" for dist, errors in failed.items())
        msg = f"{lock.name}: installed on riscv64, but these do not import: {names}; see {log}"
        raise WheelTestError(msg)
    return sum(len(m) for m in modules.values())


def local_wheel(pinned: Pinned, *, side: Side, wheelhouse: Path, cache: Path) -> Path:
    """The pinned wheel where the test side sees it: in the wheelhouse, or copied (hash-checked,
    downloaded once) into the side's wheel folder."""
    local = pinned.local_file
    if local is not None and local.parent == wheelhouse:
        return local
    source = SourceSpec(url=pinned.url, sha256=pinned.sha256)
    target = side.wheels_dir / source.filename
    if target.is_file() and sha256_file(target) == pinned.sha256:
        return target
    if local is None:
        local = fetch_file(
            source, cache, name=pinned.name, stated_in=Path("the lock"), key="its --hash"
        )
    elif sha256_file(local) != pinned.sha256:
        msg = f"{local} changed since pip resolved it; run rvwheels build -r again"
        raise FetchError(msg)
    side.wheels_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(local, target)
    return target


def top_level_modules(wheel: Path) -> list[str]:
    """What ``import`` reaches of a wheel: top_level.txt when it has one, else the top-level
    packages and modules of its files; private names only when there is nothing else."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        listed = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if listed:
            found = archive.read(listed[0]).decode().split()
        else:
            found = [_module_of(n) for n in names]
    modules = sorted({m for m in found if m.isidentifier() and m not in NOT_MODULES})
    public = [m for m in modules if not m.startswith("_")]
    return public or modules


def _module_of(path: str) -> str:
    """ "yaml/__init__.py" -> "yaml"; "six.py" -> "six"; "_cffi_backend.cpython-313….so" ->
    "_cffi_backend"; metadata folders and other files -> ""."""
    first, _, rest = path.partition("/")
    if first.endswith((".dist-info", ".data")):
        return ""
    if rest:
        return first if first.isidentifier() else ""
    stem = first.split(".")[0]
    return stem if first.endswith((".py", ".so")) and stem.isidentifier() else ""
