from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.recipe.loader import find_recipe, load_recipe, load_recipes
from rvwheels.recipe.spec import (
    DEFAULT_TEST_TIMEOUT,
    MODES,
    BuildSpec,
    CrossSpec,
    LibrarySpec,
    Recipe,
    RequiresSpec,
    SourceSpec,
    TestSpec,
)

from ._texts import FULL_RECIPE, MINIMAL_RECIPE, SHA256, edited


def test_full_recipe_loads_into_the_documented_spec(write_recipe, tmp_path: Path) -> None:
    path = write_recipe(FULL_RECIPE)

    recipe = load_recipe(path)

    assert recipe == full_recipe(path, tmp_path / "patches" / "numpy")
    assert recipe.source.filename == "numpy-2.4.6.tar.gz"
    assert all(p.is_absolute() for p in (recipe.path, *recipe.source.patches))


def full_recipe(path: Path, patches: Path) -> Recipe:
    """What FULL_RECIPE says, written out by hand."""
    patch_bytes = (patches / "0001-fix.patch").read_bytes() + (
        patches / "0002-more.patch"
    ).read_bytes()
    return Recipe(
        name="numpy",
        version="2.4.6",
        source=SourceSpec(
            url="https://files.pythonhosted.org/packages/source/n/numpy/numpy-2.4.6.tar.gz",
            path=None,
            sha256=SHA256,
            patches=(patches / "0001-fix.patch", patches / "0002-more.patch"),
        ),
        build=BuildSpec(
            backend="meson-python",
            fortran=True,
            modes=("native", "cross"),
            env={"NPY_BLAS_ORDER": "openblas", "EMPTY": ""},
            config_settings={
                "setup-args": ("-Dblas=openblas", "-Dlapack=openblas"),
                "builddir": ("build",),
            },
        ),
        cross=CrossSpec(
            properties={
                "longdouble_format": "IEEE_QUAD_LE",
                "needs_exe_wrapper": True,
                "jobs": 4,
                "extra": ("a", "b"),
            }
        ),
        requires=RequiresSpec(
            host=("meson-python",),
            run=("packaging>=23",),
            libraries=(
                LibrarySpec(
                    name="OpenBLAS",
                    pkgconfig="openblas",
                    lib="openblas",
                    headers=("cblas.h",),
                    debian="libopenblas-dev",
                    rpm="openblas-devel",
                ),
                LibrarySpec(name="zlib", pkgconfig="zlib", lib="z"),
            ),
        ),
        test=TestSpec(
            imports=("numpy", "numpy.linalg"),
            requires=("pytest", "hypothesis>=6"),
            commands=(
                ("python", "-m", "pytest", "-q", "--pyargs", "numpy.linalg.tests.test_linalg"),
                ("python", "-c", "import numpy"),
            ),
            timeout=1800,
        ),
        path=path,
        digest=hashlib.sha256(path.read_bytes() + patch_bytes).hexdigest(),
    )


def test_minimal_recipe_gets_the_documented_defaults(write_recipe) -> None:
    recipe = load_recipe(write_recipe(MINIMAL_RECIPE))

    assert recipe.build == BuildSpec(backend="setuptools", fortran=False, modes=MODES)
    assert recipe.source.patches == ()
    assert recipe.cross == CrossSpec(properties={})
    assert recipe.requires == RequiresSpec(host=(), run=(), libraries=())
    assert recipe.test == TestSpec(imports=(), requires=(), commands=(), timeout=900)
    assert DEFAULT_TEST_TIMEOUT == 900  # FORMAT.md documents 900


def test_path_source_is_resolved_against_the_recipe_file(write_recipe, tmp_path: Path) -> None:
    (tmp_path / "packages" / "meson_c").mkdir(parents=True)
    text = edited(
        MINIMAL_RECIPE,
        f'url = "https://example.org/numpy-2.4.6.tar.gz"\nsha256 = "{SHA256}"',
        'path = "packages/meson_c"',
    )

    recipe = load_recipe(write_recipe(text))

    assert recipe.source.url is None and recipe.source.sha256 is None
    assert recipe.source.path == (tmp_path / "packages" / "meson_c").resolve()
    assert recipe.source.filename == "meson_c"


def test_digest_follows_patch_contents(write_recipe, tmp_path: Path) -> None:
    path = write_recipe(FULL_RECIPE)
    first = load_recipe(path).digest
    assert load_recipe(path).digest == first

    (tmp_path / "patches" / "numpy" / "0002-more.patch").write_text("--- a/y\n+++ b/z\n")

    assert load_recipe(path).digest != first


