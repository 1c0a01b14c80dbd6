"""PackageBuilder rules that need no build."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rvwheels.builder.package import PackageBuilder
from rvwheels.recipe.spec import BuildSpec, Recipe, RequiresSpec, SourceSpec


def _recipe(name: str, version: str, requires: tuple[str, ...] = ()) -> Recipe:
    return Recipe(
        name=name,
        version=version,
        source=SourceSpec(url=f"https://example.org/{name}.tar.gz", sha256="0" * 64),
        build=BuildSpec(backend="meson-python"),
        requires=RequiresSpec(host=requires),
        path=Path(f"/recipes/{name}.toml"),
        digest="d",
    )


def test_build_requirements_we_build_are_pinned_to_our_version(tmp_path):
    numpy = _recipe("numpy", "2.4.6")
    scipy = _recipe("scipy", "1.17.1", requires=("numpy", "openblas"))
    builder = PackageBuilder(
        scipy,
        SimpleNamespace(work_dir=tmp_path),
        cache=tmp_path,
        progress=None,
        log=tmp_path / "log",
        required={"numpy": numpy, "openblas": _recipe("openblas", "0.3.34")},
    )
    sdist = ["meson-python>=0.15", "NumPy>=2.0.0,<2.7", "Cython>=3"]
    assert builder._pins(sdist) == ["numpy==2.4.6"]
