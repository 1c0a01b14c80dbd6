"""Test wheels, built on the fly, and a reader that follows a wheelhouse's index like pip.

Shared by test_wheelhouse.py, test_wheelhouse_hostile.py and test_wheelhouse_kill.py."""

from __future__ import annotations

import hashlib
import os
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from rvwheels.wheelhouse import TEMP_PREFIX, read_wheel

RISCV_TAG = "cp313-cp313-manylinux_2_38_riscv64"


def make_wheel(
    folder: Path,
    name: str,
    version: str,
    tag: str = "py3-none-any",
    *,
    requires_python: str | None = None,
    payload: str = "",
) -> Path:
    """A minimal but structurally valid wheel; ``payload`` varies its bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{dist}-{tag}.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name.replace('-', '_')}.py", f"PAYLOAD = {payload!r}\n")
        archive.writestr(f"{dist}.dist-info/METADATA", metadata)
        archive.writestr(f"{dist}.dist-info/WHEEL", f"Wheel-Version: 1.0\nTag: {tag}\n")
        archive.writestr(f"{dist}.dist-info/RECORD", "")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(page: Path) -> list[dict[str, str | None]]:
    parser = _Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.anchors


def indexed_files(root: Path, *, hashless_ok: bool = False) -> dict[str, dict[str, str | None]]:
    """Follow every link of the index; fail unless each names an existing file with its sha256.

    ``hashless_ok``: a link may also carry no sha256 (a wheel caught while its bytes were being
    replaced); it must then name a file that is a whole wheel. Returns wheel filename -> the
    attributes of its link.
    """
    simple = root / "simple"
    found: dict[str, dict[str, str | None]] = {}
    for project in anchors(simple / "index.html"):
        page = simple / project["href"] / "index.html"
        assert page.is_file(), f"root index names missing {page}"
        for link in anchors(page):
            target, _, fragment = link["href"].partition("#sha256=")
            wheel = (page.parent / unquote(target)).resolve()
            assert wheel.is_file(), f"{page} names missing {wheel}"
            if hashless_ok and not fragment:
                read_wheel(wheel)
            else:
                assert fragment == sha256(wheel), f"{page} has a wrong sha256 for {wheel.name}"
            assert wheel.parent == root.resolve()
            found[wheel.name] = link
    return found


def temp_files(root: Path) -> list[Path]:
    return list(root.rglob(f"{TEMP_PREFIX}*"))


def pip_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What a pip run needs to see our index alone."""
    # The machine's pip config adds find-links and extra indexes; the test must see only ours.
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1"}
