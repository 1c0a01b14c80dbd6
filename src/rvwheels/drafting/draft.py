"""Compose a recipe from a PyPI release and what its sdist says; or say why none is needed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from rvwheels.drafting.pypi import Release
from rvwheels.drafting.sdist import SdistFacts
from rvwheels.environment.crossfile import meson_literal
from rvwheels.errors import ConfigurationError, ToolchainError
from rvwheels.schema import checks as check
from rvwheels.schema import internal, toml
from rvwheels.schema.files import load_toml_tables

# [build-system] build-backend -> the recipe's build.backend
BACKENDS = {
    "mesonpy": "meson-python",
    "setuptools.build_meta": "setuptools",
    "setuptools.build_meta:__legacy__": "setuptools",
    "scikit_build_core.build": "scikit-build-core",
    "maturin": "maturin",
}
# Backends that only ever make pure wheels: pip installs those on riscv64 as they are.
PURE_BACKENDS = {
    "hatchling.build",
    "flit_core.buildapi",
    "flit.buildapi",
    "poetry.core.masonry.api",
    "poetry.masonry.api",
    "pdm.backend",
    "pdm.pep517.api",
    "uv_build",
}
COMPILED = {"C", "C++", "Cython", "Fortran", "Rust"}
MAX_IMPORTS = 3


@dataclass(frozen=True, kw_only=True)
class LibraryEntry:
    """One system library of toolchain/libraries.toml (the dataclass is the file's schema)."""

    pkgconfig: str = internal(doc="the table's name: the pkg-config module")
    names: tuple[str, ...] = toml(min_items=1, doc="every spelling a build file may use")
    lib: str = toml(check=check.library_name, doc="the bare library name")
    headers: tuple[str, ...] = toml((), check=check.inside_wheel, doc="a header, for its folder")
    debian: str = toml(check=check.debian_package, doc="the Debian -dev package")
    rpm: str = toml(doc="the openEuler/Fedora -devel package")


@dataclass(frozen=True, kw_only=True)
class Draft:
    name: str
    text: str  # the recipe file; "" when no recipe is needed
    notes: tuple[str, ...]  # one line each: what was found, what to check


def load_libraries(path: Path) -> dict[str, LibraryEntry]:
    return load_toml_tables(
        path, LibraryEntry, ToolchainError, what="the library list", name_field="pkgconfig"
    )


# An in-tree backend (PyYAML's _pyyaml_pep517) wraps the backend its requirements bring.
WRAPPED = {
    "meson-python": "mesonpy",
    "scikit-build-core": "scikit_build_core.build",
    "maturin": "maturin",
    "setuptools": "setuptools.build_meta",
}


def recipe_backend(release: Release, facts: SdistFacts) -> str | None:
    """The recipe's backend, or None when the project needs no recipe (it is pure)."""
    backend = facts.build_backend or "setuptools.build_meta:__legacy__"
    if facts.in_tree_backend and backend not in BACKENDS:
        wrapped = [WRAPPED[n] for n in _requirement_names(facts.build_requires) if n in WRAPPED]
        backend = wrapped[0] if wrapped else backend
    compiled = bool(COMPILED & set(facts.languages))
    if backend in PURE_BACKENDS or (BACKENDS.get(backend) == "setuptools" and not compiled):
        return None
    if backend not in BACKENDS:
        known = ", ".join(sorted(set(BACKENDS.values())))
        msg = (
            f"{release.name} builds with {backend}, which rvwheels cannot drive yet (it builds "
            f"with {known}); write recipes/{release.normalized}.toml by hand"
        )
        raise ConfigurationError(msg)
    return BACKENDS[backend]


def compose(
    release: Release,
    facts: SdistFacts,
    *,
    backend: str,
    ours: Mapping[str, str],
    libraries: Mapping[str, LibraryEntry],
    cxx_link_flags: Sequence[str] = (),
) -> Draft:
    """The recipe text. ``ours``: our recipes by name -> version; ``cxx_link_flags``: the
    target's, for a project with C++ sources."""
    host = [n for n in _requirement_names(facts.build_requires) if n in ours]
    found, unknown = _match_libraries(facts.libraries, libraries)
    host += [entry.pkgconfig for entry in found if entry.pkgconfig in ours]
    system = [entry for entry in found if entry.pkgconfig not in ours]
    lines = _header(release, facts) + _package_and_source(release)
    cxx_flags = tuple(cxx_link_flags) if "C++" in facts.languages else ()
    lines += _build(backend, facts, cxx_flags)
    lines += _cross(backend, host, facts)
    requires_dist = release.requires_dist
    if requires_dist is None:  # PyPI gave only the files: the sdist's PKG-INFO says
        requires_dist = facts.requires_dist or ()
    lines += _requires(dict.fromkeys(host), run_requirements(requires_dist), system)
    lines += _test(facts.packages or (release.normalized.replace("-", "_"),))
    notes = [f"languages: {', '.join(facts.languages) or 'none found'}; backend: {backend}"]
    if "Rust" in facts.languages and not facts.vendored_crates:
        notes.append(
            "Rust: the sdist vendors no crates, and cargo builds offline from Debian's crate "
            "registry; a crate Debian lacks stops the build (then: an adopted build)"
        )
    if cxx_flags:
        notes.append(f"C++: links with {' '.join(cxx_flags)} (the target's cxx-link-flags)")
    notes += [f"unknown system library '{n}' ({where}): add it to [[requires.library]] and "
              f"toolchain/libraries.toml" for n, where in unknown]  # fmt: skip
    return Draft(name=release.normalized, text="\n".join(lines) + "\n", notes=tuple(notes))


def run_requirements(requires_dist: Sequence[str]) -> list[str]:
    """Install requirements without the optional ones (those behind an ``extra`` marker)."""
    kept = []
    for text in requires_dist:
        requirement = Requirement(text)
        if requirement.marker is None or "extra" not in str(requirement.marker):
            kept.append(str(requirement))
    return kept


def _requirement_names(requirements: Sequence[str]) -> list[str]:
    return [canonicalize_name(Requirement(r).name) for r in requirements]


def _match_libraries(
    lookups: Sequence[tuple[str, str]], libraries: Mapping[str, LibraryEntry]
) -> tuple[list[LibraryEntry], list[tuple[str, str]]]:
    by_name = {n.lower(): e for e in libraries.values() for n in (*e.names, e.pkgconfig)}
    found: dict[str, LibraryEntry] = {}
    unknown = []
    for name, where in lookups:
        entry = by_name.get(name.lower())
        if entry is None:
            unknown.append((name, where))
        else:
            found.setdefault(entry.pkgconfig, entry)
    return list(found.values()), unknown


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _list(values) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _header(release: Release, facts: SdistFacts) -> list[str]:
    return [
        f"# Drafted by `rvwheels new {release.normalized}=={release.version}` from PyPI's JSON API",
        f"# and the sdist. Languages: {', '.join(facts.languages) or 'none found'}. Check the",
        "# [test] (an import is not proof: add a command that computes something) and the",
        "# system libraries before committing.",
    ]


def _package_and_source(release: Release) -> list[str]:
    assert release.sdist_url is not None and release.sdist_sha256 is not None
    return [
        "[package]",
        f"name = {_q(release.normalized)}",
        f"version = {_q(str(Version(release.version)))}",  # PEP 440 normal form
        "",
        "[source]",
        f"url = {_q(release.sdist_url)}",
        f"sha256 = {_q(release.sdist_sha256)}",
        "",
    ]


def _build(backend: str, facts: SdistFacts, cxx_flags: Sequence[str]) -> list[str]:
    lines = ["[build]", f"backend = {_q(backend)}"]
    if "Fortran" in facts.languages:
        lines.append("fortran = true")
    return [*lines, "", *_cxx_link(backend, cxx_flags)]


def _cxx_link(backend: str, flags: Sequence[str]) -> list[str]:
    """GCC's C++ runtime linked as the target says. Meson ignores LDFLAGS for the target of a
    cross build, so it is told by option; setuptools and CMake read LDFLAGS in every mode."""
    if not flags or backend not in ("meson-python", "setuptools", "scikit-build-core"):
        return []
    why = "# C++: libstdc++ linked statically and kept private (the target's cxx-link-flags)."
    if backend == "meson-python":
        option = f"-Dcpp_link_args={meson_literal(list(flags))}"
        return [why, "[build.config-settings]", f"setup-args = {_list([option])}", ""]
    return [why, "[build.env]", f"LDFLAGS = {_q(' '.join(flags))}", ""]


def _cross(backend: str, host: Sequence[str], facts: SdistFacts) -> list[str]:
    """Meson asks the build Python for numpy's and pythran's headers unless told (a cross
    build must get the target's)."""
    if backend != "meson-python":
        return []
    properties = []
    if "numpy" in host:
        properties.append('numpy-include-dir = "{target_site}/numpy/_core/include"')
    if "pythran" in _requirement_names(facts.build_requires):
        properties.append('pythran-include-dir = "{build_site}/pythran"')
    return ["[cross.properties]", *properties, ""] if properties else []


def _requires(host: Mapping[str, None], run: Sequence[str], system) -> list[str]:
    lines = ["[requires]"]
    if host:
        lines.append(f"host = {_list(host)}")
    if run:
        lines.append(f"run = {_list(run)}")
    lines = [*lines, ""] if len(lines) > 1 else []
    for entry in system:
        lines += [
            "[[requires.library]]",
            f"name = {_q(entry.pkgconfig)}",
            f"pkgconfig = {_q(entry.pkgconfig)}",
            f"lib = {_q(entry.lib)}",
            f"headers = {_list(entry.headers)}",
            f"debian = {_q(entry.debian)}",
            f"rpm = {_q(entry.rpm)}",
            "",
        ]
    if system:
        # The build root must hold them: in a cross root, the riscv64 -dev packages.
        lines += ["[requires.system]", f"target = {_list(e.debian for e in system)}", ""]
    return lines


def _test(packages: Sequence[str]) -> list[str]:
    return ["[test]", f"imports = {_list(packages[:MAX_IMPORTS])}"]
