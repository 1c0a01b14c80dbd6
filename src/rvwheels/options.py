"""Build options, resolved once from the command line and the environment into a plain object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import ConfigurationError
from rvwheels.recipe.spec import MODES

DEFAULT_PREFIXES = ("/usr", "/usr/local")


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    mode: str
    wheelhouse: Path
    jobs: int
    recipes_dir: Path
    toolchain_dir: Path
    cache: Path
    run_tests: bool
    force: bool = False  # rebuild even when the wheelhouse has an up-to-date wheel
    # Target Python versions, one wheel each; () means the roots' own Python (Debian's).
    pythons: tuple[str, ...] = ()
    variants: Mapping[str, str] = field(default_factory=dict)  # recipe -> variant name
    # Native mode: where this machine keeps libraries and .pc files (lib, lib64, multiarch
    # folders under each); $RVWHEELS_PREFIXES, colon-separated.
    prefixes: tuple[str, ...] = DEFAULT_PREFIXES

    @property
    def work_dir(self) -> Path:
        return self.cache / "work"

    @property
    def logs_dir(self) -> Path:
        return self.cache / "logs"


def default_mode(machine: str) -> str:
    return "native" if machine == "riscv64" else "cross"


def resolve_options(
    *,
    mode: str | None,
    wheelhouse: Path | None,
    jobs: int,
    recipes_dir: Path | None,
    run_tests: bool = True,
    force: bool = False,
    pythons: str | None = None,
    variants: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    machine: str | None = None,
) -> BuildOptions:
    env = os.environ if env is None else env
    machine = machine or os.uname().machine
    mode = mode or env.get("RVWHEELS_MODE") or default_mode(machine)
    if mode not in MODES:
        msg = f"unknown mode '{mode}'; choose one of {', '.join(MODES)}"
        raise ConfigurationError(msg)
    if jobs < 1:
        msg = f"--jobs must be at least 1 (got {jobs})"
        raise ConfigurationError(msg)
    toolchain = Path(env.get("RVWHEELS_TOOLCHAIN", paths.TOOLCHAIN_DIR))
    return BuildOptions(
        mode=mode,
        wheelhouse=(wheelhouse or paths.DEFAULT_WHEELHOUSE).absolute(),
        jobs=jobs,
        recipes_dir=(recipes_dir or paths.RECIPES_DIR).absolute(),
        toolchain_dir=toolchain.absolute(),
        cache=paths.cache_dir(dict(env)).absolute(),
        run_tests=run_tests,
        force=force,
        pythons=_parse_pythons(pythons),
        variants=_parse_variants(variants),
        prefixes=_parse_prefixes(env.get("RVWHEELS_PREFIXES")),
    )


def _parse_prefixes(value: str | None) -> tuple[str, ...]:
    """ "/usr:/opt/openblas" -> ("/usr", "/opt/openblas"); unset or empty: the defaults."""
    prefixes = tuple(p for p in (value or "").split(":") if p)
    return prefixes or DEFAULT_PREFIXES


def _parse_pythons(value: str | None) -> tuple[str, ...]:
    """ "3.11,3.13" -> ("3.11", "3.13")."""
    if not value:
        return ()
    versions = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    for version in versions:
        if not re.fullmatch(r"3\.[0-9]+", version):
            msg = f"--python {value}: '{version}' is not a Python version; write e.g. 3.11,3.13"
            raise ConfigurationError(msg)
    return versions


def _parse_variants(values: tuple[str, ...]) -> dict[str, str]:
    """("openblas=C910V",) -> {"openblas": "C910V"}."""
    parsed = {}
    for value in values:
        name, sep, variant = value.partition("=")
        if not sep or not name or not variant:
            msg = f"--variant {value}: write RECIPE=VARIANT, e.g. --variant openblas=C910V"
            raise ConfigurationError(msg)
        parsed[name.strip().lower()] = variant.strip()
    return parsed
