"""What one package's build is given, resolved once: the frozen input of every phase.

A ``BuildJob`` names the recipe, the environment it builds in, the variant, and the wheels of
the recipes it builds against, exactly as the scheduler built or found them (nothing rescans
the wheelhouse). Everything a phase derives from it (work folders, placeholders, pkg-config
and library folders) is a property here, so every phase derives it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.environment.sides import BuildEnvironment
from rvwheels.recipe import placeholders
from rvwheels.recipe.spec import Recipe, VariantSpec

BUILD_TIMEOUT = 4 * 3600


@dataclass(frozen=True, kw_only=True)
class HostWheel:
    """A recipe this package builds against, and the wheel of it this run uses."""

    recipe: Recipe
    wheel: Path


@dataclass(frozen=True, kw_only=True)
class BuildJob:
    recipe: Recipe
    env: BuildEnvironment
    variant: VariantSpec | None
    host: tuple[HostWheel, ...]  # requires.host, in the recipe's order
    own_projects: frozenset[str]  # every project our recipes build: never fetched from PyPI
    cache: Path
    log: Path
    jobs: int = 1  # compile jobs
    toolchain_dir: Path = paths.TOOLCHAIN_DIR  # the emulators its tests may name

    @property
    def name(self) -> str:
        return self.recipe.name

    @property
    def work(self) -> Path:
        """This package's work folder (host path), kept between builds for the compiler cache."""
        return self.env.work_dir / self.recipe.name

    def inside(self, path: Path) -> str:
        """``path`` as the build side sees it."""
        return self.env.build.executor.inside(path)

    @property
    def c_compiler(self) -> str:
        # A recipe may bring its own (torchvision: amd64 clang inside a riscv64 root).
        return self.recipe.build.env.get("CC", self.env.c_compiler)

    @property
    def cxx_compiler(self) -> str:
        return self.recipe.build.env.get("CXX", self.env.backend_env.get("CXX", "g++"))

    @property
    def compiler_launcher(self) -> str | None:
        """ccache, when the build environment has it (the Debian roots do)."""
        return "ccache" if self.env.build.executor.which("ccache") else None

    @property
    def python_tag(self) -> str:
        """cp311: the target Python the wheel is for."""
        return f"cp{self.env.test.info.version.replace('.', '')}"

    def placeholder_values(self) -> dict[str, str]:
        """{target_site} and {build_site}, as the build side sees them."""
        venv = self.inside(self.work / "venv")
        python = f"python{self.env.build.info.version}"
        return {
            placeholders.TARGET_SITE: self.inside(self.work / "target-site"),
            placeholders.BUILD_SITE: f"{venv}/lib/{python}/site-packages",
        }

    def provided(self, kind: str) -> list[str]:
        """Folders the host recipes' wheels offer ([provides] pkgconfig or libdirs), inside the
        target site where their wheels are unpacked."""
        site = self.placeholder_values()[placeholders.TARGET_SITE]
        return [
            f"{site}/{folder}"
            for host in self.host
            for folder in getattr(host.recipe.provides, kind)
        ]

    def pkgconfig_dirs(self) -> list[str]:
        """Where pkg-config looks: .pc files we wrote, host recipes' ones, then the target's."""
        own = self.inside(self.work / "pkgconfig")
        return [own, *self.provided("pkgconfig"), *self.env.layout.pkgconfig_dirs]

    def ours(self) -> dict[str, str]:
        """The host recipes by name -> version (build requirements we build are pinned)."""
        return {host.recipe.name: host.recipe.version for host in self.host}
