from __future__ import annotations

import configparser

from rvwheels.environment.crossfile import render_cross_file
from rvwheels.environment.target import load_target


def test_cross_file_has_compilers_wrapper_and_recipe_properties():
    target = load_target()
    text = render_cross_file(
        target,
        properties={
            "longdouble_format": "IEEE_QUAD_LE",
            "flag": True,
            "n": 3,
            "dirs": ("/a", "/b'c"),
        },
        pkgconfig_libdir=["/rvw/work/numpy/pkgconfig", "/usr/lib/riscv64-linux-gnu/pkgconfig"],
        exe_wrapper=["/usr/local/bin/qemu-riscv64-static", "-L", "/"],
    )
    ini = configparser.ConfigParser()
    ini.read_string(text)
    assert ini["binaries"]["c"] == "'riscv64-linux-gnu-gcc'"
    assert ini["binaries"]["exe_wrapper"] == "['/usr/local/bin/qemu-riscv64-static', '-L', '/']"
    assert ini["host_machine"]["cpu_family"] == "'riscv64'"
    assert ini["properties"]["longdouble_format"] == "'IEEE_QUAD_LE'"
    assert ini["properties"]["flag"] == "true" and ini["properties"]["n"] == "3"
    assert ini["properties"]["dirs"] == "['/a', '/b\\'c']"
    assert ini["properties"]["pkg_config_libdir"].startswith("['/rvw/work/numpy/pkgconfig'")


def test_a_compiler_cache_goes_in_front_of_c_and_cpp_but_not_fortran():
    text = render_cross_file(
        load_target(), properties={}, pkgconfig_libdir=[], exe_wrapper=["q"], launcher="ccache"
    )
    ini = configparser.ConfigParser()
    ini.read_string(text)
    assert ini["binaries"]["c"] == "['ccache', 'riscv64-linux-gnu-gcc']"
    assert ini["binaries"]["cpp"] == "['ccache', 'riscv64-linux-gnu-g++']"
    assert ini["binaries"]["fortran"] == "'riscv64-linux-gnu-gfortran'"
