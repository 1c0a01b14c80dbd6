from __future__ import annotations

import datetime
import fcntl
import itertools
import os
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _wheelhouse_fakes import (
    RISCV_TAG,
    anchors,
    indexed_files,
    make_wheel,
    pip_env,
    sha256,
    temp_files,
)

from rvwheels.errors import WheelhouseError
from rvwheels.run import run
from rvwheels.wheelhouse import TEMP_PREFIX, Wheelhouse


@pytest.fixture
def house(tmp_path: Path) -> Wheelhouse:
    return Wheelhouse(tmp_path / "wheelhouse")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return tmp_path / "built"


# -- publishing and records ---------------------------------------------------------------------


def test_publish_copies_the_wheel_and_writes_its_record(house: Wheelhouse, built: Path) -> None:
    wheel = make_wheel(built, "numpy", "2.4.6", RISCV_TAG)
    caller = {"name": "numpy", "version": "2.4.6", "mode": "cross", "compilers": {"cc": "gcc-14"}}

    published = house.publish(wheel, caller)

    assert published == house.root / wheel.name
    assert published.read_bytes() == wheel.read_bytes()
    record = house.record(wheel.name)
    assert record is not None
    assert record["version"] == 1
    assert record["package_version"] == "2.4.6"
    assert record["wheel"] == wheel.name
    assert record["sha256"] == sha256(published)
    assert record["name"] == "numpy" and record["compilers"] == {"cc": "gcc-14"}
    stamp = datetime.datetime.fromisoformat(record["published"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.UTC) - stamp) < datetime.timedelta(minutes=1)
    assert house.record("other-1.0-py3-none-any.whl") is None
    assert set(house.snapshot()) == {
        ".lock",
        f"records/{wheel.name}.json",
        wheel.name,
        "simple/index.html",
        "simple/numpy/index.html",
    }


def test_wheels_are_sorted(house: Wheelhouse, built: Path) -> None:
    for name in ("zlib_ng", "Alpha", "numpy"):
        house.publish(make_wheel(built, name, "1.0"), {})
    assert [p.name for p in house.wheels()] == sorted(p.name for p in house.wheels())
    assert len(house.wheels()) == 3


def test_record_rejects_paths_and_reports_corrupt_records(house: Wheelhouse, built: Path) -> None:
    wheel = house.publish(make_wheel(built, "numpy", "2.4.6"), {})
    with pytest.raises(WheelhouseError, match="not a wheel file name"):
        house.record("../numpy-2.4.6-py3-none-any.whl")
    (house.records_dir / f"{wheel.name}.json").write_text("{truncated")
    with pytest.raises(WheelhouseError, match="delete it and publish"):
        house.record(wheel.name)


def test_republishing_other_bytes_replaces_the_wheel_and_its_hash(
    house: Wheelhouse, built: Path
) -> None:
    house.publish(make_wheel(built / "a", "numpy", "2.4.6", payload="first"), {"seconds": 1})
    second = make_wheel(built / "b", "numpy", "2.4.6", payload="second")

    published = house.publish(second, {"seconds": 2})

    assert published.read_bytes() == second.read_bytes()
    assert list(indexed_files(house.root)) == [second.name]
    assert house.record(second.name)["seconds"] == 2


def test_publish_of_a_wheel_already_in_place_keeps_it(house: Wheelhouse, built: Path) -> None:
    published = house.publish(make_wheel(built, "numpy", "2.4.6"), {})
    content = published.read_bytes()
    assert house.publish(published, {"again": True}) == published
    assert published.read_bytes() == content
    assert house.record(published.name)["again"] is True


# -- the index ----------------------------------------------------------------------------------


