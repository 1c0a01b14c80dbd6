"""The files a recipe names: its source folder and patches, kept inside the recipe's folder, and
the digest over the recipe and its patches (streamed, with a size limit per patch)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from rvwheels.errors import RecipeError
from rvwheels.hashing import TooLarge, update_from
from rvwheels.recipe.spec import SourceSpec
from rvwheels.schema import KeyPath, show

MAX_PATCH_BYTES = 16 << 20  # a patch is text; the largest in recipes/ is 3 kB


def recipe_folder(path: Path) -> Path:
    """The folder every path in the recipe resolves inside (symlinks followed)."""
    return path.resolve().parent


def resolve_source(source: SourceSpec, folder: Path, at: KeyPath) -> SourceSpec:
    """``source`` with its path and patches absolute; ``at`` is where [source] was written."""
    path = None
    if source.path is not None:
        path = _inside(folder, source.path, at.child("path"), directory=True)
    patches = tuple(
        _inside(folder, patch, at.child("patches").item(i), directory=False)
        for i, patch in enumerate(source.patches)
    )
    return replace(source, path=path, patches=patches)


def _inside(folder: Path, relative: Path, at: KeyPath, *, directory: bool) -> Path:
    kind = "directory" if directory else "file"
    try:
        resolved = (folder / relative).resolve()
        exists = resolved.exists()
        right_kind = resolved.is_dir() if directory else resolved.is_file()
        size = resolved.stat().st_size if right_kind and not directory else 0
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
        reason = getattr(error, "strerror", None) or str(error)
        raise at.error(problem=f"cannot be resolved ({reason})", fix="fix the path") from None
    if resolved == folder:
        problem, fix = "is the recipe's folder itself", "name a sub-folder that holds the source"
        raise at.error(problem=problem, fix=fix)
    if not resolved.is_relative_to(folder):
        problem = f"{show(str(relative))} is {resolved}, outside the recipe's folder {folder}"
        what = "a sub-folder" if directory else "a file"
        raise at.error(problem=problem, fix=f"name {what} of the folder that holds the recipe")
    fix = "fix the path (it is relative to the recipe file)"
    if not exists:
        raise at.error(problem=f"{kind} {resolved} does not exist", fix=fix)
    if not right_kind:
        raise at.error(problem=f"{resolved} is not a {kind}", fix=fix)
    if size > MAX_PATCH_BYTES:
        problem = f"is {size} bytes, more than a patch may be ({MAX_PATCH_BYTES})"
        raise at.error(problem=problem, fix="split it, or fix the path")
    return resolved


def recipe_digest(recipe_bytes: bytes, patches: tuple[Path, ...]) -> str:
    """sha256 of the recipe's bytes followed by each patch's bytes, in order."""
    digest = hashlib.sha256(recipe_bytes)
    for patch in patches:
        try:
            with patch.open("rb") as stream:
                update_from(digest, stream, path=patch, limit=MAX_PATCH_BYTES)
        except TooLarge:
            msg = f"{patch}: grew past {MAX_PATCH_BYTES} bytes while it was read; check the patch"
            raise RecipeError(msg) from None
        except OSError as error:
            msg = f"{patch}: cannot read the patch ({error.strerror or error}); check the file"
            raise RecipeError(msg) from None
    return digest.hexdigest()
