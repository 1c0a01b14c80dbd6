from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rvwheels.adopt.elfcheck import (
    ElfIdent,
    check_machine,
    read_dynamic,
    read_ident,
    unresolved_needed,
)
from rvwheels.errors import BuildError, ConfigurationError

from ._fakes import EM_AARCH64, EM_X86_64, elf_bytes, symlink, write


def test_finds_elf_by_magic_not_by_name(tmp_path):
    write(tmp_path / "pkg/_ext.cpython-311-riscv64-linux-gnu.so", elf_bytes())
    write(tmp_path / "pkg/bin/protoc", elf_bytes(), mode=0o755)
    write(tmp_path / "pkg/lib/libc10.so.2.6", elf_bytes())
    write(tmp_path / "pkg/not_elf.so", "a linker script, not ELF")
    write(tmp_path / "pkg/__init__.py", "")
    found = check_machine(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "pkg/_ext.cpython-311-riscv64-linux-gnu.so",
        "pkg/bin/protoc",
        "pkg/lib/libc10.so.2.6",
    ]


def test_names_the_first_offender_its_machine_and_the_count(tmp_path):
    write(tmp_path / "pkg/a.so", elf_bytes())
    write(tmp_path / "pkg/b.so", elf_bytes(machine=EM_X86_64))
    write(tmp_path / "pkg/c.so", elf_bytes(machine=EM_AARCH64))
    with pytest.raises(BuildError) as info:
        check_machine(tmp_path)
    message = info.value.message
    assert "\n" not in message
    assert message.startswith("pkg/b.so is built for x86_64, not riscv64")
    assert "2 of 3 ELF files" in message


@pytest.mark.parametrize(
    ("kwargs", "described"),
    [
        ({"elf_class": 1}, "riscv32"),
        ({"data": 2}, "riscv (64-bit, big-endian)"),
        ({"machine": 3, "elf_class": 1}, "i686"),
        ({"machine": 22, "data": 2}, "s390x"),
        ({"machine": 999}, "e_machine 999 (64-bit, little-endian)"),
    ],
)
def test_wrong_class_or_byte_order_is_not_riscv64(tmp_path, kwargs, described):
    write(tmp_path / "x.so", elf_bytes(**kwargs))
    with pytest.raises(BuildError, match=re.escape(f"built for {described}, not riscv64")):
        check_machine(tmp_path)


def test_a_truncated_header_offends(tmp_path):
    write(tmp_path / "ok.so", elf_bytes())
    write(tmp_path / "short.so", b"\x7fELF\x02\x01")
    with pytest.raises(BuildError, match="short.so is built for a truncated ELF header"):
        check_machine(tmp_path)


def test_no_elf_at_all_is_not_a_binary_wheel(tmp_path):
    write(tmp_path / "pkg/__init__.py", "")
    with pytest.raises(BuildError, match="not a binary wheel"):
        check_machine(tmp_path)


def test_other_machines_can_be_checked_and_typos_get_a_suggestion(tmp_path):
    write(tmp_path / "x.so", elf_bytes(machine=EM_X86_64))
    assert check_machine(tmp_path, machine="x86_64") == [tmp_path / "x.so"]
    with pytest.raises(ConfigurationError, match="did you mean 'riscv64'"):
        check_machine(tmp_path, machine="riscv46")


def test_linked_directories_are_not_walked_twice(tmp_path):
    write(tmp_path / "pkg/lib/a.so", elf_bytes())
    symlink(tmp_path / "pkg/lib2", "lib")
    assert check_machine(tmp_path) == [tmp_path / "pkg/lib/a.so"]


def test_read_ident_reports_class_order_machine(tmp_path):
    path = write(tmp_path / "x", elf_bytes(machine=EM_AARCH64, data=2))
    assert read_ident(path) == ElfIdent(elf_class=2, data=2, machine=EM_AARCH64)
    assert read_ident(write(tmp_path / "y", "#!/bin/sh\n")) is None


@pytest.mark.parametrize(("elf_class", "data"), [(2, 1), (2, 2), (1, 1), (1, 2)])
def test_read_dynamic_of_every_class_and_byte_order(tmp_path, elf_class, data):
    path = write(
        tmp_path / "libx.so",
        elf_bytes(
            elf_class=elf_class,
            data=data,
            needed=["libc10.so.2.6", "libc.so.6"],
            soname="libx.so.1",
            runpath="$ORIGIN:$ORIGIN/lib",
        ),
    )
    dynamic = read_dynamic(path)
    assert dynamic is not None
    assert dynamic.needed == ("libc10.so.2.6", "libc.so.6")
    assert dynamic.soname == "libx.so.1"
    assert dynamic.runpath == ("$ORIGIN", "$ORIGIN/lib")


def test_read_dynamic_without_sections_is_none(tmp_path):
    assert read_dynamic(write(tmp_path / "x", elf_bytes())) is None
    assert read_dynamic(write(tmp_path / "y", "text")) is None


@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs binutils' readelf")
def test_read_dynamic_agrees_with_readelf_on_a_real_library():
    import _ssl  # an extension module of the host Python that links libssl

    path = Path(_ssl.__file__)
    out = subprocess.run(["readelf", "-dW", path], capture_output=True, text=True, check=True)
    expected = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out.stdout)
    dynamic = read_dynamic(path)
    assert dynamic is not None and expected
    assert list(dynamic.needed) == expected


def test_unresolved_needed_counts_file_names_not_sonames(tmp_path):
    c10 = write(tmp_path / "lib/libc10.so.2", elf_bytes(needed=["libc.so.6"], soname="libc10.so.2"))
    cpu = write(tmp_path / "lib/libtorch_cpu.so", elf_bytes(soname="libtorch_cpu.so.2.6"))
    ext = write(
        tmp_path / "_C.so",
        elf_bytes(needed=["libc10.so.2", "libtorch_cpu.so.2.6", "libgomp.so.1", "libc.so.6"]),
    )
    assert unresolved_needed([c10, cpu, ext]) == {
        "libc.so.6": [c10, ext],
        "libgomp.so.1": [ext],
        "libtorch_cpu.so.2.6": [ext],
    }
