"""The typed recipe: what ``recipes/<name>.toml`` says, after validation (see recipes/FORMAT.md).

Every class is a frozen, keyword-only dataclass, and the one place the format is written down:
each field's type, default, TOML key (dashes; ``toml(key=...)`` where the name differs), value
check, placeholders and documentation. ``rvwheels.schema`` derives the checker from them and
FORMAT.md's key tables are generated from them. Code and tests may build a ``Recipe`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from rvwheels.recipe.placeholders import MAKE, SITES, SOURCE
from rvwheels.schema import KeyPath, internal, toml
from rvwheels.schema import checks as check
from rvwheels.schema.nodes import ListOf, MapOf, OneOf, String, ValueCheck

MODES = ("cross", "emulated", "native")
BACKENDS = ("meson-python", "setuptools", "scikit-build-core", "maturin", "make", "adopt")
DEFAULT_TEST_TIMEOUT = 900  # seconds for a recipe's whole test step
MAX_TEST_TIMEOUT = 7 * 24 * 3600

PropertyValue = bool | int | str | tuple[str, ...]
_SITE_STRING = String(allow_empty=True, placeholders=SITES)
_RUN_RENAMED = (
    "renamed: split into host (recipes it builds against) and run (install requirements;"
    " one naming a recipe comes from our wheelhouse)"
)


def _names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(canonicalize_name(name) for name in names)


def _site_table(key_check: ValueCheck, *, doc: str) -> Any:
    """A table of the user's keys (checked by ``key_check``) whose strings may be empty and may
    use the folders of a cross build."""
    keys = String(valid=key_check)
    return toml(default_factory=dict, keys=keys, allow_empty=True, placeholders=SITES, doc=doc)


def _one_or_more_each(settings: dict[str, str | tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {key: (value,) if isinstance(value, str) else value for key, value in settings.items()}


@dataclass(frozen=True, kw_only=True)
class LibrarySpec:
    """A native library the target environment must provide (e.g. OpenBLAS)."""

    name: str = toml(doc="shown in messages")
    pkgconfig: str = toml(doc="the pkg-config module the build looks up")
    lib: str = toml(check=check.library_name, doc="bare name (libopenblas.so), to write a .pc")
    headers: tuple[str, ...] = toml(
        (), check=check.inside_wheel, doc="used to find the include directory for that .pc"
    )
    debian: str | None = toml(None, doc="Debian package name, for install hints")
    rpm: str | None = toml(None, doc="RPM package name, for install hints")


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """Exactly one of ``url`` (with ``sha256``) or ``path`` is set; paths are absolute."""

    url: str | None = toml(None, check=check.download_url, doc="https URL of the sdist or file")
    path: Path | None = toml(None, doc="a local source folder inside the recipe's folder")
    sha256: str | None = toml(None, check=check.sha256, doc="required with url; checked")
    patches: tuple[Path, ...] = toml((), doc="applied in order with patch -p1; recipe's folder")

    @property
    def filename(self) -> str:
        """The download's file name (numpy-2.4.6.tar.gz), or the source directory's name."""
        if self.url is not None:
            return Path(unquote(urlsplit(self.url).path)).name
        if self.path is not None:
            return self.path.name
        msg = "SourceSpec has neither url nor path"
        raise ValueError(msg)

    def validate(self, at: KeyPath) -> None:
        if self.url is not None and self.path is not None:
            raise at.error(problem="has both url and path", fix="keep exactly one of them")
        if self.url is None and self.path is None:
            fix = 'add url = "https://…" with sha256 = "…", or path = "…" for a local directory'
            raise at.error(problem="needs url or path", fix=fix)
        if self.url is not None and self.sha256 is None:
            problem, fix = "missing (required with url)", 'add sha256 = "…" (64 hex digits)'
            raise at.child("sha256").error(problem=problem, fix=fix)
        if self.path is not None and self.sha256 is not None:
            raise at.child("sha256").error(problem="only applies to url sources", fix="remove it")


@dataclass(frozen=True, kw_only=True)
class MakeSpec:
    """A library built with plain make and packed into a wheel under ``package/``."""

    package: str = toml(check=check.module_name, doc="the folder in the wheel: lib/, include/")
    args: tuple[str, ...] = toml((), placeholders=MAKE, doc="for `make`")
    install_args: tuple[str, ...] = toml((), placeholders=MAKE, doc="for `make … install`")


@dataclass(frozen=True, kw_only=True)
class EmulationSpec:
    """One run of a recipe's tests: under which emulator, with which extra variables."""

    emulator: str = toml(
        "",
        check=check.emulator_name,
        allow_empty=True,
        doc='a toolchain/emulators/ file (its qemu and -cpu); "": the default qemu-user',
    )
    env: dict[str, str] = toml(
        default_factory=dict,
        keys=String(valid=check.env_name),
        allow_empty=True,
        doc="extra environment for this run (e.g. OPENBLAS_CORETYPE)",
    )


