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
    patches = tmp_path / "patches" / "numpy"
    patch_bytes = (patches / "0001-fix.patch").read_bytes() + (
        patches / "0002-more.patch"
    ).read_bytes()

    recipe = load_recipe(path)

    assert recipe == Recipe(
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
    assert recipe.source.filename == "numpy-2.4.6.tar.gz"
    assert all(p.is_absolute() for p in (recipe.path, *recipe.source.patches))


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
BROKEN = {
    "unknown top-level key": ("[test]", "[tests]", "tests: unknown key", "did you mean 'test'?"),
    "unknown nested key": (
        "fortran = true",
        "fortan = true",
        "build.fortan: unknown key",
        "did you mean 'fortran'?",
    ),
    "unknown key in an array of tables": (
        'pkgconfig = "zlib"',
        'pkg-config = "zlib"',
        "requires.library[1].pkg-config: unknown key",
        "did you mean 'pkgconfig'?",
    ),
    "unknown key, nothing close": (
        "[build]\n",
        "[build]\nwhatever = 1\n",
        "build.whatever: unknown key",
        "remove it ([build] allows: backend, fortran, modes, env, config-settings, roots,",
    ),
    "missing key": ('version = "2.4.6"\n', "", "package.version: missing", 'add version = "…"'),
    "missing key in a library": (
        'lib = "z"\n',
        "",
        "requires.library[1].lib: missing",
        'add lib = "…" under [[requires.library]]',
    ),
    "unknown sub-table": (
        '[build]\nbackend = "meson-python"\n',
        "[build.x]\n",
        "build.x: unknown key",
        "remove it",
    ),
    "float version": (
        'version = "2.4.6"',
        "version = 2.4",
        "package.version: expected a string, got the bare number 2.4",
        'put it in quotes: version = "…"',
    ),
    "string boolean": (
        "fortran = true",
        'fortran = "no"',
        'build.fortran: expected a boolean, got the string "no"',
        "write fortran = true or fortran = false",
    ),
    "string integer": (
        "timeout = 1800",
        'timeout = "1800"',
        'test.timeout: expected a whole number, got the string "1800"',
        "remove the quotes: timeout = 1800",
    ),
    "boolean is not a whole number": (
        "timeout = 1800",
        "timeout = true",
        "test.timeout: expected a whole number, got the boolean true",
        "write timeout = 60",
    ),
    "float property": (
        "jobs = 4",
        "jobs = 4.5",
        "cross.properties.jobs: expected a boolean, a whole number, a string or a list",
        "put it in quotes",
    ),
    "zero timeout": ("timeout = 1800", "timeout = 0", "test.timeout: 0 is too small", ">= 1"),
    "string instead of list": (
        'modes = ["native", "cross"]',
        'modes = "native"',
        "build.modes: expected a list of strings",
        'write modes = ["…"]',
    ),
    "wrong item inside a string-or-list": (
        'builddir = "build"',
        'builddir = ["build", 3]',
        "build.config-settings.builddir[1]: expected a string, got the bare number 3",
        'put it in quotes: "3"',
    ),
    "argv that is not a list": (
        '["python", "-c", "import numpy"],',
        '"python -c 1",',
        "test.commands[1]: expected a list of strings",
        "write [",
    ),
    "single table instead of an array of tables": (
        '[[requires.library]]\nname = "zlib"',
        '[requires.libraries]\nname = "zlib"',
        "requires.libraries: unknown key",
        "did you mean 'library'?",
    ),
    "env value must be a string": (
        'EMPTY = ""',
        "EMPTY = 1",
        "build.env.EMPTY: expected a string",
        'put it in quotes: EMPTY = "1"',
    ),
    "env name": (
        'EMPTY = ""',
        '"NOT A NAME" = ""',
        'build.env."NOT A NAME": is not an environment variable name',
        "letters, digits and underscores",
    ),
    "PEP 440": (
        'version = "2.4.6"',
        'version = "two point four"',
        'package.version: "two point four" is not a valid PEP 440 version',
        'version = "2.4.6"',
    ),
    "short sha256": (
        f'sha256 = "{SHA256}"',
        'sha256 = "abc123"',
        "source.sha256: expected 64 lower-case hex digits, got 6 characters",
        "sha256sum",
    ),
    "upper-case sha256": (
        f'sha256 = "{SHA256}"',
        f'sha256 = "{SHA256.upper()}"',
        "source.sha256: must be lower case hex",
        "lower case",
    ),
    "url and path": (
        "[source]\n",
        '[source]\npath = "patches"\n',
        "source: has both url and path",
        "keep exactly one",
    ),
    "url without sha256": (
        f'sha256 = "{SHA256}"\n',
        "",
        "source.sha256: missing (required with url)",
        'add sha256 = "…"',
    ),
    "url that is not a url": (
        'url = "https://files.pythonhosted.org/packages/source/n/numpy/numpy-2.4.6.tar.gz"',
        'url = "numpy-2.4.6.tar.gz"',
        'source.url: "numpy-2.4.6.tar.gz" is not a URL to a file',
        "https://",
    ),
    "unknown backend": (
        'backend = "meson-python"',
        'backend = "meson"',
        'build.backend: unknown value "meson"',
        "did you mean 'meson-python'? choose one of: meson-python, setuptools",
    ),
    "unknown mode": (
        'modes = ["native", "cross"]',
        'modes = ["native", "emulate"]',
        'build.modes[1]: unknown value "emulate"',
        "did you mean 'emulated'?",
    ),
    "repeated mode": (
        'modes = ["native", "cross"]',
        'modes = ["native", "native"]',
        'build.modes[1]: "native" is listed twice',
        "remove the repeat",
    ),
    "no modes": ('modes = ["native", "cross"]', "modes = []", "build.modes: is empty", "at least"),
    "missing patch": (
        "0002-more.patch",
        "0003-gone.patch",
        "source.patches[1]: file",
        "relative to the recipe file",
    ),
    "file name is not the package name": (
        'name = "NumPy"',
        'name = "SciPy"',
        'package.name: "SciPy" (normalised: "scipy") does not match the file name numpy.toml',
        "rename the file to scipy.toml",
    ),
    "invalid package name": (
        'name = "NumPy"',
        'name = "num py"',
        'package.name: "num py" is not a valid package name',
        "PyPI",
    ),
    "invalid requirement": (
        'requires = ["pytest", "hypothesis>=6"]',
        'requires = ["pytest", "hypothesis >"]',
        'test.requires[1]: "hypothesis >" is not a PEP 508 requirement',
        '"pytest>=8"',
    ),
    "invalid module name": (
        'imports = ["numpy", "numpy.linalg"]',
        'imports = ["numpy", "numpy-linalg"]',
        'test.imports[1]: "numpy-linalg" is not an importable module name',
        "numpy.linalg",
    ),
    "library file name instead of a name": (
        'lib = "z"',
        'lib = "libz.so.1"',
        'requires.library[1].lib: "libz.so.1" is a file name',
        'lib = "openblas"',
    ),
    "empty string": ('lib = "z"', 'lib = ""', "requires.library[1].lib: is empty", "give lib"),
}


@pytest.mark.parametrize(("old", "new", "where", "fix"), BROKEN.values(), ids=BROKEN.keys())
def test_each_mistake_is_one_line_naming_file_key_and_fix(
    write_recipe, old: str, new: str, where: str, fix: str
) -> None:
    path = write_recipe(edited(FULL_RECIPE, old, new))

    with pytest.raises(RecipeError) as caught:
        load_recipe(path)

    message = caught.value.message
    assert message.startswith(f"{path}: {where}"), message
    assert fix in message, message
    assert "\n" not in message


def test_neither_url_nor_path(write_recipe) -> None:
    text = edited(MINIMAL_RECIPE, 'url = "https://example.org/numpy-2.4.6.tar.gz"\n', "")
    text = edited(text, f'sha256 = "{SHA256}"\n', "")
    path = write_recipe(text)
    with pytest.raises(RecipeError, match=r": source: needs url or path; add url = "):
        load_recipe(path)


def test_sha256_is_refused_for_path_sources(write_recipe, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    text = edited(MINIMAL_RECIPE, 'url = "https://example.org/numpy-2.4.6.tar.gz"', 'path = "src"')
    with pytest.raises(RecipeError, match=r": source.sha256: only applies to url sources"):
        load_recipe(write_recipe(text))


def test_missing_path_source(write_recipe, tmp_path: Path) -> None:
    text = edited(MINIMAL_RECIPE, 'url = "https://example.org/numpy-2.4.6.tar.gz"', 'path = "src"')
    text = edited(text, f'sha256 = "{SHA256}"\n', "")
    path = write_recipe(text)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert caught.value.message.startswith(f"{path}: source.path: directory {tmp_path / 'src'}")


def test_missing_table(write_recipe) -> None:
    path = write_recipe(edited(MINIMAL_RECIPE, '[build]\nbackend = "setuptools"\n', ""))
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert caught.value.message == f"{path}: build: missing required table; add a [build] section"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ('[package]\nname = "numpy"\nversion = \n', "line 3, column 11"),
        ('[package]\nname = "numpy\n', "line 2, column 14"),
        ("[package]\n[package]\n", "line 2, column 9"),
    ],
)
def test_toml_syntax_errors_give_line_and_column(write_recipe, text: str, place: str) -> None:
    path = write_recipe(text)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    message = caught.value.message
    assert message.startswith(f"{path}: {place}: invalid TOML: "), message
    assert message.endswith("; fix the syntax there")
    assert "\n" not in message


