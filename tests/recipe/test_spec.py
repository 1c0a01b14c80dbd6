from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rvwheels.recipe.spec import BACKENDS, MODES, BuildSpec, Recipe, SourceSpec, TestSpec


def test_filename_is_the_url_basename_without_query_or_quoting() -> None:
    source = SourceSpec(url="https://example.org/pkgs/my%20pkg-1.0.tar.gz?raw=1#frag")
    assert source.filename == "my pkg-1.0.tar.gz"


def test_filename_of_a_path_source_is_the_directory_name(tmp_path: Path) -> None:
    assert SourceSpec(path=tmp_path / "meson_c").filename == "meson_c"


def test_filename_needs_a_url_or_path() -> None:
    with pytest.raises(ValueError, match="neither url nor path"):
        _ = SourceSpec().filename


def test_specs_are_frozen_and_keyword_only(tmp_path: Path) -> None:
    recipe = Recipe(
        name="numpy",
        version="2.4.6",
        source=SourceSpec(path=tmp_path),
        build=BuildSpec(backend="setuptools"),
        path=tmp_path / "numpy.toml",
        digest="0" * 64,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.version = "2.4.7"  # type: ignore[misc]
    with pytest.raises(TypeError):
        BuildSpec("setuptools")  # type: ignore[misc]


def test_defaults_are_the_documented_ones() -> None:
    assert BuildSpec(backend="setuptools").modes == MODES == ("cross", "emulated", "native")
    assert BACKENDS == (
        "meson-python",
        "setuptools",
        "scikit-build-core",
        "maturin",
        "make",
        "adopt",
    )
    assert TestSpec().timeout == 900


def test_pytest_does_not_collect_the_test_spec_class() -> None:
    # TestSpec is imported into this module; with filterwarnings=error a collection warning
    # about its __init__ would already have failed the run. This guards the opt-out itself.
    assert TestSpec.__test__ is False
    assert "__test__" not in {f.name for f in dataclasses.fields(TestSpec)}
