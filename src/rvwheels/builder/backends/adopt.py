"""Backend "adopt": re-pack a riscv64 build that exists but is packaged wrong.

The source is either a wheel with the wrong name or tags (PyPI's ``pytorch-riscv64``, tagged
``cp311-none-any``) or Debian .debs (``python3-torch`` plus the library packages its links
point into). Either way the files are checked to really be riscv64 ELF, then written as a
wheel named after the recipe and tagged for the target Python; repair and the recipe's tests
follow as for any build.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rvwheels.adopt.debs import extract_debs, python_tree_from_debs
from rvwheels.adopt.elfcheck import check_machine
from rvwheels.adopt.rewrap import rewrap_wheel, unpack_wheel
from rvwheels.adopt.sonames import patchelf_edits
from rvwheels.builder.backends import CompileInputs
from rvwheels.builder.job import BuildJob
from rvwheels.environment.target import Target
from rvwheels.recipe.spec import NO_SYSTEM, AdoptSpec, Recipe, SystemSpec
from rvwheels.run import run


@dataclass(frozen=True, kw_only=True)
class AdoptJob:
    recipe: Recipe
    sources: tuple[Path, ...]  # the recipe's source, then its adopt.deb files, all fetched
    work: Path  # scratch folder (replaced)
    dist: Path  # where the wheel goes
    python_tag: str  # cp311
    machine: str  # riscv64
    log: Path


def adopt_wheel(job: AdoptJob) -> Path:
    spec = job.recipe.adopt or AdoptSpec()
    shutil.rmtree(job.work, ignore_errors=True)
    job.work.mkdir(parents=True)
    tree = job.work / "tree"
    requires = spec.requires_dist
    if job.sources[0].name.endswith(".whl"):
        unpack_wheel(job.sources[0], tree)
        _remove_excluded(tree, spec.exclude)
    else:
        root = extract_debs(job.sources, job.work / "debs")
        found = python_tree_from_debs(root, packages=spec.packages, dest=tree, exclude=spec.exclude)
        requires = requires if requires is not None else found.requires_dist
    for path, operations in patchelf_edits(check_machine(tree, machine=job.machine)).items():
        for operation in operations:
            run(["patchelf", *operation, path], log=job.log)
    return rewrap_wheel(
        tree,
        job.dist,
        name=job.recipe.name,
        version=job.recipe.version,
        tag=f"{job.python_tag}-{job.python_tag}-linux_{job.machine}",
        requires_dist=requires,
        drop_requires=spec.drop_requires,
    )


def _remove_excluded(tree: Path, patterns: tuple[str, ...]) -> None:
    """Drop what the recipe leaves out (e.g. test programs whose libraries are not shipped)."""
    for pattern in patterns:
        for path in sorted(tree.glob(pattern), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


@dataclass(frozen=True)
class AdoptBackend:
    name: str = "adopt"
    compiles: bool = False  # an adopted build is compiled already
    from_sdist: bool = False
    unpacks_source: bool = False  # the adopted files are repacked as they are
    build_tools: tuple[str, ...] = ()

    def system(self, target: Target) -> SystemSpec:
        return NO_SYSTEM

    def cross_description(self, job: BuildJob) -> Path | None:
        return None

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        return {}

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        return adopt_wheel(
            AdoptJob(
                recipe=job.recipe,
                sources=(inputs.source, *inputs.extra_sources),
                work=job.work / "adopt",
                dist=job.work / "dist",
                python_tag=job.python_tag,
                machine=job.env.test.info.machine,
                log=job.log,
            )
        )


ADOPT = AdoptBackend()
