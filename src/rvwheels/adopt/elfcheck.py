"""Check that every ELF file in a tree is built for the target, without running anything.

A file is ELF by its magic bytes, not its name: torch ships executables (``torch/bin/protoc``)
and versioned libraries (``libc10.so.2.6``) that no suffix test would find. Headers are read
with ``struct`` so the check runs on any host; ``read_dynamic`` also reads DT_NEEDED, SONAME
and RUNPATH, to see before auditwheel does which libraries a tree expects from the system.
"""

from __future__ import annotations

import difflib
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rvwheels.errors import BuildError, ConfigurationError

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2
EM_RISCV = 243

# e_machine values (from elf.h) for the error message: "x86_64", not "machine 62".
MACHINE_NAMES = {
    0: "none",
    2: "sparc",
    3: "x86",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    40: "arm",
    43: "sparcv9",
    50: "ia64",
    62: "x86_64",
    183: "aarch64",
    243: "riscv",
    247: "bpf",
    258: "loongarch",
}
# Target name -> (class, data encoding, e_machine), named as uname -m names them.
TARGETS = {
    "riscv64": (ELFCLASS64, ELFDATA2LSB, EM_RISCV),
    "x86_64": (ELFCLASS64, ELFDATA2LSB, 62),
    "aarch64": (ELFCLASS64, ELFDATA2LSB, 183),
    "ppc64le": (ELFCLASS64, ELFDATA2LSB, 21),
    "s390x": (ELFCLASS64, ELFDATA2MSB, 22),
    "loongarch64": (ELFCLASS64, ELFDATA2LSB, 258),
    "i686": (ELFCLASS32, ELFDATA2LSB, 3),
    "armv7l": (ELFCLASS32, ELFDATA2LSB, 40),
}

SHT_DYNAMIC = 6
DT_NULL, DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 14, 15, 29


@dataclass(frozen=True, kw_only=True)
class ElfIdent:
    """The part of an ELF header that says what the file runs on."""

    elf_class: int
    data: int
    machine: int

    def describe(self) -> str:
        """``x86_64``, ``riscv32``, or e.g. ``ppc (64-bit, little-endian)``."""
        for name, key in TARGETS.items():
            if key == (self.elf_class, self.data, self.machine):
                return name
        if self.machine == EM_RISCV and self.elf_class == ELFCLASS32:
            return "riscv32"
        bits = {ELFCLASS32: "32-bit", ELFCLASS64: "64-bit"}.get(self.elf_class, "unknown class")
        endian = {ELFDATA2LSB: "little-endian", ELFDATA2MSB: "big-endian"}.get(
            self.data, "unknown byte order"
        )
        machine = MACHINE_NAMES.get(self.machine, f"e_machine {self.machine}")
        return f"{machine} ({bits}, {endian})"


@dataclass(frozen=True, kw_only=True)
class ElfDynamic:
    """What the dynamic loader will look for: this file's SONAME, DT_NEEDED and search path."""

    soname: str | None
    needed: tuple[str, ...]
    runpath: tuple[str, ...]


def check_machine(tree: Path, *, machine: str = "riscv64") -> list[Path]:
    """Return every ELF file under ``tree``; raise ``BuildError`` if one is not for ``machine``."""
    expected = _target(machine)
    found: list[Path] = []
    offenders: list[tuple[Path, str]] = []
    for path in iter_files(tree):
        ident = read_ident(path)
        if ident is None:
            continue
        found.append(path)
        if isinstance(ident, str) or (ident.elf_class, ident.data, ident.machine) != expected:
            offenders.append((path, ident if isinstance(ident, str) else ident.describe()))
    if not found:
        msg = (
            f"no ELF file in {tree}: not a binary wheel; adopt is for compiled packages, "
            "build pure-Python ones with an ordinary recipe"
        )
        raise BuildError(msg)
    if offenders:
        first, actual = offenders[0]
        msg = (
            f"{first.relative_to(tree)} is built for {actual}, not {machine} "
            f"({len(offenders)} of {len(found)} ELF files in {tree} are not {machine}); "
            f"adopt a {machine} build instead"
        )
        raise BuildError(msg)
    return found


def iter_files(tree: Path) -> Iterator[Path]:
    """Regular files under ``tree`` in sorted order; linked directories are not entered."""
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file():
                yield path


def read_ident(path: Path) -> ElfIdent | str | None:
    """The ELF identity of ``path``; None if it is not ELF, a reason if its header is broken."""
    with path.open("rb") as f:
        head = f.read(20)
    if not head.startswith(ELF_MAGIC):
        return None
    if len(head) < 20:
        return "a truncated ELF header"
    elf_class, data = head[4], head[5]
    if data not in (ELFDATA2LSB, ELFDATA2MSB):
        return f"an ELF header with byte order {data}"
    (e_machine,) = struct.unpack_from("<H" if data == ELFDATA2LSB else ">H", head, 18)
    return ElfIdent(elf_class=elf_class, data=data, machine=e_machine)


