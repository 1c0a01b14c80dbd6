"""Phase "preparing": a clean work folder, host wheels unpacked, source patched, cross file."""

from __future__ import annotations

import zipfile

from rvwheels.builder.fetching import Fetched
from rvwheels.builder.prepare import prepare
from rvwheels.recipe.spec import CrossSpec, SourceSpec
from tests.builder._jobs import fake_env, host_wheel, job, recipe


def _local_source(tmp_path):
    src = tmp_path / "project"
    src.mkdir()
    (src / "meson.build").write_text("project('demo', 'c')\n")
    return src


def _fetched(source):
    return Fetched(source=source, extra_sources=(), build_requirements=(), build_links=())


def _zipped_host(tmp_path):
    host = host_wheel(tmp_path, "numpy")
    with zipfile.ZipFile(host.wheel, "w") as zf:
        zf.writestr("numpy/_core/include/numpy/arrayobject.h", "/* numpy */")
    return host


def test_a_meson_cross_build_gets_its_tree_target_site_and_cross_file(tmp_path):
    source = _local_source(tmp_path)
    demo = recipe(
        source=SourceSpec(path=source),
        cross=CrossSpec(properties={"numpy-include-dir": "{target_site}/numpy/_core/include"}),
    )
    stale = tmp_path / "work" / "demo" / "dist" / "old.whl"
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    env = fake_env(tmp_path, programs=("ccache",), cross_file_args=_target_args())
    prepared = prepare(
        job(tmp_path, demo, env=env, host=[_zipped_host(tmp_path)]), _fetched(source)
    )
    assert not stale.exists()
    assert (prepared.tree / "meson.build").is_file()
    assert (prepared.target_site / "numpy/_core/include/numpy/arrayobject.h").is_file()
    text = prepared.cross_file.read_text()
    assert f"numpy-include-dir = '{prepared.target_site}/numpy/_core/include'" in text
    assert "c = ['ccache', 'riscv64-linux-gnu-gcc']" in text
    assert f"pkg_config_libdir = ['{tmp_path}/work/demo/pkgconfig'" in text


def test_no_cross_file_outside_cross_builds_or_for_setuptools(tmp_path):
    source = _local_source(tmp_path)
    native = fake_env(tmp_path, mode="native")
    assert (
        prepare(
            job(tmp_path, recipe(source=SourceSpec(path=source)), env=native), _fetched(source)
        ).cross_file
        is None
    )
    setuptools = recipe(backend="setuptools", source=SourceSpec(path=source))
    env = fake_env(tmp_path, cross_file_args=_target_args())
    assert prepare(job(tmp_path, setuptools, env=env), _fetched(source)).cross_file is None


def test_an_adopted_build_unpacks_nothing(tmp_path):
    wheel = tmp_path / "pytorch_riscv64-2.3.0a1-cp311-none-any.whl"
    wheel.write_bytes(b"")
    prepared = prepare(job(tmp_path, recipe(backend="adopt")), _fetched(wheel))
    assert prepared.tree is None and prepared.cross_file is None
    assert not (tmp_path / "work" / "demo" / "src").exists()


def _target_args():
    from rvwheels.environment.target import load_target

    return {
        "target": load_target(),
        "exe_wrapper": ["/usr/local/bin/qemu-riscv64-static", "-L", "/"],
    }
