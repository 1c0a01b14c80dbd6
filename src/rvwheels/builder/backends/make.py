"""Backend "make": build a C/Fortran library with its own Makefile and pack it into a wheel.

The wheel holds ``<package>/lib`` and ``<package>/include`` as ``make install`` laid them out,
made relocatable: wheels cannot hold symlinks, so each shared library is stored once under its
soname (``libopenblas.so.0``) and the development name (``libopenblas.so``) becomes a one-line
linker script pointing at it; ``.pc`` files find their prefix from their own location.
Repair then bundles what the library needs from the system (libgfortran) as for any wheel.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rvwheels.adopt.rewrap import rewrap_wheel
from rvwheels.builder.backends import CompileInputs
from rvwheels.builder.job import BUILD_TIMEOUT, BuildJob
from rvwheels.environment.executor import Executor
from rvwheels.environment.target import Target
from rvwheels.errors import BuildError, CommandFailed
from rvwheels.recipe.placeholders import fill
from rvwheels.recipe.spec import NO_SYSTEM, Recipe, SystemSpec, VariantSpec

_SONAME_LINK = re.compile(r"\.so\.\d+$")
_PC_PREFIX = re.compile(r"^prefix=.*$", re.MULTILINE)
# CMake package files record absolute build paths; nothing we build reads them.
_DROPPED_DIRS = ("cmake",)


@dataclass(frozen=True, kw_only=True)
class MakeJob:
    """Everything the make build needs, resolved: where it runs and what fills the placeholders."""

    recipe: Recipe
    variant: VariantSpec | None
    executor: Executor
    src: Path  # host path of the unpacked, patched source
    stage: Path  # host path that `make install` fills (emptied first)
    dist: Path  # host folder for the finished (unrepaired) wheel
    placeholders: Mapping[str, str]  # {cc} {fc} {hostcc} {jobs}
    env: Mapping[str, str]
    platform: str  # linux_riscv64
    log: Path
    timeout: float


def build_library_wheel(job: MakeJob) -> Path:
    spec = job.recipe.build.make
    assert spec is not None  # the loader requires [build.make] for backend "make"
    ex = job.executor
    shutil.rmtree(job.stage, ignore_errors=True)
    prefix = job.stage / spec.package
    prefix.mkdir(parents=True)
    values = {**job.placeholders, "prefix": ex.inside(prefix)}
    variant_args = _fill(job.variant.make_args, values) if job.variant else []
    build_argv = ["make", *_fill(spec.args, values), *variant_args]
    install_argv = ["make", *_fill(spec.args, values), *variant_args, "install"]
    install_argv += _fill(spec.install_args, values)
    try:
        for argv in (build_argv, install_argv):
            ex.run(argv, cwd=ex.inside(job.src), env=job.env, log=job.log, timeout=job.timeout)
    except CommandFailed as exc:
        msg = f"{job.recipe.name}: make failed; see {job.log}"
        raise BuildError(msg) from exc
    make_relocatable(prefix, installed_as=values["prefix"])
    return rewrap_wheel(
        job.stage,
        job.dist,
        name=job.recipe.name,
        version=variant_version(job.recipe, job.variant),
        tag=f"py3-none-{job.platform}",
    )


def variant_version(recipe: Recipe, variant: VariantSpec | None) -> str:
    """The default variant keeps the recipe's version; another gets a local label, so pip
    never mistakes a C910V wheel for the generic one."""
    default = recipe.build.variant(None)
    if variant is None or default is None or variant.name == default.name:
        return recipe.version
    return f"{recipe.version}+{re.sub(r'[^a-z0-9]+', '.', variant.name.lower())}"


def make_relocatable(prefix: Path, *, installed_as: str | None = None) -> None:
    """``installed_as``: the prefix as `make install` saw it (inside the build root)."""
    for name in _DROPPED_DIRS:
        for found in prefix.rglob(name):
            if found.is_dir():
                shutil.rmtree(found)
    for lib_dir in {p.parent for p in prefix.rglob("*.so*")}:
        _store_libraries_once(lib_dir)
    for pc in prefix.rglob("*.pc"):
        depth = len(pc.relative_to(prefix).parts) - 1
        relative = "/".join([".."] * depth)
        here = f"${{pcfiledir}}/{relative}" if relative else "${pcfiledir}"
        text = _PC_PREFIX.sub(f"prefix={here}", pc.read_text(), 1)
        # Paths spelled out in full (OpenBLAS writes libdir= and includedir= with no prefix=):
        # the install prefix becomes the .pc file's own place too.
        for root in {str(prefix), installed_as} - {None, "", "/"}:
            text = re.sub(re.escape(root.rstrip("/")) + r"(?=[/\s]|$)", here, text)
        pc.write_text(text)


def _store_libraries_once(lib_dir: Path) -> None:
    """Replace the symlink farm of each shared library by its soname file plus a linker
    script for the development name; drop any other link."""
    links = sorted(p for p in lib_dir.iterdir() if p.is_symlink())
    for link in links:
        real = link.resolve()
        if _SONAME_LINK.search(link.name) and real.is_file() and real.parent == lib_dir:
            os.unlink(link)
            real.rename(link)
    for link in (p for p in lib_dir.iterdir() if p.is_symlink()):
        target = _soname_in(lib_dir, link.name)
        link.unlink()
        if link.name.endswith(".so") and target is not None:
            link.write_text(f"INPUT({target})\n")


def _soname_in(lib_dir: Path, dev_name: str) -> str | None:
    candidates = sorted(
        p.name
        for p in lib_dir.glob(f"{dev_name}.*")
        if _SONAME_LINK.search(p.name) and not p.is_symlink()
    )
    return candidates[0] if candidates else None


def _fill(args: tuple[str, ...], values: Mapping[str, str]) -> list[str]:
    return [fill(arg, values) for arg in args]


@dataclass(frozen=True)
class MakeBackend:
    name: str = "make"
    compiles: bool = True
    from_sdist: bool = False  # its Makefile, not PEP 517: no build requirements to install
    unpacks_source: bool = True
    build_tools: tuple[str, ...] = ()

    def system(self, target: Target) -> SystemSpec:
        return NO_SYSTEM

    def cross_description(self, job: BuildJob) -> Path | None:
        return None  # the recipe's make args name the compilers ({cc}, {fc})

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        return {}

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        assert inputs.tree is not None
        return build_library_wheel(
            MakeJob(
                recipe=job.recipe,
                variant=job.variant,
                executor=job.env.build.executor,
                src=inputs.tree,
                stage=job.work / "stage",
                dist=job.work / "dist",
                placeholders={
                    "cc": job.c_compiler,
                    "fc": job.env.fortran_compiler,
                    "hostcc": job.env.build_machine_c_compiler,
                    "jobs": str(job.jobs),
                },
                env=inputs.env,
                platform=f"linux_{job.env.test.info.machine}",
                log=job.log,
                timeout=BUILD_TIMEOUT,
            )
        )


MAKE = MakeBackend()
