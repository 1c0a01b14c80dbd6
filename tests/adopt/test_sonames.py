"""Libraries of an adopted tree renamed to their file names and given RUNPATHs to each other."""

from __future__ import annotations

from pathlib import Path

from rvwheels.adopt.sonames import patchelf_edits

from ._fakes import elf_bytes, write


def test_a_library_takes_its_file_name_as_soname_and_its_users_follow(tmp_path: Path) -> None:
    # As in Debian's python3-torch: torch/lib/libc10.so holds SONAME libc10.so.2.6.
    c10 = write(tmp_path / "torch/lib/libc10.so", elf_bytes(soname="libc10.so.2.6"))
    cpu = write(
        tmp_path / "torch/lib/libtorch_cpu.so",
        elf_bytes(soname="libtorch_cpu.so.2.6", needed=["libc10.so.2.6", "libc.so.6"]),
    )
    module = write(
        tmp_path / "torch/_C.so", elf_bytes(needed=["libtorch_cpu.so.2.6"], runpath="$ORIGIN/lib")
    )
    assert patchelf_edits([c10, cpu, module]) == {
        c10: [["--set-soname", "libc10.so"]],
        # libc.so.6 is not in the tree: left to the system and to repair.
        cpu: [
            ["--set-soname", "libtorch_cpu.so"],
            ["--replace-needed", "libc10.so.2.6", "libc10.so"],
            ["--set-rpath", "$ORIGIN"],
        ],
        module: [["--replace-needed", "libtorch_cpu.so.2.6", "libtorch_cpu.so"]],
    }


def test_a_tree_already_in_order_needs_no_edits(tmp_path: Path) -> None:
    lib = write(tmp_path / "pkg/lib/libx.so.1", elf_bytes(soname="libx.so.1"))
    module = write(
        tmp_path / "pkg/_core.so", elf_bytes(needed=["libx.so.1"], runpath="$ORIGIN/lib")
    )
    assert patchelf_edits([lib, module]) == {}


def test_a_runpath_keeps_its_entries_and_gains_the_missing_folder(tmp_path: Path) -> None:
    lib = write(tmp_path / "torch/lib/libshm.so", elf_bytes(soname="libshm.so"))
    tool = write(tmp_path / "torch/bin/shm", elf_bytes(needed=["libshm.so"], runpath="/usr/lib"))
    assert patchelf_edits([lib, tool]) == {tool: [["--set-rpath", "/usr/lib:$ORIGIN/../lib"]]}
