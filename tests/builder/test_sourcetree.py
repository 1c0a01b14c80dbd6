"""The source tree: an sdist unpacked without its top folder, then patched all or nothing."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from rvwheels.builder.sourcetree import make_source_tree
from rvwheels.errors import PatchError
from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec

GOOD = "--- a/setup.py\n+++ b/setup.py\n@@ -1 +1 @@\n-import pkg_resources\n+import importlib\n"
# Its first hunk applies, its second does not: nothing may change.
HALF = GOOD + "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-no such line\n+x\n"


def _sdist(tmp_path: Path) -> Path:
    archive = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, text in (("setup.py", "import pkg_resources\n"), ("README", "demo\n")):
            data = text.encode()
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return archive


def _recipe(tmp_path: Path, patch_text: str) -> Recipe:
    patch = tmp_path / "0001.patch"
    patch.write_text(patch_text)
    return Recipe(
        name="demo",
        version="1.0",
        source=SourceSpec(
            url="https://example.org/demo-1.0.tar.gz", sha256="0" * 64, patches=(patch,)
        ),
        build=BuildSpec(backend="setuptools"),
        path=tmp_path / "demo.toml",
        digest="d",
    )


def test_the_sdist_is_unpacked_without_its_top_folder_and_patched(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_source_tree(_recipe(tmp_path, GOOD), _sdist(tmp_path), src, log=tmp_path / "log")
    assert (src / "setup.py").read_text() == "import importlib\n"
    assert (src / "README").read_text() == "demo\n"


def test_a_patch_that_does_not_apply_changes_nothing_and_names_itself(tmp_path: Path) -> None:
    src = tmp_path / "src"
    with pytest.raises(PatchError, match=r"demo: patch 0001.patch does not apply to demo-1.0"):
        make_source_tree(_recipe(tmp_path, HALF), _sdist(tmp_path), src, log=tmp_path / "log")
    assert (src / "setup.py").read_text() == "import pkg_resources\n"
