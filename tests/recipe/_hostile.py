"""Generators of hostile recipes: every key misspelled and every value of the wrong type (the
findings of issue 10 are in _hostile_findings.py), and the helpers both use.

A case writes its recipe (and any files it needs) into a folder and says which fragment the
one-line error must hold. Nothing binary is checked in: the inputs are made here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHA = "3f" * 32
URL = "https://files.pythonhosted.org/packages/source/h/hostile/hostile-1.0.tar.gz"
DEB = "https://deb.debian.org/debian/pool/main/h/hostile/python3-hostile_1.0-1_riscv64.deb"
PATCH = "patches/0001-fix.patch"

MESON = {
    "package": {"name": "hostile", "version": "1.0"},
    "source": {"url": URL, "sha256": SHA, "patches": [PATCH]},
    "build": {
        "backend": "meson-python",
        "fortran": True,
        "modes": ["cross", "emulated"],
        "env": {"CFLAGS": "-O2 -I{target_site}/x"},
        "config-settings": {"setup-args": ["-Dblas=openblas"], "builddir": "build"},
        "roots": {"emulated": "target-dev"},
        "venv-system-site-packages": False,
        "pythons": ["3.11"],
    },
    "cross": {
        "properties": {"longdouble_format": "IEEE_QUAD_LE", "numpy-include-dir": "{build_site}"}
    },
    "requires": {
        "host": ["openblas"],
        "run": ["numpy>=2"],
        "library": [
            {
                "name": "OpenBLAS",
                "pkgconfig": "openblas",
                "lib": "openblas",
                "headers": ["cblas.h"],
                "debian": "libopenblas-dev",
                "rpm": "openblas-devel",
            }
        ],
    },
    "repair": {"exclude": ["libtorch*.so*"]},
    "test": {
        "imports": ["hostile"],
        "requires": ["pytest"],
        "commands": [["python", "-c", "print({'a': 1})"]],
        "timeout": 60,
    },
}
MAKE = {
    "package": {"name": "hostile", "version": "1.0"},
    "source": {"url": URL, "sha256": SHA},
    "build": {
        "backend": "make",
        "make": {"package": "hostile", "args": ["CC={cc}"], "install-args": ["PREFIX={prefix}"]},
        "variants": {
            "GENERIC": {"make-args": ["TARGET=X"], "test-under": [{"emulator": "qemu-x"}]}
        },
    },
    "provides": {"pkgconfig": ["hostile/lib/pkgconfig"], "libdirs": ["hostile/lib"]},
    "test": {"imports": []},
}
ADOPT = {
    "package": {"name": "hostile", "version": "1.0"},
    "source": {"url": DEB, "sha256": SHA},
    "build": {"backend": "adopt"},
    "adopt": {
        "deb": [{"url": DEB, "sha256": SHA}],
        "packages": ["hostile"],
        "exclude": ["hostile/tests"],
        "requires-dist": ["numpy"],
        "drop-requires": ["mkl"],
    },
    "test": {"imports": ["hostile"]},
}
OVERRIDDEN = {**MAKE, "overrides": [{"pythons": ["3.13"], "repair": {"exclude": ["x.so"]}}]}
BASES = {"meson": MESON, "make": MAKE, "adopt": ADOPT, "overrides": OVERRIDDEN}
# Tables whose keys the user chooses: a misspelled key there is just another key.
USER_KEYED = {"env", "config-settings", "properties", "variants"}


@dataclass(frozen=True)
class Case:
    id: str
    write: Callable[[Path], Path]  # writes the recipe (and its files) into a folder
    expect: str | tuple[str, ...]  # fragments of the one-line error


def dumps(document: dict[str, Any]) -> str:
    """A TOML text for ``document``: every top-level key with an inline value."""
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in document.items())


def _key(key: str) -> str:
    return _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"


def writer(document: dict[str, Any], *, files: Callable[[Path], None] | None = None) -> Callable:
    def write(folder: Path) -> Path:
        (folder / "patches").mkdir(parents=True, exist_ok=True)
        (folder / PATCH).write_text("--- a/x\n+++ b/x\n")
        if files is not None:
            files(folder)
        path = folder / "hostile.toml"
        path.write_text(dumps(document), encoding="utf-8")
        return path

    return write


def text_writer(data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "hostile.toml"
        path.write_bytes(data)
        return path

    return write


def places(value: Any, at: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every key and list item below ``value``, outer ones first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield (*at, key), item
        if isinstance(item, dict | list):
            yield from places(item, (*at, key))


def dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def replaced(document: dict, path: tuple, value: Any, *, rename: str | None = None) -> dict:
    changed = copy.deepcopy(document)
    parent = changed
    for part in path[:-1]:
        parent = parent[part]
    if rename is None:
        parent[path[-1]] = value
    else:
        parent[rename] = parent.pop(path[-1])
    return changed


def misspelled_keys() -> Iterator[Case]:
    seen = set()
    for base_name, base in BASES.items():
        for path, _ in places(base):
            if isinstance(path[-1], int) or dotted(path) in seen or _user_key(path):
                continue
            seen.add(dotted(path))
            wrong = path[-1][:-1] if len(path[-1]) > 3 else path[-1] + "x"
            document = replaced(base, path, None, rename=wrong)
            yield Case(
                f"misspelled {base_name}:{dotted(path)}",
                writer(document),
                dotted((*path[:-1], wrong)),
            )


def wrong_types() -> Iterator[Case]:
    seen = set()
    for base_name, base in BASES.items():
        for path, value in places(base):
            if dotted(path) in seen:
                continue
            seen.add(dotted(path))
            document = replaced(base, path, _wrong_value(value))
            yield Case(
                f"wrong type {base_name}:{dotted(path)}",
                writer(document),
                f"{dotted(path)}: expected",
            )


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int):
        return "60"
    if isinstance(value, str):
        return 1.5
    return 7  # for a list or a table


def _user_key(path: tuple) -> bool:
    return len(path) >= 2 and path[-2] in USER_KEYED
