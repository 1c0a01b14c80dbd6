"""PEP 517 backends (meson-python, setuptools, scikit-build-core): pypa ``build`` runs the
project's own backend in the build venv, without isolation, on the unpacked and patched sdist.
They differ in how they learn the target of a cross build: Meson from a cross file, CMake from a
toolchain file, setuptools from CC and friends in the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import CompileInputs
from rvwheels.builder.job import BUILD_TIMEOUT, BuildJob
from rvwheels.environment.cmakefile import render_cmake_toolchain
from rvwheels.environment.crossfile import render_cross_file
from rvwheels.environment.target import Target
from rvwheels.errors import BuildError, CommandFailed
from rvwheels.recipe.placeholders import fill, fill_value
from rvwheels.recipe.spec import NO_SYSTEM, SystemSpec

CMAKE_TOOLCHAIN = "toolchain.cmake"
MESON_CROSS_FILE = "cross.ini"


@dataclass(frozen=True)
class Pep517Backend:
    name: str = "setuptools"
    compiles: bool = True
    from_sdist: bool = True
    unpacks_source: bool = True
    build_tools: tuple[str, ...] = ()

    def system(self, target: Target) -> SystemSpec:
        return NO_SYSTEM

    def cross_description(self, job: BuildJob) -> Path | None:
        return None  # setuptools reads the compilers from the environment (the target's env)

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        if launcher is None:
            return {}
        return {"CC": f"{launcher} {job.c_compiler}", "CXX": f"{launcher} {job.cxx_compiler}"}

    def backend_settings(self, job: BuildJob) -> list[str]:
        """``-C`` options the backend itself needs (before the recipe's own)."""
        return []

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        assert inputs.tree is not None  # from_sdist: the prepare phase unpacked it
        dist = job.work / "dist"
        settings = [*self.backend_settings(job), *recipe_settings(job)]
        argv = [f"{inputs.venv_bin}/python", "-m", "build", "--wheel", "--no-isolation"]
        argv += ["--outdir", job.inside(dist), *settings]
        try:
            job.env.build.executor.run(
                [*argv, job.inside(inputs.tree)],
                env=inputs.env,
                log=job.log,
                timeout=BUILD_TIMEOUT,
            )
        except CommandFailed as exc:
            msg = f"{job.name}: the {self.name} build failed; see {job.log}"
            raise BuildError(msg) from exc
        return the_one_wheel(dist, job)


@dataclass(frozen=True)
class MesonPython(Pep517Backend):
    name: str = "meson-python"

    def cross_description(self, job: BuildJob) -> Path | None:
        assert job.env.cross_file_args is not None
        values = job.placeholder_values()
        path = job.work / MESON_CROSS_FILE
        path.write_text(
            render_cross_file(
                **job.env.cross_file_args,
                properties={
                    key: fill_value(value, values)
                    for key, value in job.recipe.cross.properties.items()
                },
                pkgconfig_libdir=job.pkgconfig_dirs(),
                launcher=job.compiler_launcher,
            )
        )
        return path

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        return {}  # Meson takes the launcher from the cross file, or finds ccache itself

    def backend_settings(self, job: BuildJob) -> list[str]:
        settings = [f"-Cbuild-dir={job.inside(job.work / 'bld')}"]
        if job.env.cross_file_args is not None:
            cross = job.inside(job.work / MESON_CROSS_FILE)
            settings.append(f"-Csetup-args=--cross-file={cross}")
        return settings


@dataclass(frozen=True)
class ScikitBuildCore(Pep517Backend):
    name: str = "scikit-build-core"
    # CMake comes from PyPI (wheels for x86_64 and riscv64); pypa build checks for it.
    build_tools: tuple[str, ...] = ("cmake",)

    def cross_description(self, job: BuildJob) -> Path | None:
        assert job.env.cross_file_args is not None
        path = job.work / CMAKE_TOOLCHAIN
        path.write_text(
            render_cmake_toolchain(
                job.env.cross_file_args["target"],
                pkgconfig_libdir=job.pkgconfig_dirs(),
                exe_wrapper=job.env.cross_file_args["exe_wrapper"],
            )
        )
        return path

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        # CMake reads these from the environment when it first configures the build folder.
        env = {"CMAKE_BUILD_PARALLEL_LEVEL": str(job.jobs)}
        if job.env.cross_file_args is not None:
            env["CMAKE_TOOLCHAIN_FILE"] = job.inside(job.work / CMAKE_TOOLCHAIN)
        if launcher is not None:
            env |= {f"CMAKE_{lang}_COMPILER_LAUNCHER": launcher for lang in ("C", "CXX")}
        return env

    def backend_settings(self, job: BuildJob) -> list[str]:
        return [f"-Cbuild-dir={job.inside(job.work / 'bld')}"]


def recipe_settings(job: BuildJob) -> list[str]:
    """The recipe's ``[build.config-settings]`` as ``-C`` options, placeholders filled."""
    values = job.placeholder_values()
    return [
        f"-C{key}={fill(value, values)}"
        for key, items in job.recipe.build.config_settings.items()
        for value in items
    ]


def the_one_wheel(dist: Path, job: BuildJob) -> Path:
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        msg = f"{job.name}: the build produced {len(wheels)} wheels; see {job.log}"
        raise BuildError(msg)
    return wheels[0]


MESON_PYTHON = MesonPython()
# setuptools before 70.1 (CPython 3.11's bundled 65.5 in a build venv) asks for `wheel` to make
# one; pypa build without isolation then stops on it as unmet. Newer setuptools ignore it.
SETUPTOOLS = Pep517Backend(build_tools=("wheel",))
SCIKIT_BUILD_CORE = ScikitBuildCore()
