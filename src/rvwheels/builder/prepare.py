"""Phase "preparing": a clean work folder with the host recipes' wheels unpacked (the target
site), the source unpacked and patched, and, for a Meson cross build, its cross file."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import get_backend
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.job import BuildJob
from rvwheels.builder.sourcetree import make_source_tree
from rvwheels.environment.crossfile import render_cross_file
from rvwheels.recipe.placeholders import fill_value

# Left by the previous build of the same package; the compiler cache lives elsewhere.
STALE = ("src", "dist", "repaired", "bld")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    tree: Path | None  # the patched source tree; None when nothing is unpacked (adopt)
    target_site: Path  # the host recipes' wheels, unpacked ({target_site})
    cross_file: Path | None  # the Meson cross file of a cross build


def prepare(job: BuildJob, fetched: Fetched) -> Prepared:
    for sub in STALE:
        shutil.rmtree(job.work / sub, ignore_errors=True)
    target_site = unpack_host_wheels(job)
    backend = get_backend(job.recipe.build.backend)
    if not backend.unpacks_source:
        return Prepared(tree=None, target_site=target_site, cross_file=None)
    tree = job.work / "src"
    make_source_tree(job.recipe, fetched.source, tree, log=job.log)
    cross_file = None
    if backend.cross_file and job.env.cross_file_args is not None:
        cross_file = write_cross_file(job)
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


def write_cross_file(job: BuildJob) -> Path:
    assert job.env.cross_file_args is not None
    values = job.placeholder_values()
    path = job.work / "cross.ini"
    path.write_text(
        render_cross_file(
            **job.env.cross_file_args,
            properties={k: fill_value(v, values) for k, v in job.recipe.cross.properties.items()},
            pkgconfig_libdir=job.pkgconfig_dirs(),
            launcher=compiler_cache(job),
        )
    )
    return path


def compiler_cache(job: BuildJob) -> str | None:
    """ccache, when the build environment has it (the Debian roots do)."""
    return "ccache" if job.env.build.executor.which("ccache") else None
