"""The typed recipe: what ``recipes/<name>.toml`` says, after validation (see recipes/FORMAT.md).

Every class is a frozen, keyword-only dataclass. Defaults match the defaults documented in
FORMAT.md, so code and tests may build a ``Recipe`` directly; the loader always fills every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

MODES = ("cross", "emulated", "native")
BACKENDS = ("meson-python", "setuptools", "make", "adopt")
DEFAULT_TEST_TIMEOUT = 900  # seconds for a recipe's whole test step

PropertyValue = str | int | bool | tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LibrarySpec:
    """A native library the target environment must provide (e.g. OpenBLAS)."""

    name: str  # for messages
    pkgconfig: str  # the pkg-config module the build looks up
    lib: str  # "openblas" for libopenblas.so
    headers: tuple[str, ...] = ()
    debian: str | None = None
    rpm: str | None = None


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """Exactly one of ``url`` (with ``sha256``) or ``path`` is set; paths are absolute."""

    url: str | None = None
    path: Path | None = None
    sha256: str | None = None
    patches: tuple[Path, ...] = ()

    @property
    def filename(self) -> str:
        """The download's file name (numpy-2.4.6.tar.gz), or the source directory's name."""
        if self.url is not None:
            return Path(unquote(urlsplit(self.url).path)).name
        if self.path is not None:
            return self.path.name
        msg = "SourceSpec has neither url nor path"
        raise ValueError(msg)


@dataclass(frozen=True, kw_only=True)
class MakeSpec:
    """A library built with plain make and packed into a wheel under ``package/``."""

    package: str  # the folder in the wheel (and in site-packages) holding lib/, include/
    args: tuple[str, ...] = ()  # for `make`; placeholders {cc} {fc} {hostcc} {jobs}
    install_args: tuple[str, ...] = ()  # for `make install`; plus {prefix}


@dataclass(frozen=True, kw_only=True)
class VariantSpec:
    """One selectable flavour of a make build (e.g. an OpenBLAS TARGET)."""

    name: str
    make_args: tuple[str, ...] = ()
    runs_under_qemu: bool = True  # false: qemu-user cannot run its code, tests only natively


@dataclass(frozen=True, kw_only=True)
class BuildSpec:
    backend: str  # one of BACKENDS
    fortran: bool = False
    modes: tuple[str, ...] = MODES  # a subset of MODES, in the order the recipe lists them
    env: dict[str, str] = field(default_factory=dict)
    config_settings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # mode -> toolchain/roots/<name>.toml
    system_site_packages: bool = False  # the build venv sees the root's Debian packages
    pythons: tuple[str, ...] = ()  # the Python versions it supports; empty: any
    make: MakeSpec | None = None  # backend "make" only
    variants: tuple[VariantSpec, ...] = ()  # the first is the default

    def variant(self, name: str | None) -> VariantSpec | None:
        if not self.variants:
            return None
        if name is None:
            return self.variants[0]
        return next((v for v in self.variants if v.name == name), None)


@dataclass(frozen=True, kw_only=True)
class AdoptSpec:
    """Backend "adopt": a riscv64 build that exists but is packaged wrong, re-packed as a wheel
    named and tagged right (the source is a wheel, or a .deb plus ``debs``)."""

    debs: tuple[SourceSpec, ...] = ()  # more .deb files the tree needs (their libraries)
    packages: tuple[str, ...] = ()  # deb sources: the top-level Python packages to take
    exclude: tuple[str, ...] = ()  # glob patterns (relative to site-packages) left out
    requires_dist: tuple[str, ...] | None = None  # replaces the found Requires-Dist
    drop_requires: tuple[str, ...] = ()  # project names removed from Requires-Dist


@dataclass(frozen=True, kw_only=True)
class ProvidesSpec:
    """What a library recipe's wheel offers the builds that require it, as folders relative to
    the site-packages it is unpacked into."""

    pkgconfig: tuple[str, ...] = ()
    libdirs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RepairSpec:
    # sonames (glob patterns) auditwheel leaves to another wheel: torchvision's libtorch
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CrossSpec:
    properties: dict[str, PropertyValue] = field(default_factory=dict)  # Meson [properties]


@dataclass(frozen=True, kw_only=True)
class RequiresSpec:
    """Host and run dependencies kept apart, as pyodide-build and conda-forge do: a new wheel
    of a host dependency rebuilds this package, a new wheel of a run dependency does not."""

    host: tuple[str, ...] = ()  # normalised names of recipes whose wheels it builds against
    # PEP 508 install requirements; one naming a recipe is satisfied by that recipe's wheel,
    # the others come from PyPI.
    run: tuple[str, ...] = ()
    libraries: tuple[LibrarySpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TestSpec:
    __test__ = False  # its name starts with "Test": keep pytest from collecting it

    imports: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # PEP 508 requirements, fetched on the host
    commands: tuple[tuple[str, ...], ...] = ()  # argv lists; "python" is the test venv's
    timeout: int = DEFAULT_TEST_TIMEOUT


@dataclass(frozen=True, kw_only=True)
class Recipe:
    name: str  # normalised (PEP 503); equals the file's stem
    version: str  # PEP 440, as written in the recipe
    source: SourceSpec
    build: BuildSpec
    cross: CrossSpec = field(default_factory=CrossSpec)
    requires: RequiresSpec = field(default_factory=RequiresSpec)
    provides: ProvidesSpec = field(default_factory=ProvidesSpec)
    adopt: AdoptSpec | None = None  # backend "adopt" only
    repair: RepairSpec = field(default_factory=RepairSpec)
    test: TestSpec = field(default_factory=TestSpec)
    path: Path  # the .toml file, absolute
    digest: str  # sha256 hex of the recipe file's bytes followed by each patch's bytes, in order
