"""Each mistake in a recipe is one line naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.errors import RecipeError
from rvwheels.recipe.loader import load_recipe

from ._texts import FULL_RECIPE, MINIMAL_RECIPE, SHA256, edited

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
    "the key requires.host and run replaced": (
        'host = ["Meson_Python"]',
        'recipes = ["Meson_Python"]',
        "requires.recipes: unknown key",
        "renamed: split into host (recipes it builds against) and run (install requirements;",
    ),
    "misspelled placeholder": (
        'builddir = "build"',
        'builddir = "{tagret_site}/build"',
        "build.config-settings.builddir: unknown placeholder {tagret_site}",
        "did you mean '{target_site}'?",
    ),
    "placeholder of another key": (
        'longdouble_format = "IEEE_QUAD_LE"',
        'longdouble_format = "{prefix}"',
        "cross.properties.longdouble_format: unknown placeholder {prefix}",
        "placeholders here: {target_site}, {build_site}",
    ),
    "placeholder where there are none": (
        "numpy-2.4.6.tar.gz",
        "numpy-{version}.tar.gz",
        "source.url: {version} is not a placeholder here",
        "this key takes none",
    ),
    "version not in normal form": (
        'version = "2.4.6"',
        'version = "2.4.6 "',
        'package.version: "2.4.6 " is not in normal form',
        'write version = "2.4.6"',
    ),
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
