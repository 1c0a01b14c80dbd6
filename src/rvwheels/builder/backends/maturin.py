"""maturin (PyO3, Rust extensions): pypa ``build`` runs maturin on the unpacked sdist.

Rust comes from Debian (the target's [cross.rust] packages, added to the build root); crates
come from the sdist's own vendored copies or Debian's registry, never from crates.io: cargo runs
offline with crates.io replaced by /usr/share/cargo/registry (a project's own .cargo/config.toml
is nearer and wins). A cross build targets Rust's riscv64 triple with the target's linker;
PyO3 learns the target Python from the cross environment (PYO3_CROSS_*)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.backends.pep517 import Pep517Backend
from rvwheels.builder.job import BuildJob
from rvwheels.environment.target import Target
from rvwheels.recipe.spec import SystemSpec

CARGO_HOME = "cargo-home"
DEBIAN_REGISTRY = "/usr/share/cargo/registry"
CARGO_CONFIG = f"""# Written by rvwheels: builds run offline, from vendored crates or Debian's.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "{DEBIAN_REGISTRY}"

[net]
offline = true
"""


@dataclass(frozen=True)
class Maturin(Pep517Backend):
    name: str = "maturin"

    def system(self, target: Target) -> SystemSpec:
        rust = target.cross.rust
        return SystemSpec(build=rust.build_packages, target=rust.target_packages)

    def cross_description(self, job: BuildJob) -> Path | None:
        return None  # cargo is told the target through the environment (extra_env)

    def extra_env(self, job: BuildJob, launcher: str | None) -> dict[str, str]:
        env = {"CARGO_HOME": job.inside(cargo_home(job)), "CARGO_BUILD_JOBS": str(job.jobs)}
        if job.env.cross_file_args is None:
            return env
        rust = job.env.cross_file_args["target"].cross.rust
        triple = rust.target.upper().replace("-", "_")
        cross = job.env.cross_file_args["target"].cross.binaries
        return env | {
            "CARGO_BUILD_TARGET": rust.target,
            f"CARGO_TARGET_{triple}_LINKER": rust.linker,
            # The cc crate (C parts of Rust projects) reads these for the target.
            f"CC_{rust.target.replace('-', '_')}": cross["c"],
            f"CXX_{rust.target.replace('-', '_')}": cross["cpp"],
            f"AR_{rust.target.replace('-', '_')}": cross["ar"],
            "PYO3_CROSS": "1",
            # maturin audits nothing itself: auditwheel repairs the wheel afterwards.
            "MATURIN_PEP517_ARGS": f"--target {rust.target} --compatibility off",
        }


def cargo_home(job: BuildJob) -> Path:
    """A cargo home with the offline configuration, inside the work folder."""
    home = job.work / CARGO_HOME
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CARGO_CONFIG)
    return home


MATURIN = Maturin()
