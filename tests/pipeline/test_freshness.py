"""Build keys: what makes a wheel stale, and what does not."""

from __future__ import annotations

import pytest

from rvwheels.errors import RecipeError
from rvwheels.pipeline.freshness import build_key, tree_digest
from rvwheels.recipe.spec import SourceSpec, VariantSpec
from tests.builder._jobs import build_spec, fake_env, host_wheel, job, recipe


def test_tree_digest_ignores_build_outputs_but_not_sources(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.c").write_text("int a;")
    before = tree_digest(src)
    (src / "build").mkdir()
    (src / "build" / "junk.o").write_text("x")
    (src / "demo.egg-info").mkdir()
    assert tree_digest(src) == before
    (src / "pkg" / "a.c").write_text("int b;")
    assert tree_digest(src) != before


def test_a_source_tree_over_the_limit_is_a_one_line_error(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * 2048)
    with pytest.raises(RecipeError, match="holds more than"):
        tree_digest(tmp_path, limit=1024)


def test_key_changes_with_recipe_environment_variant_and_host_wheels(tmp_path):
    base = build_key(job(tmp_path))
    assert build_key(job(tmp_path)) == base
    assert build_key(job(tmp_path, recipe(digest="other"))) != base
    other_env = fake_env(tmp_path, fingerprint="env-cp311")
    assert build_key(job(tmp_path, env=other_env)) != base
    variant = VariantSpec(name="C910V")
    assert build_key(job(tmp_path, variant=variant)) != base
    numpy = host_wheel(tmp_path, "numpy", b"v1")
    with_numpy = build_key(job(tmp_path, host=[numpy]))
    assert with_numpy != base
    numpy.wheel.write_bytes(b"v2")  # a rebuilt numpy rebuilds what builds against it
    assert build_key(job(tmp_path, host=[numpy])) != with_numpy


def test_a_make_library_keeps_its_key_across_pythons(tmp_path):
    make = recipe("openblas", build=build_spec(backend="make"))
    py311 = fake_env(tmp_path, fingerprint="cp311")
    py313 = fake_env(tmp_path, fingerprint="cp313")
    assert build_key(job(tmp_path, make, env=py311)) == build_key(job(tmp_path, make, env=py313))
    assert build_key(job(tmp_path, env=py311)) != build_key(job(tmp_path, env=py313))


def test_a_local_source_counts_by_its_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.c").write_text("int a;")
    local = recipe(source=SourceSpec(path=src))
    before = build_key(job(tmp_path, local))
    (src / "a.c").write_text("int b;")
    assert build_key(job(tmp_path, local)) != before