def read_dynamic(path: Path) -> ElfDynamic | None:
    """SONAME, DT_NEEDED and RUNPATH (or RPATH) of an ELF file; None without a .dynamic section.

    Reads the section headers: the .dynamic section's sh_link names its string table, so no
    virtual-address mapping through the program headers is needed.
    """
    ident = read_ident(path)
    if not isinstance(ident, ElfIdent):
        return None
    layout = _Layout(ident)
    with path.open("rb") as f:
        sections = list(layout.sections(f))
        dynamic = next((s for s in sections if s[0] == SHT_DYNAMIC), None)
        if dynamic is None or dynamic[3] >= len(sections):
            return None
        _, offset, size, link = dynamic
        strtab = sections[link]
        f.seek(offset)
        entries = layout.dyn_entries(f.read(size))
        f.seek(strtab[1])
        strings = f.read(strtab[2])
    return _dynamic_from(entries, strings)


def unresolved_needed(files: Iterable[Path]) -> dict[str, list[Path]]:
    """DT_NEEDED names that no file in ``files`` is called, with the files that need them.

    The loader (and auditwheel's lddtree) looks a name up as a file name, so a library whose
    SONAME matches but whose file is called something else (Debian's ``torch/lib/libc10.so``
    holding SONAME ``libc10.so.2.6``) does not count. Search paths are not considered. What is
    left is what auditwheel repair must find in the target root and graft, or accept as part
    of the manylinux policy (libc.so.6, libstdc++.so.6 …).
    """
    files = list(files)
    provided = {path.name for path in files}
    wanted: dict[str, list[Path]] = {}
    for path in files:
        dynamic = read_dynamic(path)
        for name in dynamic.needed if dynamic else ():
            wanted.setdefault(name, []).append(path)
    return {name: users for name, users in sorted(wanted.items()) if name not in provided}


class _Layout:
    """Struct formats for one ELF class and byte order."""

    def __init__(self, ident: ElfIdent) -> None:
        order = "<" if ident.data == ELFDATA2LSB else ">"
        is64 = ident.elf_class == ELFCLASS64
        # e_shoff, then e_shentsize/e_shnum after the fields in between.
        self.shoff = struct.Struct(order + ("Q" if is64 else "I"))
        self.shoff_at = 40 if is64 else 32
        self.shcounts = struct.Struct(order + "HH")
        self.shcounts_at = 58 if is64 else 46
        # sh_type, sh_offset, sh_size, sh_link of a section header.
        self.section = struct.Struct(order + ("4xI16xQQI" if is64 else "4xI8xIII"))
        self.dyn = struct.Struct(order + ("qQ" if is64 else "iI"))

    def sections(self, f) -> Iterator[tuple[int, int, int, int]]:
        f.seek(self.shoff_at)
        (shoff,) = self.shoff.unpack(f.read(self.shoff.size))
        f.seek(self.shcounts_at)
        shentsize, shnum = self.shcounts.unpack(f.read(self.shcounts.size))
        if shoff == 0 or shentsize < self.section.size:
            return
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        for i in range(len(table) // shentsize):
            yield self.section.unpack_from(table, i * shentsize)

    def dyn_entries(self, data: bytes) -> Iterator[tuple[int, int]]:
        for offset in range(0, len(data) - self.dyn.size + 1, self.dyn.size):
            tag, value = self.dyn.unpack_from(data, offset)
            if tag == DT_NULL:
                return
            yield tag, value


def _dynamic_from(entries: Iterable[tuple[int, int]], strings: bytes) -> ElfDynamic:
    def text(offset: int) -> str:
        end = strings.find(b"\0", offset)
        return strings[offset : end if end >= 0 else None].decode(errors="replace")

    soname, needed, runpath, rpath = None, [], [], []
    for tag, value in entries:
        if tag == DT_NEEDED:
            needed.append(text(value))
        elif tag == DT_SONAME:
            soname = text(value)
        elif tag in (DT_RUNPATH, DT_RPATH):
            (runpath if tag == DT_RUNPATH else rpath).extend(text(value).split(":"))
    # The loader ignores DT_RPATH when DT_RUNPATH is present.
    return ElfDynamic(soname=soname, needed=tuple(needed), runpath=tuple(runpath or rpath))


def _target(machine: str) -> tuple[int, int, int]:
    if machine in TARGETS:
        return TARGETS[machine]
    close = difflib.get_close_matches(machine, list(TARGETS), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    msg = f"unknown machine '{machine}' for the ELF check; {hint}known: {', '.join(TARGETS)}"
    raise ConfigurationError(msg)