def test_digest_follows_the_recipe_text(write_recipe) -> None:
    first = load_recipe(write_recipe(FULL_RECIPE)).digest
    changed = load_recipe(write_recipe(FULL_RECIPE + "# a comment\n")).digest
    assert changed != first


def test_load_recipes_reads_every_toml_file_and_nothing_else(write_recipe, tmp_path: Path) -> None:
    write_recipe(FULL_RECIPE)
    write_recipe(edited(MINIMAL_RECIPE, 'name = "numpy"', 'name = "Meson_Python"'), "meson-python")
    (tmp_path / "FORMAT.md").write_text("# not a recipe\n")

    recipes = load_recipes(tmp_path)

    assert sorted(recipes) == ["meson-python", "numpy"]
    assert recipes["meson-python"].name == "meson-python"


def test_a_missing_recipe_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="nowhere does not exist"):
        load_recipes(tmp_path / "nowhere")
    with pytest.raises(ConfigurationError, match="nowhere does not exist"):
        find_recipe("numpy", tmp_path / "nowhere")


def test_find_recipe_accepts_any_spelling_of_the_name(write_recipe, tmp_path: Path) -> None:
    write_recipe(FULL_RECIPE)
    write_recipe("this is not TOML", "broken")  # other recipes are not read

    assert find_recipe("NumPy", tmp_path).name == "numpy"


def test_find_recipe_suggests_a_close_name(write_recipe, tmp_path: Path) -> None:
    write_recipe(FULL_RECIPE)
    with pytest.raises(ConfigurationError) as caught:
        find_recipe("nunpy", tmp_path)
    assert "did you mean 'numpy'?" in caught.value.message
    assert '"nunpy"' in caught.value.message


def test_find_recipe_lists_known_recipes_when_nothing_is_close(write_recipe, tmp_path) -> None:
    write_recipe(FULL_RECIPE)
    with pytest.raises(ConfigurationError, match="known recipes: numpy"):
        find_recipe("scikit-image", tmp_path)


# (old text, new text, dotted key the message must name, fragment of the fix)
def test_roots_are_per_mode_and_pythons_are_versions(write_recipe) -> None:
    text = edited(MINIMAL_RECIPE, "[test]", '[build.roots]\nqemu = "x"\n\n[test]')
    with pytest.raises(RecipeError, match=r"build.roots.qemu: unknown value"):
        load_recipe(write_recipe(text))
    text = edited(
        MINIMAL_RECIPE,
        'backend = "setuptools"',
        'backend = "setuptools"\npythons = ["3.11", "py3"]',
    )
    with pytest.raises(RecipeError, match=r"build.pythons\[1\]: \"py3\" is not a Python version"):
        load_recipe(write_recipe(text))


OVERRIDE_FOR_313 = """
[[overrides]]
pythons = ["3.13"]

[overrides.package]
name = "numpy"
version = "2.5.0"

[overrides.build]
backend = "setuptools"
modes = ["emulated"]
"""


def test_an_override_replaces_whole_tables_for_the_pythons_it_names(write_recipe) -> None:
    text = edited(MINIMAL_RECIPE, "[test]", '[repair]\nexclude = ["libtorch*.so*"]\n\n[test]')
    path = write_recipe(text + OVERRIDE_FOR_313)
    base, other, overridden = (load_recipe(path, python) for python in (None, "3.11", "3.13"))
    assert base == other
    assert (base.version, base.build.modes) == ("2.4.6", MODES)
    assert (overridden.version, overridden.build.modes) == ("2.5.0", ("emulated",))
    # Tables the override does not give stay; the file (and so the digest) is the same.
    assert overridden.source == base.source and overridden.repair.exclude == ("libtorch*.so*",)
    assert overridden.digest == base.digest
    assert load_recipes(path.parent, "3.13")["numpy"].version == "2.5.0"


def test_a_mistake_in_any_override_is_reported_whatever_python_is_asked(write_recipe) -> None:
    broken = edited(OVERRIDE_FOR_313, 'modes = ["emulated"]', 'make = { package = "x" }')
    with pytest.raises(RecipeError, match=r": overrides\[0\].build.make: only applies to backend"):
        load_recipe(write_recipe(MINIMAL_RECIPE + broken), "3.11")
    renamed = edited(OVERRIDE_FOR_313, 'name = "numpy"', 'name = "scipy"')
    with pytest.raises(RecipeError, match=r": overrides\[0\].package.name: \"scipy\" does not"):
        load_recipe(write_recipe(MINIMAL_RECIPE + renamed))
    unnamed = edited(OVERRIDE_FOR_313, 'pythons = ["3.13"]\n', "")
    with pytest.raises(RecipeError, match=r"overrides\[0\].pythons"):
        load_recipe(write_recipe(MINIMAL_RECIPE + unnamed))
