"""Hostile recipes for each finding of issue 10: URLs, versions, names, paths out of the
recipe's folder or the wheel, TOML bombs, bad values. The inputs are made here, in the test
run (a 1 TB patch is a sparse file), never checked in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._hostile import ADOPT, MAKE, MESON, URL, Case, dotted, replaced, text_writer, writer


def sparse_file(path: Path, size: int = 1 << 40) -> None:
    """A file that claims ``size`` bytes and holds none (1 TB, or 1 GB where that is refused)."""
    with path.open("wb") as f:
        try:
            f.truncate(size)
        except OSError:
            f.truncate(1 << 30)


def symlink(name: str, target: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        link = folder / name
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)

    return make


def _with(path: tuple, value: Any, base: dict = MESON, **kwargs: Any) -> Callable[[Path], Path]:
    return writer(replaced(base, path, value), **kwargs)


URLS = {
    "bad IPv6 host": "https://[::1/hostile-1.0.tar.gz",
    "no host": "https:///hostile-1.0.tar.gz",
    "space in the host": "https://files python.org/hostile-1.0.tar.gz",
    "newline in the host": "https://files\npython.org/hostile-1.0.tar.gz",
    "tab in the URL": "https://example.org/\thostile-1.0.tar.gz",
    "user and password": "https://user:pass@example.org/hostile-1.0.tar.gz",
    "port 99999": "https://example.org:99999/hostile-1.0.tar.gz",
    "port 0": "https://example.org:0/hostile-1.0.tar.gz",
    "port not a number": "https://example.org:http/hostile-1.0.tar.gz",
    "file URL": "file:///etc/passwd",
    "ftp URL": "ftp://example.org/hostile-1.0.tar.gz",
    "http outside Debian": "http://example.org/hostile-1.0.tar.gz",
    "http on a look-alike host": "http://debian.org.example.org/hostile-1.0.tar.gz",
    "file name ..": "https://example.org/a/..",
    "file name %2e%2e": "https://example.org/a/%2e%2e",
    "file name with an encoded slash": "https://example.org/a%2f..%2f..%2fetc",
    "no file name": "https://example.org/",
    "only a host": "https://example.org",
    "non-ASCII host": "https://exämple.org/hostile-1.0.tar.gz",
    "javascript": "javascript:alert(1)",
    "relative": "hostile-1.0.tar.gz",
    "underscore host": "https://ex_ample.org/hostile-1.0.tar.gz",
    "hyphen label": "https://-example.org/hostile-1.0.tar.gz",
    "NUL": "https://example.org/hostile\x00-1.0.tar.gz",
}
VERSIONS = {
    "4,300-digit part": "1." + "9" * 4300,
    "4,301-digit part": "1." + "9" * 4301,
    "65 characters": "1." + "1" * 63,
    "leading space": " 1.0",
    "trailing space": "1.0 ",
    "trailing newline": "1.0\n",
    "v prefix": "v1.0",
    "dash rc": "1.0-rc1",
    "upper case": "1.0RC1",
    "Arabic-Indic digits": "١.٠",
    "full-width digits": "１.０",
    "not a version": "latest",
    "empty": "",
}
NAMES = {
    "long s (ſcipy)": "ſcipy",
    "Kelvin sign": "\u212aelvin",
    "zero-width space": "hostile\u200b",
    "leading space": " hostile",
    "slash": "../hostile",
    "dot only": ".",
    "ANSI escape": "\x1b[31mhostile",
}
PATCHES = {
    "parent folders": ("../../../../etc/passwd", None, "outside the recipe's folder"),
    "absolute /etc/passwd": ("/etc/passwd", None, "outside the recipe's folder"),
    "/proc/self/environ": ("/proc/self/environ", None, "outside the recipe's folder"),
    "a symlink to /etc/passwd": (
        "patches/link.patch",
        symlink("patches/link.patch", "/etc/passwd"),
        "outside the recipe's folder",
    ),
    "a symlink loop": (
        "patches/loop.patch",
        symlink("patches/loop.patch", "loop.patch"),
        "cannot be resolved",
    ),
    "NUL": ("patches/0001\x00.patch", None, "contains a NUL"),
    "a folder": ("patches", None, "is not a file"),
    "a 1 TB sparse file": (
        "patches/huge.patch",
        lambda folder: sparse_file(folder / "patches" / "huge.patch"),
        "more than a patch may be",
    ),
    "a name too long": ("patches/" + "a" * 300, None, "cannot be resolved"),
    "a FIFO": ("patches/fifo", lambda folder: os.mkfifo(folder / "patches" / "fifo"), "is not a"),
}
SOURCE_PATHS = {
    "/etc": ("/etc", None, "outside the recipe's folder"),
    "parent folders": ("../../../../", None, "outside the recipe's folder"),
    "the recipe's folder itself": (".", None, "is the recipe's folder itself"),
    "a symlink out": ("src", symlink("src", "/usr"), "outside the recipe's folder"),
    "NUL": ("src\x00", None, "contains a NUL"),
    "a file": ("patches/0001-fix.patch", None, "is not a directory"),
    "missing": ("src", None, "does not exist"),
}
INSIDE_THE_WHEEL = {
    ("provides", "pkgconfig"): ["../../../../etc"],
    ("provides", "libdirs"): ["/usr/lib"],
    ("adopt", "exclude"): ["/etc"],
    ("requires", "library", 0, "headers"): ["../../include/x.h"],
    ("repair", "exclude"): ["/lib/libc.so.6"],
}
BOMBS = {
    "arrays nested 5,000 deep": b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "inline tables nested 5,000 deep": b"x = " + b"{a = " * 5000 + b"1" + b"}" * 5000 + b"\n",
    "arrays nested 20 deep": b"x = " + b"[" * 20 + b"]" * 20 + b"\n",
    "tables nested 40 deep": b"[" + b".".join([b"a"] * 40) + b"]\n",
    "not UTF-8": b'[package]\nname = "\xff"\n',
    "a NUL byte": b'[package]\nname = "a\x00b"\n',
    "a 2 MiB file": b"# " + b"x" * (2 << 20) + b"\n",
    "empty": b"",
    "binary noise": bytes(range(256)) * 4,
    "a huge integer": b"[test]\ntimeout = " + b"9" * 5000 + b"\n",
}


def findings() -> Iterator[Case]:
    yield from (
        Case(f"url: {what}", _with(("source", "url"), url), "source.url")
        for what, url in URLS.items()
    )
    yield from (
        Case(f"deb url: {what}", _with(("adopt", "deb", 0, "url"), url, ADOPT), "adopt.deb[0].url")
        for what, url in list(URLS.items())[:6]
    )
    yield from (
        Case(f"version: {what}", _with(("package", "version"), version), "package.version")
        for what, version in VERSIONS.items()
    )
    yield from (
        Case(f"name: {what}", _with(("package", "name"), name), "package.name")
        for what, name in NAMES.items()
    )
    yield from (
        Case(
            f"patch: {what}", _with(("source", "patches"), [p], files=f), ("source.patches[0]: ", e)
        )
        for what, (p, f, e) in PATCHES.items()
    )
    yield from _source_paths()
    yield from (
        Case(
            f"outside the wheel: {dotted(path)}",
            _with(path, value, _base_for(path)),
            "leaves the wheel" if path[0] != "repair" else "is a path",
        )
        for path, value in INSIDE_THE_WHEEL.items()
    )
    yield from (Case(f"TOML: {what}", text_writer(data), "") for what, data in BOMBS.items())
    yield from _other_findings()


def _base_for(path: tuple) -> dict:
    return {"provides": MAKE, "adopt": ADOPT}.get(path[0], MESON)


def _source_paths() -> Iterator[Case]:
    local = {k: v for k, v in MESON["source"].items() if k not in ("url", "sha256")}
    for what, (path, files, expect) in SOURCE_PATHS.items():
        document = replaced(MESON, ("source",), {**local, "path": path})
        yield Case(f"source.path: {what}", writer(document, files=files), ("source.path: ", expect))


def _other_findings() -> Iterator[Case]:
    bad = {
        ("requires", "run"): ["x @ file:///etc/passwd"],
        ("test", "requires"): ["x>=1." + "9" * 5000],
        ("requires", "host"): ["ſcipy"],
        ("test", "timeout"): 10**30,
        ("build", "env", "CFLAGS"): "{tagret_site}",
        ("build", "env", "LDFLAGS"): "{prefix}",
        ("source", "url"): URL.replace("1.0.tar.gz", "{version}.tar.gz"),
        ("build", "env", "A=B"): "x",
        ("cross", "properties", "a\nb"): "x",
        ("build", "config-settings", "a\x00"): "x",
        ("test", "imports"): ["ſys"],
        ("build", "pythons"): ["3.1111"],
        ("build", "roots", "cross"): "../cross",
        ("requires", "library", 0, "lib"): "../libc.so.6",
    }
    for path, value in bad.items():
        yield Case(f"value: {dotted(path)}", _with(path, value), dotted(path[:2]))
