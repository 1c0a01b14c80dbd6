"""Build backends: how a recipe's source becomes an (unrepaired) wheel.

A backend is a module-level object satisfying ``Backend``; ``get_backend`` maps each value of
a recipe's ``build.backend`` to one (imported on use: the backends import this module). A new
backend is one new module here plus its name in the recipe spec's ``BACKENDS`` (a test keeps
the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rvwheels.builder.job import BuildJob
from rvwheels.environment.target import Target
from rvwheels.recipe.spec import SystemSpec


@dataclass(frozen=True, kw_only=True)
class CompileInputs:
    """What the compile phase hands a backend besides the job."""

    source: Path  # the fetched source (archive, folder or adopted file)
    extra_sources: tuple[Path, ...]  # more fetched files (an adopted recipe's .debs)
    tree: Path | None  # the unpacked, patched source tree (None when nothing is unpacked)
    venv_bin: str  # the build venv's bin folder, as the build side sees it
    env: Mapping[str, str]  # the backend's process environment (compilers, pkg-config, cache)


class Backend(Protocol):
    name: str
    # Runs the target's C compiler (checked before anything is fetched).
    compiles: bool
    # A PEP 517 project: its [build-system] requires go into the build venv.
    from_sdist: bool
    # Its source is unpacked and patched before the build (not so an adopted build).
    unpacks_source: bool
    # More requirements of the build venv (cmake for scikit-build-core).
    build_tools: tuple[str, ...]

    def system(self, target: Target) -> SystemSpec:
        """Debian packages every build root of this backend needs (maturin: Rust)."""
        ...

    def cross_description(self, job: BuildJob) -> Path | None:
        """In a cross build, write what this backend reads to know the target (a Meson cross
        file, a CMake toolchain file) into the work folder; None when it reads none."""
        ...

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        """Variables this backend needs: the compiler launcher (ccache) where it takes one
        from the environment, where its cross description is, how the target is named."""
        ...

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        """Build the wheel into ``job.work / "dist"``; return its path."""
        ...


def get_backend(name: str) -> Backend:
    from rvwheels.builder.backends import adopt, make, maturin, pep517

    backends: Mapping[str, Backend] = {
        "meson-python": pep517.MESON_PYTHON,
        "setuptools": pep517.SETUPTOOLS,
        "scikit-build-core": pep517.SCIKIT_BUILD_CORE,
        "maturin": maturin.MATURIN,
        "make": make.MAKE,
        "adopt": adopt.ADOPT,
    }
    return backends[name]
