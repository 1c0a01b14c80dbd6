"""Native mode: build on this riscv64 machine with its own compilers and Python.

Prefixes searched for libraries and .pc files come from the options ($RVWHEELS_PREFIXES); the
Fortran compiler from $FC (default gfortran), as Meson reads it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rvwheels.environment.distro import detect_distro
from rvwheels.environment.executor import HostExecutor
from rvwheels.environment.pkgconfig import discover_layout
from rvwheels.environment.sides import BuildEnvironment, Side, fingerprint, probe_python
from rvwheels.environment.target import load_target
from rvwheels.errors import ConfigurationError, EnvError
from rvwheels.options import BuildOptions
from rvwheels.recipe.spec import NO_SYSTEM, SystemSpec


def prepare(
    options: BuildOptions,
    *,
    log: Path,
    python: str | None = None,
    build_root: str | None = None,
    system: SystemSpec = NO_SYSTEM,
) -> BuildEnvironment:
    """``build_root`` and ``system`` are ignored: a native build uses this machine as it is
    (a missing library is reported by the build's checks, with the distribution's command)."""
    target = load_target(toolchain_dir=options.toolchain_dir)
    machine = os.uname().machine
    if machine != target.machine:
        msg = (
            f"native mode builds for this machine ({machine}), not {target.machine}; "
            "use --mode cross (or emulated) on an x86_64 host"
        )
        raise ConfigurationError(msg)
    side = test_side(options, log=log, python=python)
    executor, info = side.executor, side.info
    layout = discover_layout(executor, options.prefixes, target.triplet)
    distro = detect_distro(Path("/etc/os-release"), options.toolchain_dir)
    machine_parts = (layout, distro, target, os.environ.get("CC"), os.environ.get("FC"))
    return BuildEnvironment(
        mode="native",
        build=side,
        test=side,
        work_dir=options.work_dir,
        wheelhouse=options.wheelhouse,
        layout=layout,
        distro=distro,
        c_compiler=os.environ.get("CC", "gcc"),
        fortran_compiler=os.environ.get("FC", "gfortran"),
        build_machine_c_compiler=os.environ.get("CC", "gcc"),
        hints={role: distro.install_command(distro.package(role)) for role in ("c", "fortran")},
        backend_env={},
        cross_file_args=None,
        fingerprint=fingerprint("native", info, *machine_parts),
        machine_fingerprint=fingerprint("native", *machine_parts),
        description=f"native: {distro.pretty_name}, Python {info.full}",
    )


def test_side(options: BuildOptions, *, log: Path, python: str | None = None) -> Side:
    """This machine's Python: the one running rvwheels, or ``python<version>`` from PATH
    (openEuler's python3.11) when a version is asked for."""
    executor = HostExecutor()
    interpreter = sys.executable if python is None else executor.which(f"python{python}")
    if interpreter is None:
        msg = (
            f"--python {python}: no python{python} on PATH; install it (dnf install python{python})"
        )
        raise EnvError(msg)
    info = probe_python(executor, interpreter, log=log)
    return Side(
        executor=executor,
        python=interpreter,
        info=info,
        wheels_dir=options.cache / "wheels" / info.wheel_cache_key,
        pip_platforms=None,
    )
