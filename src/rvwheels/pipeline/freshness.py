"""Is a package's wheel up to date? Hashes, not mtimes: the key covers the recipe and its
patches, the source, the build environment, the variant, the wheels it builds against (its
host dependencies, not its run dependencies) and rvwheels itself. A wheel whose record carries
the same key is not rebuilt."""

from __future__ import annotations

from pathlib import Path

from rvwheels import __version__
from rvwheels.builder.job import BuildJob
from rvwheels.errors import RecipeError
from rvwheels.hashing import TooLarge, sha256_file, sha256_text
from rvwheels.recipe.spec import Recipe
from rvwheels.wheelhouse import Wheelhouse

# Files a build writes into a local source tree; they must not change its identity.
IGNORED_PARTS = {"build", "__pycache__", ".mesonpy", "dist"}
# A local source tree is a fixture or a project being developed, not a disk image.
TREE_LIMIT = 2 << 30


def build_key(job: BuildJob) -> str:
    """A rebuilt numpy rebuilds scipy (a host dependency); a rebuilt pillow does not rebuild
    scikit-image (a run dependency: its tests install whatever the wheelhouse holds)."""
    recipe, env = job.recipe, job.env
    # A library built with make does not depend on the Python: one wheel serves every --python.
    environment = env.machine_fingerprint if recipe.build.backend == "make" else env.fingerprint
    hosts = [sha256_file(host.wheel) for host in sorted(job.host, key=lambda h: h.wheel)]
    variant = "" if job.variant is None else job.variant.name
    return sha256_text(
        __version__, recipe.digest, source_identity(recipe), environment, variant, *hosts
    )


def source_identity(recipe: Recipe) -> str:
    if recipe.source.sha256:
        return recipe.source.sha256
    assert recipe.source.path is not None
    return tree_digest(recipe.source.path)


def tree_digest(root: Path, *, limit: int = TREE_LIMIT) -> str:
    """Every file's path and bytes under ``root`` (streamed), at most ``limit`` bytes in all."""
    parts: list[str] = []
    left = limit
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and not _ignored(rel):
            try:
                parts += [str(rel), sha256_file(path, limit=left)]
            except TooLarge:
                msg = (
                    f"the source folder {root} holds more than {limit >> 20} MiB; "
                    "point source.path at the project's own folder"
                )
                raise RecipeError(msg) from None
            left -= path.stat().st_size
    return sha256_text(*parts)


def _ignored(rel: Path) -> bool:
    return any(p in IGNORED_PARTS or p.endswith(".egg-info") for p in rel.parts)


def up_to_date_wheel(recipe: Recipe, key: str, wheelhouse: Wheelhouse) -> Path | None:
    for wheel in wheelhouse.wheels():
        record = wheelhouse.record(wheel.name) or {}
        if record.get("name") == recipe.name and record.get("build_key") == key:
            return wheel
    return None
