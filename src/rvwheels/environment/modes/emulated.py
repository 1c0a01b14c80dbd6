"""Emulated mode: the whole build runs inside a riscv64 root under qemu-user, as cibuildwheel
does. It needs no cross toolchain and is the slow baseline the benchmark compares against."""

from __future__ import annotations

from pathlib import Path

from rvwheels.environment.distro import detect_distro
from rvwheels.environment.modes._roots import root_sides, roots_fingerprint, target_side_only
from rvwheels.environment.pkgconfig import discover_layout
from rvwheels.environment.sides import BuildEnvironment
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
    sides = root_sides(
        options,
        log=log,
        python=python,
        build_root=build_root or "target-dev",
        packages=(*system.build, *system.target),  # a riscv64 root: one architecture
    )
    target, build, test = sides.target, sides.build, sides.test
    distro = detect_distro(build.executor.host_path("/etc/os-release"), options.toolchain_dir)
    return BuildEnvironment(
        mode="emulated",
        build=build,
        test=test,
        work_dir=options.work_dir,
        wheelhouse=options.wheelhouse,
        layout=discover_layout(build.executor, ["/usr"], target.triplet),
        distro=distro,
        c_compiler="gcc",
        fortran_compiler="gfortran",
        build_machine_c_compiler="gcc",
        hints={role: distro.install_command(distro.package(role)) for role in ("c", "fortran")},
        backend_env={},
        cross_file_args=None,
        fingerprint=roots_fingerprint("emulated", build, test, target),
        machine_fingerprint=roots_fingerprint("emulated", build, test, target, with_pythons=False),
        description=f"emulated: gcc under qemu-user in {distro.pretty_name}, "
        f"Python {build.info.full}",
    )


# verify needs only the clean target root.
test_side = target_side_only
