"""Small real BuildJobs over a fake environment, for phase tests that run no build."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rvwheels.builder.job import BuildJob, HostWheel
from rvwheels.environment.sides import PythonInfo
from rvwheels.recipe.spec import BuildSpec, Recipe, RequiresSpec, SourceSpec


class FakeExecutor:
    """Sees the host's paths unchanged, finds only ``programs``, records what it runs."""

    def __init__(self, programs: tuple[str, ...] = ()) -> None:
        self.programs = programs
        self.argvs: list[list[str]] = []

    def inside(self, path: Path) -> str:
        return str(path)

    def host_path(self, inner: str) -> Path:
        return Path(inner)

    def which(self, program: str) -> str | None:
        return f"/usr/bin/{program}" if program in self.programs else None

    def run(self, argv, **_kwargs) -> str:
        self.argvs.append([str(a) for a in argv])
        return ""


def python_info(version: str = "3.13", machine: str = "riscv64") -> PythonInfo:
    return PythonInfo(version=version, full=f"{version}.5", glibc=(2, 41), machine=machine)


def fake_env(tmp_path: Path, *, mode: str = "cross", programs=(), **changes) -> SimpleNamespace:
    executor = FakeExecutor(programs)
    build = SimpleNamespace(executor=executor, info=python_info(machine="x86_64"))
    test = SimpleNamespace(executor=executor, info=python_info())
    values = {
        "mode": mode,
        "build": build,
        "test": test,
        "work_dir": tmp_path / "work",
        "wheelhouse": tmp_path / "wheelhouse",
        "layout": SimpleNamespace(pkgconfig_dirs=("/usr/lib/riscv64-linux-gnu/pkgconfig",)),
        "c_compiler": "riscv64-linux-gnu-gcc",
        "fortran_compiler": "riscv64-linux-gnu-gfortran",
        "build_machine_c_compiler": "gcc",
        "hints": {"c": "install gcc", "fortran": "install gfortran"},
        "backend_env": {"CXX": "riscv64-linux-gnu-g++"},
        "cross_file_args": {} if mode == "cross" else None,
        "fingerprint": "env-cp313",
        "machine_fingerprint": "env",
        "description": f"{mode}: fake",
    }
    return SimpleNamespace(**{**values, **changes})


def recipe(name: str = "demo", *, backend: str = "meson-python", **changes) -> Recipe:
    values = {
        "name": name,
        "version": "1.0",
        "source": SourceSpec(url=f"https://example.org/{name}-1.0.tar.gz", sha256="0" * 64),
        "build": BuildSpec(backend=backend),
        "path": Path(f"/recipes/{name}.toml"),
        "digest": f"digest-of-{name}",
    }
    return Recipe(**{**values, **changes})


def host_wheel(tmp_path: Path, name: str, content: bytes = b"v1", **recipe_changes) -> HostWheel:
    wheel = tmp_path / "wheelhouse" / f"{name}-1.0-cp313-cp313-linux_riscv64.whl"
    wheel.parent.mkdir(parents=True, exist_ok=True)
    wheel.write_bytes(content)
    return HostWheel(recipe=recipe(name, **recipe_changes), wheel=wheel)


def job(tmp_path: Path, the_recipe: Recipe | None = None, *, env=None, host=(), **changes):
    values = {
        "recipe": the_recipe or recipe(),
        "env": env or fake_env(tmp_path),
        "variant": None,
        "host": tuple(host),
        "own_projects": frozenset(),
        "cache": tmp_path / "cache",
        "log": tmp_path / "log",
    }
    return BuildJob(**{**values, **changes})


def requiring(*host: str, run: tuple[str, ...] = ()) -> RequiresSpec:
    return RequiresSpec(host=host, run=run)


def build_spec(**changes) -> BuildSpec:
    return BuildSpec(**{"backend": "meson-python", **changes})
