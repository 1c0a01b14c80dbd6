"""Cross mode: Debian's x86_64→riscv64 cross compilers in an amd64 root with riscv64 multiarch.

The build Python is the root's amd64 python3; ``_PYTHON_SYSCONFIGDATA_NAME`` and
``_PYTHON_HOST_PLATFORM`` make it report the riscv64 target's extension suffix and platform tag.
"""

from __future__ import annotations

from pathlib import Path

from rvwheels.environment.distro import detect_distro
from rvwheels.environment.modes._roots import root_sides, roots_fingerprint, target_side_only
from rvwheels.environment.pkgconfig import Layout
from rvwheels.environment.pythons import BUILD_MACHINE, BuiltPython
from rvwheels.environment.sides import BuildEnvironment
from rvwheels.environment.target import Target, load_target
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
    target = load_target(toolchain_dir=options.toolchain_dir)
    sides = root_sides(
        options,
        log=log,
        python=python,
        build_root=build_root or "cross",
        build_machine=BUILD_MACHINE,
        with_qemu=True,
        # In the multiarch root the target's libraries are the foreign architecture's.
        packages=(*system.build, *(f"{p}:{target.machine}" for p in system.target)),
    )
    target, built, build, test = sides.target, sides.built, sides.build, sides.test
    cross = target.cross
    distro = detect_distro(build.executor.host_path("/etc/os-release"), options.toolchain_dir)
    env = BuildEnvironment(
        mode="cross",
        build=build,
        test=test,
        work_dir=options.work_dir,
        wheelhouse=options.wheelhouse,
        layout=target_layout(target),
        distro=distro,
        c_compiler=cross.binaries["c"],
        fortran_compiler=cross.binaries["fortran"],
        build_machine_c_compiler="gcc",
        hints={
            role: f"run 'rvwheels setup'; the cross root's list (toolchain/roots/cross.toml) "
            f"must include {distro.package('cross-' + role)}"
            for role in ("c", "fortran")
        },
        backend_env={
            "_PYTHON_HOST_PLATFORM": cross.python_host_platform,
            "_PYTHON_SYSCONFIGDATA_NAME": cross.sysconfigdata,
            **cross.env,
            # PyO3 (maturin) reads the target Python from its _sysconfigdata's folder.
            "PYO3_CROSS_PYTHON_VERSION": test.info.version,
            "PYO3_CROSS_LIB_DIR": f"/usr/lib/python{test.info.version}",
            **({} if built is None else _target_sysconfig(built)),
        },
        cross_file_args={
            "target": target,
            "exe_wrapper": [target.qemu_in_root, "-L", "/"],
        },
        fingerprint=roots_fingerprint("cross", build, test, target),
        machine_fingerprint=roots_fingerprint("cross", build, test, target, with_pythons=False),
        description=f"cross: {cross.binaries['c']} in {distro.pretty_name}, "
        f"Python {build.info.full} → {target.machine}",
    )
    env.require_same_python()
    return env


def target_layout(target: Target) -> Layout:
    """The riscv64 libraries, headers and .pc files of the cross root (Debian multiarch)."""
    return Layout(
        pkgconfig_dirs=target.cross.pkgconfig_libdir,
        lib_dirs=(f"/usr/lib/{target.triplet}",),
        include_dirs=(f"/usr/include/{target.triplet}", "/usr/include"),
    )


def _target_sysconfig(built: BuiltPython) -> dict[str, str]:
    """A toolchain-built CPython's riscv64 sysconfig module lives beside its stdlib, not on
    the build interpreter's path: PYTHONPATH makes it importable (as crossenv does)."""
    target = built.install("riscv64")
    return {
        "_PYTHON_SYSCONFIGDATA_NAME": target.sysconfigdata_name,
        "PYTHONPATH": target.sysconfigdata_dir,
        "PYO3_CROSS_LIB_DIR": target.sysconfigdata_dir,
    }


# verify needs only the clean target root.
test_side = target_side_only
