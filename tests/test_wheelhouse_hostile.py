"""Hostile wheelhouses (issue 10): what a killed publish leaves behind, what a user drops into
the folder, and a reader (pip, another rvwheels) looking at the index at every moment of a
publish. Each generator below yields one hostile input per case."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _wheelhouse_fakes import anchors, indexed_files, make_wheel, sha256, temp_files

from rvwheels.errors import WheelhouseError
from rvwheels.wheelhouse import TEMP_PREFIX, Wheelhouse

WHEEL = "numpy-2.4.6-py3-none-any.whl"


@pytest.fixture
def house(tmp_path: Path) -> Wheelhouse:
    house = Wheelhouse(tmp_path / "wheelhouse")
    house.publish(make_wheel(tmp_path / "built", "numpy", "2.4.6"), {"job": "a"})
    return house


# -- finding 1: a killed publish leaves temp files named like wheels ----------------------------


def leftovers() -> Iterator[tuple[str, str, str, Callable[[bytes], bytes] | None]]:
    """(case, folder under the wheelhouse, file name, its bytes made from a whole wheel's bytes;
    None for a folder): what a publish killed at some moment leaves in each folder it writes."""
    new = "numpy-2.4.7-py3-none-any.whl"
    yield "empty wheel", ".", new, lambda whole: b""
    yield "half a wheel", ".", new, lambda whole: whole[: len(whole) // 2]
    yield "whole wheel not moved yet", ".", new, lambda whole: whole
    yield "half a record", "records", f"{new}.json", lambda whole: b'{"version": '
    yield "half a project page", "simple/numpy", "index.html", lambda whole: b"<html><a href="
    yield "half a root page", "simple", "index.html", lambda whole: b"<html"
    yield "project folder half removed", "simple", "scipy", None


def leave(house: Wheelhouse, folder: str, name: str, content, scratch: Path) -> Path:
    path = house.root / folder / f"{TEMP_PREFIX}4242-0badf00d-{name}"
    if content is None:
        path.mkdir()
        (path / "index.html").write_text("<html>")
    else:
        path.write_bytes(content(make_wheel(scratch, "numpy", "2.4.7").read_bytes()))
    return path


@pytest.mark.parametrize(
    ("folder", "name", "content"), [pytest.param(*c[1:], id=c[0]) for c in leftovers()]
)
def test_leftovers_of_a_killed_publish_are_not_wheels(
    house: Wheelhouse, tmp_path: Path, folder: str, name: str, content
) -> None:
    leave(house, folder, name, content, tmp_path / "scratch")

    assert [p.name for p in house.wheels()] == [WHEEL]
    assert [p.name for p in house.wheels_for_python("3.11")] == [WHEEL]
    assert set(indexed_files(house.root)) == {WHEEL}
    fresh = Wheelhouse(tmp_path / "fresh")
    assert [p.name for p in fresh.merge(house.root)] == [WHEEL]
    assert set(indexed_files(fresh.root)) == {WHEEL}
    assert temp_files(fresh.root) == []
    house.rebuild_index()
    assert temp_files(house.root) == []
    assert set(indexed_files(house.root)) == {WHEEL}


# -- what a user (or a copy tool) drops into the folder -----------------------------------------


def junk() -> Iterator[tuple[str, Callable[[Path], Path], str]]:
    """(case, make it in the wheelhouse root, what the one-line error says about it)."""

    def folder(root: Path) -> Path:
        (root / "scipy-1.17.1-py3-none-any.whl").mkdir()
        return root / "scipy-1.17.1-py3-none-any.whl"

    def named(name: str) -> Callable[[Path], Path]:
        def write(root: Path) -> Path:
            (root / name).write_bytes(b"PK\x05\x06" + bytes(18))
            return root / name

        return write

    def dangling(root: Path) -> Path:
        (root / "scipy-1.17.1-py3-none-any.whl").symlink_to(root / "gone.whl")
        return root / "scipy-1.17.1-py3-none-any.whl"

    yield "a folder named like a wheel", folder, "is not a file"
    yield "a link to nowhere", dangling, "is not a file"
    yield "not named like a wheel", named("not-a-wheel.whl"), "is not a wheel"
    yield "a wheel name without tags", named("numpy-2.4.7.whl"), "is not a wheel"
    yield "a wheel name with a bad version", named("numpy-two-py3-none-any.whl"), "invalid version"


@pytest.mark.parametrize(("make", "complaint"), [pytest.param(*c[1:], id=c[0]) for c in junk()])
def test_junk_named_like_a_wheel_gets_one_line_and_changes_nothing(
    house: Wheelhouse, tmp_path: Path, make, complaint: str
) -> None:
    bad = make(house.root)
    other = Wheelhouse(tmp_path / "other")
    other.publish(make_wheel(tmp_path / "built", "scipy", "1.17.1", payload="other"), {})
    before = house.snapshot()
    calls = {
        "wheels": house.wheels,
        "wheels_for_python": lambda: house.wheels_for_python("3.11"),
        "rebuild_index": house.rebuild_index,
        "publish": lambda: house.publish(make_wheel(tmp_path / "new", "numpy", "2.4.7"), {}),
        "merge into": lambda: house.merge(other.root),
        "merge from": lambda: Wheelhouse(tmp_path / "fresh").merge(house.root),
    }
    for call in calls.values():
        with pytest.raises(WheelhouseError) as caught:
            call()
        message = caught.value.message
        assert "\n" not in message and complaint in message
        assert str(bad) in message and "move it out of the wheelhouse" in message

    assert house.snapshot() == before
    assert set(indexed_files(house.root)) == {WHEEL}
    assert not (tmp_path / "fresh" / "simple").exists()


def test_a_well_named_file_that_is_no_zip_is_found_where_its_bytes_are_read(
    house: Wheelhouse, tmp_path: Path
) -> None:
    bad = house.root / "scipy-1.17.1-py3-none-any.whl"
    bad.write_text("<html>404 Not Found</html>")
    before = house.snapshot()

    assert bad in house.wheels_for_python("3.11")  # by name; pip would reject it with this message
    for call in (house.rebuild_index, lambda: Wheelhouse(tmp_path / "fresh").merge(house.root)):
        with pytest.raises(WheelhouseError, match="not a readable zip archive") as caught:
            call()
        assert str(bad) in caught.value.message and "\n" not in caught.value.message
    assert house.snapshot() == before


def test_hidden_files_named_like_wheels_are_left_alone(house: Wheelhouse, tmp_path: Path) -> None:
    litter = house.root / f"._{WHEEL}"  # what macOS leaves next to a file copied to a share
    litter.write_bytes(b"\x00\x05\x16\x07")

    assert [p.name for p in house.wheels_for_python("3.11")] == [WHEEL]
    assert [p.name for p in Wheelhouse(tmp_path / "fresh").merge(house.root)] == [WHEEL]
    house.publish(make_wheel(tmp_path / "new", "numpy", "2.4.7"), {})
    assert litter.exists()
    assert set(indexed_files(house.root)) == {WHEEL, "numpy-2.4.7-py3-none-any.whl"}


# -- finding 2: a reader during a replacement found the project page missing ---------------------


def replacements() -> Iterator[tuple[str, list[tuple[str, str, str]], list[tuple[str, str, str]]]]:
    """(case, wheels published first, wheels published then) as (project, version, payload);
    a payload other than before's gives other bytes under the same file name."""
    yield "the only wheel of a project", [("numpy", "2.4.6", "a")], [("numpy", "2.4.6", "b")]
    yield (
        "one of several versions",
        [("numpy", "2.4.5", "a"), ("numpy", "2.4.6", "a")],
        [("numpy", "2.4.6", "b")],
    )
    yield (
        "two projects and a new one at once",
        [("numpy", "2.4.6", "a"), ("scipy", "1.17.1", "a")],
        [("numpy", "2.4.6", "b"), ("scipy", "1.17.1", "b"), ("scikit_image", "0.26", "b")],
    )
    yield "the same bytes again", [("numpy", "2.4.6", "a")], [("numpy", "2.4.6", "a")]


