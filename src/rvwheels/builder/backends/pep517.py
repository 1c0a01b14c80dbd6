"""PEP 517 backends (meson-python, setuptools): pypa ``build`` runs the project's own backend
in the build venv, without isolation, on the unpacked and patched sdist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends import CompileInputs
from rvwheels.builder.job import BUILD_TIMEOUT, BuildJob
from rvwheels.errors import BuildError, CommandFailed
from rvwheels.recipe.placeholders import fill


@dataclass(frozen=True)
class Pep517Backend:
    name: str
    cross_file: bool  # meson-python reads a Meson cross file; setuptools reads CC & co.
    compiles: bool = True
    from_sdist: bool = True
    unpacks_source: bool = True

    def compiler_launcher_env(self, job: BuildJob, launcher: str) -> dict[str, str]:
        if self.cross_file:
            return {}  # Meson gets the launcher through the cross file, or finds ccache itself
        return {"CC": f"{launcher} {job.c_compiler}", "CXX": f"{launcher} {job.cxx_compiler}"}

    def compile(self, job: BuildJob, inputs: CompileInputs) -> Path:
        assert inputs.tree is not None  # from_sdist: the prepare phase unpacked it
        dist = job.work / "dist"
        argv = [f"{inputs.venv_bin}/python", "-m", "build", "--wheel", "--no-isolation"]
        argv += ["--outdir", job.inside(dist), *self.config_settings(job)]
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

    def config_settings(self, job: BuildJob) -> list[str]:
        """``-C`` options: Meson's build folder and cross file, then the recipe's own."""
        settings = []
        if self.cross_file:
            settings.append(f"-Cbuild-dir={job.inside(job.work / 'bld')}")
            if job.env.cross_file_args is not None:
                cross_ini = job.inside(job.work / "cross.ini")
                settings.append(f"-Csetup-args=--cross-file={cross_ini}")
        values = job.placeholder_values()
        for key, items in job.recipe.build.config_settings.items():
            settings += [f"-C{key}={fill(value, values)}" for value in items]
        return settings


def the_one_wheel(dist: Path, job: BuildJob) -> Path:
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        msg = f"{job.name}: the build produced {len(wheels)} wheels; see {job.log}"
        raise BuildError(msg)
    return wheels[0]


MESON_PYTHON = Pep517Backend("meson-python", cross_file=True)
SETUPTOOLS = Pep517Backend("setuptools", cross_file=False)
