"""Small wheels written by hand: enough METADATA and files for pip and for the import list."""

from __future__ import annotations

import zipfile
from pathlib import Path


def write_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    requires: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    top_level: str | None = None,
) -> Path:
    dist = f"{name.replace('-', '_')}-{version}"
    wheel = folder / f"{dist}-py3-none-any.whl"
    metadata = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{dist}.dist-info/METADATA", "\n".join(metadata) + "\n")
        archive.writestr(
            f"{dist}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        if top_level is not None:
            archive.writestr(f"{dist}.dist-info/top_level.txt", top_level)
        for file in files:
            archive.writestr(file, "")
        archive.writestr(f"{dist}.dist-info/RECORD", "")
    return wheel
