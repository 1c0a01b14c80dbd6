"""Tiny synthetic inputs for the adopt tests: ELF files, .deb archives, wheel-like trees."""

from __future__ import annotations

import io
import os
import struct
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

EM_RISCV, EM_X86_64, EM_AARCH64 = 243, 62, 183


def elf_bytes(
    *,
    machine: int = EM_RISCV,
    elf_class: int = 2,
    data: int = 1,
    needed: Sequence[str] = (),
    soname: str | None = None,
    runpath: str | None = None,
) -> bytes:
    """An ELF file: a header, and (when asked for dynamic entries) .dynstr + .dynamic sections.

    Written field by field from the ELF specification (not from the code under test), for
    both classes and byte orders.
    """
    order = "<" if data == 1 else ">"
    is64 = elf_class == 2
    addr = "Q" if is64 else "I"
    ehsize, shentsize = (64, 64) if is64 else (52, 40)
    strings = b"\0"
    dynamic: list[tuple[int, int]] = []
    for tag, value in [(1, n) for n in needed] + [(14, soname), (29, runpath)]:
        if value is None:
            continue
        dynamic.append((tag, len(strings)))
        strings += value.encode() + b"\0"
    dyn_fmt = order + ("qQ" if is64 else "iI")
    dyn = b"".join(struct.pack(dyn_fmt, t, v) for t, v in [*dynamic, (0, 0)])
    with_sections = bool(dynamic)
    strtab_at = ehsize
    dyn_at = strtab_at + len(strings)
    shoff = dyn_at + len(dyn) if with_sections else 0
    shnum = 3 if with_sections else 0
    ident = b"\x7fELF" + bytes([elf_class, data, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        order + "HHI" + addr * 3 + "IHHHHHH",
        3,  # ET_DYN
        machine,
        1,
        0,
        0,
        shoff,
        0,
        ehsize,
        0,
        0,
        shentsize,
        shnum,
        0,
    )
    assert len(header) == ehsize
    if not with_sections:
        return header

    def section(sh_type: int, offset: int, size: int, link: int) -> bytes:
        fmt = order + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
        return struct.pack(fmt, 0, sh_type, 0, 0, offset, size, link, 0, 1, 0)

    sections = section(0, 0, 0, 0) + section(3, strtab_at, len(strings), 0)
    sections += section(6, dyn_at, len(dyn), 1)
    return header + strings + dyn + sections


def write(path: Path, content: bytes | str, *, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


def tar_bytes(
    files: Mapping[str, bytes | str],
    *,
    symlinks: Mapping[str, str] = {},  # noqa: B006 - read only
    compression: str = "xz",
) -> bytes:
    """A tar like dpkg-deb writes: ``./``-prefixed names, parent folders first."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}" if compression else "w") as tf:
        dirs = sorted({str(Path(n).parent) for n in [*files, *symlinks]} - {"."})
        for d in _with_parents(dirs):
            info = tarfile.TarInfo(f"./{d}/")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tf.addfile(info)
        for name, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"./{name}")
            info.size, info.mode = len(data), 0o755 if name.endswith((".so", "/tool")) else 0o644
            tf.addfile(info, io.BytesIO(data))
        for name, target in sorted(symlinks.items()):
            info = tarfile.TarInfo(f"./{name}")
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return buffer.getvalue()


def _with_parents(dirs: Sequence[str]) -> list[str]:
    out: set[str] = set()
    for d in dirs:
        parts = d.split("/")
        out.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(out)


def ar_bytes(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A System V ``ar`` archive, as dpkg-deb writes it (names without GNU's trailing '/')."""
    out = b"!<arch>\n"
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        assert len(header) == 60
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


def make_deb(
    path: Path,
    files: Mapping[str, bytes | str],
    *,
    symlinks: Mapping[str, str] = {},  # noqa: B006 - read only
    compression: str = "xz",
    package: str = "demo",
) -> Path:
    control = tar_bytes(
        {
            "control": f"Package: {package}\nVersion: 1.0\nArchitecture: riscv64\n"
            "Maintainer: t <t@example.org>\nDescription: test\n"
        },
        compression="xz",
    )
    suffix = {"xz": ".xz", "gz": ".gz", "": ""}.get(compression, f".{compression}")
    data = (
        tar_bytes(files, symlinks=symlinks, compression=compression)
        if compression in ("xz", "gz", "")
        else b"\x28\xb5\x2f\xfd not really zstd"
    )
    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", control)]
    members.append((f"data.tar{suffix}", data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ar_bytes(members))
    return path


def symlink(path: Path, target: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    return path
