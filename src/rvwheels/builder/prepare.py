"""Phase "preparing": a clean work folder with the host recipes' wheels unpacked (the target
site), the source unpacked and patched, and, in a cross build, the cross description the
backend reads (a Meson cross file, a CMake toolchain file)."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import get_backend
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.job import BuildJob
from rvwheels.builder.sourcetree import make_source_tree

# Left by the previous build of the same package; the compiler cache lives elsewhere.
STALE = ("src", "dist", "repaired", "bld")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    tree: Path | None  # the patched source tree; None when nothing is unpacked (adopt)
    target_site: Path  # the host recipes' wheels, unpacked ({target_site})
    cross_file: Path | None  # what the backend reads of the target (cross builds only)


def prepare(job: BuildJob, fetched: Fetched) -> Prepared:
    for sub in STALE:
        shutil.rmtree(job.work / sub, ignore_errors=True)
    target_site = unpack_host_wheels(job)
    backend = get_backend(job.recipe.build.backend)
    if not backend.unpacks_source:
        return Prepared(tree=None, target_site=target_site, cross_file=None)
    tree = job.work / "src"
    make_source_tree(job.recipe, fetched.source, tree, log=job.log)
    crossing = job.env.cross_file_args is not None
    cross_file = backend.cross_description(job) if crossing else None
    return Prepared(tree=tree, target_site=target_site, cross_file=cross_file)


def unpack_host_wheels(job: BuildJob) -> Path:
    """The wheels of the recipes this one builds against, unpacked into a fresh folder, so a
    cross build finds their headers and libraries there ({target_site} in the recipe)."""
    site = job.work / "target-site"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    for host in job.host:
        with zipfile.ZipFile(host.wheel) as zf:
            zf.extractall(site)
    return site
