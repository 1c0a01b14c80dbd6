"""The CMake toolchain file rendered from the real target description."""

from __future__ import annotations

from rvwheels.environment.cmakefile import render_cmake_toolchain
from rvwheels.environment.target import load_target


def test_the_toolchain_file_names_the_targets_compilers_searches_and_link_flags():
    target = load_target()
    text = render_cmake_toolchain(
        target,
        pkgconfig_libdir=["/usr/lib/riscv64-linux-gnu/pkgconfig"],
        exe_wrapper=["/usr/local/bin/qemu-riscv64-static", "-L", "/"],
    )
    lines = text.splitlines()
    assert "set(CMAKE_SYSTEM_PROCESSOR riscv64)" in lines
    assert "set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)" in lines
    assert "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)" in lines
    assert 'set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/riscv64-linux-gnu/pkgconfig")' in lines
    flags = " ".join(target.cxx_link_flags)
    assert "-static-libstdc++" in flags
    assert f'set(CMAKE_SHARED_LINKER_FLAGS_INIT "{flags}")' in lines
    assert f'set(CMAKE_MODULE_LINKER_FLAGS_INIT "{flags}")' in lines
    assert (
        'set(CMAKE_CROSSCOMPILING_EMULATOR "/usr/local/bin/qemu-riscv64-static" "-L" "/")' in lines
    )