def watch_every_change(monkeypatch: pytest.MonkeyPatch, look: Callable[[], None]) -> list[str]:
    """Call ``look`` after every rename, replacement and removal of a file or folder (shutil's
    rmtree unlinks file by file, so a half-removed folder is looked at too)."""
    seen: list[str] = []
    for name in ("replace", "rename", "unlink", "rmdir"):
        real = getattr(os, name)

        def watched(*args, real=real, name=name, **kwargs):
            result = real(*args, **kwargs)
            seen.append(name)
            look()
            return result

        monkeypatch.setattr(os, name, watched)
    return seen


def _build(folder: Path, specs: list[tuple[str, str, str]]) -> list[Path]:
    return [make_wheel(folder / p, name, v, payload=p) for name, v, p in specs]


@pytest.mark.parametrize("how", ["publish", "merge"])
@pytest.mark.parametrize(("first", "then"), [pytest.param(*c[1:], id=c[0]) for c in replacements()])
def test_a_reader_finds_every_page_and_every_wheel_at_every_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, first, then
) -> None:
    house = Wheelhouse(tmp_path / "wheelhouse")
    house.publish_many([(w, {}) for w in _build(tmp_path / "first", first)])
    listed = set(indexed_files(house.root))
    newer = _build(tmp_path / "then", then)
    source = Wheelhouse(tmp_path / "source")
    source.publish_many([(w, {}) for w in newer])

    def look() -> None:
        # pip asks for simple/<project>/ directly: each page must be there, each link whole.
        assert listed <= set(indexed_files(house.root, hashless_ok=True))
        for wheel in house.wheels():
            record = house.record(wheel.name)
            assert record is None or record["sha256"] == sha256(wheel)

    seen = watch_every_change(monkeypatch, look)
    if how == "merge":
        house.merge(source.root)
    else:
        house.publish_many([(w, {}) for w in newer])
    monkeypatch.undo()

    assert seen.count("replace") >= 3  # at least a record and the two index pages
    links = indexed_files(house.root)
    assert set(links) == listed | {w.name for w in newer}
    for name, link in links.items():
        assert house.record(name)["sha256"] == link["href"].partition("#sha256=")[2]


def test_a_dropped_project_page_is_whole_or_gone_at_every_moment(
    house: Wheelhouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    house.publish(make_wheel(tmp_path / "built", "scipy", "1.17.1"), {})
    (house.root / "scipy-1.17.1-py3-none-any.whl").unlink()  # the user removes scipy
    page = house.simple_dir / "scipy"

    def look() -> None:
        assert (page / "index.html").is_file() or not page.exists()
        numpy_links = anchors(house.simple_dir / "numpy" / "index.html")
        assert [a["href"].partition("#")[0] for a in numpy_links] == [f"../../{WHEEL}"]

    seen = watch_every_change(monkeypatch, look)
    house.rebuild_index()
    monkeypatch.undo()

    assert "rmdir" in seen and not page.exists()
    assert temp_files(house.root) == []
    assert set(indexed_files(house.root)) == {WHEEL}