def test_index_normalises_names_and_lists_every_version_and_tag(
    house: Wheelhouse, built: Path
) -> None:
    wheels = [
        make_wheel(built, "Foo_Bar", "1.0"),
        make_wheel(built, "foo.bar", "2.0", RISCV_TAG),
        make_wheel(built, "foo_bar", "2.0", "cp311-cp311-manylinux_2_38_riscv64"),
        make_wheel(built, "numpy", "2.4.6", RISCV_TAG),
    ]
    house.publish_many([(w, {}) for w in wheels])

    root_links = anchors(house.simple_dir / "index.html")
    assert [a["href"] for a in root_links] == ["foo-bar/", "numpy/"]
    project_links = anchors(house.simple_dir / "foo-bar" / "index.html")
    expected = sorted(f"../../{w.name}#sha256={sha256(w)}" for w in wheels[:3])
    assert sorted(a["href"] for a in project_links) == expected
    assert set(indexed_files(house.root)) == {w.name for w in wheels}


def test_requires_python_is_published_html_escaped(house: Wheelhouse, built: Path) -> None:
    with_bound = make_wheel(built, "numpy", "2.4.6", requires_python=">=3.11,<4")
    without = make_wheel(built, "numpy", "2.4.5")
    house.publish_many([(with_bound, {}), (without, {})])

    html_text = (house.simple_dir / "numpy" / "index.html").read_text()
    assert 'data-requires-python="&gt;=3.11,&lt;4"' in html_text
    links = indexed_files(house.root)
    assert links[with_bound.name]["data-requires-python"] == ">=3.11,<4"
    assert "data-requires-python" not in links[without.name]


def test_rebuild_index_drops_projects_whose_wheels_are_gone(house: Wheelhouse, built: Path) -> None:
    gone = house.publish(make_wheel(built, "scipy", "1.17.1"), {})
    house.publish(make_wheel(built, "numpy", "2.4.6"), {})
    gone.unlink()

    house.rebuild_index()

    assert [a["href"] for a in anchors(house.simple_dir / "index.html")] == ["numpy/"]
    assert not (house.simple_dir / "scipy").exists()
    assert list(indexed_files(house.root)) == ["numpy-2.4.6-py3-none-any.whl"]


