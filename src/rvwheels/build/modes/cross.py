"""Cross mode: Debian's x86_64→riscv64 cross compilers in an amd64 root with riscv64 multiarch.

The build Python is the root's amd64 python3; ``_PYTHON_SYSCONFIGDATA_NAME`` and
``_PYTHON_HOST_PLATFORM`` make it report the riscv64 target's extension suffix and platform tag.
"""

from __future__ import annotations

from pathlib import Path

from rvwheels.build.environment import BuildEnvironment
from rvwheels.build.modes._roots import root_side, roots_fingerprint
from rvwheels.build.options import BuildOptions
from rvwheels.environment.distro import detect_distro
from rvwheels.environment.pkgconfig import Layout
from rvwheels.environment.target import load_target


def prepare(options: BuildOptions, *, log: Path) -> BuildEnvironment:
    target = load_target(toolchain_dir=options.toolchain_dir)
    build = root_side("cross", options, target, log=log, with_qemu=True)
    test = root_side("target", options, target, log=log)
    cross = target.cross
    multiarch_lib = f"/usr/lib/{target.triplet}"
    distro = detect_distro(build.executor.host_path("/etc/os-release"), options.toolchain_dir)
    env = BuildEnvironment(
        mode="cross",
        build=build,
        test=test,
        work_dir=options.work_dir,
        wheelhouse=options.wheelhouse,
        layout=Layout(
            pkgconfig_dirs=cross.pkgconfig_libdir,
            lib_dirs=(multiarch_lib,),
            include_dirs=(f"/usr/include/{target.triplet}", "/usr/include"),
        ),
        distro=distro,
        c_compiler=cross.binaries["c"],
        fortran_compiler=cross.binaries["fortran"],
        hints={
            role: f"run 'rvwheels setup'; the cross root's list (toolchain/roots/cross.toml) "
            f"must include {distro.package('cross_' + role)}"
            for role in ("c", "fortran")
        },
        backend_env={
            "_PYTHON_HOST_PLATFORM": cross.python_host_platform,
            "_PYTHON_SYSCONFIGDATA_NAME": cross.sysconfigdata,
            **cross.env,
        },
        cross_file_args={
            "target": target,
            "exe_wrapper": [target.qemu_in_root, "-L", "/"],
        },
        fingerprint=roots_fingerprint("cross", build, test, target),
        description=f"cross: {cross.binaries['c']} in {distro.pretty_name}, "
        f"Python {build.info.full} → {target.machine}",
    )
    env.require_same_python()
    return env
