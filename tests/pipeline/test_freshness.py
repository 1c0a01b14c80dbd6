from __future__ import annotations

from types import SimpleNamespace

from rvwheels.pipeline.freshness import build_key, tree_digest
from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec


def recipe(tmp_path, digest="r1"):
    return Recipe(
        name="demo",
        version="1.0",
        source=SourceSpec(path=tmp_path / "src"),
        build=BuildSpec(backend="setuptools"),
        path=tmp_path / "demo.toml",
        digest=digest,
    )


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


def test_key_changes_with_recipe_environment_and_dependencies(tmp_path):
    (tmp_path / "src").mkdir()
    env = SimpleNamespace(fingerprint="env1")
    base = build_key(recipe(tmp_path), env, [])
    assert build_key(recipe(tmp_path), env, []) == base
    assert build_key(recipe(tmp_path, digest="r2"), env, []) != base
    assert build_key(recipe(tmp_path), SimpleNamespace(fingerprint="env2"), []) != base
    dep = tmp_path / "numpy-1-cp313-cp313-linux_riscv64.whl"
    dep.write_bytes(b"v1")
    with_dep = build_key(recipe(tmp_path), env, [dep])
    dep.write_bytes(b"v2")
    assert with_dep != base and build_key(recipe(tmp_path), env, [dep]) != with_dep
    assert build_key(recipe(tmp_path), env, [], variant="C910V") != base


def test_a_make_library_keeps_its_key_across_pythons(tmp_path):
    from dataclasses import replace

    base = recipe(tmp_path)
    make = replace(base, build=replace(base.build, backend="make"))
    py311 = SimpleNamespace(fingerprint="cp311", machine_fingerprint="roots")
    py313 = SimpleNamespace(fingerprint="cp313", machine_fingerprint="roots")
    assert build_key(make, py311, []) == build_key(make, py313, [])
    assert build_key(base, py311, []) != build_key(base, py313, [])