def test_publish_many_writes_the_index_once(
    house: Wheelhouse, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root_page = house.simple_dir / "index.html"
    writes = []
    real_replace = os.replace

    def counting_replace(src, dst):
        writes.append(Path(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    house.publish_many([(make_wheel(built, "numpy", f"2.4.{i}"), {}) for i in range(3)])

    assert writes.count(root_page) == 1
    assert len(indexed_files(house.root)) == 3


# -- rejection leaves everything unchanged ------------------------------------------------------


def _not_a_zip(folder: Path) -> Path:
    path = folder / "numpy-2.4.6-py3-none-any.whl"
    path.write_text("<html>404</html>")
    return path


def _zip_without_wheel_file(folder: Path) -> Path:
    path = folder / "numpy-2.4.6-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("numpy-2.4.6.dist-info/METADATA", "Name: numpy\n")
    return path


def _bad_filename(folder: Path) -> Path:
    path = make_wheel(folder, "numpy", "2.4.6")
    return path.rename(folder / "numpy-2.4.6.whl")


def _missing(folder: Path) -> Path:
    return folder / "numpy-2.4.6-py3-none-any.whl"


@pytest.mark.parametrize(
    ("make_bad", "complaint"),
    [
        (_not_a_zip, "not a readable zip"),
        (_zip_without_wheel_file, "no \\*.dist-info/WHEEL"),
        (_bad_filename, "is not a wheel"),
        (_missing, "does not exist"),
    ],
)
def test_bad_wheels_are_rejected_and_change_nothing(
    house: Wheelhouse, built: Path, tmp_path: Path, make_bad, complaint: str
) -> None:
    house.publish(make_wheel(built, "scipy", "1.17.1"), {})
    before = house.snapshot()
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = make_bad(bad_dir)

    with pytest.raises(WheelhouseError, match=complaint) as caught:
        house.publish(bad, {})
    with pytest.raises(WheelhouseError, match=complaint):
        house.publish_many([(make_wheel(built, "numpy", "9.9"), {}), (bad, {})])

    assert "\n" not in caught.value.message
    assert house.snapshot() == before
    fresh = Wheelhouse(tmp_path / "fresh")
    with pytest.raises(WheelhouseError):
        fresh.publish(bad, {})
    assert not fresh.root.exists()


def test_unserialisable_records_and_duplicates_are_rejected(house: Wheelhouse, built: Path) -> None:
    house.publish(make_wheel(built, "scipy", "1.17.1"), {})
    before = house.snapshot()
    wheel = make_wheel(built, "numpy", "2.4.6")

    with pytest.raises(WheelhouseError, match="cannot be stored as JSON"):
        house.publish(wheel, {"log": Path("/tmp/build.log")})
    with pytest.raises(WheelhouseError, match="listed twice"):
        house.publish_many([(wheel, {}), (wheel, {})])

    assert house.snapshot() == before


# -- crashes and stale files --------------------------------------------------------------------


def _crash_on(monkeypatch: pytest.MonkeyPatch, should_crash) -> None:
    real_replace = os.replace

    def replace(src, dst):
        if should_crash(Path(dst)):
            raise OSError("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_crash_while_writing_the_index_leaves_a_consistent_wheelhouse(
    house: Wheelhouse, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = house.publish(make_wheel(built, "numpy", "2.4.5"), {})
    new = make_wheel(built, "numpy", "2.4.6")
    _crash_on(monkeypatch, lambda dst: house.simple_dir in dst.parents)

    with pytest.raises(WheelhouseError, match="simulated crash"):
        house.publish(new, {})

    assert list(indexed_files(house.root)) == [old.name]
    assert (house.root / new.name).read_bytes() == new.read_bytes()
    assert temp_files(house.root) == []
    monkeypatch.undo()
    house.rebuild_index()
    assert set(indexed_files(house.root)) == {old.name, new.name}


def test_a_crash_at_any_step_of_a_replacement_never_breaks_the_index(
    tmp_path: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash at the 1st, 2nd, … file replacement until a publish gets through."""
    first = make_wheel(built / "a", "numpy", "2.4.6", payload="first")
    second = make_wheel(built / "b", "numpy", "2.4.6", payload="second")
    crash_points = 0
    while True:
        house = Wheelhouse(tmp_path / f"house{crash_points}")
        house.publish(first, {})
        house.publish(make_wheel(built, "scipy", "1.17.1"), {})
        calls = itertools.count()
        _crash_on(monkeypatch, lambda dst, calls=calls, n=crash_points: next(calls) == n)
        try:
            house.publish(second, {})
        except WheelhouseError:
            pass
        else:
            break
        finally:
            monkeypatch.undo()
        indexed_files(house.root, hashless_ok=True)
        record = house.record(first.name)
        assert record is None or record["sha256"] == sha256(house.root / first.name)
        assert temp_files(house.root) == []
        house.publish(second, {})
        assert list(indexed_files(house.root)) == [second.name, "scipy-1.17.1-py3-none-any.whl"]
        crash_points += 1
    assert crash_points >= 5  # wheel, record and at least the index pages before and after


def test_stale_temp_files_are_removed_by_the_next_publish(house: Wheelhouse, built: Path) -> None:
    house.publish(make_wheel(built, "numpy", "2.4.5"), {})
    stale = [
        house.root / f"{TEMP_PREFIX}999-dead-numpy-2.4.6-py3-none-any.whl",
        house.records_dir / f"{TEMP_PREFIX}999-dead-numpy-2.4.6-py3-none-any.whl.json",
        house.simple_dir / "numpy" / f"{TEMP_PREFIX}999-dead-index.html",
    ]
    for path in stale:
        path.write_bytes(b"half")

    house.publish(make_wheel(built, "numpy", "2.4.6"), {})

    assert temp_files(house.root) == []


# -- concurrency --------------------------------------------------------------------------------


def test_concurrent_publishes_from_threads_lose_nothing(house: Wheelhouse, built: Path) -> None:
    wheels = [
        make_wheel(built, project, f"1.{minor}", payload=f"{project}{minor}")
        for project in ("numpy", "scipy", "scikit_image")
        for minor in range(5)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        published = list(pool.map(lambda w: house.publish(w, {"tag": w.name}), wheels))

    assert sorted(p.name for p in published) == sorted(w.name for w in wheels)
    assert set(indexed_files(house.root)) == {w.name for w in wheels}
    assert all(house.record(w.name)["tag"] == w.name for w in wheels)


def test_publish_waits_for_the_lock(house: Wheelhouse, built: Path) -> None:
    house.publish(make_wheel(built, "numpy", "2.4.5"), {})
    wheel = make_wheel(built, "numpy", "2.4.6")
    with (house.root / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        worker = threading.Thread(target=house.publish, args=(wheel, {}))
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive()
        assert not (house.root / wheel.name).exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert wheel.name in indexed_files(house.root)


# -- merge --------------------------------------------------------------------------------------


def test_merge_copies_wheels_and_records_verbatim(tmp_path: Path, built: Path) -> None:
    ours = Wheelhouse(tmp_path / "ours")
    theirs = Wheelhouse(tmp_path / "theirs")
    ours.publish(make_wheel(built, "numpy", "2.4.6"), {"job": "a"})
    scipy = theirs.publish(make_wheel(built, "scipy", "1.17.1", RISCV_TAG), {"job": "b"})

    merged = ours.merge(theirs.root)

    assert merged == [ours.root / scipy.name]
    assert ours.record(scipy.name) == theirs.record(scipy.name)
    assert set(indexed_files(ours.root)) == {"numpy-2.4.6-py3-none-any.whl", scipy.name}


def test_merge_refuses_a_record_that_does_not_match_its_wheel(tmp_path: Path, built: Path) -> None:
    ours = Wheelhouse(tmp_path / "ours")
    theirs = Wheelhouse(tmp_path / "theirs")
    ours.publish(make_wheel(built, "numpy", "2.4.6"), {})
    scipy = theirs.publish(make_wheel(built / "x", "scipy", "1.17.1"), {})
    make_wheel(built / "y", "scipy", "1.17.1", payload="swapped").replace(scipy)
    before = ours.snapshot()

    with pytest.raises(WheelhouseError, match="rebuild and republish"):
        ours.merge(theirs.root)
    with pytest.raises(WheelhouseError, match="into itself"):
        ours.merge(ours.root)
    with pytest.raises(WheelhouseError, match="no such folder"):
        ours.merge(tmp_path / "nowhere")

    assert ours.snapshot() == before


def test_snapshot_of_a_missing_wheelhouse_is_empty(tmp_path: Path) -> None:
    house = Wheelhouse(tmp_path / "never")
    assert house.snapshot() == {}
    assert house.wheels() == []


# -- real pip -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_pip_downloads_and_installs_from_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "Tiny_Demo.Pkg"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        '[tool.setuptools]\npy-modules = ["tiny_demo"]\n'
    )
    (project / "tiny_demo.py").write_text("ANSWER = 42\n")
    env = pip_env(monkeypatch)
    pip = [sys.executable, "-m", "pip"]
    dist = tmp_path / "dist"
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, project], env=env)
    (wheel,) = dist.glob("*.whl")
    house = Wheelhouse(tmp_path / "wheelhouse")
    published = house.publish(wheel, {"name": "tiny-demo-pkg", "version": "0.1.0"})
    index = ["--index-url", (house.simple_dir).as_uri()]

    downloads = tmp_path / "downloads"
    run([*pip, "download", "--no-deps", *index, "tiny-demo-pkg", "-d", downloads], env=env)
    assert [p.name for p in downloads.iterdir()] == [published.name]
    assert sha256(downloads / published.name) == sha256(published)

    target = tmp_path / "target"
    run([*pip, "install", "--no-deps", *index, "--target", target, "Tiny.Demo_Pkg"], env=env)
    answer = run(
        [sys.executable, "-c", "import tiny_demo; print(tiny_demo.ANSWER)"],
        env={"PYTHONPATH": str(target)},
        capture=True,
    )
    assert answer.strip() == "42"


def test_wheels_for_python_keeps_its_own_and_python_independent_ones(tmp_path):
    names = [
        "numpy-2.4.6-cp311-cp311-manylinux_2_38_riscv64.whl",
        "numpy-2.4.6-cp313-cp313-manylinux_2_38_riscv64.whl",
        "openblas-0.3.34-py3-none-manylinux_2_38_riscv64.whl",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    got = [p.name for p in Wheelhouse(tmp_path).wheels_for_python("3.11")]
    assert got == [names[0], names[2]]