DEFAULT_RUNS = (EmulationSpec(),)


@dataclass(frozen=True, kw_only=True)
class VariantSpec:
    """One selectable flavour of a make build (e.g. an OpenBLAS TARGET)."""

    name: str
    make_args: tuple[str, ...] = toml((), placeholders=MAKE, doc="added to make's arguments")
    test_under: tuple[EmulationSpec, ...] = toml(
        (), doc="the runs of this variant's tests, instead of [[test.under]] (its CPU's emulator)"
    )


@dataclass(frozen=True, kw_only=True)
class BuildSpec:
    backend: str = toml(choices=BACKENDS, doc="the build backend")
    fortran: bool = toml(False, doc="needs a Fortran compiler")
    modes: tuple[str, ...] = toml(
        MODES, choices=MODES, min_items=1, unique=True, doc="the build modes it supports"
    )
    env: dict[str, str] = _site_table(check.env_name, doc="extra environment for the build")
    config_settings: dict[str, tuple[str, ...]] = toml(
        default_factory=dict,
        node=MapOf(OneOf((_SITE_STRING, ListOf(_SITE_STRING)))),
        convert=_one_or_more_each,
        doc="passed to pypa build as -C key=value",
    )
    roots: dict[str, str] = toml(
        default_factory=dict,
        keys=String(choices=MODES),
        check=check.root_name,
        doc="a build root of toolchain/roots/ per mode, instead of the mode's own",
    )
    system_site_packages: bool = toml(
        False, key="venv-system-site-packages", doc="the build venv sees the root's packages"
    )
    pythons: tuple[str, ...] = toml(
        (),
        check=check.python_version,
        min_items=1,
        unique=True,
        doc="the only target Pythons it supports (default: any)",
    )
    make: MakeSpec | None = toml(None, doc="backend make only")
    variants: tuple[VariantSpec, ...] = toml(
        (), keyed_by="name", doc="backend make only; the first is the default"
    )

    def variant(self, name: str | None) -> VariantSpec | None:
        if not self.variants:
            return None
        if name is None:
            return self.variants[0]
        return next((v for v in self.variants if v.name == name), None)

    def validate(self, at: KeyPath) -> None:
        is_make = self.backend == "make"
        if is_make and self.make is None:
            problem = 'missing (required with backend = "make")'
            fix = 'add a [build.make] section with package = "…"'
            raise at.child("make").error(problem=problem, fix=fix)
        for key, given in (("make", self.make is not None), ("variants", bool(self.variants))):
            if given and not is_make:
                fix = f"remove [build.{key}]"
                raise at.child(key).error(problem='only applies to backend = "make"', fix=fix)


@dataclass(frozen=True, kw_only=True)
class AdoptSpec:
    """Backend "adopt": a riscv64 build that exists but is packaged wrong, re-packed as a wheel
    named and tagged right (the source is a wheel, or a .deb plus ``debs``)."""

    debs: tuple[SourceSpec, ...] = toml(
        (), key="deb", only=("url", "sha256"), doc="more .debs whose files the source links to"
    )
    packages: tuple[str, ...] = toml(
        (), check=check.module_name, unique=True, doc=".deb sources: the packages to take"
    )
    exclude: tuple[str, ...] = toml(
        (), check=check.inside_wheel, doc="glob patterns (relative to site-packages) left out"
    )
    requires_dist: tuple[str, ...] | None = toml(
        None, check=check.requirement, doc="replaces the Requires-Dist found in the source"
    )
    drop_requires: tuple[str, ...] = toml(
        (), check=check.project_name, doc="project names removed from Requires-Dist"
    )


@dataclass(frozen=True, kw_only=True)
class ProvidesSpec:
    """What a library recipe's wheel offers the builds that require it, as folders relative to
    the site-packages it is unpacked into."""

    pkgconfig: tuple[str, ...] = toml((), check=check.inside_wheel, doc="folders of .pc files")
    libdirs: tuple[str, ...] = toml((), check=check.inside_wheel, doc="shared library folders")


