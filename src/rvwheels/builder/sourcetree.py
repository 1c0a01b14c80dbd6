"""The source tree a build compiles: the sdist unpacked (or a local folder copied), then the
recipe's patches applied, all or none."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

from rvwheels.errors import CommandFailed, PatchError
from rvwheels.hashing import sha256_file
from rvwheels.recipe.spec import Recipe
from rvwheels.run import run


def make_source_tree(recipe: Recipe, source: Path, dest: Path, *, log: Path) -> None:
    """``dest`` holds the recipe's source, patched; raises PatchError naming the patch."""
    if source.is_dir():
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    else:
        _unpack(source, dest)
    for patch in recipe.source.patches:
        _apply_patch(recipe, patch, dest, log=log)


def source_note(source: Path) -> str:
    """What the build record says the source was: its sha256, or the local folder."""
    return f"local:{source}" if source.is_dir() else sha256_file(source)


def _apply_patch(recipe: Recipe, patch: Path, src: Path, *, log: Path) -> None:
    # A dry run first, so a patch that does not apply leaves no half-patched tree behind.
    for dry in (True, False):
        argv = ["patch", "-p1", "--batch", "--forward", "-d", str(src), "-i", str(patch)]
        try:
            run([*argv, "--dry-run"] if dry else argv, log=log)
        except CommandFailed:
            msg = (
                f"{recipe.name}: patch {patch.name} does not apply to "
                f"{recipe.source.filename}; refresh it against version "
                f"{recipe.version} (details in {log})"
            )
            raise PatchError(msg) from None


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack an sdist into ``dest`` without its top-level folder."""
    staging = dest.with_name(dest.name + ".unpack")
    shutil.rmtree(staging, ignore_errors=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(staging, filter="data")
    tops = list(staging.iterdir())
    (tops[0] if len(tops) == 1 and tops[0].is_dir() else staging).rename(dest)
    shutil.rmtree(staging, ignore_errors=True)
