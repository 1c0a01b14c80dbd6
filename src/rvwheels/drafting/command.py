"""`rvwheels new NAME[==VERSION]`: read the release, look inside its sdist, write the draft."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from rvwheels.drafting.draft import compose, load_libraries, recipe_backend
from rvwheels.drafting.pypi import Release, fetch_release
from rvwheels.drafting.sdist import inspect_sdist
from rvwheels.environment.target import load_target
from rvwheels.errors import ConfigurationError, FetchError
from rvwheels.fetch import fetch_file
from rvwheels.recipe.loader import load_recipe, load_recipes
from rvwheels.recipe.spec import SourceSpec


@dataclass(frozen=True, kw_only=True)
class Drafted:
    name: str
    version: str
    recipe: Path | None  # None: no recipe is needed (the project is pure)
    notes: tuple[str, ...]


def parse_name(spec: str) -> tuple[str, str | None]:
    """ "pyyaml" -> ("pyyaml", None); "PyYAML==6.0.2" -> ("pyyaml", "6.0.2")."""
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        requirement = None
    specifiers = [] if requirement is None else list(requirement.specifier)
    exact = len(specifiers) == 1 and specifiers[0].operator == "=="
    if (
        requirement is None
        or requirement.marker
        or requirement.extras
        or (specifiers and not exact)
    ):
        msg = f"'{spec}': write NAME or NAME==VERSION, e.g. rvwheels new pyyaml==6.0.2"
        raise ConfigurationError(msg)
    return canonicalize_name(requirement.name), specifiers[0].version if exact else None


def draft_recipe(
    spec: str, *, recipes_dir: Path, toolchain_dir: Path, cache: Path, force: bool = False
) -> Drafted:
    name, version = parse_name(spec)
    target = recipes_dir / f"{name}.toml"
    if target.exists() and not force:
        msg = f"{target} exists; pass --force to replace it, or edit it"
        raise ConfigurationError(msg)
    release = fetch_release(name, version)
    if release.pure_wheel is not None:
        note = f"{release.pure_wheel} on PyPI is pure: pip installs it on riscv64 as it is"
        return Drafted(name=name, version=release.version, recipe=None, notes=(note,))
    facts = inspect_sdist(_fetch_sdist(release, cache))
    backend = recipe_backend(release, facts)
    if backend is None:
        note = f"{name} {release.version} builds a pure wheel ({facts.build_backend}): no recipe"
        return Drafted(name=name, version=release.version, recipe=None, notes=(note,))
    ours = {n: r.version for n, r in load_recipes(recipes_dir).items()}
    libraries = load_libraries(toolchain_dir / "libraries.toml")
    cxx_link_flags = load_target(toolchain_dir=toolchain_dir).cxx_link_flags
    draft = compose(
        release,
        facts,
        backend=backend,
        ours=ours,
        libraries=libraries,
        cxx_link_flags=cxx_link_flags,
    )
    write_validated(target, draft.text)
    return Drafted(name=name, version=release.version, recipe=target, notes=draft.notes)


def _fetch_sdist(release: Release, cache: Path) -> Path:
    if release.sdist_url is None or release.sdist_sha256 is None:
        msg = (
            f"{release.name} {release.version} has no sdist on PyPI; rvwheels builds from "
            "sdists (a riscv64 build that exists elsewhere can be adopted: backend adopt)"
        )
        raise FetchError(msg)
    source = SourceSpec(url=release.sdist_url, sha256=release.sdist_sha256)
    return fetch_file(source, cache, name=release.normalized, stated_in=Path("PyPI"), key="sha256")


def write_validated(target: Path, text: str) -> None:
    """Write the draft into place only once it loads as a recipe (checked under its final
    name in a scratch folder, since the loader checks that the name matches the file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".draft-") as scratch:
        draft = Path(scratch) / target.name
        draft.write_text(text)
        load_recipe(draft)
        os.replace(draft, target)
