"""Phase "checking": before anything is downloaded, the build environment has what the recipe
needs (its mode, compilers, the target's libraries); the cheapest failure to report comes first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import get_backend
from rvwheels.builder.job import BuildJob
from rvwheels.environment.pkgconfig import ensure_pc_files
from rvwheels.errors import EnvError


@dataclass(frozen=True, kw_only=True)
class Checked:
    generated_pc: tuple[Path, ...]  # .pc files written for libraries that ship none


def check_environment(job: BuildJob) -> Checked:
    require_mode(job)
    for role, compiler in needed_compilers(job):
        if job.env.build.executor.which(compiler) is None:
            kind = "Fortran" if role == "fortran" else "C"
            msg = (
                f"{job.name} needs a {kind} compiler, but '{compiler}' is not in the "
                f"{job.env.mode} build environment; fix: {job.env.hints[role]}"
            )
            raise EnvError(msg)
    generated = ensure_pc_files(
        job.recipe.requires.libraries,
        executor=job.env.build.executor,
        layout=job.env.layout,
        out_dir=job.work / "pkgconfig",
        distro=job.env.distro,
    )
    return Checked(generated_pc=tuple(generated))


def require_mode(job: BuildJob) -> None:
    modes = job.recipe.build.modes
    if job.env.mode not in modes:
        msg = (
            f"{job.name}: its recipe allows modes {', '.join(modes)}, not {job.env.mode}; "
            f"pick one with --mode or add it to build.modes in {job.recipe.path}"
        )
        raise EnvError(msg)


def needed_compilers(job: BuildJob) -> list[tuple[str, str]]:
    """(role, program) pairs the build will call."""
    needed = [("c", job.c_compiler)] if get_backend(job.recipe.build.backend).compiles else []
    if job.recipe.build.fortran:
        needed.append(("fortran", job.env.fortran_compiler))
    return needed
