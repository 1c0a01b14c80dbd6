"""Recipe texts shared by the recipe tests."""

from __future__ import annotations

SHA256 = "3f" * 32

FULL_RECIPE = f"""\
[package]
name = "NumPy"
version = "2.4.6"

[source]
url = "https://files.pythonhosted.org/packages/source/n/numpy/numpy-2.4.6.tar.gz"
sha256 = "{SHA256}"
patches = ["patches/numpy/0001-fix.patch", "patches/numpy/0002-more.patch"]

[build]
backend = "meson-python"
fortran = true
modes = ["native", "cross"]
env = {{ NPY_BLAS_ORDER = "openblas", EMPTY = "" }}

[build.config-settings]
setup-args = ["-Dblas=openblas", "-Dlapack=openblas"]
builddir = "build"

[cross.properties]
longdouble_format = "IEEE_QUAD_LE"
needs_exe_wrapper = true
jobs = 4
extra = ["a", "b"]

[requires]
host = ["Meson_Python"]
run = ["packaging>=23"]

[[requires.library]]
name = "OpenBLAS"
pkgconfig = "openblas"
lib = "openblas"
headers = ["cblas.h"]
debian = "libopenblas-dev"
rpm = "openblas-devel"

[[requires.library]]
name = "zlib"
pkgconfig = "zlib"
lib = "z"

[test]
imports = ["numpy", "numpy.linalg"]
requires = ["pytest", "hypothesis>=6"]
commands = [
  ["python", "-m", "pytest", "-q", "--pyargs", "numpy.linalg.tests.test_linalg"],
  ["python", "-c", "import numpy"],
]
timeout = 1800
"""

MINIMAL_RECIPE = f"""\
[package]
name = "numpy"
version = "2.4.6"

[source]
url = "https://example.org/numpy-2.4.6.tar.gz"
sha256 = "{SHA256}"

[build]
backend = "setuptools"

[test]
imports = []
"""


def edited(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; fails loudly if ``old`` is not there (a stale test)."""
    assert old in text, f"test bug: {old!r} not in the recipe"
    return text.replace(old, new, 1)