def test_non_utf8_file(write_recipe) -> None:
    path = write_recipe("")
    path.write_bytes(b'[package]\nname = "\xff"\n')
    with pytest.raises(RecipeError, match="not UTF-8 text"):
        load_recipe(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"nope.toml: cannot read the recipe"):
        load_recipe(tmp_path / "nope.toml")


def test_make_needs_its_section_and_other_backends_refuse_it(write_recipe) -> None:
    make = edited(MINIMAL_RECIPE, 'backend = "setuptools"', 'backend = "make"')
    with pytest.raises(RecipeError, match=r": build.make: missing .*add a \[build.make\] section"):
        load_recipe(write_recipe(make))
    stray = edited(
        MINIMAL_RECIPE, "[test]", '[build.variants.GENERIC]\nmake-args = ["X=1"]\n\n[test]'
    )
    with pytest.raises(RecipeError, match=r": build.variants: only applies to backend = "):
        load_recipe(write_recipe(stray))


def test_adopt_section_only_with_the_adopt_backend(write_recipe) -> None:
    text = edited(MINIMAL_RECIPE, "[test]", '[adopt]\ndrop-requires = ["mkl"]\n\n[test]')
    with pytest.raises(RecipeError, match=r": adopt: only applies to build.backend = \"adopt\""):
        load_recipe(write_recipe(text))
    adopted = load_recipe(write_recipe(edited(text, 'backend = "setuptools"', 'backend = "adopt"')))
    assert adopted.adopt is not None and adopted.adopt.drop_requires == ("mkl",)


def test_adopting_a_deb_needs_the_packages_to_take(write_recipe) -> None:
    deb = edited(MINIMAL_RECIPE, "numpy-2.4.6.tar.gz", "python3-numpy_2.4.6_riscv64.deb")
    deb = edited(deb, 'backend = "setuptools"', 'backend = "adopt"')
    with pytest.raises(RecipeError, match=r"build: adopting a .deb needs adopt.packages"):
        load_recipe(write_recipe(deb))
    with_packages = edited(deb, "[test]", '[adopt]\npackages = ["numpy"]\n\n[test]')
    assert load_recipe(write_recipe(with_packages)).adopt.packages == ("numpy",)


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
