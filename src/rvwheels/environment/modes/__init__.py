"""Build modes: one module each, all satisfying ``Mode``, chosen by name from ``MODES``.

cross    x86_64 cross compilers in a Debian root with riscv64 multiarch; qemu only for probes/tests
emulated the whole build inside a riscv64 root under qemu-user (cibuildwheel's way; slow)
native   on a riscv64 machine with its own compilers (e.g. openEuler on the RVBook)
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from pathlib import Path
from typing import Protocol

from rvwheels.environment.sides import BuildEnvironment, Side
from rvwheels.environment.target import load_target
from rvwheels.options import BuildOptions
from rvwheels.recipe.spec import NO_SYSTEM, Recipe, SystemSpec


class Mode(Protocol):
    """What a build mode module provides (cross.py, emulated.py, native.py)."""

    def prepare(
        self,
        options: BuildOptions,
        *,
        log: Path,
        python: str | None,
        build_root: str | None,
        system: SystemSpec,
    ) -> BuildEnvironment:
        """The ready build environment. ``python``: a target version built by the toolchain
        (toolchain/pythons), or None for the roots' own; ``build_root``: a recipe's own build
        root for this mode (build.roots); ``system``: the Debian packages the recipe's build
        root needs besides the mode's own (requires.system)."""
        ...

    def test_side(self, options: BuildOptions, *, log: Path, python: str | None) -> Side:
        """Only the clean target environment, for verify."""
        ...


def get_mode(name: str) -> Mode:
    from rvwheels.environment.modes import cross, emulated, native

    modes: dict[str, Mode] = {"cross": cross, "emulated": emulated, "native": native}  # type: ignore[dict-item]
    return modes[name]


def prepare_environment(
    options: BuildOptions,
    *,
    log: Path,
    python: str | None = None,
    build_root: str | None = None,
    system: SystemSpec = NO_SYSTEM,
) -> BuildEnvironment:
    mode = get_mode(options.mode)
    return mode.prepare(options, log=log, python=python, build_root=build_root, system=system)


class Environments:
    """The build environments of one run (one target Python): the mode's default, plus one
    per mode and build root that recipes ask for, each prepared on first use."""

    def __init__(self, options: BuildOptions, *, python: str | None, log: Path) -> None:
        self.options = options
        self.python = python
        self.log = log
        self._prepared: dict[tuple[str, str | None, SystemSpec], BuildEnvironment] = {}
        self._lock = threading.Lock()

    def default(self) -> BuildEnvironment:
        return self.get(self.options.mode, None)

    def get(
        self, mode: str, build_root: str | None, system: SystemSpec = NO_SYSTEM
    ) -> BuildEnvironment:
        key = (mode, build_root, system)
        with self._lock:
            if key not in self._prepared:
                self._prepared[key] = prepare_environment(
                    dataclasses.replace(self.options, mode=mode),
                    log=self.log,
                    python=self.python,
                    build_root=build_root,
                    system=system,
                )
            return self._prepared[key]


def mode_for(recipe: Recipe, mode: str) -> str:
    """The run's mode, except that a recipe which cannot cross-build but can build emulated
    (its build.modes say so) builds emulated in a cross run, as its recipe documents."""
    modes = recipe.build.modes
    if mode == "cross" and "cross" not in modes and "emulated" in modes:
        return "emulated"
    return mode


def target_pythons(options: BuildOptions) -> tuple[str, ...]:
    """The target Python versions of a run: those asked for, else this machine's own Python
    (native) or the roots' (cross, emulated), known from data before anything is prepared."""
    if options.pythons:
        return options.pythons
    if options.mode == "native":
        return (f"{sys.version_info.major}.{sys.version_info.minor}",)
    return (load_target(toolchain_dir=options.toolchain_dir).python,)


def prepare_test_side(options: BuildOptions, *, log: Path) -> Side:
    """Only the clean target environment (for verify): this machine in native mode, else the
    clean riscv64 root under qemu; with the first of ``options.pythons`` if any."""
    python = options.pythons[0] if options.pythons else None
    return get_mode(options.mode).test_side(options, log=log, python=python)
