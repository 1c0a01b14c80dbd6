"""Build options, resolved once from the command line and the environment into a plain object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import ConfigurationError
from rvwheels.recipe.spec import MODES


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    mode: str
    wheelhouse: Path
    jobs: int
    recipes_dir: Path
    toolchain_dir: Path
    cache: Path
    run_tests: bool
    force: bool = False  # rebuild even when the wheelhouse has an up-to-date wheel

    @property
    def work_dir(self) -> Path:
        return self.cache / "work"

    @property
    def logs_dir(self) -> Path:
        return self.cache / "logs"


def default_mode(machine: str) -> str:
    return "native" if machine == "riscv64" else "cross"


def resolve_options(
    *,
    mode: str | None,
    wheelhouse: Path | None,
    jobs: int,
    recipes_dir: Path | None,
    run_tests: bool = True,
    force: bool = False,
    env: Mapping[str, str] | None = None,
    machine: str | None = None,
) -> BuildOptions:
    env = os.environ if env is None else env
    machine = machine or os.uname().machine
    mode = mode or env.get("RVWHEELS_MODE") or default_mode(machine)
    if mode not in MODES:
        msg = f"unknown mode '{mode}'; choose one of {', '.join(MODES)}"
        raise ConfigurationError(msg)
    if jobs < 1:
        msg = f"--jobs must be at least 1 (got {jobs})"
        raise ConfigurationError(msg)
    toolchain = Path(env.get("RVWHEELS_TOOLCHAIN", paths.TOOLCHAIN_DIR))
    return BuildOptions(
        mode=mode,
        wheelhouse=(wheelhouse or paths.DEFAULT_WHEELHOUSE).absolute(),
        jobs=jobs,
        recipes_dir=(recipes_dir or paths.RECIPES_DIR).absolute(),
        toolchain_dir=toolchain.absolute(),
        cache=paths.cache_dir(dict(env)).absolute(),
        run_tests=run_tests,
        force=force,
    )
