"""Drafting recipes from a release and its sdist, with made-up sdists and no network."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from rvwheels.drafting.command import parse_name, write_validated
from rvwheels.drafting.draft import compose, load_libraries, recipe_backend, run_requirements
from rvwheels.drafting.pypi import Release, canonical_file_url, release_from_json
from rvwheels.drafting.sdist import inspect_sdist
from rvwheels.environment.target import load_target
from rvwheels.errors import ConfigurationError, FetchError
from rvwheels.paths import TOOLCHAIN_DIR
from rvwheels.recipe.loader import load_recipe

PYPROJECT_MESON = """
[build-system]
build-backend = "mesonpy"
requires = ["meson-python>=0.15", "numpy>=2", "Cython>=3", "pythran"]
"""
MESON_BUILD = "project('geo', 'c')\ngeos = dependency('geos', version: '>=3.10')\n"
MESON_SUB = "py.extension_module('_core', 'x.c', dependencies: [dependency('threads'), np])\n"


def sdist(tmp_path: Path, files: dict[str, str], top: str = "geo-1.0") -> Path:
    archive = tmp_path / f"{top}.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return archive


def release(**changes) -> Release:
    values = {
        "name": "Geo",
        "version": "1.0",
        "sdist_url": "https://files.pythonhosted.org/packages/aa/bb/geo-1.0.tar.gz",
        "sdist_sha256": "a" * 64,
        "requires_dist": (
            "numpy>=1.26",
            "shapely; extra == 'plot'",
            'tomli; python_version<"3.11"',
        ),
        "requires_python": ">=3.11",
        "wheels": (),
    }
    return Release(**{**values, **changes})


def test_a_meson_project_is_read_from_its_build_files(tmp_path):
    facts = inspect_sdist(
        sdist(
            tmp_path,
            {
                "pyproject.toml": PYPROJECT_MESON,
                "meson.build": MESON_BUILD,
                "src/geo/meson.build": MESON_SUB,
                "src/geo/__init__.py": "",
                "src/geo/_core.pyx": "",
                "src/geo/x.c": "",
                "tests/__init__.py": "",
                "src/geo/solve.f90": "",
            },
        )
    )
    assert facts.build_backend == "mesonpy" and not facts.in_tree_backend
    assert facts.languages == ("C", "Cython", "Fortran")
    assert facts.libraries == (("geos", "meson.build"),)
    assert facts.packages == ("geo",)


def test_the_draft_links_our_recipes_maps_libraries_and_validates(tmp_path):
    facts = inspect_sdist(
        sdist(
            tmp_path,
            {
                "pyproject.toml": PYPROJECT_MESON,
                "meson.build": MESON_BUILD,
                "geo/__init__.py": "",
                "geo/a.c": "",
            },
        )
    )
    draft = compose(
        release(),
        facts,
        backend=recipe_backend(release(), facts),
        ours={"numpy": "2.4.6", "openblas": "0.3.34"},
        libraries=load_libraries(TOOLCHAIN_DIR / "libraries.toml"),
    )
    path = tmp_path / "recipes" / "geo.toml"
    write_validated(path, draft.text)
    recipe = load_recipe(path)
    assert recipe.build.backend == "meson-python"
    assert recipe.requires.host == ("numpy",)
    assert recipe.requires.run == ("numpy>=1.26", 'tomli; python_version < "3.11"')
    (geos,) = recipe.requires.libraries
    assert (geos.pkgconfig, geos.lib, geos.debian) == ("geos", "geos_c", "libgeos-dev")
    assert recipe.requires.system.target == ("libgeos-dev",)  # for the build root
    assert recipe.cross.properties == {
        "numpy-include-dir": "{target_site}/numpy/_core/include",
        "pythran-include-dir": "{build_site}/pythran",
    }
    assert recipe.test.imports == ("geo",)


def test_pure_projects_need_no_recipe_and_unknown_backends_say_so(tmp_path):
    hatch = inspect_sdist(
        sdist(
            tmp_path,
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n',
                "a/__init__.py": "",
            },
        )
    )
    assert recipe_backend(release(), hatch) is None
    plain = inspect_sdist(sdist(tmp_path, {"setup.py": "setup()", "a/__init__.py": ""}))
    assert recipe_backend(release(), plain) is None  # setuptools with nothing to compile
    odd = inspect_sdist(
        sdist(
            tmp_path,
            {"pyproject.toml": '[build-system]\nbuild-backend = "sipbuild.api"\n', "a.c": ""},
        )
    )
    with pytest.raises(ConfigurationError, match="builds with sipbuild.api, which rvwheels"):
        recipe_backend(release(), odd)


def test_an_in_tree_backend_is_the_backend_it_wraps(tmp_path):
    pyyaml = inspect_sdist(
        sdist(
            tmp_path,
            {
                "pyproject.toml": '[build-system]\nrequires = ["setuptools", "Cython"]\n'
                'build-backend = "_pyyaml_pep517"\nbackend-path = ["packaging"]\n',
                "setup.py": "Extension('yaml._yaml', ['yaml/_yaml.pyx'], libraries=['yaml'])",
                "yaml/__init__.py": "",
                "yaml/_yaml.pyx": "",
            },
        )
    )
    assert recipe_backend(release(), pyyaml) == "setuptools"
    assert pyyaml.libraries == (("yaml", "setup.py"),)


def test_optional_requirements_are_left_out():
    assert run_requirements(["a>=1", "b; extra == 'x'", 'c; sys_platform == "win32"']) == [
        "a>=1",
        'c; sys_platform == "win32"',
    ]


def test_release_urls_become_pypis_own_and_names_parse():
    document = {
        "info": {"name": "PyYAML", "version": "6.0.4", "requires_dist": None},
        "urls": [
            {
                "packagetype": "sdist",
                "url": "../../packages/packages/76/b8/pyyaml-6.0.4.tar.gz",
                "filename": "pyyaml-6.0.4.tar.gz",
                "digests": {"sha256": "e" * 64},
            },
            {"packagetype": "bdist_wheel", "url": "x", "filename": "PyYAML-6.0.4-py3-none-any.whl"},
        ],
    }
    found = release_from_json(document, base="https://pypi.org/pypi/PyYAML/6.0.4/json")
    assert found.sdist_url == "https://files.pythonhosted.org/packages/76/b8/pyyaml-6.0.4.tar.gz"
    assert found.pure_wheel == "PyYAML-6.0.4-py3-none-any.whl"
    assert canonical_file_url("https://example.org/x.tar.gz") == "https://example.org/x.tar.gz"
    assert parse_name("PyYAML==6.0.2") == ("pyyaml", "6.0.2")
    assert parse_name("scikit_learn") == ("scikit-learn", None)
    for bad in ("numpy>=2", "numpy[extra]", "numpy; python_version>'3'", "no pe"):
        with pytest.raises(ConfigurationError, match="write NAME or NAME==VERSION"):
            parse_name(bad)


def test_the_newest_release_with_an_sdist_the_specifier_admits_is_drafted(monkeypatch):
    from rvwheels.drafting import pypi

    def release(*kinds, yanked=False):
        return [{"packagetype": k, "yanked": yanked} for k in kinds]

    document = {
        "releases": {
            "0.1.9": release("sdist", "bdist_wheel"),
            "0.1.10": release("sdist"),
            "0.1.11": release("sdist", yanked=True),
            "0.2.0": release("bdist_wheel"),
            "0.3.0rc1": release("sdist"),
            "not a version": release("sdist"),
        }
    }
    monkeypatch.setattr(pypi, "_read_json", lambda url, name, version: document)
    assert pypi.newest_matching("kornia-rs", ">=0.1.9") == "0.1.10"
    assert pypi.newest_matching("kornia-rs", "<0.1.10") == "0.1.9"
    with pytest.raises(FetchError, match="no release of kornia-rs with an sdist"):
        pypi.newest_matching("kornia-rs", ">=0.4")


def test_without_a_per_release_document_the_projects_files_and_the_sdists_metadata_serve(
    monkeypatch, tmp_path
):
    # Some mirrors (the proxy here) serve the project's document but 404 on /NAME/VERSION/json.
    from rvwheels.drafting import pypi

    def files(version, kinds=("sdist",)):
        return [
            {
                "packagetype": kind,
                "url": f"https://files.pythonhosted.org/packages/ab/cd/kornia_rs-{version}.tar.gz",
                "filename": f"kornia_rs-{version}.tar.gz",
                "digests": {"sha256": "c" * 64},
                "requires_python": ">=3.8",
            }
            for kind in kinds
        ]

    project = {
        "info": {"name": "kornia-rs", "version": "0.2.0", "requires_dist": ["newest-only"]},
        "urls": files("0.2.0", ("bdist_wheel",)),
        "releases": {"0.1.14": files("0.1.14"), "0.2.0": files("0.2.0", ("bdist_wheel",))},
    }

    def read_json(url, name, version):
        if version is None:
            return project
        raise pypi._NotFound(f"PyPI has no project or release {name}=={version}")

    monkeypatch.setattr(pypi, "_read_json", read_json)
    found = pypi.fetch_release("kornia-rs", "0.1.14")
    assert (found.name, found.version, found.requires_python) == ("kornia-rs", "0.1.14", ">=3.8")
    assert found.sdist_url.endswith("/kornia_rs-0.1.14.tar.gz") and found.sdist_sha256 == "c" * 64
    assert found.requires_dist is None  # the project's info is 0.2.0's, not this release's
    with pytest.raises(FetchError, match="no project or release kornia-rs==0.1.3"):
        pypi.fetch_release("kornia-rs", "0.1.3")

    pkg_info = "Metadata-Version: 2.4\nName: kornia-rs\nVersion: 0.1.14\n"
    pkg_info += "Requires-Dist: numpy>=1.2\nRequires-Dist: pytest ; extra == 'dev'\n\nReadme.\n"
    facts = inspect_sdist(
        sdist(
            tmp_path,
            {
                "PKG-INFO": pkg_info,
                "pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n',
                "Cargo.toml": "",
                "src/lib.rs": "",
                "sub/PKG-INFO": "Requires-Dist: not-this\n",
            },
            top="kornia_rs-0.1.14",
        )
    )
    assert facts.requires_dist == ("numpy>=1.2", "pytest ; extra == 'dev'")
    draft = compose(found, facts, backend="maturin", ours={}, libraries={})
    path = tmp_path / "recipes" / "kornia-rs.toml"
    write_validated(path, draft.text)
    assert load_recipe(path).requires.run == ("numpy>=1.2",)
    assert inspect_sdist(sdist(tmp_path, {"setup.py": ""})).requires_dist is None


@pytest.mark.parametrize(
    ("backend", "files"),
    [
        ("mesonpy", {"meson.build": "project('geo', 'cpp')\n", "geo/a.cpp": ""}),
        ("setuptools.build_meta", {"setup.py": "", "geo/a.cpp": ""}),
        ("scikit_build_core.build", {"CMakeLists.txt": "", "geo/a.cc": ""}),
    ],
)
def test_a_cxx_draft_links_gccs_runtime_as_the_target_says(tmp_path, backend, files):
    pyproject = f'[build-system]\nbuild-backend = "{backend}"\nrequires = []\n'
    facts = inspect_sdist(sdist(tmp_path, {"pyproject.toml": pyproject, **files}))
    flags = load_target(toolchain_dir=TOOLCHAIN_DIR).cxx_link_flags
    assert "-static-libstdc++" in flags
    draft = compose(
        release(requires_dist=()),
        facts,
        backend=recipe_backend(release(), facts),
        ours={},
        libraries={},
        cxx_link_flags=flags,
    )
    path = tmp_path / "recipes" / "geo.toml"
    write_validated(path, draft.text)
    build = load_recipe(path).build
    if build.backend == "meson-python":
        (option,) = build.config_settings["setup-args"]
        assert option == "-Dcpp_link_args=[" + ", ".join(f"'{f}'" for f in flags) + "]"
        assert build.env == {}
    else:
        assert build.env == {"LDFLAGS": " ".join(flags)}
        assert build.config_settings == {}
    assert any("cxx-link-flags" in note for note in draft.notes)


def test_a_c_draft_links_as_it_always_did(tmp_path):
    pyproject = '[build-system]\nbuild-backend = "setuptools.build_meta"\nrequires = []\n'
    facts = inspect_sdist(sdist(tmp_path, {"pyproject.toml": pyproject, "geo/a.c": ""}))
    draft = compose(
        release(), facts, backend="setuptools", ours={}, libraries={}, cxx_link_flags=("-x",)
    )
    assert "LDFLAGS" not in draft.text and "-x" not in draft.text


def test_a_rust_draft_says_whether_its_sdist_vendors_its_crates(tmp_path):
    pyproject = '[build-system]\nbuild-backend = "maturin"\nrequires = ["maturin"]\n'
    base = {"pyproject.toml": pyproject, "Cargo.toml": "", "src/lib.rs": ""}
    vendored = {**base, "include/cargo/serde-1.0.0/.cargo-checksum.json": "{}"}
    for files, warned in ((base, True), (vendored, False)):
        folder = tmp_path / str(warned)
        folder.mkdir()
        facts = inspect_sdist(sdist(folder, files))
        assert facts.vendored_crates == (0 if warned else 1)
        draft = compose(release(), facts, backend="maturin", ours={}, libraries={})
        assert any("vendors no crates" in note for note in draft.notes) is warned
