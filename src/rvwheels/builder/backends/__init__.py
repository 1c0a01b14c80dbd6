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
    # Reads a Meson cross file in a cross build.
    cross_file: bool

    def compiler_launcher_env(self, job: BuildJob, launcher: str) -> dict[str, str]:
        """Variables that put ``launcher`` (ccache) in front of the compilers, for backends
        that take the compilers from the environment."""
        ...

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        """Build the wheel into ``job.work / "dist"``; return its path."""
        ...


def get_backend(name: str) -> Backend:
    from rvwheels.builder.backends import adopt, make, pep517

    backends: Mapping[str, Backend] = {
        "meson-python": pep517.MESON_PYTHON,
        "setuptools": pep517.SETUPTOOLS,
        "make": make.MAKE,
        "adopt": adopt.ADOPT,
    }
    return backends[name]
