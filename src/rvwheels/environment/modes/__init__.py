"""One module per build mode; each turns BuildOptions into a ready BuildEnvironment.

cross    x86_64 cross compilers in a Debian root with riscv64 multiarch; qemu only for probes/tests
emulated the whole build inside a riscv64 root under qemu-user (cibuildwheel's way; slow)
native   on a riscv64 machine with its own compilers (e.g. openEuler on the RVBook)
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from rvwheels.environment.sides import BuildEnvironment, Side
from rvwheels.options import BuildOptions
from rvwheels.recipe.spec import Recipe


def prepare_environment(
    options: BuildOptions, *, log: Path, python: str | None = None, build_root: str | None = None
) -> BuildEnvironment:
    """``python``: a target version built by the toolchain (toolchain/pythons), or None for the
    roots' own; ``build_root``: a recipe's own build root for this mode (build.roots)."""
    from rvwheels.environment.modes import cross, emulated, native

    if options.mode == "native":
        return native.prepare(options, log=log, python=python)  # no roots on a riscv64 machine
    mode = cross if options.mode == "cross" else emulated
    return mode.prepare(options, log=log, python=python, build_root=build_root)


class Environments:
    """The build environments of one run (one target Python): the mode's default, plus one
    per build root that recipes ask for, each prepared on first use."""

    def __init__(self, options: BuildOptions, *, python: str | None, log: Path) -> None:
        self.options = options
        self.python = python
        self.log = log
        self._prepared: dict[tuple[str, str | None], BuildEnvironment] = {}
        self._lock = threading.Lock()

    def default(self) -> BuildEnvironment:
        return self._get(self.options.mode, None)

    def for_recipe(self, recipe: Recipe) -> BuildEnvironment:
        mode = mode_for(recipe, self.options.mode)
        return self._get(mode, recipe.build.roots.get(mode))

    def _get(self, mode: str, build_root: str | None) -> BuildEnvironment:
        with self._lock:
            if (mode, build_root) not in self._prepared:
                self._prepared[mode, build_root] = prepare_environment(
                    dataclasses.replace(self.options, mode=mode),
                    log=self.log,
                    python=self.python,
                    build_root=build_root,
                )
            return self._prepared[mode, build_root]


def mode_for(recipe: Recipe, mode: str) -> str:
    """The run's mode, except that a recipe which cannot cross-build but can build emulated
    (its build.modes say so) builds emulated in a cross run, as its recipe documents."""
    modes = recipe.build.modes
    if mode == "cross" and "cross" not in modes and "emulated" in modes:
        return "emulated"
    return mode


def prepare_test_side(options: BuildOptions, *, log: Path) -> Side:
    """Only the clean target environment (for verify): this machine in native mode, else the
    clean riscv64 root under qemu; with the first of ``options.pythons`` if any."""
    from rvwheels.environment.modes import native
    from rvwheels.environment.modes._roots import target_side_only

    python = options.pythons[0] if options.pythons else None
    if options.mode == "native":
        return native.host_side(options, log=log, python=python)
    return target_side_only(options, log=log, python=python)
