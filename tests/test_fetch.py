from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from rvwheels.errors import FetchError
from rvwheels.fetch import fetch_source, manylinux_platforms, read_build_requires
from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec


def make_sdist(tmp_path: Path, pyproject: str | None) -> Path:
    path = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        files = {"demo-1.0/setup.py": "", "demo-1.0/sub/pyproject.toml": "ignored"}
        if pyproject is not None:
            files["demo-1.0/pyproject.toml"] = pyproject
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def recipe_for(url: str, sha256: str, tmp_path: Path) -> Recipe:
    return Recipe(
        name="demo",
        version="1.0",
        source=SourceSpec(url=url, sha256=sha256),
        build=BuildSpec(backend="setuptools"),
        path=tmp_path / "demo.toml",
        digest="0",
    )


def test_download_is_hash_checked_and_cached(tmp_path):
    sdist = make_sdist(tmp_path, None)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    got = fetch_source(recipe_for(sdist.as_uri(), digest, tmp_path), cache)
    assert got == cache / "sources" / digest / "demo-1.0.tar.gz"
    sdist.unlink()  # a second fetch must not need the network (or the file) again
    assert fetch_source(recipe_for(sdist.as_uri(), digest, tmp_path), cache) == got


def test_wrong_sha256_is_refused_and_nothing_is_kept(tmp_path):
    sdist = make_sdist(tmp_path, None)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as info:
        fetch_source(recipe_for(sdist.as_uri(), "0" * 64, tmp_path), cache)
    message = info.value.message
    assert "sha256 of demo-1.0.tar.gz is" in message and "source.sha256" in message
    assert "\n" not in message
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_unreachable_url_is_one_line(tmp_path):
    with pytest.raises(FetchError, match="cannot download"):
        fetch_source(
            recipe_for((tmp_path / "nope.tar.gz").as_uri(), "0" * 64, tmp_path), tmp_path / "cache"
        )


def test_build_requires_come_from_the_top_level_pyproject(tmp_path):
    sdist = make_sdist(tmp_path, '[build-system]\nrequires = ["meson-python>=0.18", "Cython"]\n')
    assert read_build_requires(sdist) == ["meson-python>=0.18", "Cython"]


def test_sources_without_build_system_fall_back_to_setuptools(tmp_path):
    (tmp_path / "d").mkdir()
    assert read_build_requires(make_sdist(tmp_path, None)) == ["setuptools>=40.8.0"]
    assert read_build_requires(tmp_path / "d") == ["setuptools>=40.8.0"]


def test_manylinux_platforms_are_expanded_for_pip():
    tags = manylinux_platforms("riscv64", (2, 41), (2, 31))
    assert tags[0] == "manylinux_2_41_riscv64" and "manylinux_2_31_riscv64" in tags
    assert "manylinux_2_30_riscv64" not in tags and tags[-1] == "linux_riscv64"
    assert "manylinux2014_x86_64" in manylinux_platforms("x86_64", (2, 41), (2, 5))


def test_own_wheels_satisfy_dependencies_but_stay_out_of_the_cache(tmp_path):
    from rvwheels.adopt.rewrap import rewrap_wheel
    from rvwheels.fetch import fetch_wheels

    def pure_wheel(name: str, out: Path, deps: list[str]) -> None:
        tree = tmp_path / f"tree-{name}"
        (tree / name).mkdir(parents=True)
        (tree / name / "__init__.py").write_text("")
        rewrap_wheel(tree, out, name=name, version="1.0", tag="py3-none-any", requires_dist=deps)

    cache, wheelhouse = tmp_path / "cache", tmp_path / "wheelhouse"
    pure_wheel("imageio_like", cache, ["numpy_like"])  # a PyPI wheel that needs one of ours
    pure_wheel("numpy_like", wheelhouse, [])
    fetch_wheels(
        ["imageio_like"],
        cache,
        python_version=None,
        platforms=None,
        log=tmp_path / "log",
        own_wheels=wheelhouse,
    )
    assert sorted(p.name for p in cache.glob("*.whl")) == ["imageio_like-1.0-py3-none-any.whl"]
