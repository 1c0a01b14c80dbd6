"""Render a CMake toolchain file for cross builds (scikit-build-core), as the Meson cross file
is rendered for meson-python: compilers from the target's [cross.binaries], target libraries
and headers searched in the multiarch root only, target programs run through qemu-user."""

from __future__ import annotations

from collections.abc import Sequence

from rvwheels.environment.target import Target

# Target binaries that are CMake's own variables, from the Meson-style [cross.binaries].
COMPILERS = {
    "c": "CMAKE_C_COMPILER",
    "cpp": "CMAKE_CXX_COMPILER",
    "fortran": "CMAKE_Fortran_COMPILER",
}
TOOLS = {"ar": "CMAKE_AR", "strip": "CMAKE_STRIP"}


def render_cmake_toolchain(
    target: Target, *, pkgconfig_libdir: Sequence[str], exe_wrapper: Sequence[str]
) -> str:
    cmake, binaries = target.cross.cmake, target.cross.binaries
    lines = [
        "# Written by rvwheels for a cross build; see toolchain/targets/ and cmakefile.py.",
        f"set(CMAKE_SYSTEM_NAME {cmake.system_name})",
        f"set(CMAKE_SYSTEM_PROCESSOR {cmake.system_processor})",
        f"set(CMAKE_LIBRARY_ARCHITECTURE {target.triplet})",
    ]
    lines += [f"set({var} {binaries[role]})" for role, var in COMPILERS.items() if role in binaries]
    lines += [
        f'set({var} {binaries[role]} CACHE FILEPATH "")'
        for role, var in TOOLS.items()
        if role in binaries
    ]
    lines += [
        # The target's libraries live in the same multiarch tree: search "/" for libraries,
        # headers and packages only; programs (python, protoc) are the build machine's.
        "set(CMAKE_FIND_ROOT_PATH /)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)",
        f"set(CMAKE_IGNORE_PATH {_list(cmake.ignore_path)})",
        # try_run() and add_test() run target programs through qemu-user.
        f"set(CMAKE_CROSSCOMPILING_EMULATOR {_list(exe_wrapper)})",
        f'set(ENV{{PKG_CONFIG_LIBDIR}} "{":".join(pkgconfig_libdir)}")',
        'set(ENV{PKG_CONFIG_PATH} "")',
    ]
    flags = " ".join(target.cxx_link_flags)
    if flags:
        lines += [
            f'set(CMAKE_SHARED_LINKER_FLAGS_INIT "{flags}")',
            f'set(CMAKE_MODULE_LINKER_FLAGS_INIT "{flags}")',
        ]
    return "\n".join(lines) + "\n"


def _list(items: Sequence[str]) -> str:
    return " ".join(_quote(item) for item in items)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
