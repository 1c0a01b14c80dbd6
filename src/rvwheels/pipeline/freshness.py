"""Is a package's wheel up to date? Hashes, not mtimes: the key covers the recipe and its
patches, the source, the build environment and rvwheels itself. A wheel whose record carries
the same key is not rebuilt."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rvwheels import __version__
from rvwheels.environment.sides import BuildEnvironment
from rvwheels.recipe.spec import Recipe
from rvwheels.wheelhouse import Wheelhouse

# Files a build writes into a local source tree; they must not change its identity.
IGNORED_PARTS = {"build", "__pycache__", ".mesonpy", "dist"}


def build_key(
    recipe: Recipe,
    env: BuildEnvironment,
    dependency_wheels: list[Path],
    *,
    variant: str | None = None,
) -> str:
    """Dependencies count by their wheels' content: a rebuilt numpy rebuilds scipy."""
    digest = hashlib.sha256()
    deps = [hashlib.sha256(w.read_bytes()).hexdigest() for w in sorted(dependency_wheels)]
    # A library built with make does not depend on the Python: one wheel serves every --python.
    environment = env.machine_fingerprint if recipe.build.backend == "make" else env.fingerprint
    identity = (__version__, recipe.digest, source_identity(recipe), environment)
    for part in (*identity, variant or "", *deps):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def source_identity(recipe: Recipe) -> str:
    if recipe.source.sha256:
        return recipe.source.sha256
    assert recipe.source.path is not None
    return tree_digest(recipe.source.path)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _ignored(rel):
            digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _ignored(rel: Path) -> bool:
    return any(p in IGNORED_PARTS or p.endswith(".egg-info") for p in rel.parts)


def up_to_date_wheel(recipe: Recipe, key: str, wheelhouse: Wheelhouse) -> Path | None:
    for wheel in wheelhouse.wheels():
        record = wheelhouse.record(wheel.name) or {}
        if record.get("name") == recipe.name and record.get("build_key") == key:
            return wheel
    return None
