"""One module per build mode; each turns BuildOptions into a ready BuildEnvironment.

cross    x86_64 cross compilers in a Debian root with riscv64 multiarch; qemu only for probes/tests
emulated the whole build inside a riscv64 root under qemu-user (cibuildwheel's way; slow)
native   on a riscv64 machine with its own compilers (e.g. openEuler on the RVBook)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rvwheels.build.environment import BuildEnvironment, Side
from rvwheels.build.options import BuildOptions


def prepare_environment(options: BuildOptions, *, log: Path) -> BuildEnvironment:
    from rvwheels.build.modes import cross, emulated, native

    preparers: dict[str, Callable[..., BuildEnvironment]] = {
        "cross": cross.prepare,
        "emulated": emulated.prepare,
        "native": native.prepare,
    }
    return preparers[options.mode](options, log=log)


def prepare_test_side(options: BuildOptions, *, log: Path) -> Side:
    """Only the clean target environment (for verify): this machine in native mode, else the
    clean riscv64 root under qemu."""
    from rvwheels.build.modes import native
    from rvwheels.build.modes._roots import root_side
    from rvwheels.environment.target import load_target

    if options.mode == "native":
        return native.host_side(options, log=log)
    target = load_target(toolchain_dir=options.toolchain_dir)
    return root_side("target", options, target, log=log)