@dataclass(frozen=True, kw_only=True)
class RepairSpec:
    exclude: tuple[str, ...] = toml(
        (), check=check.file_pattern, doc="sonames (globs) repair leaves to another wheel"
    )


@dataclass(frozen=True, kw_only=True)
class CrossSpec:
    properties: dict[str, PropertyValue] = _site_table(
        check.meson_name, doc="Meson cross-file [properties]"
    )


@dataclass(frozen=True, kw_only=True)
class SystemSpec:
    """Debian packages this recipe's build root needs beyond the mode's own list: a build root
    with them is made (and cached) for it. Native builds use the machine as it is."""

    target: tuple[str, ...] = toml(
        (),
        check=check.debian_package,
        unique=True,
        doc="the target's libraries and headers (in a cross root: as :riscv64)",
    )
    build: tuple[str, ...] = toml(
        (), check=check.debian_package, unique=True, doc="tools the build machine runs"
    )


NO_SYSTEM = SystemSpec()


@dataclass(frozen=True, kw_only=True)
class RequiresSpec:
    """Host and run dependencies kept apart, as pyodide-build and conda-forge do: a new wheel
    of a host dependency rebuilds this package, a new wheel of a run dependency does not."""

    host: tuple[str, ...] = toml(
        (),
        check=check.project_name,
        unique=True,
        convert=_names,
        renamed={"recipes": _RUN_RENAMED},
        doc="recipes it builds against (built first; a new wheel of one rebuilds this)",
    )
    run: tuple[str, ...] = toml(
        (),
        check=check.requirement,
        doc="PEP 508 install requirements; one naming a recipe comes from the wheelhouse",
    )
    libraries: tuple[LibrarySpec, ...] = toml(
        (), key="library", doc="what the target environment provides"
    )
    system: SystemSpec = toml(
        default_factory=SystemSpec, doc="Debian packages its build root needs besides the mode's"
    )

    def libraries_from_mode_root(self) -> tuple[LibrarySpec, ...]:
        """The libraries the mode's root must hold: not those [requires.system] brings into
        this recipe's own build root."""
        return tuple(lib for lib in self.libraries if lib.debian not in self.system.target)


@dataclass(frozen=True, kw_only=True)
class TestSpec:
    __test__ = False  # its name starts with "Test": keep pytest from collecting it

    imports: tuple[str, ...] = toml(
        (), required=True, check=check.module_name, doc="module names to import (may be empty)"
    )
    requires: tuple[str, ...] = toml(
        (), check=check.requirement, doc="PEP 508 test-only requirements, fetched on the host"
    )
    commands: tuple[tuple[str, ...], ...] = toml(
        (),
        node=ListOf(
            ListOf(String(multiline=True, free_braces=True, placeholders=(SOURCE,)), min_items=1)
        ),
        doc='argv lists; "python" is the test venv\'s',
    )
    timeout: int = toml(
        DEFAULT_TEST_TIMEOUT,
        minimum=1,
        maximum=MAX_TEST_TIMEOUT,
        doc="seconds for the whole test step",
    )
    under: tuple[EmulationSpec, ...] = toml(
        DEFAULT_RUNS,
        min_items=1,
        doc="the runs of the imports and commands: each names an emulator and variables",
    )


@dataclass(frozen=True, kw_only=True)
class Recipe:
    name: str = toml(
        group="package", check=check.project_name, doc="as on PyPI; normalised, the file's stem"
    )
    version: str = toml(group="package", check=check.version, doc="PEP 440, in normal form")
    source: SourceSpec = toml(doc="where the source comes from")
    build: BuildSpec = toml(doc="how it is built")
    cross: CrossSpec = toml(default_factory=CrossSpec, doc="cross builds only")
    requires: RequiresSpec = toml(default_factory=RequiresSpec, doc="what it needs")
    provides: ProvidesSpec = toml(default_factory=ProvidesSpec, doc="what its wheel offers")
    adopt: AdoptSpec | None = toml(None, doc="backend adopt only")
    repair: RepairSpec = toml(default_factory=RepairSpec, doc="auditwheel repair")
    test: TestSpec = toml(default_factory=TestSpec, required=True, doc="how the wheel is tested")
    path: Path = internal(doc="the .toml file, absolute")
    digest: str = internal(doc="sha256 of the recipe file's bytes, then each patch's, in order")
    # The Pythons its [[overrides]] name: their graphs differ (graph.check_override_graphs).
    override_pythons: tuple[str, ...] = internal(())
